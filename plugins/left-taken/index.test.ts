import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import type { Detection, PluginEventInput, Point } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin, { type LeftTakenConfig } from './index.js';
import { PatchScene, type Patch } from './testdata/patches.js';

const W = 160;
const H = 120;
const DT = 200;
/** Short times so the hand-built scenes stay short: an object is reported after 6 s. */
const BASE = { dwellS: 6, absorbS: 20 };

/** Runs the plugin over `scene` at 5 fps up to untilMs; events with the scene time they were raised at. */
async function run(scene: PatchScene, untilMs: number, config: object = {}, zones: Record<string, Point[]> = {}) {
  const events: (PluginEventInput & { tMs: number })[] = [];
  let tMs = 0;
  const instance = await plugin.create(testContext(plugin, { ...BASE, ...config }, { cameraId: 'cam1', geometry: { zones }, onEvent: (e) => events.push({ ...e, tMs }) }));
  let last: Detection[] = [];
  for (tMs = 0; tMs <= untilMs; tMs += DT) last = (await instance.onFrame(scene.frame(tMs, tMs / DT))) ?? [];
  instance.close?.();
  return { events, last };
}

/** A dark bag 14 × 10 px put down at 4 s (on a frame where a person is 1/4 of the frame tall). */
const bag = (o: Partial<Patch> = {}): Patch => ({ x: 70, y: 80, w: 14, h: 10, luma: 40, fromMs: 4000, ...o });

