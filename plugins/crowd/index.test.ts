import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import { groundConfig, groundRect } from '../../bench/scenes/scenario.js';
import { streetScene } from '../../bench/scenes/street.js';
import type { Detection, Frame, PluginEventInput } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin from './index.js';

const scene = streetScene({ name: 'unit', width: 640, height: 360 });
const ground = groundConfig(scene);
const plaza = groundRect(scene, 4, 10, 12, 20);

const bad = (config: unknown) => plugin.configSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

function ctx(config: object, zones: Record<string, [number, number][]> = { plaza }, emitted: PluginEventInput[] = []) {
  return testContext(plugin, { ground, ...config }, { cameraId: 'cam1', geometry: { zones }, onEvent: (e) => emitted.push(e) });
}

/** A flat grey frame with one dark standing person (luma 30) in `rows` × `cols`, or none. */
function frame(seq: number, person?: { x0: number; x1: number; y0: number; y1: number }): Frame {
  const y = new Uint8Array(640 * 360);
  for (let i = 0; i < y.length; i++) y[i] = 120 + ((i * 37) % 7);
  if (person) for (let r = person.y0; r < person.y1; r++) y.fill(30, r * 640 + person.x0, r * 640 + person.x1);
  const u = new Uint8Array(320 * 180).fill(128);
  return { cameraId: 'cam1', pts: 0, capturedAt: 1_000_000 + seq * 200, seq, width: 640, height: 360, format: 'i420', y, u, v: u, strideY: 640, strideUV: 320 };
}

describe('crowd plugin', () => {
  it('rejects configs it cannot work with, naming the key', () => {
    assert.deepEqual(bad({ zones: [{ zone: 'plaza' }] }), ["ground: crowd needs the 4 ground reference points: a person's size in the image and the zones' areas come from them"]);
    assert.match(bad({ ground, zones: [] })!.join(), /^zones: Too small/);
    assert.deepEqual(bad({ ground, zones: [{ zone: 'plaza', crowd: { threshold: 10, hysteresis: 10 } }] }), ['zones.0.crowd.hysteresis: must be less than threshold']);
    assert.deepEqual(bad({ ground, zones: [{ zone: 'plaza', gathering: { fromDensity: 0.5, density: 0.2 } }] }), ['zones.0.gathering.fromDensity: must be less than density']);
    assert.deepEqual(bad({ ground, zones: [{ zone: 'plaza' }, { zone: 'plaza' }] }), ["zones.1.zone: zone 'plaza' is listed twice"]);
    assert.match(bad({ ground, zones: [{ zone: 'plaza', crowd: { threshold: 10, metric: 'people' } }] })!.join(), /^zones\.0\.crowd\.metric: Invalid option/);
    assert.match(bad({ ground, zones: [{ zone: 'plaza' }], count: 5 })!.join(), /Unrecognized key/);
    const parsed = plugin.configSchema.parse({ ground, zones: [{ zone: 'plaza', crowd: { threshold: 10 }, gathering: { density: 0.3 } }] });
    assert.deepEqual(parsed.zones[0], { zone: 'plaza', crowd: { metric: 'count', threshold: 10, hysteresis: 0 }, gathering: { fromDensity: 0.02, density: 0.3, holdS: 30 } });
    assert.equal(parsed.windowS, 2);
  });

  it('refuses zones the camera does not have', () => {
    assert.throws(() => plugin.create(ctx({ zones: [{ zone: 'square' }] })), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.cam1.plugins.crowd.config.zones[0].zone: names zone 'square', which is not among the zones (plaza)");
    assert.throws(() => plugin.create(ctx({ zones: [{ zone: 'plaza' }], ignore: ['road'] })), (e: unknown) =>
      e instanceof ConfigError && e.message.startsWith('cameras.cam1.plugins.crowd.config.ignore[0]: names zone'));
  });

  it('returns the person it sees and the zone count, and raises then clears a crowd of one', async () => {
    const emitted: PluginEventInput[] = [];
    const instance = await plugin.create(ctx({ zones: [{ zone: 'plaza', crowd: { threshold: 1, hysteresis: 0.5 } }], windowS: 0.2 }, { plaza }, emitted));
    // A 1.7 m person standing at X = 7, Z = 15: feet at (570, 158), 59 px tall, 10 px wide (its fill of 18 px).
    const person = { x0: 565, x1: 575, y0: 99, y1: 158 };
    for (let k = 0; k < 30; k++) await instance.onFrame(frame(k));
    let out: Detection[] = [];
    for (let k = 30; k < 36; k++) out = ((await instance.onFrame(frame(k, { ...person, x0: person.x0 + (k % 2), x1: person.x1 + (k % 2) }))) ?? []) as Detection[];
    assert.equal(out.filter((d) => d.label === 'person').length, 1);
    const count = out.find((d) => d.label === 'crowd:plaza')!;
    assert.equal(count.score, 1);
    assert.deepEqual(emitted.map((e) => e.type), ['crowd']);
    assert.equal(emitted[0]!.zone, 'plaza');
    assert.deepEqual({ ...emitted[0]!.attributes, density: undefined }, { zone: 'plaza', count: 1, density: undefined, metric: 'count', threshold: 1 });
    for (let k = 36; k < 40; k++) await instance.onFrame(frame(k));
    assert.deepEqual(emitted.map((e) => e.type), ['crowd', 'crowd-cleared']);
    assert.equal(emitted[1]!.endedAt, 1_000_000 + 36 * 200);
    instance.close?.();
  });
});
