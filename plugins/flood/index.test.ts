import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import type { Detection, Frame, PluginEventInput } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import flood from './index.js';
import { BOARD_X0, BOARD_X1, BOARD_ZONE, gaugeFrame, H, W } from './testgauge.js';

/** The test gauge's marks: row 150 is 0 m, each 5-row band is 10 cm. */
const MARKS = [{ y: 150 / H, level: 0 }, { y: 50 / H, level: 2 }];
const rowOf = (level: number) => 150 - level * 50;

function start(config: Record<string, unknown>) {
  const events: (PluginEventInput & { t: number })[] = [];
  let now = 0;
  const instance = flood.create(testContext(flood, config, { geometry: { zones: { gauge: BOARD_ZONE } }, onEvent: (e) => events.push({ ...e, t: now }) })) as { onFrame(f: Frame): Detection[] };
  const feed = (t: number, y: Uint8Array): Detection[] => {
    now = t;
    return instance.onFrame({ cameraId: 'cam', pts: 0, capturedAt: 1e12 + t * 1000, seq: 1, width: W, height: H, format: 'gray', y, strideY: W, strideUV: 0 });
  };
  return { events, feed };
}

describe('flood plugin', () => {
  it('raises flood-level once as the median level crosses the threshold, with the level and a snapshot', () => {
    const { events, feed } = start({ gauge: { zone: 'gauge', marks: MARKS }, medianS: 6, level: { thresholdM: 1 } });
    // 0.6 m rising to 1.4 m at 1 m/min from t = 10 s: crosses 1.0 m at t = 34 s.
    for (let t = 0; t <= 70; t += 0.5) {
      const level = Math.min(1.4, 0.6 + Math.max(0, t - 10) / 60);
      feed(t, gaugeFrame(Math.round(rowOf(level)), { seed: t * 2 + 1, t }));
    }
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.type, 'flood-level');
    assert.equal(e.severity, 'critical');
    assert.equal(e.snapshot, true);
    assert.ok(e.t >= 34 && e.t <= 34 + 3 + 2, `raised at ${e.t} s`); // the 6 s median lags by 3 s
    assert.ok(Math.abs((e.attributes!.levelM as number) - 1) < 0.05, JSON.stringify(e.attributes));
  });

  it('raises flood-rise on a rapid rise, with the rate in cm/min', () => {
    const { events, feed } = start({ gauge: { zone: 'gauge', marks: MARKS }, medianS: 4, rise: { cmPerMin: 30, windowS: 20 } });
    for (let t = 0; t <= 60; t += 0.5) {
      const level = 0.5 + Math.max(0, Math.min(t, 45) - 25) * (0.6 / 60); // 60 cm/min from 25 s
      feed(t, gaugeFrame(Math.round(rowOf(level)), { seed: t * 2 + 7, t }));
    }
    assert.deepEqual(events.map((e) => e.type), ['flood-rise']);
    assert.ok(events[0]!.t > 25 && events[0]!.t < 25 + 16, `raised at ${events[0]!.t}`);
    assert.ok((events[0]!.attributes!.rateCmPerMin as number) >= 30);
  });

  it('holds the level while a person stands in front of the gauge, hiding the waterline and the marks above it', () => {
    const { events, feed } = start({ gauge: { zone: 'gauge', marks: MARKS }, medianS: 6, level: { thresholdM: 1 } });
    const levels: number[] = [];
    for (let t = 0; t <= 60; t += 0.5) {
      const y = gaugeFrame(rowOf(0.8), { seed: t * 2 + 3, t });
      // From 20 s to 35 s a dark coat covers the board's columns from level 1.3 m down.
      if (t >= 20 && t < 35) for (let r = rowOf(1.3); r < H; r++) for (let x = BOARD_X0 - 4; x < BOARD_X1 + 4; x++) y[r * W + x] = 60 + ((x * 7 + r * 3) % 5);
      const det = feed(t, y);
      const level = det.find((d) => d.label.startsWith('level:'));
      if (level && t > 5) levels.push(Number(level.label.slice(6)));
    }
    assert.deepEqual(events, []);
    assert.ok(levels.every((l) => Math.abs(l - 0.8) < 0.05), `levels ${Math.min(...levels)}..${Math.max(...levels)}`);
  });

  it('follows water rising fast out of the bottom period, where the gauge reads dry, without holding it as an occlusion', () => {
    const { events, feed } = start({ gauge: { zone: 'gauge', marks: MARKS }, medianS: 4, rise: { cmPerMin: 30, windowS: 20 } });
    // 8 cm of water (under the finder's floor, a period above the board's foot: read as dry), then
    // 60 cm/min from 10 s. The rows the water climbs over change their look, as a passer-by's would.
    const truth = (t: number) => Math.min(1.2, 0.08 + Math.max(0, t - 10) / 100);
    const errs: number[] = [];
    for (let t = 0; t <= 70; t += 0.5) {
      const det = feed(t, gaugeFrame(Math.round(rowOf(truth(t))), { seed: t * 2 + 11, t }));
      const level = det.find((d) => d.label.startsWith('level:'));
      // Once the water is well in view, the median is the level half its window ago, to a band.
      if (level && truth(t - 2) >= 0.35) errs.push(Math.abs(Number(level.label.slice(6)) - truth(t - 2)));
    }
    assert.ok(errs.length > 50 && Math.max(...errs) < 0.06, `level off by up to ${Math.max(...errs).toFixed(3)} m over ${errs.length} readings`);
    // The 20 s mean rise reaches 30 cm/min at 20 s; the fitted slope of the 4 s median follows within 12 s.
    assert.deepEqual(events.map((e) => e.type), ['flood-rise']);
    assert.ok(events[0]!.t >= 18 && events[0]!.t <= 32, `raised at ${events[0]!.t}`);
  });

  it('raises no flood-rise when a slow rise comes into view out of the bottom period (the first sighting is no step)', () => {
    // Guards the fake step of the last session's closing note: the gauge reads 'dry' (its region's
    // bottom, 0 m) until the water clears the finder's floor, a period (0.2 m) up, then reads it
    // there at once. 4 cm of water rising at 15 cm/min from 10 s, half the alarm's rate.
    const { events, feed } = start({ gauge: { zone: 'gauge', marks: MARKS }, medianS: 4, level: { thresholdM: 0.5 }, rise: { cmPerMin: 30, windowS: 20 } });
    const truth = (t: number) => Math.min(0.6, 0.04 + Math.max(0, t - 10) * (0.15 / 60));
    const rates: number[] = [];
    for (let t = 0; t <= 240; t += 0.5) {
      feed(t, gaugeFrame(Math.round(rowOf(truth(t))), { seed: t * 2 + 13, t }));
      const e = events.at(-1);
      if (e) rates.push(e.attributes!.rateCmPerMin as number);
    }
    // flood-level only: the water reaches 0.5 m at 194 s, the median 2 s later, to within a frame row
    // (2 cm, 8 s at this rate: the frames draw the line on whole rows); the rate it gives is the slow one.
    assert.deepEqual(events.map((e) => e.type), ['flood-level'], JSON.stringify(events.map((e) => [e.type, e.t, e.attributes])));
    assert.ok(events[0]!.t >= 194 - 4 && events[0]!.t <= 194 + 2 + 4, `raised at ${events[0]!.t}`);
    assert.ok(Math.abs(rates[0]! - 15) < 5, `rate ${rates[0]} cm/min`);
  });

  it('refuses a gauge with one mark, marks out of order, no gauge or extent, and alarms without a gauge', () => {
    const bad = (c: unknown) => flood.configSchema.safeParse(c).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? '';
    assert.match(bad({ gauge: { zone: 'g', marks: [{ y: 0.5, level: 1 }] } }), /gauge\.marks: gauge\.marks needs at least 2 reference marks/);
    assert.match(bad({ gauge: { zone: 'g', marks: [{ y: 0.5, level: 1 }, { y: 0.6, level: 1.5 }] } }), /gauge\.marks: marks must be at distinct rows, with lower levels lower in the image/);
    assert.match(bad({}), /gauge: flood needs a gauge, an extent zone, or both/);
    assert.match(bad({ extent: { zone: 'road' }, level: { thresholdM: 1 } }), /gauge: the level and rise alarms need a gauge/);
    assert.match(bad({ gauge: { zone: 'g', marks: MARKS, wobble: 1 } }), /gauge: Unrecognized key/);
    assert.ok(flood.configSchema.safeParse({ gauge: { zone: 'g', marks: MARKS } }).success);
  });

  it('refuses a zone the camera does not have, naming the config path', () => {
    assert.throws(
      () => flood.create(testContext(flood, { gauge: { zone: 'staff', marks: MARKS } }, { cameraId: 'c1', geometry: { zones: { gauge: BOARD_ZONE } } })),
      (e: unknown) => e instanceof ConfigError && /cameras\.c1\.plugins\.flood\.config\.gauge\.zone: names zone 'staff', which is not among the zones \(gauge\)/.test(e.message),
    );
  });
});
