import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../core/errors.js';
import { CHI2_95_4DOF } from './kalman.js';
import { Tracker, iou, type Track } from './tracker.js';
import type { ObjectDetection } from './types.js';
import { prng } from '../../../core/testing/prng.js';

/** A detection centred on (cx, cy). */
const det = (cx: number, cy: number, w = 40, h = 30, score = 0.9, label?: string): ObjectDetection => ({
  box: { x: cx - w / 2, y: cy - h / 2, w, h },
  score,
  ...(label === undefined ? {} : { label }),
});

/** Deterministic noise in [-0.5, 0.5), so a failure replays. */
function noise(seed: number): () => number {
  const next = prng(seed);
  return () => next() - 0.5;
}

const cx = (t: Track) => t.box.x + t.box.w / 2;
const ids = (tracks: readonly Track[]) => tracks.map((t) => t.id);
const confirmed = (tracks: readonly Track[]) => tracks.filter((t) => t.state === 'confirmed');

describe('Tracker', () => {
  it('keeps one id for an object moving in a straight line, with noisy boxes', () => {
    const tracker = new Tracker();
    const rnd = noise(1);
    const seen = new Set<number>();
    let tracks: readonly Track[] = [];
    for (let f = 0; f < 40; f++) {
      const t = f * 200; // 5 fps
      tracks = tracker.update([det(50 + 0.06 * t + 3 * rnd(), 100 + 0.02 * t + 3 * rnd(), 40 + 2 * rnd(), 30 + 2 * rnd())], t);
      for (const tr of tracks) seen.add(tr.id);
      assert.equal(tracks[0]!.state, f < 2 ? 'tentative' : 'confirmed', `frame ${f}`);
    }
    assert.deepEqual([...seen], [1]);
    assert.equal(tracks[0]!.hits, 40);
    assert.equal(tracks[0]!.age, 40);
    assert.ok(Math.abs(tracks[0]!.velocity.x - 60) < 6, `vx ${tracks[0]!.velocity.x} ≈ 60 px/s`);
    assert.ok(Math.abs(tracks[0]!.velocity.y - 20) < 6, `vy ${tracks[0]!.velocity.y} ≈ 20 px/s`);
  });

  it('reports the matched detection as it was detected beside the filtered box, which lags a change of size', () => {
    const tracker = new Tracker();
    for (let f = 0; f < 10; f++) tracker.update([det(100, 100, 80, 60)], f * 100);
    // The blob shrinks to a third of its width at once (a merged pair comes apart).
    const shrunk = det(100, 100, 26, 60);
    const [t] = tracker.update([shrunk], 1000);
    assert.deepEqual(t!.detected, shrunk.box);
    assert.ok(t!.box.w > 30, `the filtered box still lags: ${t!.box.w}`);
  });

  it('keeps the ids of two objects whose paths cross (motion prediction resolves the swap)', () => {
    // A goes right, B goes left, 100 px/s each at 5 fps (20 px a frame), 6 px apart vertically:
    // they overlap for several frames around t = 1500 ms.
    const path = (t: number) => [det(100 + 0.1 * t, 100), det(400 - 0.1 * t, 106)];
    /** Follows the track on A just before the crossing; returns where it ends and all ids seen. */
    const cross = (tracker: Tracker) => {
      const seen = new Set<number>();
      let onA = 0;
      for (let f = 0; f <= 30; f++) {
        const tracks = tracker.update(path(f * 200), f * 200);
        for (const t of tracks) seen.add(t.id);
        if (f === 6) onA = tracks.reduce((l, t) => (cx(t) < cx(l) ? t : l)).id;
      }
      const end = tracker.tracks.find((t) => t.id === onA)!;
      return { onA, endX: cx(end), vx: end.velocity.x, seen: [...seen] };
    };
    const tracked = cross(new Tracker());
    assert.deepEqual(tracked.seen, [1, 2]);
    assert.equal(tracked.onA, 1);
    assert.ok(tracked.endX > 650 && tracked.vx > 90, `track 1 ends on the right, moving right (${tracked.endX}, ${tracked.vx})`);

    // Control: a filter that cannot learn motion lags behind both objects and swaps them at the crossing.
    const still = new Tracker({ noise: { measurement: 1 / 20, position: 0.3, velocity: 0, initialVelocity: 0 }, minIouTentative: 0.2 });
    const swapped = cross(still);
    assert.ok(swapped.endX < -150, `without motion, the track on A ends on B's side (${swapped.endX})`);
  });

  it('keeps the id through a short occlusion and gives a new object elsewhere a new id', () => {
    const tracker = new Tracker();
    let tracks: readonly Track[] = [];
    const pos = (t: number) => 100 + 0.1 * t; // 100 px/s
    for (let f = 0; f < 10; f++) tracks = tracker.update([det(pos(f * 200), 200)], f * 200);
    assert.deepEqual(ids(confirmed(tracks)), [1]);
    // Hidden for 4 frames (800 ms < maxLostMs): lost, coasting along the predicted path.
    for (let f = 10; f < 14; f++) {
      tracks = tracker.update([], f * 200);
      assert.equal(tracks[0]!.state, 'lost');
      assert.equal(tracks[0]!.missed, f - 9);
      assert.ok(Math.abs(cx(tracks[0]!) - pos(f * 200)) < 8, `coasting at ${cx(tracks[0]!)}, truth ${pos(f * 200)}`);
    }
    // It reappears where it should be; a second object appears far away at the same moment.
    tracks = tracker.update([det(pos(14 * 200), 200), det(500, 50)], 14 * 200);
    assert.deepEqual(
      tracks.map((t) => [t.id, t.state]),
      [
        [1, 'confirmed'],
        [2, 'tentative'],
      ],
    );
    assert.equal(tracks[1]!.box.y, 35);
  });

  it('removes a track lost for longer than maxLostMs, and never reuses its id', () => {
    const tracker = new Tracker({ maxLostMs: 500 });
    for (let f = 0; f < 5; f++) tracker.update([det(100, 100)], f * 100);
    tracker.update([], 700); // 300 ms since the last match: lost
    assert.equal(tracker.tracks[0]!.state, 'lost');
    tracker.update([], 1000); // 600 ms: removed
    assert.deepEqual(ids(tracker.tracks), []);
    assert.deepEqual(ids(tracker.removed), [1]);
    const tracks = tracker.update([det(100, 100)], 1100);
    assert.deepEqual(ids(tracks), [2]);
    assert.deepEqual(tracker.removed, []);
  });

  it('lets a low-score detection keep a track alive (second pass) but never start one', () => {
    const run = (lowThreshold: number) => {
      const tracker = new Tracker({ lowThreshold });
      for (let f = 0; f < 5; f++) tracker.update([det(100 + 10 * f, 100)], f * 200);
      const states: string[] = [];
      // Occluded for 6 frames: the box shrinks to its visible part and the score drops to 0.3;
      // meanwhile a weak blob of clutter flickers elsewhere.
      for (let f = 5; f < 11; f++) {
        const tracks = tracker.update([det(100 + 10 * f - 4, 100, 32, 30, 0.3), det(400, 300, 40, 30, 0.3)], f * 200);
        states.push(tracks.map((t) => `${t.id}:${t.state}`).join(' '));
      }
      return { states, tracker };
    };
    const withSecondPass = run(0.1);
    assert.deepEqual(withSecondPass.states, Array(6).fill('1:confirmed'));
    assert.equal(withSecondPass.tracker.tracks[0]!.hits, 11);
    assert.equal(withSecondPass.tracker.tracks[0]!.score, 0.3);
    // Control: when those detections are below lowThreshold the track is lost and then removed.
    const without = run(0.5);
    assert.deepEqual(without.states.slice(0, 2), ['1:lost', '1:lost']);
    assert.deepEqual(without.states.at(-1), '');
  });

  it('does not revive a lost track from a low-score detection (ByteTrack keeps lost tracks out of the second pass)', () => {
    const tracker = new Tracker();
    for (let f = 0; f < 5; f++) tracker.update([det(100, 100)], f * 200);
    tracker.update([], 1000);
    assert.equal(tracker.update([det(100, 100, 40, 30, 0.3)], 1200)[0]!.state, 'lost');
    assert.equal(tracker.update([det(100, 100)], 1400)[0]!.state, 'confirmed');
  });

  it('drops tentative tracks that never confirm', () => {
    const tracker = new Tracker({ minHits: 3 });
    tracker.update([det(100, 100), det(300, 300)], 0);
    tracker.update([det(100, 100), det(300, 300)], 200);
    const tracks = tracker.update([det(100, 100)], 400); // the second one vanished after 2 hits
    assert.deepEqual(
      tracks.map((t) => [t.id, t.state]),
      [[1, 'confirmed']],
    );
    assert.deepEqual(
      tracker.removed.map((t) => [t.id, t.state, t.hits]),
      [[2, 'tentative', 2]],
    );
    // A one-frame flicker never shows up as confirmed, and takes a fresh id.
    assert.deepEqual(ids(tracker.update([det(100, 100), det(500, 100)], 600)), [1, 3]);
    assert.deepEqual(ids(tracker.update([det(100, 100)], 800)), [1]);
  });

  it('labels a track by majority vote over its matched detections', () => {
    const tracker = new Tracker();
    const labels = ['car', undefined, 'truck', 'car', 'truck', 'car', 'bus'];
    const seen: Array<string | undefined> = [];
    labels.forEach((label, f) => seen.push(tracker.update([det(100, 100, 40, 30, 0.9, label)], f * 200)[0]!.label));
    assert.deepEqual(seen, ['car', 'car', 'truck', 'car', 'truck', 'car', 'car']); // ties go to the latest
    assert.equal(new Tracker().update([det(1, 1)], 0)[0]!.label, undefined);
  });

  it('uses the clock, not the frame count: irregular intervals give px/s', () => {
    const tracker = new Tracker();
    const gaps = [100, 300, 50, 400, 200, 150, 600, 100, 250, 300, 200, 100, 500, 200];
    let t = 0;
    let tracks: readonly Track[] = tracker.update([det(50, 80)], 0);
    for (const gap of gaps) {
      t += gap;
      tracks = tracker.update([det(50 + 0.08 * t, 80 - 0.03 * t)], t); // 80 px/s right, 30 px/s up
    }
    const [tr] = tracks;
    assert.equal(tr!.id, 1);
    assert.ok(Math.abs(tr!.velocity.x - 80) < 4, `vx ${tr!.velocity.x}`);
    assert.ok(Math.abs(tr!.velocity.y + 30) < 2, `vy ${tr!.velocity.y}`);
    // A repeated or older timestamp advances nothing.
    const before = { ...tr!.box };
    tracker.update([], t);
    assert.deepEqual(tracker.tracks[0]!.box, before);
  });

  it('records a bounded history of bottom-centre points with times', () => {
    const tracker = new Tracker({ historyLength: 4 });
    for (let f = 0; f < 6; f++) tracker.update([det(100, 100 + f)], f * 200);
    tracker.update([], 1200); // coasting adds nothing
    const { history, box } = tracker.tracks[0]!;
    assert.deepEqual(
      history.map((p) => p.t),
      [400, 600, 800, 1000],
    );
    const [x, y] = history.at(-1)!.point;
    assert.ok(Math.abs(x - 100) < 1e-6 && Math.abs(y - 120) < 1, `bottom-centre ${x},${y}`);
    assert.ok(box.y + box.h > y, 'the coasting box moved on past the last recorded point');
  });

  it('with iouBuffer, follows an object that moves more than its width per frame', () => {
    // A 20 px motorbike at 120 px/s seen at 5 fps jumps 24 px per frame: plain IoU never overlaps.
    const run = (iouBuffer: number) => {
      const tracker = new Tracker({ iouBuffer });
      const seen = new Set<number>();
      for (let f = 0; f < 15; f++) for (const t of tracker.update([det(50 + 24 * f, 100, 20, 20)], f * 200)) seen.add(t.id);
      return { seen: seen.size, confirmed: confirmed(tracker.tracks).length };
    };
    assert.deepEqual(run(0), { seen: 15, confirmed: 0 });
    assert.deepEqual(run(0.75), { seen: 1, confirmed: 1 });
  });

  it('with maxMahalanobis, refuses a pair the filter finds implausible even when the IoU passes', () => {
    const run = (maxMahalanobis: number) => {
      const tracker = new Tracker({ maxMahalanobis });
      for (let f = 0; f < 10; f++) tracker.update([det(100, 100)], f * 200);
      // Same centre, twice the size (IoU 0.25): a merge of blobs rather than the same car.
      return tracker.update([det(100, 100, 80, 60)], 2000).map((t) => `${t.id}:${t.state}`);
    };
    assert.deepEqual(run(Infinity), ['1:confirmed']);
    assert.deepEqual(run(CHI2_95_4DOF), ['1:lost', '2:tentative']);
  });

  it('ignores detections with a broken box', () => {
    const tracker = new Tracker();
    const broken = [NaN, Infinity, 0, -5].map((w) => ({ box: { x: 10, y: 10, w, h: 10 }, score: 0.9 }));
    assert.deepEqual(tracker.update([...broken, { box: { x: NaN, y: 0, w: 5, h: 5 }, score: 0.9 }, det(100, 100)], 0).length, 1);
    assert.ok(Number.isFinite(tracker.tracks[0]!.box.x));
  });

  it('rejects bad options with the key named', () => {
    const bad: Array<[object, RegExp]> = [
      [{ highThreshold: 1.5 }, /^tracker\.highThreshold: must be in \[0, 1\] \(got 1.5\)$/],
      [{ lowThreshold: 0.6 }, /^tracker\.lowThreshold: must be in \[0, highThreshold\]/],
      [{ minIou: 0 }, /^tracker\.minIou: must be in \(0, 1\]/],
      [{ minHits: 1.5 }, /^tracker\.minHits: must be an integer ≥ 1/],
      [{ maxLostMs: -1 }, /^tracker\.maxLostMs: must be ≥ 0/],
      [{ historyLength: 0 }, /^tracker\.historyLength: must be an integer ≥ 1/],
      [{ iouBuffer: -0.1 }, /^tracker\.iouBuffer: must be ≥ 0/],
      [{ maxMahalanobis: 0 }, /^tracker\.maxMahalanobis: must be positive/],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => new Tracker(options),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    }
  });
});

describe('iou', () => {
  it('is 1 for equal boxes, 0 for disjoint ones, and grows with a buffer', () => {
    const a = { x: 0, y: 0, w: 10, h: 10 };
    assert.equal(iou(a, a), 1);
    assert.equal(iou(a, { x: 10, y: 0, w: 10, h: 10 }), 0);
    assert.equal(iou(a, { x: 5, y: 0, w: 10, h: 10 }), 50 / 150);
    assert.ok(iou(a, { x: 12, y: 0, w: 10, h: 10 }, 0.5) > 0);
  });
});