describe('left-taken plugin', () => {
  it('rejects configs it cannot work with, naming the key', () => {
    const bad = (config: unknown) => plugin.configSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(bad({ dwellS: 60, absorbS: 100 }), ['absorbS: must be at least 2 × dwellS: the long-term background must not learn an object before it is reported']);
    assert.match(bad({ dwell: 30 })!.join(), /Unrecognized key/);
    assert.match(bad({ dwellS: 2 })!.join(), /dwellS: Too small/);
    assert.deepEqual(bad({ imageObject: { minArea: 0.1, maxArea: 0.01 } }), ['imageObject.minArea: minArea must not exceed maxArea']);
    assert.match(bad({ ground: [{ image: [0, 0], ground: [0, 0] }] })!.join(), /^ground: /);
    const c: LeftTakenConfig = plugin.configSchema.parse({});
    assert.equal(c.dwellS, 30);
    assert.equal(c.absorbS, 120);
    assert.deepEqual(c.object, { minSizeM: 0.15, maxSizeM: 1.5, maxHeightM: 1.2, maxAspect: 2.5 });
    const ctx = (config: object) => testContext(plugin, config, { cameraId: 'cam1' });
    assert.throws(() => plugin.create(ctx({ zones: ['verge'] })), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.cam1.plugins.left-taken.config.zones[0]: names zone 'verge', which is not among the zones (none)");
    // Reference points in a line fit no plane.
    const line = [0, 1, 2, 3].map((i) => ({ image: [0.1 * i, 0.1 * i], ground: [i, i] }));
    assert.throws(() => plugin.create(ctx({ ground: line })), (e: unknown) => e instanceof ConfigError && e.message.startsWith('cameras.cam1.plugins.left-taken.config.ground'));
  });

  it('reports a bag left, once, dwellS after it was put down, with its box and the before / at frames', async () => {
    const { events, last } = await run(new PatchScene(W, H, [bag()]), 16_000);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.type, 'object-left');
    assert.ok(Math.abs(e.tMs - (4000 + 6000)) <= DT, `raised at ${e.tMs}`);
    assert.equal(e.attributes!.dwellS, 6);
    const [x, y, w, h] = e.boxes![0]!.box;
    // Within a grid cell (2 px) of the bag.
    assert.ok(Math.abs(x * W - 70) <= 2 && Math.abs(y * H - 80) <= 2 && Math.abs(w * W - 14) <= 4 && Math.abs(h * H - 10) <= 4, JSON.stringify(e.boxes));
    assert.deepEqual(e.evidence!.map((i) => i.label), ['before', 'at']);
    // The before frame is from just before it was put down: the ground there is bare.
    const before = e.evidence![0]!.frame;
    assert.ok(before.capturedAt < 4000 && before.y[85 * W + 76]! > 90);
    assert.ok(e.evidence![1]!.frame.y[85 * W + 76]! < 60);
    assert.equal(e.snapshot, true);
    assert.equal(e.severity, 'warning');
    // Still there at the end, reported.
    assert.ok(last.some((d) => d.label === 'object-left'));
  });

  it('reports an object taken away dwellS after it went', async () => {
    // Dark, so the bare ground is brighter than it was: on gray frames ground darker than the bag was would pass for a shadow.
    const { events } = await run(new PatchScene(W, H, [bag({ fromMs: undefined, untilMs: 5000 })]), 13_000);
    assert.deepEqual(events.map((e) => [e.type, Math.round((e.tMs - 11_000) / DT)]), [['object-removed', 0]]);
  });

  it('says nothing of a bag its owner picks up before dwellS, and forgets one once absorbS old', async () => {
    assert.equal((await run(new PatchScene(W, H, [bag({ untilMs: 9000 })]), 16_000)).events.length, 0);
    assert.equal((await run(new PatchScene(W, H, [bag({ untilMs: 9800 })]), 16_000)).events.length, 0);
    // Reported at 10 s, learnt from 24 s: nothing more to the end, and nothing left followed.
    const { events, last } = await run(new PatchScene(W, H, [bag()]), 34_000);
    assert.deepEqual(events.map((e) => e.type), ['object-left']);
    assert.deepEqual(last, []);
  });

  it('ignores someone standing still (tall and thin), without and with head and legs apart', async () => {
    const person: Patch = { x: 70, y: 40, w: 8, h: 34, luma: 50, fromMs: 3000 };
    assert.equal((await run(new PatchScene(W, H, [person]), 14_000)).events.length, 0);
    // A shirt the colour of the ground: head and shoulders over a pair of legs, each a compact piece.
    const head: Patch = { x: 68, y: 40, w: 12, h: 10, luma: 50, fromMs: 3000 };
    const legs: Patch = { x: 70, y: 62, w: 8, h: 12, luma: 50, fromMs: 3000 };
    assert.equal((await run(new PatchScene(W, H, [head, legs]), 14_000)).events.length, 0);
    // The same pieces far apart are two objects.
    const far = { ...legs, x: 120 };
    assert.equal((await run(new PatchScene(W, H, [head, far]), 14_000)).events.length, 2);
  });

  it('ignores something too large for a bag (a parked car) and a patch of light', async () => {
    const car: Patch = { x: 40, y: 60, w: 70, h: 40, luma: 60, fromMs: 3000 };
    assert.equal((await run(new PatchScene(W, H, [car]), 14_000)).events.length, 0);
    const light: Patch = { x: 60, y: 60, w: 30, h: 20, luma: 25, fromMs: 3000, add: { ramp: 8 } };
    assert.equal((await run(new PatchScene(W, H, [light]), 14_000)).events.length, 0);
  });

  it('holds a bag through a slow lighting drift and does not report the drift', async () => {
    const drift = (t: number) => 1 + 0.06 * Math.sin((2 * Math.PI * t) / 20_000);
    const { events } = await run(new PatchScene(W, H, [bag({ fromMs: 6000 })], drift), 16_000);
    assert.deepEqual(events.map((e) => [e.type, Math.round((e.tMs - 12_000) / DT)]), [['object-left', 0]]);
  });

  it('watches only its zones when it has some, and names the zone', async () => {
    const left: Point[] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
    const right: Point[] = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]];
    const scene = () => new PatchScene(W, H, [bag({ x: 100 })]);
    assert.equal((await run(scene(), 12_000, { zones: ['left'] }, { left })).events.length, 0);
    const { events } = await run(scene(), 12_000, { zones: ['left', 'right'] }, { left, right });
    assert.deepEqual(events.map((e) => [e.type, e.zone, e.attributes!.zone]), [['object-left', 'right', 'right']]);
  });
});
