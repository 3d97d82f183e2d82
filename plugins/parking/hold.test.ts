import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box, Point, Vehicle } from '../sdk/index.js';
import { TravelLog, type TrailPoint } from './hold.js';

/** A track as TravelLog reads it: id, box (its foot is the bottom centre), its samples, whether seen now. */
interface Track {
  id: number;
  box: Box;
  history: TrailPoint[];
  missed: number;
}

const track = (id: number): Track => ({ id, box: { x: 0, y: 0, w: 40, h: 40 }, history: [], missed: 0 });
const foot = (b: Box): Point => [b.x + b.w / 2, b.y + b.h];

/** Puts `t` at box (x, y, w, h) at `ms` and records the sample, as VehicleTracker does. */
function place(t: Track, ms: number, x: number, y: number, w = 40, h = 40): Track {
  t.box = { x, y, w, h };
  t.missed = 0;
  t.history.push({ t: ms, foot: foot(t.box), ground: [foot(t.box)[0] / 10, foot(t.box)[1] / 10] });
  return t;
}

function observe(log: TravelLog, ms: number, ...tracks: Track[]): void {
  log.observe(tracks.map((t) => ({ ...t, foot: foot(t.box), confirmed: true }) as unknown as Vehicle), ms);
}

/** A car that drives 100 px down the picture and stops at y = 300 (foot 340) by 2000 ms; `bus`, if given, drives in from the right meanwhile. */
function driveAndStop(log: TravelLog, car: Track, bus?: Track): void {
  for (let ms = 0; ms <= 2000; ms += 200) {
    place(car, ms, 200, 200 + Math.min(100, ms / 10));
    if (bus) observe(log, ms, car, place(bus, ms, 900 - ms / 4, 150, 200, 220));
    else observe(log, ms, car);
  }
}

describe('TravelLog', () => {
  it('continues a driven track lost where a new one is born soon after, with its samples first', () => {
    const log = new TravelLog();
    const car = track(1);
    driveAndStop(log, car);
    assert.ok(log.driven(1));
    // Lost for 2 s, then a new track on the same spot: the same car.
    observe(log, 4000, place(track(2), 4000, 202, 300));
    assert.ok(log.driven(2));
    // The lost track's last 10 samples, then its own.
    assert.deepEqual(log.trail(2).map((p) => p.t), [200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 4000]);
    // Lost for longer than CONTINUE_MS (3 s) in plain view: a new track there never drove.
    const other = new TravelLog();
    driveAndStop(other, track(1));
    observe(other, 5400, place(track(3), 5400, 202, 300));
    assert.ok(!other.driven(3));
  });

  it('counts a lost track hidden behind another one as just seen, however long that lasts', () => {
    // Guards the car that stopped while a bus passed slowly beside it for 3.2 s (parking-drift).
    const log = new TravelLog();
    const bus = track(9);
    driveAndStop(log, track(1), bus);
    for (let ms = 2200; ms <= 6000; ms += 200) observe(log, ms, place(bus, ms, 400 - (ms - 2200) / 10, 150, 200, 220));
    // The bus has gone on; the car shows again as a new track 1.5 s later.
    observe(log, 7600, place(track(2), 7600, 200, 300));
    assert.ok(log.driven(2));
    assert.equal(log.trail(2)[0]!.t, 200);
  });

  it('lets a track that jumps onto the spot of a track it was hiding continue that one, from the jump on', () => {
    // Guards the truck whose stop was merged with a passing bus: the merged blob kept the bus's track,
    // which was left on the truck when the bus pulled clear (parking-drift).
    const log = new TravelLog();
    const car = track(1);
    const bus = track(9);
    driveAndStop(log, car, bus);
    for (let ms = 2200; ms <= 4000; ms += 200) observe(log, ms, place(bus, ms, 400 - (ms - 2200) / 10, 150, 200, 220));
    observe(log, 4200, place(bus, 4200, 200, 300));
    assert.ok(log.driven(9));
    assert.deepEqual(log.trail(9).map((p) => p.t), [200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 4200]);
    // A track that jumps onto a spot it never hid does not take it over.
    const other = new TravelLog();
    const passer = track(8);
    driveAndStop(other, track(1), passer);
    for (let ms = 2200; ms <= 4000; ms += 200) observe(other, ms, place(passer, ms, 500, 100 + (ms - 2200) / 20));
    observe(other, 4200, place(passer, 4200, 200, 300));
    assert.equal(other.trail(8)[0]!.t, 0);
  });
});
