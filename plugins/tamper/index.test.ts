import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame, PluginEventInput } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin from './index.js';
import { blurred, noisy, shifted, texture } from './testdata.js';

const W = 640;
const H = 360;
const T0 = 1_700_000_000_000;
const scene = texture(W, H, 11);

/**
 * Runs the plugin at 5 fps over `pictures(t)` from 0 to untilS; returns what it emitted, with times.
 * `light(y, t)`, if given, adds light at the lens to the noisy frame in place: what it clips reads full
 * scale, without noise, as a real sensor's clipped pixels do.
 */
async function run(pictures: (t: number) => Uint8Array, untilS: number, config: Record<string, unknown> = {}, light?: (y: Uint8Array, t: number) => void) {
  const events: (PluginEventInput & { t: number })[] = [];
  let t = 0;
  const instance = await plugin.create(testContext(plugin, config, { onEvent: (e) => events.push({ ...e, t }) }));
  for (let i = 0; i * 0.2 <= untilS; i++) {
    t = Math.round(i * 2) / 10;
    const y = noisy(pictures(t).slice(), 2, i);
    light?.(y, t);
    const frame: Frame = { cameraId: 'cam', pts: i, capturedAt: T0 + t * 1000, seq: i, width: W, height: H, format: 'gray', y, strideY: W, strideUV: 0 };
    await instance.onFrame(frame);
  }
  return events;
}

describe('tamper config', () => {
  it('has defaults for everything', () => {
    const c = plugin.configSchema.parse({});
    assert.equal(c.persistS, 3);
    assert.equal(c.clearS, 3);
    assert.equal(c.saturatedLuma, 235);
  });

  it('refuses unknown keys and values out of range, naming the field', () => {
    const bad = (config: unknown, pattern: RegExp) => {
      const r = plugin.configSchema.safeParse(config);
      assert.equal(r.success, false);
      assert.match(JSON.stringify(r.error!.issues), pattern);
    };
    bad({ persist: 3 }, /unrecognized_keys.*persist/i);
    bad({ persistS: 0 }, /"persistS"/);
    bad({ coveredContrast: 0 }, /"coveredContrast"/);
    bad({ saturatedLuma: 240.5 }, /"saturatedLuma"/);
    bad({ minShift: 0.8 }, /"minShift"/);
  });
});

