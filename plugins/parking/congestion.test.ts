import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroundPlane, type Point } from '../sdk/index.js';
import { CongestionMonitor, LaneOccupancy, type CongestionChange } from './congestion.js';

/** A lane 4 m wide from Z 10 to 50 m seen in perspective: 200 px wide at the bottom, 40 px at the top. */
const plane = GroundPlane.fromReferencePoints([
  { image: [100, 400], ground: [0, 10] },
  { image: [300, 400], ground: [4, 10] },
  { image: [220, 100], ground: [4, 50] },
  { image: [180, 100], ground: [0, 50] },
]);
const lane: Point[] = [[100, 400], [300, 400], [220, 100], [180, 100]];
const grid = { step: 2, width: 200, height: 220 };

/** The pixel box over the lane between ground Z z0 and z1 (the lane's full width). */
function boxAlong(z0: number, z1: number) {
  const near = plane.groundToImage([0, z0])!;
  const far = plane.groundToImage([0, z1])!;
  return { x: 0, y: far[1], w: 400, h: near[1] - far[1] };
}

describe('LaneOccupancy', () => {
  const occupancy = new LaneOccupancy([{ name: 'kerb', polygon: lane }], plane, grid);

  it('weighs each cell by the ground it sees, so each metre of lane counts the same', () => {
    const far = occupancy.measure(undefined, [boxAlong(30, 50)])[0]!;
    const near = occupancy.measure(undefined, [boxAlong(10, 30)])[0]!;
    assert.ok(Math.abs(far - 0.5) < 0.05 && Math.abs(near - 0.5) < 0.05, `far half ${far}, near half ${near}`);
    assert.equal(occupancy.measure(undefined, [])[0], 0);
    assert.ok(Math.abs(occupancy.measure(undefined, [boxAlong(10, 50)])[0]! - 1) < 0.02);
  });

  it('counts foreground cells as covered too', () => {
    const fg = new Uint8Array(grid.width * grid.height);
    const b = boxAlong(40, 50);
    for (let gy = Math.ceil(b.y / 2); gy <= Math.floor((b.y + b.h) / 2); gy++) fg.fill(255, gy * grid.width, (gy + 1) * grid.width);
    const v = occupancy.measure(fg, [])[0]!;
    assert.ok(Math.abs(v - 0.25) < 0.04, `${v}`);
    assert.ok(Math.abs(occupancy.measure(fg, [boxAlong(10, 20)])[0]! - 0.5) < 0.05);
  });
});

describe('CongestionMonitor', () => {
  const o = { occupancy: 0.6, clearOccupancy: 0.4, windowS: 10, minDurationS: 60 };

  /** Feeds `occ(t)` at 5 fps for `seconds`; returns the changes with their times in seconds. */
  function feed(m: CongestionMonitor, seconds: number, occ: (t: number) => number): (CongestionChange & { t: number })[] {
    const out: (CongestionChange & { t: number })[] = [];
    for (let k = 0; k < seconds * 5; k++) {
      const c = m.push(k * 200, occ(k / 5));
      if (c) out.push({ ...c, t: c.atMs / 1000 });
    }
    return out;
  }

  it('raises congestion once the window average has stayed up for minDurationS, and clears it below clearOccupancy', () => {
    // Empty lane, then jammed from 20 s to 120 s.
    const changes = feed(new CongestionMonitor(o), 200, (t) => (t >= 20 && t < 120 ? 1 : 0));
    assert.deepEqual(changes.map((c) => c.type), ['congestion', 'congestion-cleared']);
    // The 10 s average passes 0.6 once 6 jammed seconds are in it: second 25 closes at 26 s.
    assert.equal(changes[0]!.t, 26 + 60);
    assert.equal(changes[0]!.durationS, 60);
    assert.equal(changes[0]!.sinceMs, 26_000);
    // It falls below 0.4 once 7 empty seconds are in it: second 126 closes at 127 s.
    assert.equal(changes[1]!.t, 127);
    assert.equal(changes[1]!.durationS, 101);
  });

  it('stays quiet through a red phase, and rides out dips that stay above clearOccupancy', () => {
    assert.deepEqual(feed(new CongestionMonitor(o), 300, (t) => (t % 60 < 35 ? 0.9 : 0.1)), [], 'a queue for 35 s of every minute');
    const dips = feed(new CongestionMonitor(o), 120, (t) => (t < 10 ? 0.1 : t % 10 < 7 ? 0.8 : 0.3));
    assert.deepEqual(dips.map((c) => c.type), ['congestion'], 'stop-and-go keeps the average between the thresholds');
    assert.equal(new CongestionMonitor(o).average, undefined);
  });
});
