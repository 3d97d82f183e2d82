import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import { prng } from '../../core/testing/prng.js';
import type { Frame, Point, PluginEventInput } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin, { watches } from './index.js';

const W = 320;
const H = 180;
const T0 = Date.UTC(2024, 0, 1, 12, 0); // a Monday, noon UTC

/**
 * A grey yard with sensor noise and one dark upright figure (8 × 36 px) whose bottom-centre follows
 * `foot(t)` (seconds), or none when it returns undefined.
 */
function yard(frames: number, fps: number, foot: (t: number) => Point | undefined): Frame[] {
  const rand = prng(7);
  const out: Frame[] = [];
  for (let i = 0; i < frames; i++) {
    const y = new Uint8Array(W * H);
    for (let k = 0; k < y.length; k++) y[k] = 120 + Math.round((rand() - 0.5) * 6);
    const p = foot(i / fps);
    if (p) {
      for (let r = Math.round(p[1]) - 36; r < Math.round(p[1]); r++) {
        for (let c = Math.round(p[0]) - 4; c < Math.round(p[0]) + 4; c++) if (r >= 0 && r < H && c >= 0 && c < W) y[r * W + c] = 40;
      }
    }
    out.push({ cameraId: 'yard', pts: i, capturedAt: T0 + (i * 1000) / fps, seq: i, width: W, height: H, format: 'gray', y, strideY: W, strideUV: 0 });
  }
  return out;
}

const ZONE: Point[] = [[0.5, 0.3], [0.9, 0.3], [0.9, 0.9], [0.5, 0.9]];
const LINE = { from: [0.3, 0.95] as Point, to: [0.3, 0.1] as Point };

async function play(config: unknown, frames: Frame[]): Promise<(PluginEventInput & { t: number })[]> {
  const events: (PluginEventInput & { t: number })[] = [];
  let t = 0;
  const instance = await plugin.create(testContext(plugin, config, { cameraId: 'yard', geometry: { zones: { yard: ZONE }, lines: { gate: LINE } }, onEvent: (e) => events.push({ ...e, t }) }));
  for (const f of frames) {
    t = (f.capturedAt - T0) / 1000;
    await instance.onFrame(f);
  }
  instance.close?.();
  return events;
}

/** Walks from x0 to x1 (pixels) at row 140 between t0 and t1 s, standing at the ends; absent before 1 s (the background learns). */
const walk = (x0: number, x1: number, t0: number, t1: number) => (t: number): Point | undefined =>
  t < 1 ? undefined : [x0 + (x1 - x0) * Math.min(1, Math.max(0, (t - t0) / (t1 - t0))), 140];

