import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Point, TrackedObject } from '../sdk/index.js';
import { SightingTally, type Counted } from './tally.js';

/** A reported object: track `id` of `kind`, its foot at `foot` (pixels), on the ground at `ground` moving at `velocity`. */
function obj(id: number, kind: string, t: number, foot: Point, ground?: [number, number], velocity?: { vx: number; vz: number }): TrackedObject {
  return {
    id, kind, confirmed: true, foot, box: { x: foot[0] - 5, y: foot[1] - 30, w: 10, h: 30 }, view: 'whole',
    ...(ground ? { ground } : {}), ...(velocity ? { velocity } : {}),
    history: [{ t, foot, ...(ground ? { ground } : {}), view: 'whole' }], firstSeenMs: t, lastSeenMs: t, missed: 0, stationaryMs: 0,
  };
}

/** Plays `frames` (one list of reported objects per 200 ms frame; every reported id is live) and collects what is counted. */
function play(tally: SightingTally, frames: ((t: number) => TrackedObject[])[], live?: (t: number) => number[]): Counted[] {
  const out: Counted[] = [];
  frames.forEach((f, i) => {
    const t = 1_000_000 + i * 200;
    const objects = f(t);
    out.push(...tally.update(t, objects, new Set(live?.(t) ?? objects.map((o) => o.id))));
  });
  return out;
}

const opts = { minSeenMs: 1000, settleMs: 2000, zones: [] };
const frames = (n: number, f: (t: number, i: number) => TrackedObject[]) => Array.from({ length: n }, (_, i) => (t: number) => f(t, i));

