import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../core/testing/prng.js';
import type { Frame, PluginEventInput, Point } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin from './index.js';

const W = 320;
const H = 180;
const FPS = 10;
const FLAME: [number, number, number][] = [[122, 70, 228], [160, 48, 184], [200, 62, 152]];
const ORANGE: [number, number, number] = [150, 44, 200];

/** What a test frame shows at t: fire at (x, y) from startS, still or moving orange boxes, a warm cast. */
interface Script {
  fire?: { x: number; y: number; startS: number; untilS?: number };
  boxes?: (t: number) => { x: number; y: number; w: number; h: number }[];
  cast?: (t: number) => number;
}

function paint(f: Frame, x0: number, y0: number, w: number, h: number, c: (r: number, col: number) => [number, number, number] | undefined): void {
  for (let r = Math.max(0, y0); r < Math.min(H, y0 + h); r++) {
    for (let col = Math.max(0, x0); col < Math.min(W, x0 + w); col++) {
      const p = c(r, col);
      if (!p) continue;
      f.y[r * W + col] = p[0];
      if (!(r & 1) && !(col & 1)) {
        f.u![(r >> 1) * (W / 2) + (col >> 1)] = p[1];
        f.v![(r >> 1) * (W / 2) + (col >> 1)] = p[2];
      }
    }
  }
}

function frame(t: number, s: Script, rand: () => number): Frame {
  const cw = W / 2;
  const f: Frame = {
    cameraId: 'c', pts: 0, capturedAt: 1e12 + t * 1000, seq: Math.round(t * FPS), width: W, height: H, format: 'i420',
    y: new Uint8Array(W * H), u: new Uint8Array(cw * (H / 2)).fill(110), v: new Uint8Array(cw * (H / 2)).fill(120), strideY: W, strideUV: cw,
  };
  for (let i = 0; i < f.y.length; i++) f.y[i] = 100 + Math.round((rand() - 0.5) * 8);
  for (const b of s.boxes?.(t) ?? []) paint(f, b.x, b.y, b.w, b.h, (r) => (r - b.y >= b.h / 3 && r - b.y < b.h / 2 ? [30, 128, 128] : ORANGE));
  if (s.fire && t >= s.fire.startS && t < (s.fire.untilS ?? Infinity)) {
    // Tongues of random height and colour, redrawn every frame.
    for (let k = 0; k < 5; k++) {
      const h = 6 + Math.floor(rand() * 18);
      const c = FLAME[Math.floor(rand() * 3)]!;
      paint(f, s.fire.x + k * 4, s.fire.y - h, 4, h, () => c);
    }
  }
  const cast = s.cast?.(t) ?? 0;
  if (cast) {
    for (let i = 0; i < f.u!.length; i++) {
      f.u![i] = Math.round(f.u![i]! - 30 * cast);
      f.v![i] = Math.round(f.v![i]! + 30 * cast);
    }
  }
  return f;
}

async function run(seconds: number, s: Script, config: Record<string, unknown> = {}, zones: Record<string, Point[]> = {}, gray = false) {
  const events: (PluginEventInput & { t: number })[] = [];
  let t = 0;
  const inst = await plugin.create(testContext(plugin, config, { cameraId: 'c', geometry: { zones }, onEvent: (e) => events.push({ ...e, t }) }));
  const rand = prng(5);
  for (let i = 0; i < seconds * FPS; i++) {
    t = i / FPS;
    const f = frame(t, s, rand);
    await inst.onFrame(gray ? { ...f, format: 'gray', u: undefined, v: undefined, strideUV: 0 } : f);
  }
  return events;
}

test('fire: flickering flames raise one fire event about 1 s + persistS after they start, boxed around them', async () => {
  const events = await run(15, { fire: { x: 100, y: 120, startS: 4 } });
  assert.deepEqual(events.map((e) => e.type), ['fire']);
  const e = events[0]!;
  assert.ok(e.t >= 7 && e.t <= 10, `raised at ${e.t}`);
  assert.equal(e.snapshot, true);
  const [bx, by, bw, bh] = e.boxes![0]!.box;
  assert.ok(bx <= 110 / W && bx + bw >= 110 / W && by <= 110 / H && by + bh >= 110 / H, `box ${e.boxes![0]!.box}`);
});

test('fire: a still orange sign, an orange vehicle driving by and a warm cast over the frame raise nothing', async () => {
  const events = await run(30, {
    boxes: (t) => [{ x: 40, y: 60, w: 24, h: 30 }, { x: 200, y: Math.round(-40 + t * 12), w: 40, h: 36 }, { x: Math.round(-40 + t * 15), y: 130, w: 40, h: 30 }],
    cast: (t) => Math.min(1, t / 20),
  });
  assert.deepEqual(events.map((e) => e.type), []);
});

test('fire: zones: flames outside the only zone raise nothing; inside, the event names the zone', async () => {
  const right: Point[] = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]];
  assert.deepEqual((await run(12, { fire: { x: 60, y: 120, startS: 2 } }, {}, { right })).map((e) => e.type), []);
  assert.deepEqual((await run(12, { fire: { x: 220, y: 120, startS: 2 } }, {}, { right })).map((e) => [e.type, e.zone]), [['fire', 'right']]);
});

test('fire: clears with fire-cleared once the flames have been out for clearS (not while they burn)', async () => {
  assert.deepEqual((await run(30, { fire: { x: 100, y: 120, startS: 2 } }, { clearS: 4 })).map((e) => e.type), ['fire']);
  const events = await run(30, { fire: { x: 100, y: 120, startS: 2, untilS: 12 } }, { clearS: 4 });
  assert.deepEqual(events.map((e) => e.type), ['fire', 'fire-cleared']);
  // Out at 12 s; the flicker history empties within its 3.2 s window, then 4 s under half of minArea.
  assert.ok(events[1]!.t >= 16 && events[1]!.t <= 21, `cleared at ${events[1]!.t}`);
});

test('fire: a gray frame carries no colour, so no fire', async () => {
  assert.deepEqual(await run(12, { fire: { x: 100, y: 120, startS: 2 } }, {}, {}, true), []);
});

test('fire: bad config is refused with a clear message', () => {
  const msg = (c: unknown) => {
    const r = plugin.configSchema.safeParse(c);
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  assert.match(msg({ minArea: 2 }), /minArea: .*0\.5/);
  assert.match(msg({ minChanges: 40 }), /minChanges: .*32/);
  assert.match(msg({ lumaStep: 1 }), /lumaStep: .*2/);
  assert.match(msg({ colour: 'red' }), /colour/);
  assert.deepEqual(plugin.configSchema.parse({}), { minArea: 0.0002, persistS: 3, clearS: 10, tau: 40, lumaStep: 14, minChanges: 8, analysisWidth: 640 });
});