describe('tamper plugin', () => {
  it('learns the view, raises camera-covered 3 s into a cover with evidence, and camera-restored 3 s after it ends', async () => {
    const dark = new Uint8Array(W * H).fill(45);
    const events = await run((t) => (t >= 8 && t < 16 ? dark : scene), 24);
    assert.deepEqual(events.map((e) => [e.type, e.t]), [['camera-covered', 11], ['camera-restored', 19]]);
    const [covered, restored] = events;
    assert.equal(covered!.severity, 'critical');
    assert.equal(covered!.snapshot, true);
    assert.deepEqual(covered!.evidence!.map((e) => e.label), ['before', 'at']);
    assert.ok(covered!.evidence![0]!.frame.capturedAt < T0 + 8000, 'before is a frame from before the cover');
    const a = covered!.attributes!;
    assert.ok((a.contrast as number) < 0.25 && (a.edges as number) < 0.25, JSON.stringify(a));
    assert.ok(Math.abs((a.brightness as number) - 45) < 2);
    assert.deepEqual(restored!.attributes, { tamper: 'covered', startedAt: T0 + 8000, durationS: 8 });
  });

  it('raises camera-moved with the shift in frame pixels when the view moves and stays', async () => {
    const moved = shifted(scene, W, H, -24, 12);
    const events = await run((t) => (t >= 8 ? moved : scene), 14);
    assert.deepEqual(events.map((e) => [e.type, e.t]), [['camera-moved', 11]]);
    const a = events[0]!.attributes!;
    assert.ok(Math.abs((a.shiftX as number) + 24) <= 4 && Math.abs((a.shiftY as number) - 12) <= 4, JSON.stringify(a));
  });

  it('raises camera-moved without a shift when the camera is turned to another view', async () => {
    const elsewhere = texture(W, H, 12);
    const events = await run((t) => (t >= 8 ? elsewhere : scene), 12);
    assert.deepEqual(events.map((e) => [e.type, e.t]), [['camera-moved', 11]]);
    assert.equal(events[0]!.attributes!.shiftX, undefined);
  });

  it('raises camera-defocused for a blurred view and camera-blinded for a saturated, washed-out one', async () => {
    const soft = blurred(scene, W, H, 4);
    const lit = Uint8Array.from(scene, (v, i) => (i % W < W / 2 ? 255 : v * 0.4 + 150));
    const events = await run((t) => (t >= 6 && t < 14 ? soft : t >= 20 && t < 28 ? lit : scene), 34);
    assert.deepEqual(events.map((e) => [e.type, e.t]), [
      ['camera-defocused', 9], ['camera-restored', 17], ['camera-blinded', 23], ['camera-restored', 31],
    ]);
    assert.equal(events[0]!.severity, 'warning');
  });

  // Held-out seed 404: a torch whose veil left most of the contrast flickered between blinded and
  // defocused (its clipped core and smooth halo lower the sharpness), and camera-blinded came 9 s late.
  it('raises camera-blinded, not camera-defocused, for a torch whose bloom softens the view but leaves its contrast', async () => {
    // A street's soft detail (a third of the test texture's contrast), and a lamp at (300, 170):
    // a clipped core of about 150 px radius fading as a Gaussian, and a veil of a fifth of the light.
    const soft = Uint8Array.from(scene, (v) => 110 + (v - 110) * 0.3);
    const torch = (y: Uint8Array) => {
      for (let i = 0; i < y.length; i++) {
        const d2 = ((i % W) - 300) ** 2 + (Math.floor(i / W) - 170) ** 2;
        y[i] = Math.min(255, y[i]! * 0.8 + 40 + 3 * 255 * Math.exp(-(d2 / 150 ** 2) * Math.log(3)));
      }
    };
    const events = await run(() => soft, 20, {}, (y, t) => (t >= 8 && t < 14 ? torch(y) : undefined));
    assert.deepEqual(events.map((e) => [e.type, e.t]), [['camera-blinded', 11], ['camera-restored', 17]]);
    const a = events[0]!.attributes!;
    assert.ok((a.sharpness as number) < 0.55 && (a.contrast as number) >= 0.7, `soft but not washed out: ${JSON.stringify(a)}`);
  });

  // The reverted attempt at the torch above called this blinded: most tiles clip a little.
  it('stays quiet through an exposure step up that clips a fifth of the frame', async () => {
    const bright = Uint8Array.from(scene, (v) => Math.min(255, v * 1.8));
    const events = await run((t) => (t >= 6 && t < 18 ? bright : scene), 24);
    assert.deepEqual(events, []);
  });

  it('stays quiet through exposure steps, a slow fade to dark and a short occlusion', async () => {
    const half = Uint8Array.from(scene, (v) => v * 0.55);
    const part = scene.slice();
    part.fill(200, 0, (W * H) / 3); // a white truck over the top third
    const events = await run((t) => {
      if (t >= 6 && t < 12) return half;
      if (t >= 14 && t < 16) return new Uint8Array(W * H).fill(30); // 2 s: shorter than persistS
      if (t >= 18 && t < 30) return part;
      const g = t >= 30 ? Math.max(0.25, 1 - (t - 30) / 120) : 1;
      return g === 1 ? scene : Uint8Array.from(scene, (v) => v * g);
    }, 110);
    assert.deepEqual(events, []);
  });

  // Seed 101 of the tamper-quiet-buses scene: two buses passing close, one each way, hid all but 3 or
  // 4 of the 46 tiles with structure for 3 s, and the medians raised camera-moved.
  it('stays quiet while vehicles close to the camera hide all but a few tiles for seconds, the rest in place', async () => {
    const bus = texture(W, H, 77);
    // Everything hidden but the top-left column of tiles down to half height and two tiles at the top right.
    const hidden = (x: number, y: number) => !((x < 80 && y < 180) || (x >= 560 && y < 120));
    const events = await run((t) => {
      if (t < 8 || t >= 14) return scene;
      const view = scene.slice();
      const driving = shifted(bus, W, H, Math.round((t - 8) * 60), 0);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (hidden(x, y)) view[y * W + x] = driving[y * W + x]!;
      return view;
    }, 20);
    assert.deepEqual(events, []);
  });

  it('still raises camera-moved for a knocked camera while a vehicle hides half of the new view', async () => {
    const moved = shifted(scene, W, H, -24, 12);
    const bus = texture(W, H, 77);
    const events = await run((t) => {
      if (t < 8) return scene;
      if (t < 9 || t >= 12) return moved;
      const view = moved.slice();
      const driving = shifted(bus, W, H, Math.round((t - 9) * 60), 0);
      for (let y = H / 3; y < H; y++) for (let x = 80; x < 560; x++) view[y * W + x] = driving[y * W + x]!;
      return view;
    }, 12);
    assert.deepEqual(events.map((e) => [e.type, e.t]), [['camera-moved', 11]]);
  });

  it('starts over when the frame size changes', async () => {
    const ctx = testContext(plugin);
    const instance = await plugin.create(ctx);
    const { events } = ctx;
    const small = texture(320, 180, 4);
    for (let i = 0; i < 40; i++) {
      const big = i >= 30;
      const frame: Frame = {
        cameraId: 'cam', pts: i, capturedAt: T0 + i * 200, seq: i, width: big ? W : 320, height: big ? H : 180, format: 'gray',
        y: big ? scene : small, strideY: big ? W : 320, strideUV: 0,
      };
      await instance.onFrame(frame);
    }
    assert.deepEqual(events, []);
  });
});
