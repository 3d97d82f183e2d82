import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Vehicle } from '../sdk/index.js';
import { TrackLogs } from './handover.js';
import type { TrackLog } from './lanes.js';

/** A road along Z; vehicles in the lane at X 1.75 drive away at 10 m/s. */
const ROAD: [number, number] = [0, 1];

function vehicle(id: number, over: Partial<Vehicle> = {}): Vehicle {
  return {
    id, cls: 'car', confirmed: true, box: { x: 0, y: 0, w: 10, h: 10 }, foot: [5, 10], history: [],
    firstSeenMs: 0, lastSeenMs: 0, missed: 0, stationaryMs: 0, velocity: { vx: 0, vz: 10 }, ...over,
  };
}

/** Logs whose jump test is a plain distance: over 5 m from where 10 m/s along Z takes the last sample. */
function logs(forgotten: number[] = []): TrackLogs {
  const jumped = (log: TrackLog, g: readonly number[], t: number) => {
    const s = log.last;
    return Math.hypot(g[0]! - s.g[0], g[1]! - (s.g[1] + (10 * (t - s.t)) / 1000)) > 5;
  };
  return new TrackLogs((id) => forgotten.push(id), jumped, ROAD);
}

/** Writes one update of vehicle v at ground g, time t (ms), as the plugin does. */
function write(l: TrackLogs, v: Vehicle, g: [number, number], t: number): TrackLog {
  const log = l.of(v, g, t);
  log.push({ t, g, lane: 0, foot: [0.5, 0.5], box: [0, 0, 0.1, 0.1] }, v.cls, 5, v.velocity && [v.velocity.vx, v.velocity.vz]);
  return log;
}

describe('TrackLogs', () => {
  it('carries a lost vehicle\'s log on to the new track that starts where it would be by now', () => {
    const l = logs();
    const a = vehicle(1);
    for (let i = 0; i <= 4; i++) write(l, a, [1.75, 20 + 2 * i], 1000 + 200 * i);
    const old = l.of(a, [1.75, 28], 1800);
    old.fired.add('solid-line');
    // Lost for 0.6 s: the tracker coasts it, and a new track starts 6 m on.
    l.update([vehicle(1, { missed: 2 })], [], 2400);
    const b = vehicle(2, { confirmed: false });
    const log = write(l, b, [1.7, 34], 2400);
    assert.equal(log, old, 'the same log, rules state and all');
    assert.ok(log.fired.has('solid-line'));
    assert.equal(log.samples.length, 6);
  });

  it('gives a new log to a track that starts elsewhere, and to one that comes after the offer lapsed', () => {
    const forgotten: number[] = [];
    const l = logs(forgotten);
    const a = vehicle(1);
    for (let i = 0; i <= 4; i++) write(l, a, [1.75, 20 + 2 * i], 1000 + 200 * i);
    const old = l.of(a, [1.75, 28], 1800);
    l.update([], [1], 2000);
    assert.notEqual(write(l, vehicle(2), [-1.75, 30], 2200), old, 'the oncoming lane');
    assert.deepEqual(forgotten, [], 'still on offer');
    l.update([], [], 3100);
    assert.deepEqual(forgotten, [old.id], 'forgotten 1.2 s after it was last seen');
    assert.notEqual(write(l, vehicle(3), [1.75, 41], 3100), old);
  });

  it('keeps a vehicle found again on its own log', () => {
    const l = logs();
    const a = vehicle(1);
    for (let i = 0; i <= 4; i++) write(l, a, [1.75, 20 + 2 * i], 1000 + 200 * i);
    const own = l.of(a, [1.75, 28], 1800);
    l.update([vehicle(1, { missed: 1 })], [], 2000);
    assert.equal(write(l, a, [1.75, 32], 2200), own);
    // Its offer is withdrawn: a track that now starts beside it is a vehicle of its own.
    assert.notEqual(write(l, vehicle(2, { confirmed: false }), [1.75, 36], 2400), own);
  });

  it('swaps logs when a track jumps onto a lost vehicle, and hands its own on to its vehicle\'s next track', () => {
    const l = logs();
    // A fast motorbike behind a slow one; across skipped frames the slow one's track takes the fast
    // one's box, and the slow one comes back as a new track.
    const fast = vehicle(1, { velocity: { vx: 0, vz: 10 } });
    const slow = vehicle(2, { velocity: { vx: 0, vz: 4 } });
    for (let i = 0; i <= 2; i++) {
      write(l, fast, [5.25, 10 + 2 * i], 1000 + 200 * i);
      write(l, slow, [5.25, 20 + 0.8 * i], 1000 + 200 * i);
    }
    const fastLog = l.of(fast, [5.25, 14], 1400);
    const slowLog = l.of(slow, [5.25, 21.6], 1400);
    l.update([vehicle(1, { missed: 3, velocity: { vx: 0, vz: 10 } }), slow], [], 2000);
    assert.equal(write(l, slow, [5.25, 20], 2000), fastLog, 'the slow track now holds the fast motorbike');
    assert.equal(write(l, vehicle(3, { velocity: { vx: 0, vz: 4 } }), [5.25, 24.1], 2200), slowLog, 'and the slow motorbike gets its log back');
  });
});
