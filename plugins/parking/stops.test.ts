import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Point, Vehicle } from '../sdk/index.js';
import { stopOnset, StopTracker, type StopTrackerOptions } from './stops.js';
import type { TrailPoint } from './hold.js';

/**
 * A flat test world: ground (x, z) metres ↔ pixel (100 + 20x, 500 - 10z); a vehicle's box is 40 × 30
 * pixels standing on its foot. One lane: x 0..4 (pixels 100..180), z 0..50; the zone covers z 10..30.
 */
const px = (x: number, z: number): Point => [100 + 20 * x, 500 - 10 * z];
const rect = (x0: number, x1: number, z0: number, z1: number): Point[] => [px(x0, z0), px(x1, z0), px(x1, z1), px(x0, z1)];

class FakeVehicle implements Vehicle {
  confirmed = true;
  missed = 0;
  history: TrailPoint[] = [];
  firstSeenMs: number;
  lastSeenMs: number;
  stationaryMs = 0;
  ground: [number, number];
  /** Where it last came to rest and since when (VehicleTracker's still radius, 1 m). */
  #anchor: { at: [number, number]; since: number };
  constructor(readonly id: number, x: number, z: number, t: number, readonly cls = 'car') {
    this.ground = [x, z];
    this.firstSeenMs = this.lastSeenMs = t;
    this.#anchor = { at: [x, z], since: t };
    this.history.push({ t, foot: this.foot, ground: this.ground });
  }
  get foot(): Point {
    return px(this.ground[0], this.ground[1]);
  }
  get box() {
    const [fx, fy] = this.foot;
    return { x: fx - 20, y: fy - 30, w: 40, h: 30 };
  }
  /** Moves to (x, z) at t; staying within 1 m of where it came to rest counts as standing still, like VehicleTracker. */
  at(t: number, x: number, z: number): this {
    if (Math.hypot(x - this.#anchor.at[0], z - this.#anchor.at[1]) > 1) this.#anchor = { at: [x, z], since: t };
    this.stationaryMs = t - this.#anchor.since;
    this.ground = [x, z];
    this.lastSeenMs = t;
    this.history.push({ t, foot: this.foot, ground: this.ground });
    return this;
  }
}

/** A tracker for the test world; every vehicle has driven unless listed in `ghosts`. */
function tracker(over: Partial<StopTrackerOptions> = {}, ghosts: number[] = [], trails = new Map<number, FakeVehicle>()): StopTracker {
  return new StopTracker({
    zones: [{ name: 'no-stopping', polygon: rect(0, 4, 10, 30), dwellMs: 10_000 }],
    lanes: [{ name: 'kerb', polygon: rect(0, 4, 0, 50) }],
    stopLines: [],
    queueSpacingM: 15,
    queueMinVehicles: 3,
    queueOccupancy: 0.3,
    travel: { driven: (id) => !ghosts.includes(id), trail: (id) => trails.get(id)?.history ?? [] },
    ...over,
  });
}

/** Runs `steps` frames of 200 ms from t0; `move(t)` places the vehicles; returns violation times by vehicle. */
function run(st: StopTracker, vehicles: FakeVehicle[], t0: number, steps: number, move: (t: number) => void, occupancy = 0.5): Map<number, number> {
  const fired = new Map<number, number>();
  for (let k = 0; k < steps; k++) {
    const t = t0 + k * 200;
    move(t);
    for (const s of st.update(t, vehicles, new Map([['kerb', occupancy]])).violations) fired.set(s.vehicleId, t);
  }
  return fired;
}

/** Drives in at 10 m/s braking evenly to a stop at zStop at time tStop (ms), then stands. */
function brakeTo(v: FakeVehicle, zStop: number, tStop: number): (t: number) => void {
  return (t) => {
    const left = Math.max(0, tStop - t) / 1000; // seconds to the stop at 2 m/s²
    v.at(t, v.ground[0], zStop - Math.min(zStop, left * left));
  };
}

describe('StopTracker', () => {
  it('raises one violation dwell seconds after a vehicle stopped in the zone', () => {
    const car = new FakeVehicle(1, 2, 0, 0);
    const st = tracker({}, [], new Map([[1, car]]));
    const fired = run(st, [car], 0, 150, brakeTo(car, 20, 5000));
    assert.deepEqual([...fired.keys()], [1]);
    // Stopped at 5 s (refined from the track, not when it was recognised as stopped), fired at 15 s.
    assert.ok(Math.abs(fired.get(1)! - 15_000) <= 200, `fired at ${fired.get(1)}`);
  });

  it('does not fire for a stop shorter than the dwell, nor outside the zone', () => {
    const drop = new FakeVehicle(1, 2, 0, 0);
    const outside = new FakeVehicle(2, 2, 0, 0);
    const st = tracker({}, [], new Map([[1, drop], [2, outside]]));
    const fired = run(st, [drop, outside], 0, 150, (t) => {
      if (t < 11_000) brakeTo(drop, 20, 5000)(t);
      else drop.at(t, 2, 20 + (t - 11_000) / 100);
      brakeTo(outside, 40, 6000)(t);
    });
    assert.equal(fired.size, 0);
  });

  it('waits for the picture to confirm a vehicle still stands there', () => {
    const car = new FakeVehicle(1, 2, 0, 0);
    let looksRight = false;
    const st = tracker({ confirm: () => looksRight }, [], new Map([[1, car]]));
    let fired = run(st, [car], 0, 100, brakeTo(car, 20, 5000));
    assert.equal(fired.size, 0, 'a ghost of the vehicle, not the vehicle');
    looksRight = true;
    fired = run(st, [car], 20_000, 5, (t) => car.at(t, 2, 20));
    assert.deepEqual([...fired.entries()], [[1, 20_000]]);
  });

  it('ignores a stationary blob that never drove (a ghost)', () => {
    const ghost = new FakeVehicle(7, 2, 20, 0);
    const fired = run(tracker({}, [7]), [ghost], 0, 100, (t) => ghost.at(t, 2, 20));
    assert.equal(fired.size, 0);
  });

  it('exempts a queue reaching a stop line, even a lone car, and starts the clock when the queue leaves one standing', () => {
    const line: [[number, number], [number, number]] = [[0, 32], [4, 32]];
    const head = new FakeVehicle(1, 2, 20, 0);
    const st = tracker({ stopLines: [line] }, [], new Map([[1, head]]));
    // A lone car 12 m behind the line waits 30 s: exempt.
    assert.equal(run(st, [head], 0, 150, (t) => head.at(t, 2, 20)).size, 0);
    // A queue: three cars, the head at the line; the line is then taken away (the rest left), and
    // the last one stays: its clock starts when the queue stops covering it (after the release delay).
    const a = new FakeVehicle(11, 2, 28, 0);
    const b = new FakeVehicle(12, 2, 22, 0);
    const c = new FakeVehicle(13, 2, 16, 0);
    const st2 = tracker({ stopLines: [line] }, [], new Map([[11, a], [12, b], [13, c]]));
    const queue = [a, b, c];
    assert.equal(run(st2, queue, 0, 100, (t) => queue.forEach((v) => v.at(t, 2, v.ground[1]))).size, 0);
    const fired = run(st2, [c], 20_000, 100, (t) => c.at(t, 2, 16));
    assert.ok(fired.has(13), 'the one left standing is parked');
    // At least dwell + the release delay after the queue went.
    assert.ok(fired.get(13)! >= 20_000 + 10_000, `fired at ${fired.get(13)}`);
  });

  it('exempts a jam (3+ stopped vehicles close together, lane occupied) but not two parked cars', () => {
    const jam = [0, 1, 2].map((i) => new FakeVehicle(20 + i, 2, 14 + 6 * i, 0));
    const st = tracker();
    assert.equal(run(st, jam, 0, 100, (t) => jam.forEach((v) => v.at(t, 2, v.ground[1])), 0.6).size, 0);
    // The same three with the lane nearly empty (occupancy below queueOccupancy) are not a jam.
    const st2 = tracker();
    const jam2 = [0, 1, 2].map((i) => new FakeVehicle(30 + i, 2, 14 + 6 * i, 0));
    assert.equal(run(st2, jam2, 0, 100, (t) => jam2.forEach((v) => v.at(t, 2, v.ground[1])), 0.1).size, 3);
    const pair = [0, 1].map((i) => new FakeVehicle(40 + i, 2, 14 + 6 * i, 0));
    assert.equal(run(tracker(), pair, 0, 100, (t) => pair.forEach((v) => v.at(t, 2, v.ground[1])), 0.9).size, 2);
  });

  it('keeps one stop across a lost and re-acquired track, and while another vehicle hides it', () => {
    const car = new FakeVehicle(1, 2, 20, 0);
    const again = new FakeVehicle(2, 2, 20, 0);
    const bus = new FakeVehicle(3, 2, 19, 0, 'bus');
    const st = tracker({}, [2, 3], new Map([[1, car]]));
    let fired = run(st, [car], 0, 20, (t) => car.at(t, 2, 20)); // 0–4 s: stands
    // 4–12 s: hidden by a bus whose box covers it, then picked up as a new, never-driven track.
    fired = new Map([...fired, ...run(st, [bus], 4000, 40, (t) => bus.at(t, 2, 19))]);
    fired = new Map([...fired, ...run(st, [again], 12_000, 20, (t) => again.at(t, 2, 20))]);
    assert.equal(st.sites.length, 1);
    assert.deepEqual([...fired.entries()], [[2, 12_000]], 'one violation, at the first frame it is seen again after dwellS');
    assert.equal(st.sites[0]!.onsetMs, 0);
  });

  it('keeps the stop when a passing vehicle carries its track away in one jump', () => {
    const car = new FakeVehicle(1, 2, 20, 0);
    const st = tracker({}, [], new Map([[1, car]]));
    run(st, [car], 0, 20, (t) => car.at(t, 2, 20));
    // The track jumps 6 m onto a passer and follows it; the car is picked up again as a new track.
    run(st, [car], 4000, 5, (t) => car.at(t, 1, 26 + (t - 4000) / 100));
    assert.equal(st.sites.length, 1);
    const again = new FakeVehicle(2, 2, 20, 5000);
    const fired = run(st, [car, again], 5000, 30, (t) => {
      car.at(t, 1, 30 + (t - 5000) / 100);
      again.at(t, 2, 20);
    });
    assert.deepEqual([...fired.entries()], [[2, 10_000]]);
  });

  it('ends a stop when its vehicle drives off, and takes the same track standing there again for a ghost', () => {
    const car = new FakeVehicle(1, 2, 20, 0);
    const st = tracker({}, [], new Map([[1, car]]));
    run(st, [car], 0, 20, (t) => car.at(t, 2, 20));
    assert.equal(st.sites.length, 1);
    run(st, [car], 4000, 5, (t) => car.at(t, 2, 20 + (t - 3800) / 100));
    assert.equal(st.sites.length, 0, 'it left');
    run(st, [car], 5000, 30, (t) => car.at(t, 2, 20));
    assert.equal(st.sites.length, 0, 'its track back on the spot it left is what it uncovered');
  });
});

describe('stopOnset', () => {
  const trail = (pts: [number, number][]): TrailPoint[] => pts.map(([t, z]) => ({ t, foot: [0, 0], ground: [0, z] }));

  it('finds when the vehicle came within the radius of where it stands', () => {
    const h = trail([[0, 10], [200, 12], [400, 13], [600, 13.5], [800, 13.6], [1000, 13.6], [1200, 13.6]]);
    // 13.6 − 0.15 = 13.45 is crossed between 400 (13) and 600 (13.5): 0.9 of the way.
    assert.ok(Math.abs(stopOnset(h, 0, 0.15) - 580) < 1e-6);
  });

  it('takes a vehicle hidden while it stopped to have braked evenly from its last speed', () => {
    const h = trail([[0, 10], [200, 11], [2200, 12], [2400, 12], [2600, 12]]);
    // Last seen at 200 ms doing 5 m/s with 1 m to go: braking evenly takes 2·0.85/5 s for the last 0.85 m.
    assert.ok(Math.abs(stopOnset(h, 0, 0.15) - (200 + 340)) < 1e-6);
  });
});