describe('SightingTally', () => {
  it('counts an object once, settleMs after it was first seen, with the kind it has then, at the time it was first seen', () => {
    const tally = new SightingTally(opts);
    // A vehicle first voted a motorbike, a car from its 4th frame on, seen for 5 s.
    const got = play(tally, frames(25, (t, i) => [obj(7, i < 4 ? 'motorbike' : 'car', t, [100, 100 + i])]));
    assert.deepEqual(got, [{ cls: 'car', trackId: 7, at: 1_000_000 }]);
  });

  it('counts an object that leaves before settling as it leaves, and a flicker shorter than minSeenMs never', () => {
    const tally = new SightingTally(opts);
    // Track 1 seen for 1.2 s then gone; track 2 (a shadow) for 0.6 s.
    const got = play(tally, frames(15, (t, i) => [...(i < 7 ? [obj(1, 'person', t, [50, 50])] : []), ...(i < 3 ? [obj(2, 'person', t, [200, 90])] : [])]));
    assert.deepEqual(got, [{ cls: 'person', trackId: 1, at: 1_000_000 }]);
    assert.equal(tally.size, 0, 'ended tracks are forgotten');
  });

  it('does not end an object the tracker still holds but does not report (lost for a moment, or its size off)', () => {
    const tally = new SightingTally(opts);
    // Reported 0.8 s, held but unreported 1 s, reported again 0.6 s: one object, counted once, after 1 s seen in all.
    const seen = (i: number) => i < 4 || (i >= 9 && i < 12);
    const got = play(tally, frames(20, (t, i) => (seen(i) ? [obj(3, 'person', t, [80, 80])] : [])), (t) => (t < 1_000_000 + 12 * 200 ? [3] : []));
    assert.deepEqual(got, [{ cls: 'person', trackId: 3, at: 1_000_000 }]);
  });

  it('counts only objects whose foot has been inside a zone for minSeenMs', () => {
    const zone: Point[] = [[0, 0], [100.5, 0], [100.5, 100], [0, 100]];
    const tally = new SightingTally({ ...opts, zones: [zone] });
    const got = play(tally, frames(30, (t, i) => [
      obj(1, 'person', t, [150, 50]), // always outside
      obj(2, 'car', t, [50 + i * 10, 50]), // inside for frames 0–5 (1.2 s), then out: counted
      obj(3, 'person', t, [95 + i, 50]), // inside for frames 0–5 as well, then lingers just outside
      obj(4, 'bus', t, [99 + i * 2, 50]), // inside for one frame: 0 ms
    ]));
    assert.deepEqual(got.map((c) => [c.trackId, c.cls]).sort(), [[2, 'car'], [3, 'person']]);
  });

  it('does not count again a person who is lost behind a vehicle and found under a new track id', () => {
    const tally = new SightingTally(opts);
    const walk = { vx: 1.2, vz: 0 };
    // Track 5 walks 3 s (counted at 2 s), is hidden 1 s, and track 9 carries on where it would be by then.
    const got = play(tally, frames(40, (t, i) => {
      const x = 1.2 * i * 0.2;
      if (i < 15) return [obj(5, 'person', t, [100 + i * 4, 100], [x, 12], walk)];
      if (i < 20) return [];
      return [obj(9, 'person', t, [100 + i * 4, 100], [x, 12], walk)];
    }));
    assert.deepEqual(got, [{ cls: 'person', trackId: 5, at: 1_000_000 }]);
  });

  it('carries a person on whatever their pace or heading: one who slows behind a van and steps out beside it', () => {
    const tally = new SightingTally(opts);
    // Track 5 strolls at 0.6 m/s for 3 s (counted), is hidden 1.6 s, and track 9 shows 1.5 m to the side, walking on.
    const got = play(tally, frames(40, (t, i) => {
      if (i < 15) return [obj(5, 'person', t, [100 + i, 100], [0.6 * i * 0.2, 12], { vx: 0.6, vz: 0 })];
      if (i < 23) return [];
      return [obj(9, 'person', t, [120 + i, 100], [1.8 + 0.6 * (i - 23) * 0.2, 13.5], { vx: 0.6, vz: 0.1 })];
    }));
    assert.deepEqual(got, [{ cls: 'person', trackId: 5, at: 1_000_000 }]);
  });

  it('carries a person on to a track born while the lost one still coasts on its prediction', () => {
    const tally = new SightingTally(opts);
    const walk = { vx: 1.2, vz: 0 };
    // Track 5 walks 3 s (counted) and then is only predicted (missed) for 1.4 s while the tracker holds it;
    // track 9 is born 0.4 s after 5's last detection, where the walker is, and walks on.
    const got = play(tally, frames(40, (t, i) => {
      const x = 1.2 * i * 0.2;
      const out: TrackedObject[] = [];
      if (i < 22) out.push({ ...obj(5, 'person', t, [100 + i * 4, 100], [x, 12], walk), missed: Math.max(0, i - 14) });
      if (i >= 17) out.push({ ...obj(9, 'person', t, [100 + i * 4, 100], [x, 12], walk), history: [{ t: 1_000_000 + 17 * 200, foot: [168, 100], ground: [1.2 * 17 * 0.2, 12], view: 'whole' }] });
      return out;
    }));
    assert.deepEqual(got, [{ cls: 'person', trackId: 5, at: 1_000_000 }]);
  });

  it('ends a person where their track leaps onto a passing vehicle, and carries them on to the track that finds them again', () => {
    const tally = new SightingTally(opts);
    const walk = { vx: -1, vz: 0 };
    // Track 5 walks 3 s at Z 19 (counted); then a motorbike's blob takes the track along, its foot
    // 2 m nearer every frame (10 m/s) and its kind a motorbike's. Track 9 is born where the walker is,
    // 0.6 s after 5's last step with them, and walks on.
    const got = play(tally, frames(40, (t, i) => {
      const x = -i * 0.2;
      const out: TrackedObject[] = [];
      if (i < 15) out.push(obj(5, 'person', t, [300 - i * 4, 100], [x, 19], walk));
      else if (i < 25) out.push(obj(5, i === 15 ? 'person' : 'motorbike', t, [300 - i * 4, 100 + (i - 14) * 20], [-2.8, 19 - 2 * (i - 14)], { vx: 0, vz: -10 }));
      if (i >= 17) out.push({ ...obj(9, 'person', t, [300 - i * 4, 100], [x, 19], walk), history: [{ t: 1_000_000 + 17 * 200, foot: [232, 100], ground: [-17 * 0.2, 19], view: 'whole' }] });
      return out;
    }));
    assert.deepEqual(got, [{ cls: 'person', trackId: 5, at: 1_000_000 }]);
  });

  it('keeps a person whose foot jumps far and back for one frame (legs lost in the distance)', () => {
    const tally = new SightingTally(opts);
    const got = play(tally, frames(25, (t, i) => [obj(3, 'person', t, [100, 60], [-9, 28 - 0.1 * i + (i === 8 ? 1.5 : 0)], { vx: 0, vz: -0.5 })]));
    assert.deepEqual(got, [{ cls: 'person', trackId: 3, at: 1_000_000 }]);
  });

  it('takes only the time a person is seen whole: one walking in by the frame\'s side is counted once whole long enough', () => {
    const tally = new SightingTally(opts);
    // Track 2 is cut by the frame's edge for 2 s, then whole for 0.6 s, then cut again as it leaves.
    const seen = play(tally, frames(20, (t, i) => [{ ...obj(2, 'person', t, [630, 100]), view: i >= 10 && i < 13 ? 'whole' as const : 'cut' as const }]), (t) => (t < 1_000_000 + 18 * 200 ? [2] : []));
    assert.deepEqual(seen, []);
    // Track 4 is whole for 1.2 s: counted.
    const whole = play(new SightingTally(opts), frames(20, (t, i) => [{ ...obj(4, 'person', t, [630, 100]), view: i >= 10 && i < 16 ? 'whole' as const : 'cut' as const }]), (t) => (t < 1_000_000 + 18 * 200 ? [4] : []));
    assert.deepEqual(whole.map((c) => c.trackId), [4]);
    // A bus's roof cut by the top edge: its foot is in view, the time counts.
    const bus = play(new SightingTally(opts), frames(20, (t, i) => [{ ...obj(6, 'bus', t, [300, 100]), view: i < 16 ? 'top' as const : 'whole' as const }]), (t) => (t < 1_000_000 + 18 * 200 ? [6] : []));
    assert.deepEqual(bus.map((c) => c.trackId), [6]);
  });

  it('counts two people where one track ends and another starts beside it when they walk opposite ways, or the first walked out of the frame', () => {
    const tally = new SightingTally({ ...opts, frame: { width: 640, height: 360 } });
    const got = play(tally, frames(60, (t, i) => {
      const out: TrackedObject[] = [];
      // Track 1 walks +X 3 s and is lost; track 2 appears 0.6 s later 1 m on, walking −X (another person).
      if (i < 15) out.push(obj(1, 'person', t, [100 + i * 4, 100], [1.2 * i * 0.2, 12], { vx: 1.2, vz: 0 }));
      if (i >= 18 && i < 40) out.push(obj(2, 'person', t, [170 - (i - 18) * 4, 100], [4.6 - 1.2 * (i - 18) * 0.2, 12], { vx: -1.2, vz: 0 }));
      // Track 3 walks off the left edge; track 4 comes in there 0.6 s later, the same way.
      if (i < 15) out.push({ ...obj(3, 'person', t, [30 - i * 2, 300], [-8 - 1.2 * i * 0.2, 9], { vx: -1.2, vz: 0 }), box: { x: Math.max(0, 25 - i * 2), y: 250, w: 10, h: 50 } });
      if (i >= 18 && i < 40) out.push({ ...obj(4, 'person', t, [6, 300], [-11.5, 9], { vx: -0.6, vz: 0 }), box: { x: 1, y: 250, w: 10, h: 50 } });
      return out;
    }));
    assert.deepEqual(got.map((c) => c.trackId).sort(), [1, 2, 3, 4]);
  });

  it('counts a new track that starts somewhere else, and one of another family where a track ended', () => {
    const tally = new SightingTally(opts);
    const got = play(tally, frames(40, (t, i) => {
      if (i < 15) return [obj(5, 'car', t, [100, 100], [1.75, 10 + i], { vx: 0, vz: 5 })];
      if (i < 20) return [];
      // Where the car would be by then (Z = 10 + 19·1 m) a person steps out; far away, another car.
      return [obj(6, 'person', t, [100, 100], [1.75, 10 + 19 + (i - 19) * 0.2], { vx: 0, vz: 1 }), obj(7, 'car', t, [300, 100], [-1.75, 40 - (i - 19)], { vx: 0, vz: -5 })];
    }));
    assert.deepEqual(got.map((c) => [c.trackId, c.cls]), [[5, 'car'], [6, 'person'], [7, 'car']]);
  });

  it('takes the time inside along the track from before it was reported, and times the sighting from there', () => {
    const zone: Point[] = [[0, 0], [100, 0], [100, 100], [0, 100]];
    const tally = new SightingTally({ ...opts, zones: [zone] });
    // First reported at frame 10 (a bus whose roof was cut by the frame until then): its history shows
    // it inside since frame 3; it leaves the zone as it is reported and the track ends at frame 14.
    const got = play(tally, frames(16, (t, i) => {
      if (i < 10 || i >= 14) return [];
      const o = obj(4, 'bus', t, [50, 120]);
      const history = Array.from({ length: i + 1 }, (_, k) => ({ t: 1_000_000 + k * 200, foot: [50, k < 3 ? 150 : k < 10 ? 50 : 120] as Point, view: 'whole' as const }));
      return [{ ...o, history }];
    }), (t) => (t < 1_000_000 + 14 * 200 ? [4] : []));
    assert.deepEqual(got, [{ cls: 'bus', trackId: 4, at: 1_000_000 + 3 * 200 }]);
  });

  it('does not take a lost track\'s predicted frames for time seen', () => {
    const tally = new SightingTally(opts);
    // Detected for 0.6 s, then reported on its prediction (missed > 0) for 1 s more before the tracker drops it.
    const got = play(tally, frames(15, (t, i) => (i < 9 ? [{ ...obj(2, 'person', t, [60, 60]), missed: Math.max(0, i - 3) }] : [])));
    assert.deepEqual(got, []);
  });

  it('flush counts what qualified and is not counted yet, once', () => {
    const tally = new SightingTally(opts);
    play(tally, frames(7, (t) => [obj(1, 'truck', t, [50, 50]), obj(2, 'person', t, [90, 50])]));
    assert.deepEqual(tally.flush().map((c) => c.cls).sort(), ['person', 'truck']);
    assert.deepEqual(tally.flush(), []);
  });
});
