import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../core/testing/prng.js';
import type { Frame, PluginEventInput, Point } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin from './index.js';

const W = 320;
const H = 192;
const FPS = 5;

/** A textured, coloured frame at t seconds; `veil(x, y)` gives the smoke opacity per pixel (0: none). */
function frame(t: number, noise: () => number, veil: (x: number, y: number) => number, frameVeil = 0): Frame {
  const tex = prng(3);
  const y = new Uint8Array(W * H);
  const cw = W / 2;
  const u = new Uint8Array(cw * (H / 2));
  const v = new Uint8Array(cw * (H / 2));
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const a = Math.min(1, veil(c, r) + frameVeil - veil(c, r) * frameVeil);
      const base = 70 + tex() * 80;
      y[r * W + c] = Math.round(base + a * (175 - base) + (noise() - 0.5) * 8);
      if (!(r & 1) && !(c & 1)) {
        u[(r >> 1) * cw + (c >> 1)] = Math.round(100 + a * 28);
        v[(r >> 1) * cw + (c >> 1)] = Math.round(150 - a * 22);
      }
    }
  }
  return { cameraId: 'c', pts: 0, capturedAt: 1e12 + t * 1000, seq: Math.round(t * FPS), width: W, height: H, format: 'i420', y, u, v, strideY: W, strideUV: cw };
}

/** A plume-like veil: a disc at (cx, cy) whose radius grows from 15 px at startS by 5 px/s, opacity 0.5 fading at the rim. */
function plume(cx: number, cy: number, startS: number) {
  return (t: number) => (x: number, y: number) => {
    if (t < startS) return 0;
    const r = 15 + 5 * (t - startS);
    const d = Math.hypot(x - cx, y - cy) / r;
    return d < 1 ? 0.5 * (1 - d * d) + 0.1 : 0;
  };
}

/** Runs the plugin over `seconds` of frames; returns its events with their times. */
async function run(seconds: number, scene: (t: number) => { veil: (x: number, y: number) => number; frameVeil?: number }, config: Record<string, unknown> = {}, zones: Record<string, Point[]> = {}) {
  const events: (PluginEventInput & { t: number })[] = [];
  let t = 0;
  const inst = await plugin.create(testContext(plugin, config, { cameraId: 'c', geometry: { zones }, onEvent: (e) => events.push({ ...e, t }) }));
  const noise = prng(11);
  for (let i = 0; i < seconds * FPS; i++) {
    t = i / FPS;
    const s = scene(t);
    await inst.onFrame(frame(t, noise, s.veil, s.frameVeil ?? 0));
  }
  return events;
}

test('smoke: a growing veil raises one smoke event after persistS, boxed around it, with its size', async () => {
  const p = plume(100, 90, 12);
  const events = await run(30, (t) => ({ veil: p(t) }));
  const smoke = events.filter((e) => e.type === 'smoke');
  assert.equal(smoke.length, 1);
  const e = smoke[0]!;
  // Noticeable from ~13 s (the cue needs ~1.5 s to count), + 4 s of persistence.
  assert.ok(e.t >= 16 && e.t <= 20, `raised at ${e.t}`);
  assert.equal(e.snapshot, true);
  const [bx, by, bw, bh] = e.boxes![0]!.box;
  assert.ok(bx < 100 / W && bx + bw > 100 / W && by < 90 / H && by + bh > 90 / H, `box ${e.boxes![0]!.box}`);
  assert.ok((e.attributes!.areaShare as number) >= 0.01);
  assert.ok((e.attributes!.edgeGain as number) < 0.7);
  assert.ok((e.attributes!.chromaRatio as number) < 0.75);
});

test('smoke: the same veil spread over the whole frame (fog rolling in over 10 s) raises nothing', async () => {
  const events = await run(30, (t) => ({ veil: () => 0, frameVeil: Math.min(0.6, Math.max(0, (t - 10) / 10) * 0.6) }));
  assert.deepEqual(events.map((e) => e.type), []);
});

test('smoke: a veil of a fixed size that appears at once (not growing) raises nothing', async () => {
  const events = await run(30, (t) => ({ veil: (x, y) => (t >= 12 && Math.hypot(x - 150, y - 90) < 50 ? 0.5 : 0) }));
  assert.deepEqual(events.map((e) => e.type), []);
});

test('smoke: zones: a plume outside the only zone raises nothing; inside it, the event names the zone', async () => {
  const p = plume(100, 90, 12);
  const left: Point[] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
  const right: Point[] = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]];
  assert.deepEqual((await run(26, (t) => ({ veil: p(t) }), {}, { right })).map((e) => e.type), []);
  const inside = await run(26, (t) => ({ veil: p(t) }), {}, { left });
  assert.deepEqual(inside.map((e) => [e.type, e.zone]), [['smoke', 'left']]);
});

test('smoke: clears with smoke-cleared after clearS once the plume is gone', async () => {
  const p = plume(100, 90, 12);
  const events = await run(45, (t) => ({ veil: t < 24 ? p(t) : () => 0 }), { clearS: 5 });
  assert.deepEqual(events.map((e) => e.type), ['smoke', 'smoke-cleared']);
  assert.ok(events[1]!.t >= 29 && events[1]!.t <= 33, `cleared at ${events[1]!.t}`);
});

test('smoke: bad config is refused with a clear message', () => {
  const msg = (c: unknown) => {
    const r = plugin.configSchema.safeParse(c);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  assert.match(msg({ minArea: 0.8 }), /minArea: .*0\.5/);
  assert.match(msg({ persistS: -1 }), /persistS/);
  assert.match(msg({ edgeDrop: 1.5 }), /edgeDrop: .*0\.95/);
  assert.match(msg({ growth: 0.5 }), /growth: .*1/);
  assert.match(msg({ zones: ['a'] }), /zones/);
  assert.deepEqual(plugin.configSchema.parse({}), { minArea: 0.01, persistS: 4, growth: 1.2, clearS: 15, edgeDrop: 0.7, chromaDrop: 0.75, backgroundS: 120, analysisWidth: 640 });
});
