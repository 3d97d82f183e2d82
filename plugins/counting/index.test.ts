import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gateScenario } from '../../bench/scenes/counting.js';
import { playInProcess } from '../../bench/scenes/play.js';
import type { CountInput, Frame } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import counting from './index.js';

/** The road of carFrames: 320×180 px, its counting line at y = LINE_Y. */
const [W, H] = [320, 180];
const LINE_Y = 100;

/** Capture time (ms) of carFrames' frame i, at 10 fps. */
const frameTime = (i: number) => 1_000_000 + i * 100;

/** Frame i (10 fps) of that road, with a bright 40×30 px car whose bottom edge is at row `carBottom` when given; one buffer, redrawn per frame. */
function carFrames(): (i: number, carBottom?: number) => Frame {
  const y = new Uint8Array(W * H);
  const uv = new Uint8Array((W / 2) * (H / 2)).fill(128);
  return (i, carBottom) => {
    for (let k = 0; k < y.length; k++) y[k] = 90 + ((k * 2654435761) >>> 29);
    if (carBottom !== undefined) for (let r = Math.max(0, carBottom - 30); r < Math.min(H, carBottom); r++) y.fill(210, r * W + 140, r * W + 180);
    return { cameraId: 'gate', pts: i, capturedAt: frameTime(i), seq: i, width: W, height: H, format: 'i420', y, u: uv, v: uv, strideY: W, strideUV: W / 2 };
  };
}

/** Empty frames played first, for the background to learn the road. */
const EMPTY = 30;

/**
 * Runs the counting plugin (its line across the road at LINE_Y, band 3 px, plus `options`) over
 * carFrames: EMPTY empty frames, the car at each of `bottoms` (undefined: hidden), then `after` empty
 * frames. Returns what it counted by then (not what closing it settles), each with the capture time
 * of the frame it was counted on.
 */
async function playCar(options: Record<string, unknown>, bottoms: (number | undefined)[], after = 20): Promise<(CountInput & { emittedAt: number })[]> {
  const got: (CountInput & { emittedAt: number })[] = [];
  let now = 0;
  const plugin = await counting.create(testContext(counting, { band: 3 / H, ...options }, {
    cameraId: 'gate',
    geometry: { lines: { gate: { from: [0, LINE_Y / H], to: [1, LINE_Y / H] } } },
    onCount: (c) => got.push({ ...c, emittedAt: now }),
  }));
  const draw = carFrames();
  const frames = [...Array<undefined>(EMPTY).fill(undefined), ...bottoms, ...Array<undefined>(after).fill(undefined)];
  for (const [i, b] of frames.entries()) {
    const f = draw(i, b);
    now = f.capturedAt;
    await plugin.onFrame(f);
  }
  const counted = [...got];
  await plugin.close?.();
  return counted;
}

/** carFrames' road seen from above: 1 px = 0.1 m on the ground (enough for positions and speeds). */
const TOP_DOWN = [[[0, 0], [-16, 18]], [[1, 0], [16, 18]], [[1, 1], [16, 0]], [[0, 1], [-16, 0]]].map(([image, g]) => ({ image, ground: g }));

/** The car's bottom edge driving down the image 3 px per frame from row 40 until it has left, hidden while it is in (from, to]. */
const drivingDown = (from: number, to: number) =>
  Array.from({ length: Math.ceil((H + 30 - 40) / 3) }, (_, k) => 40 + 3 * k).map((b) => (b > from && b <= to ? undefined : b));

describe('counting plugin', () => {
  it('counts the vehicles crossing the gate line once each, by direction and class', async (t) => {
    const scenario = gateScenario(11, 40);
    const { counts } = await playInProcess(scenario);
    const truth = scenario.counts!;
    const sum = (xs: { n: number }[]) => xs.reduce((a, x) => a + x.n, 0);
    for (const direction of ['in', 'out']) {
      const want = sum(truth.filter((c) => c.direction === direction));
      const got = counts.filter((c) => c.direction === direction).length;
      t.diagnostic(`${direction}: ${got} counted, ${want} true`);
      assert.ok(want >= 10, `${want} crossings ${direction}`);
      assert.ok(Math.abs(got - want) <= Math.ceil(want * 0.05), `${direction}: ${got} counted, ${want} true`);
    }
    // Classes from 3-D size fitting through the calibrated camera: each class within 2 of the truth.
    for (const cls of ['motorbike', 'car', 'truck', 'bus']) {
      const want = sum(truth.filter((c) => c.cls === cls));
      const got = counts.filter((c) => c.cls === cls).length;
      t.diagnostic(`${cls}: ${got} counted, ${want} true`);
      assert.ok(Math.abs(got - want) <= 2, `${cls}: ${got} counted, ${want} true`);
    }
    assert.ok(counts.every((c) => c.line === 'gate' && c.plugin === 'counting'));
  });

  it('counts a vehicle first confirmed on the line, under the time it crossed, once it has been watched', async () => {
    // A car appears 15 px above the line (as from behind a bus) and is confirmed on it, two frames later.
    const bottoms = Array.from({ length: Math.ceil((H + 45 - LINE_Y) / 8) }, (_, k) => LINE_Y - 15 + 8 * k);
    const got = await playCar({ classifyForMs: 500 }, bottoms);
    const crossedAt = frameTime(EMPTY + 2); // bottoms: line-15, line-7, line+1 (confirmed, in the band), line+9
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]!.direction, 'in');
    assert.ok(Math.abs(got[0]!.at! - crossedAt) <= 100, `counted at ${got[0]!.at}, crossed at ${crossedAt}`);
    assert.ok(got[0]!.emittedAt > got[0]!.at!, 'the class was settled after the crossing');
  });

  it('counts a vehicle that crossed the line out of sight, once, when it comes back as a new track', async () => {
    // A car drives down the image (towards the camera) at 3 m/s and is hidden for 1.4 s, longer
    // than the tracker keeps a lost track, while it crosses the line: overtaken by a truck in the
    // next lane.
    const got = await playCar({ classifyForMs: 500, ground: TOP_DOWN }, drivingDown(85, 127));
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]!.direction, 'in');
  });

  it('counts a vehicle hidden just as it reached the line (last seen inside the band) once it comes back', async () => {
    // As above, but the car goes out of sight with its foot on the line: the old track has no side
    // there; the side it stood on before the band is what the new track carries on from.
    const got = await playCar({ classifyForMs: 500, ground: TOP_DOWN }, drivingDown(100, 142));
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]!.direction, 'in');
  });

  it('counts nothing for a vehicle whose foot jitters back and forth over the line, and once when it then drives on', async () => {
    // A blob's bottom edge jumps by a few pixels from frame to frame (a piece joins it and drops off);
    // on the line it crosses forward, back and forward again: one vehicle, one crossing.
    const bottoms = [80, 84, 88, 92, 108, 92, 108, 92, 93, 94, 95, 96, 97, 98, 110, 118, 126, 134, 142, 150, 158, 166, 174, 182, 190, 198, 206];
    const got = await playCar({ classifyForMs: 2000 }, bottoms, 30);
    assert.deepEqual(got.map((c) => c.direction), ['in'], JSON.stringify(got));
  });

  it('refuses splitBy zones that are not configured, naming the path', async () => {
    await assert.rejects(
      async () => counting.create(testContext(counting, { splitBy: ['lane9'] }, { cameraId: 'gate1', geometry: { zones: { lane1: [[0, 0], [1, 0], [1, 1]] } } })),
      { name: 'ConfigError', message: /cameras\.gate1\.plugins\.counting\.config\.splitBy: names zone 'lane9'/ },
    );
  });
});
