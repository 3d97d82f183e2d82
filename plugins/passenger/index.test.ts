import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import { setHostDetectionSource, type Box, type DetectionSource, type Frame, type ObjectDetection, type PluginEventInput, type Point } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin, { createPassenger, OVERLOADED } from './index.js';

const W = 320;
const H = 180;
const FPS = 5;
const T0 = Date.UTC(2024, 0, 1, 12, 0);

/** What the scripted detector sees in frame `i`. */
type Script = (i: number) => ObjectDetection[];

/** A detector that replays `script`, frame by frame (by the frame's seq). */
const scripted = (script: Script): DetectionSource => ({ detect: (f: Frame) => script(f.seq) });

const frames = (n: number): Frame[] => Array.from({ length: n }, (_, i) => ({
  cameraId: 'road', pts: i, capturedAt: T0 + (i * 1000) / FPS, seq: i, width: W, height: H, format: 'gray' as const,
  y: new Uint8Array(W * H).fill(100 + i), strideY: W, strideUV: 0,
}));

const box = (x: number, y: number, w: number, h: number): Box => ({ x, y, w, h });
const bike = (x: number, y = 110): ObjectDetection => ({ label: 'motorcycle', score: 0.9, box: box(x, y, 40, 30) });
/** A person 16 × 45 px whose box ends at row `bottom` (a rider's legs end inside the motorbike's box). */
const person = (x: number, bottom = 135, score = 0.8): ObjectDetection => ({ label: 'person', score, box: box(x, bottom - 45, 16, 45) });
/** A motorbike crossing left to right at 13 px a frame (65 px/s, 2 box heights a second) from x0. */
const bikeX = (i: number, x0 = 20) => x0 + 13 * i;
/** Riders at these offsets from the motorbike's left edge. */
const ridden = (x: number, offsets: number[], y = 110) => [bike(x, y), ...offsets.map((o) => person(x + o, y + 25))];

async function play(script: Script, n = 16, config: unknown = {}, geometry: { zones?: Record<string, Point[]> } = {}): Promise<PluginEventInput[]> {
  const ctx = testContext(plugin, config, { cameraId: 'road', geometry });
  const instance = createPassenger(ctx, scripted(script));
  for (const f of frames(n)) await instance.onFrame(f);
  instance.close?.();
  return ctx.events;
}

