import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Point } from '../sdk/index.js';
import { ZoneWatch, zoneDepth, type VisitObject } from './visits.js';

/** A 100 × 100 px zone at (100, 100). */
const ZONE: Point[] = [[100, 100], [200, 100], [200, 200], [100, 200]];

/** An object walking along `path` (one foot point per 200 ms frame, from t = 0) with its history so far. */
class Walker {
  history: { t: number; foot: Point }[] = [];
  constructor(readonly id: number, readonly kind = 'person') {}
  at(t: number, foot: Point, missed = 0): VisitObject {
    if (missed === 0) this.history.push({ t, foot });
    return { id: this.id, kind: this.kind, foot, box: { x: foot[0] - 8, y: foot[1] - 40, w: 16, h: 40 }, missed, history: [...this.history] };
  }
}

function watch(dwellMs = 2000, kinds = ['person']) {
  return new ZoneWatch({ polygon: ZONE, dwellMs, leaveMs: 1000, accepts: (k) => kinds.includes(k) });
}

describe('ZoneWatch', () => {
  it('raises one intrusion dwellMs after the foot entered, not again while it stays', () => {
    const w = watch();
    const a = new Walker(1);
    const fired: number[] = [];
    for (let t = 0; t <= 6000; t += 200) {
      const x = Math.min(150, 60 + t / 20); // enters at x = 100 (t = 800), stops at 150
      const u = w.update(t, [a.at(t, [x, 150])]);
      if (u.fired.length) fired.push(t);
    }
    assert.deepEqual(fired, [2800]);
  });

  it('does not raise for a pass shorter than the dwell, nor for a foot outside', () => {
    const w = watch();
    const a = new Walker(1);
    const b = new Walker(2);
    let n = 0;
    for (let t = 0; t <= 6000; t += 200) {
      n += w.update(t, [a.at(t, [60 + t / 20, 150]), b.at(t, [95, 100 + t / 60])]).fired.length; // a crosses 100 px in 2000 ms (exits at 2800 ms); b walks along the edge
    }
    assert.equal(n, 0);
  });

  it('dates the visit back to when the foot entered, from the history before the object was reported', () => {
    const w = watch();
    const a = new Walker(1);
    for (let t = 0; t < 1000; t += 200) a.history.push({ t, foot: [80 + t / 10, 150] }); // in from t = 200
    const u = w.update(1000, [a.at(1000, [180, 150])]);
    assert.equal(u.started.length, 1);
    assert.equal(u.started[0]!.enteredMs, 200);
    assert.equal(w.update(2200, [a.at(2200, [180, 150])]).fired.length, 1);
  });

  it('keeps one visit through a short step out, and counts a return after leaveMs as a new visit', () => {
    const w = watch(1000);
    const a = new Walker(1);
    const inside: Point = [150, 150];
    const outside: Point = [250, 150];
    const plan: [number, Point][] = [];
    for (let t = 0; t <= 1600; t += 200) plan.push([t, inside]); // fires at 1000
    for (let t = 1800; t <= 2400; t += 200) plan.push([t, outside]); // 600 ms out: same visit
    for (let t = 2600; t <= 3400; t += 200) plan.push([t, inside]);
    for (let t = 3600; t <= 5000; t += 200) plan.push([t, outside]); // out for good
    for (let t = 5200; t <= 7000; t += 200) plan.push([t, inside]); // new visit: fires at 6200
    const fired: number[] = [];
    for (const [t, p] of plan) if (w.update(t, [a.at(t, p)]).fired.length) fired.push(t);
    assert.deepEqual(fired, [1000, 6200]);
  });

  it('lets a new track take over the visit of a track lost where it stood', () => {
    const w = watch(3000);
    const a = new Walker(1);
    const b = new Walker(2);
    let fired: number[] = [];
    for (let t = 0; t <= 1400; t += 200) w.update(t, [a.at(t, [150, 150])]);
    // Track 1 ends; track 2 appears at the same spot 600 ms later.
    for (let t = 1600; t < 2000; t += 200) w.update(t, []);
    for (let t = 2000; t <= 4000; t += 200) if (w.update(t, [b.at(t, [152, 151])]).fired.length) fired.push(t);
    assert.deepEqual(fired, [3000]);
    // Fired visits stay fired under the new track.
    fired = [];
    for (let t = 4200; t <= 6000; t += 200) if (w.update(t, [b.at(t, [152, 151])]).fired.length) fired.push(t);
    assert.deepEqual(fired, []);
  });

  it('dates a track that split off a visitor\'s blob back to that visit, and no other track', () => {
    // vtest: a pair walking one behind the other onto the lawn was one blob for 2 s; the one who came
    // out of it was timed from the split and fired 2.7 s after the truth.
    const w = watch(2000);
    const pair = new Walker(1);
    const split = new Walker(2);
    const apart = new Walker(3);
    const fired = new Map<number, number>();
    for (let t = 0; t <= 4000; t += 200) {
      const objs = [pair.at(t, [110 + t / 100, 150])]; // in from t = 0
      if (t >= 1400) objs.push(split.at(t, [118 + t / 100, 146])); // born beside the pair's foot, inside
      if (t >= 1400) objs.push(apart.at(t, [190, 190])); // born inside too, but far from anyone
      for (const v of w.update(t, objs).fired) fired.set(v.trackId, t);
    }
    assert.deepEqual([...fired.entries()].sort((a, b) => a[0] - b[0]), [[1, 2000], [2, 2000], [3, 3400]]);
  });

  it('does not raise again for someone reported who is found again under a new track while the old one is lost', () => {
    // intrusion seed 104: a person standing on the lawn (reported) lost their track for a moment; a new
    // track was born at their foot while the old one was still kept as lost, and took their visit's
    // entry time as a split-off would: a second intrusion at once.
    const run = (oldDetected: boolean) => {
      const w = watch(2000);
      const a = new Walker(1);
      const b = new Walker(2);
      const fired: [number, number][] = [];
      for (let t = 0; t <= 5000; t += 200) {
        const objects: VisitObject[] = [a.at(t, [150, 150], t >= 3000 && !oldDetected ? 1 : 0)];
        if (t >= 3000) objects.push(b.at(t, [152, 150]));
        for (const v of w.update(t, objects).fired) fired.push([t, v.trackId]);
      }
      return fired;
    };
    assert.deepEqual(run(false), [[2000, 1]]);
    // Both detected: someone who walked in behind them and stepped out of their blob, reported at once.
    assert.deepEqual(run(true), [[2000, 1], [3000, 2]]);
  });

  it('does not raise again for someone reported whose track a passer-by took over where they met', () => {
    // intrusion seed 103: a walker crossing the lawn met someone standing there (already reported),
    // whose track was lost in the merged blob; the one who had stood walked on under the passer-by's id.
    const run = (meetAt: Point) => {
      const w = watch(2000);
      const stander = new Walker(1);
      const passer = new Walker(2);
      const fired: [number, number][] = [];
      for (let t = 0; t <= 9000; t += 200) {
        const objects: VisitObject[] = [];
        if (t <= 3600) objects.push(stander.at(t, [150, 150])); // reported at 2000, lost at 3600
        // The passer-by enters at 2400 and reaches the meeting spot at 3600; from there the track follows whoever walks on.
        if (t >= 2400) objects.push(passer.at(t, t <= 3600 ? [100 + ((t - 2400) / 1200) * (meetAt[0] - 100), meetAt[1]] : [meetAt[0], meetAt[1] + (t - 3600) / 100]));
        for (const v of w.update(t, objects).fired) fired.push([t, v.trackId]);
      }
      return fired;
    };
    assert.deepEqual(run([150, 150]), [[2000, 1]], 'through the spot: one intrusion');
    // Two people apart: the passer-by, staying 2 s in the zone well away from the lost one, is reported.
    assert.deepEqual(run([120, 110]), [[2000, 1], [4400, 2]]);
  });

  it('raises only for watched kinds, and not from a lost track\'s predicted box', () => {
    const w = watch(1000);
    const car = new Walker(1, 'car');
    const ghost = new Walker(2);
    let n = 0;
    for (let t = 0; t <= 3000; t += 200) n += w.update(t, [car.at(t, [150, 150]), ghost.at(t, [150, 160], t > 0 ? 1 : 0)]).fired.length;
    assert.equal(n, 0);
  });

  it('starts no visit before the active hours opened, and forgets every visit on clear()', () => {
    const w = watch(2000);
    const a = new Walker(1);
    for (let t = 0; t <= 1000; t += 200) a.history.push({ t, foot: [150, 150] });
    const u = w.update(1200, [a.at(1200, [150, 150])], 1100);
    assert.equal(u.started[0]!.enteredMs, 1100);
    assert.equal(w.clear().length, 1);
    assert.equal(w.visits.length, 0);
  });

  it('raises nothing for a foot hovering on the edge, but dates a visit that goes deep from its first step in', () => {
    // vtest, 71.7 s: a man standing on the path beside the lawn had his foot point 1–2 px over its
    // edge for 5 s and made an intrusion. Ground: 10 px to the metre, so the rule asks for 3 px in.
    const depthM = zoneDepth(ZONE, (p) => [p[0] / 10, p[1] / 10], 1000, 1000);
    const w = new ZoneWatch({ polygon: ZONE, dwellMs: 2000, leaveMs: 1000, accepts: () => true, depthM, minDepthM: 0.3 });
    const edge = new Walker(1);
    const walker = new Walker(2);
    const fired = new Map<number, number>();
    for (let t = 0; t <= 6000; t += 200) {
      const wobble = (t / 200) % 3 === 0 ? -1 : 1; // 1 px in, 1 px in, 1 px out...
      const x = Math.min(150, 95 + t / 40); // on the edge at t = 200 (inside), stops at 150
      for (const v of w.update(t, [edge.at(t, [100 + wobble, 150]), walker.at(t, [x, 150])]).fired) fired.set(v.trackId, t);
    }
    assert.deepEqual([...fired.entries()], [[2, 2200]]);
  });

  it('waits for a visit along the edge to go deep, and keeps the visit\'s start', () => {
    const depthM = zoneDepth(ZONE, (p) => [p[0] / 10, p[1] / 10], 1000, 1000);
    const w = new ZoneWatch({ polygon: ZONE, dwellMs: 1000, leaveMs: 1000, accepts: () => true, depthM, minDepthM: 0.3 });
    const a = new Walker(1);
    const fired: number[] = [];
    let entered = NaN;
    for (let t = 0; t <= 5000; t += 200) {
      const x = t < 3000 ? 101 : 110; // 1 px inside for 3 s, then 1 m in
      const u = w.update(t, [a.at(t, [x, 150])]);
      if (u.started.length) entered = u.started[0]!.enteredMs;
      if (u.fired.length) fired.push(t);
    }
    assert.equal(entered, 0);
    // The median over the last second crosses 0.3 m when most of its samples are 1 m in.
    assert.deepEqual(fired, [3400]);
  });
});

describe('zoneDepth', () => {
  it('measures metres to the zone\'s edges, positive inside, leaving out edges on the frame\'s border', () => {
    // A zone down to the frame's bottom edge (y = 200 on a 300 × 200 frame); 1 px = 0.1 m.
    const zone: Point[] = [[100, 100], [200, 100], [200, 200], [100, 200]];
    const depth = zoneDepth(zone, (p) => [p[0] / 10, p[1] / 10], 300, 200);
    assert.ok(Math.abs(depth([150, 110])! - 1) < 1e-9); // 10 px below the top edge
    assert.ok(Math.abs(depth([150, 199])! - 5) < 1e-9); // on the frame's edge, 50 px from the sides
    assert.ok(Math.abs(depth([95, 150])! + 0.5) < 1e-9); // outside, 5 px left of the zone
    assert.equal(zoneDepth(zone, () => undefined, 300, 200)([150, 150]), undefined);
  });
});