describe('intrusion plugin', () => {
  it('raises one intrusion once a figure has stood dwellS in the zone, with evidence', async () => {
    // Enters the zone (x = 160) at 4 s, stays to the end.
    const events = await play({ restricted: [{ zone: 'yard', dwellS: 2 }] }, yard(50, 5, walk(100, 220, 2, 6)));
    assert.equal(events.length, 1, JSON.stringify(events.map((e) => [e.type, e.t])));
    const e = events[0]!;
    assert.equal(e.type, 'intrusion');
    assert.equal(e.zone, 'yard');
    assert.equal(e.attributes!.kind, 'person');
    assert.ok(Math.abs(e.t - 6) <= 0.4, `at ${e.t} s`);
    assert.ok(Math.abs((e.attributes!.dwellS as number) - 2) <= 0.4);
    assert.deepEqual(e.evidence!.map((x) => x.label), ['entered', 'at-dwell']);
    assert.equal(e.snapshot, true);
  });

  it('stays quiet for a pass shorter than dwellS, and for kinds it does not watch', async () => {
    // Through the zone (x 160-288) in 1.6 s.
    const through = yard(50, 5, (t) => (t < 1 ? undefined : [60 + 80 * Math.max(0, t - 2), 140]));
    assert.deepEqual(await play({ restricted: [{ zone: 'yard', dwellS: 3 }] }, through), []);
    assert.deepEqual(await play({ restricted: [{ zone: 'yard', dwellS: 2, kinds: ['vehicle'] }] }, yard(50, 5, walk(100, 220, 2, 6))), []);
  });

  it('raises tripwire only in the watched direction', async () => {
    // The gate line runs up the image at x = 96 (from bottom to top): walking right crosses it left to right.
    const right = yard(40, 5, walk(40, 200, 2, 6));
    const left = yard(40, 5, walk(200, 40, 2, 6));
    const ltr = { tripwires: [{ line: 'gate', direction: 'left-to-right' }] };
    const got = await play(ltr, right);
    assert.deepEqual(got.map((e) => [e.type, e.attributes!.direction, e.attributes!.line]), [['tripwire', 'left-to-right', 'gate']]);
    // x = 96 at 3.4 s; raised once the foot has stayed over the line 1 s.
    const crossedS = (got[0]!.startedAt! - T0) / 1000;
    assert.ok(Math.abs(crossedS - 3.4) <= 0.4, `crossed at ${crossedS} s`);
    assert.ok(got[0]!.t - crossedS >= 0.95 && got[0]!.t - crossedS <= 1.4, `raised at ${got[0]!.t} s, crossed at ${crossedS} s`);
    assert.deepEqual(got[0]!.evidence!.map((x) => x.label), ['before', 'at', 'after']);
    assert.deepEqual(await play(ltr, left), []);
    assert.equal((await play({ tripwires: [{ line: 'gate' }] }, left)).length, 1);
  });

  it('raises no tripwire for a foot that swings over the line and back (two people meeting at a fence)', async () => {
    // Stands left of the gate (x = 96) at x = 86; from 4 s the foot swings over to x = 100 and back within 0.6 s.
    const xs = [92, 98, 100, 94, 88];
    const swing = yard(40, 5, (t) => (t < 1 ? undefined : [xs[Math.round((t - 4) * 5)] ?? 86, 140]));
    assert.deepEqual(await play({ tripwires: [{ line: 'gate' }] }, swing), []);
    // Going over the same way and staying there is a crossing.
    const stays = yard(40, 5, (t) => (t < 1 ? undefined : [t < 4 ? 86 : xs[Math.round((t - 4) * 5)] && t < 4.5 ? xs[Math.round((t - 4) * 5)]! : 100, 140]));
    assert.deepEqual((await play({ tripwires: [{ line: 'gate', direction: 'left-to-right' }] }, stays)).map((e) => e.type), ['tripwire']);
  });

  it('raises nothing outside the active hours', async () => {
    const frames = yard(50, 5, walk(100, 220, 2, 6));
    const config = (from: string, to: string) => ({ restricted: [{ zone: 'yard', dwellS: 2 }], tripwires: [{ line: 'gate' }], schedules: [{ days: ['mon'], from, to }], timeZone: 'UTC' });
    assert.deepEqual(await play(config('13:00', '12:00'), frames), []); // Monday 13:00 to Tuesday 12:00: closed at Monday noon
    assert.equal((await play(config('11:00', '12:01'), frames)).length, 1);
  });

  it('rejects configs it cannot work with, naming the key', () => {
    const bad = (config: unknown) => plugin.configSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(bad({}), ['restricted: intrusion needs at least one restricted zone or tripwire']);
    assert.deepEqual(bad({ tripwires: [{ line: 'gate', direction: 'up' }] }), ['tripwires.0.direction: Invalid option: expected one of "left-to-right"|"right-to-left"|"both"']);
    assert.deepEqual(bad({ tripwires: [{ line: 'gate' }], timeZone: 'Mars/Olympus' }), ['timeZone: is not a time zone known to this server (IANA name, e.g. Asia/Ho_Chi_Minh)']);
    assert.deepEqual(bad({ restricted: [{ zone: 'yard', dwellS: -1 }] }), ['restricted.0.dwellS: Too small: expected number to be >=0']);
    assert.match(bad({ restricted: [{ zone: 'yard' }], dwell: 5 })!.join(), /Unrecognized key/);
    const parsed = plugin.configSchema.parse({ restricted: [{ zone: 'yard' }] });
    assert.deepEqual([parsed.restricted[0]!.dwellS, parsed.restricted[0]!.kinds, parsed.leaveS], [5, ['person', 'vehicle'], 3]);
    const ctx = (config: object) => testContext(plugin, config, { cameraId: 'cam1' });
    assert.throws(() => plugin.create(ctx({ restricted: [{ zone: 'lawn' }] })), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.cam1.plugins.intrusion.config.restricted[0].zone: names zone 'lawn', which is not among the zones (none)");
    assert.throws(() => plugin.create(ctx({ tripwires: [{ line: 'fence' }] })), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.cam1.plugins.intrusion.config.tripwires[0].line: names line 'fence', which is not among the lines (none)");
  });

  it('watches vehicle classes under "vehicle"', () => {
    assert.equal(watches(['vehicle'], 'truck'), true);
    assert.equal(watches(['vehicle'], 'person'), false);
    assert.equal(watches(['person', 'car'], 'car'), true);
    assert.equal(watches(['car'], 'bus'), false);
  });
});