describe('passenger plugin', () => {
  it('raises one motorbike-overloaded for a motorbike crossing with 3 riders, with evidence', async () => {
    const events = await play((i) => ridden(bikeX(i), [2, 12, 22]));
    assert.equal(events.length, 1, JSON.stringify(events.map((e) => e.attributes)));
    const e = events[0]!;
    assert.equal(e.type, OVERLOADED);
    assert.equal(e.severity, 'warning');
    assert.equal(e.attributes!.riders, 3);
    assert.equal(e.attributes!.trackId, e.trackId);
    assert.ok((e.attributes!.frames as number) >= 5, `frames ${e.attributes!.frames}`);
    assert.deepEqual(e.attributes!.counts, { 3: e.attributes!.frames });
    const labels = e.evidence!.map((x) => x.label);
    assert.ok(labels.includes('best') && labels.length >= 2 && labels.length <= 3, labels.join());
    const best = e.evidence!.find((x) => x.label === 'best')!;
    assert.deepEqual(best.boxes!.map((b) => b.label), ['motorbike', 'rider', 'rider', 'rider']);
    assert.equal(best.caption, 'MOTORBIKE 3 RIDERS');
    // The best frame is the one shown, its boxes where the motorbike was then.
    const seq = best.frame.y[0]! - 100;
    assert.ok(Math.abs(best.boxes![0]!.box[0] - bikeX(seq) / W) < 0.02, `box at ${best.boxes![0]!.box[0] * W}, frame ${seq}`);
    for (const x of e.evidence!) assert.equal(x.frame.width, W);
  });

  it('stays quiet for 2 riders, and for a third box in 1 of 8 frames', async () => {
    assert.deepEqual(await play((i) => ridden(bikeX(i), [4, 20]), 12), []);
    // Counted from frame 2 (its velocity known) to 9: a third box in frame 6 only is no rider (it was
    // not on the motorbike the frame before); in frames 6 and 7 it counts once, and the mode is still 2.
    assert.deepEqual(await play((i) => ridden(bikeX(i), i === 6 ? [2, 12, 22] : [4, 20]), 10), []);
    assert.deepEqual(await play((i) => ridden(bikeX(i), i === 6 || i === 7 ? [2, 12, 22] : [4, 20]), 10), []);
    // Seen from frame 3 on, the third rider counts from frame 4: 3 of the 5 frames counted by frame 6.
    const often = await play((i) => ridden(bikeX(i), i >= 3 && i <= 7 ? [2, 12, 22] : [4, 20]), 10);
    assert.deepEqual(often.map((e) => [e.attributes!.riders, e.attributes!.counts]), [[3, { 2: 2, 3: 3 }]]);
  });

  it('keeps a rider the detector misses now and then (the mode)', async () => {
    const missed = [4, 7, 10];
    const events = await play((i) => ridden(bikeX(i), missed.includes(i) ? [2, 22] : [2, 12, 22]), 16);
    assert.deepEqual(events.map((e) => e.attributes!.riders), [3]);
  });

  it('does not count a pedestrian who passes a moving motorbike with 2 riders', async () => {
    // Walking the other way at 30 px/s: over the motorbike for a couple of frames.
    const across = (i: number) => [...ridden(bikeX(i), [4, 20]), person(200 - 6 * i, 140)];
    assert.deepEqual(await play(across, 16, { minFrames: 3 }), []);
    // Walking the same way at 20 px/s: over the motorbike for 5 frames in a row, which geometry alone
    // would count (and raise, with minFrames 3); it falls behind the motorbike, a rider does not.
    const along = (i: number) => [...ridden(bikeX(i), [4, 20]), person(50 + 4 * i, 140)];
    assert.deepEqual(await play(along, 16, { minFrames: 3 }), []);
  });

  it('skips a parked motorbike with people standing at it', async () => {
    assert.deepEqual(await play(() => ridden(100, [2, 12, 22])), []);
  });

  it('does not give one rider to two motorbikes side by side', async () => {
    // B's box overlaps A's by 10 px; A's second rider stands over both (all of it over A, half over B).
    const pair = (i: number) => [...ridden(bikeX(i), [4, 22]), ...ridden(bikeX(i) + 30, [8, 24], 112)];
    assert.deepEqual(await play(pair), []);
    // With minRiders 2 both are raised, each with its own 2.
    assert.deepEqual((await play(pair, 16, { minRiders: 2 })).map((e) => e.attributes!.riders), [2, 2]);
  });

  it('counts only motorbikes inside the configured zones', async () => {
    const zones = { left: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as Point[], right: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] as Point[] };
    const three = (i: number) => ridden(bikeX(i), [2, 12, 22]);
    assert.equal((await play(three, 16, { zones: ['left'] }, { zones })).length, 1);
    assert.deepEqual(await play(three, 10, { zones: ['right'] }, { zones }), []);
  });

  it('rejects configs it cannot work with, naming the key', () => {
    const bad = (config: unknown) => plugin.configSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(bad({ minRiders: 1 }), ['minRiders: Too small: expected number to be >=2']);
    assert.deepEqual(bad({ minFrames: 2.5 }), ['minFrames: Invalid input: expected int, received number']);
    assert.deepEqual(bad({ minSpeed: 0 }), ['minSpeed: Too small: expected number to be >0']);
    assert.match(bad({ riders: 3 })!.join(), /Unrecognized key/);
    assert.deepEqual(plugin.configSchema.parse({}), { minRiders: 3, minFrames: 5, minSpeed: 0.3, minScore: 0.3, zones: [] });
    const ctx = (config: object) => testContext(plugin, config, { cameraId: 'cam1' });
    assert.throws(() => createPassenger(ctx({ zones: ['road'] }), scripted(() => [])), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.cam1.plugins.passenger.config.zones[0]: names zone 'road', which is not among the zones (none)");
  });

  it("runs on the host's detector, and fails at create without one", async () => {
    assert.throws(() => plugin.create(testContext(plugin, {}, { cameraId: 'cam1' })), (e: unknown) =>
      e instanceof ConfigError && e.path === 'cameras.cam1.plugins.passenger' && /needs a neural detector/.test(e.message));
    setHostDetectionSource(scripted((i) => ridden(bikeX(i), [2, 12, 22])));
    try {
      const ctx = testContext(plugin, {}, { cameraId: 'cam1' });
      const instance = await plugin.create(ctx);
      for (const f of frames(10)) await instance.onFrame(f);
      assert.deepEqual(ctx.events.map((e) => e.type), [OVERLOADED]);
    } finally {
      setHostDetectionSource(undefined);
    }
  });
});
