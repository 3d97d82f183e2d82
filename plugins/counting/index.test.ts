import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gateScenario } from '../../bench/scenes/counting.js';
import { playInProcess } from '../../bench/scenes/play.js';
import type { Frame } from '../sdk/index.js';
import counting from './index.js';

/** The road of carFrames: 320×180 px, its counting line at y = LINE_Y. */
const [W, H] = [320, 180];
const LINE_Y = 100;

/** Frame i (10 fps) of that road, with a bright 40×30 px car whose bottom edge is at row `carBottom` when given; one buffer, redrawn per frame. */
function carFrames(): (i: number, carBottom?: number) => Frame {
  const y = new Uint8Array(W * H);
  const uv = new Uint8Array((W / 2) * (H / 2)).fill(128);
  return (i, carBottom) => {
    for (let k = 0; k < y.length; k++) y[k] = 90 + ((k * 2654435761) >>> 29);
    if (carBottom !== undefined) for (let r = Math.max(0, carBottom - 30); r < Math.min(H, carBottom); r++) y.fill(210, r * W + 140, r * W + 180);
    return { cameraId: 'gate', pts: i, capturedAt: 1_000_000 + i * 100, seq: i, width: W, height: H, format: 'i420', y, u: uv, v: uv, strideY: W, strideUV: W / 2 };
  };
}

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
    const config = counting.configSchema.parse({ band: 3 / H, classifyForMs: 500 });
    const got: { cls: string; direction: string; at?: number; emittedAt: number }[] = [];
    let now = 0;
    const plugin = await counting.create({
      cameraId: 'gate', config, emit: () => {}, log: () => {},
      geometry: { zones: {}, lines: { gate: { from: [0, LINE_Y / H], to: [1, LINE_Y / H] } } },
      count: (c) => got.push({ ...c, emittedAt: now }),
    });
    const draw = carFrames();
    const frame = (i: number, carBottom?: number) => {
      const f = draw(i, carBottom);
      now = f.capturedAt;
      return f;
    };
    let i = 0;
    for (; i < 30; i++) await plugin.onFrame(frame(i));
    const crossedAt = frame(i + 2).capturedAt; // bottoms: line-15, line-7, line+1 (confirmed, in the band), line+9
    for (let b = LINE_Y - 15; b < H + 30; b += 8, i++) await plugin.onFrame(frame(i, b));
    for (let k = 0; k < 20; k++, i++) await plugin.onFrame(frame(i));
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]!.direction, 'in');
    assert.ok(Math.abs(got[0]!.at! - crossedAt) <= 100, `counted at ${got[0]!.at}, crossed at ${crossedAt}`);
    assert.ok(got[0]!.emittedAt > got[0]!.at!, 'the class was settled after the crossing');
    await plugin.close?.();
  });

  it('counts a vehicle that crossed the line out of sight, once, when it comes back as a new track', async () => {
    // A car drives down the image (towards the camera) at 3 m/s and is hidden for 1.4 s, longer
    // than the tracker keeps a lost track, while it crosses the line: overtaken by a truck in the
    // next lane. 1 px = 0.1 m on the ground (a top-down plane is enough for positions and speeds).
    const ground = [[[0, 0], [-16, 18]], [[1, 0], [16, 18]], [[1, 1], [16, 0]], [[0, 1], [-16, 0]]].map(([image, g]) => ({ image, ground: g }));
    const config = counting.configSchema.parse({ band: 3 / H, classifyForMs: 500, ground });
    const got: { cls: string; direction: string; at?: number }[] = [];
    const plugin = await counting.create({
      cameraId: 'gate', config, emit: () => {}, log: () => {},
      geometry: { zones: {}, lines: { gate: { from: [0, LINE_Y / H], to: [1, LINE_Y / H] } } },
      count: (c) => got.push(c),
    });
    const frame = carFrames();
    let i = 0;
    for (; i < 30; i++) await plugin.onFrame(frame(i));
    for (let b = 40; b < H + 30; b += 3, i++) await plugin.onFrame(frame(i, b > 85 && b <= 127 ? undefined : b));
    for (let k = 0; k < 20; k++, i++) await plugin.onFrame(frame(i));
    assert.equal(got.length, 1, JSON.stringify(got));
    assert.equal(got[0]!.direction, 'in');
    await plugin.close?.();
  });

  it('counts nothing for a vehicle whose foot jitters back and forth over the line, and once when it then drives on', async () => {
    // A blob's bottom edge jumps by a few pixels from frame to frame (a piece joins it and drops off);
    // on the line it crosses forward, back and forward again: one vehicle, one crossing.
    const config = counting.configSchema.parse({ band: 3 / H, classifyForMs: 2000 });
    const got: { cls: string; direction: string }[] = [];
    const plugin = await counting.create({
      cameraId: 'gate', config, emit: () => {}, log: () => {},
      geometry: { zones: {}, lines: { gate: { from: [0, LINE_Y / H], to: [1, LINE_Y / H] } } },
      count: (c) => got.push(c),
    });
    const frame = carFrames();
    let i = 0;
    for (; i < 30; i++) await plugin.onFrame(frame(i));
    const bottoms = [80, 84, 88, 92, 108, 92, 108, 92, 93, 94, 95, 96, 97, 98, 110, 118, 126, 134, 142, 150, 158, 166, 174, 182, 190, 198, 206];
    for (const b of bottoms) await plugin.onFrame(frame(i++, b));
    for (let k = 0; k < 30; k++, i++) await plugin.onFrame(frame(i));
    assert.deepEqual(got.map((c) => c.direction), ['in'], JSON.stringify(got));
    await plugin.close?.();
  });

  it('refuses splitBy zones that are not configured, naming the path', async () => {
    const config = counting.configSchema.parse({ splitBy: ['lane9'] });
    await assert.rejects(
      async () => counting.create({ cameraId: 'gate1', config, geometry: { zones: { lane1: [[0, 0], [1, 0], [1, 1]] }, lines: {} }, emit: () => {}, count: () => {}, log: () => {} }),
      { name: 'ConfigError', message: /cameras\.gate1\.plugins\.counting\.config\.splitBy: names zone 'lane9'/ },
    );
  });
});
