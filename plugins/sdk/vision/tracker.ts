/**
 * Multi-object tracker: SORT's Kalman + Hungarian loop with ByteTrack's association order
 * (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV 2022).
 *
 * Each `update(detections, timeMs)`:
 *   1. predicts every track to timeMs (dt from the clock, not a frame count: frames may be skipped);
 *   2. matches confirmed and lost tracks to the high-score detections (score ≥ highThreshold);
 *   3. matches the confirmed tracks still unmatched to the low-score detections
 *      (lowThreshold ≤ score < highThreshold) — an occluded object's weak box keeps its track;
 *      lost tracks are left out, so clutter cannot revive them (ByteTrack does the same);
 *   4. matches the tentative tracks to the high-score detections left;
 *   5. starts a tentative track for each high-score detection still left (low ones never start one);
 *   6. marks unmatched confirmed tracks lost, removes those lost for more than maxLostMs, and
 *      removes unmatched tentative tracks (ByteTrack drops an unconfirmed track at its first miss).
 *
 * Gating and cost: IoU, as ByteTrack. Cost = 1 − IoU between the track's predicted box and the
 * detection; a pair below the pass's IoU floor is forbidden (it is the Hungarian cost limit). IoU is
 * scale-free and needs no calibrated noise, which blob boxes (noisy sizes, merges) lack. Two knobs
 * for low frame rates, both off by default: `iouBuffer` widens both boxes before the IoU (C-BIoU,
 * Yang et al. 2023) so a fast object whose velocity is not learnt yet still overlaps its track, and
 * `maxMahalanobis` additionally forbids pairs the Kalman filter finds implausible (DeepSORT's gate).
 */
import { ConfigError } from '../../../core/errors.js';
import { linearAssignment } from './hungarian.js';
import { BoxKalman, DEFAULT_KALMAN_NOISE, type KalmanNoise } from './kalman.js';
import type { Point } from '../types.js';
import type { Box, ObjectDetection } from './types.js';

/** Where a track is in its life: tentative until minHits matches, lost while unmatched (at most maxLostMs). */
export type TrackState = 'tentative' | 'confirmed' | 'lost';

/**
 * A bottom-centre point of a track's filtered box (the ground contact, for line crossing), with its
 * time. Same shape as homography's TrackSample, so `speedKmh(plane, track.history)` works as is.
 */
export interface TrackPoint {
  /** Time, ms (the tracker's clock). */
  t: number;
  /** Pixels, [x, y]. */
  point: Point;
}

/** One tracked object, as `Tracker.update` reports it (the same object is updated frame after frame). */
export interface Track {
  /** Unique within the tracker, increasing, never reused. */
  readonly id: number;
  readonly state: TrackState;
  /** The Kalman-filtered box (the prediction while lost). */
  readonly box: Box;
  /** Velocity of the box centre, px/s. */
  readonly velocity: { x: number; y: number };
  /** Detections matched so far. */
  readonly hits: number;
  /** Frames since the track started (1 on its first frame). */
  readonly age: number;
  /** Consecutive frames without a match (0 when matched this frame). */
  readonly missed: number;
  /** Score of the last matched detection. */
  readonly score: number;
  /** Box of the last matched detection, as detected (the filtered `box` lags a change of size). */
  readonly detected: Box;
  /** Majority vote over the matched detections' labels (ties: the most recent); undefined if none had one. */
  readonly label: string | undefined;
  readonly firstSeenMs: number;
  /** Time of the last matched detection. */
  readonly lastSeenMs: number;
  /** Bottom-centre points after each match, oldest first, at most `historyLength`. */
  readonly history: readonly TrackPoint[];
}

/** Tracker settings; every field has a default (ByteTrack's where it has one). */
export interface TrackerOptions {
  /** Detections at or above this score are associated first and may start tracks. Default 0.5. */
  highThreshold: number;
  /** Detections below this score are ignored; between the two they only feed the second pass. Default 0.1. */
  lowThreshold: number;
  /** IoU floor of the first pass (ByteTrack's match_thresh 0.8 as a cost). Default 0.2. */
  minIou: number;
  /** IoU floor of the low-score pass. Default 0.5. */
  minIouLow: number;
  /** IoU floor for tentative tracks. Default 0.3. */
  minIouTentative: number;
  /** Matches needed to confirm a track (SORT's min_hits). Default 3. */
  minHits: number;
  /** A lost track is removed once this long has passed since its last match. Default 1000 ms. */
  maxLostMs: number;
  /** Bottom-centre points kept per track. Default 32. */
  historyLength: number;
  /** Each box is widened by this fraction of its size on every side before the IoU (C-BIoU). Default 0. */
  iouBuffer: number;
  /** Squared Mahalanobis gate (e.g. CHI2_95_4DOF); Infinity turns it off. Default Infinity. */
  maxMahalanobis: number;
  /** Kalman noise levels. */
  noise: Readonly<KalmanNoise>;
}

/** ByteTrack's settings, in this tracker's terms. */
export const DEFAULT_TRACKER_OPTIONS: Readonly<TrackerOptions> = Object.freeze({
  highThreshold: 0.5,
  lowThreshold: 0.1,
  minIou: 0.2,
  minIouLow: 0.5,
  minIouTentative: 0.3,
  minHits: 3,
  maxLostMs: 1000,
  historyLength: 32,
  iouBuffer: 0,
  maxMahalanobis: Infinity,
  noise: DEFAULT_KALMAN_NOISE,
});

class TrackRecord implements Track {
  state: TrackState = 'tentative';
  box: Box;
  velocity = { x: 0, y: 0 };
  hits = 0;
  age = 1;
  missed = 0;
  score = 0;
  detected: Box;
  label: string | undefined = undefined;
  lastSeenMs: number;
  history: TrackPoint[] = [];
  /** label → [votes, order of the latest vote]. */
  readonly votes = new Map<string, [number, number]>();

  constructor(
    readonly id: number,
    readonly kf: BoxKalman,
    readonly firstSeenMs: number,
  ) {
    this.box = kf.box();
    this.detected = this.box;
    this.lastSeenMs = firstSeenMs;
  }
}

/** SORT/ByteTrack multi-object tracker over pixel boxes; one instance per camera. */
export class Tracker {
  readonly options: Readonly<TrackerOptions>;
  private live: TrackRecord[] = [];
  private nextId = 1;
  private lastTimeMs: number | undefined;
  private voteSeq = 0;
  private removedLast: TrackRecord[] = [];

  constructor(options: Partial<TrackerOptions> = {}) {
    const o = { ...DEFAULT_TRACKER_OPTIONS, ...options };
    const check = (ok: boolean, key: keyof TrackerOptions, what: string) => {
      if (!ok) throw new ConfigError(`must be ${what} (got ${String(o[key])})`, `tracker.${key}`);
    };
    const unit = (v: number) => v >= 0 && v <= 1;
    check(unit(o.highThreshold), 'highThreshold', 'in [0, 1]');
    check(unit(o.lowThreshold) && o.lowThreshold <= o.highThreshold, 'lowThreshold', 'in [0, highThreshold]');
    for (const key of ['minIou', 'minIouLow', 'minIouTentative'] as const) check(o[key] > 0 && o[key] <= 1, key, 'in (0, 1]');
    check(Number.isInteger(o.minHits) && o.minHits >= 1, 'minHits', 'an integer ≥ 1');
    check(o.maxLostMs >= 0, 'maxLostMs', '≥ 0');
    check(Number.isInteger(o.historyLength) && o.historyLength >= 1, 'historyLength', 'an integer ≥ 1');
    check(o.iouBuffer >= 0, 'iouBuffer', '≥ 0');
    check(o.maxMahalanobis > 0, 'maxMahalanobis', 'positive');
    this.options = Object.freeze(o);
  }

  /** The live tracks (tentative, confirmed and lost), by id. */
  get tracks(): readonly Track[] {
    return this.live;
  }

  /** Tracks removed by the last `update` (lost too long, or tentative and missed), for end-of-track logic. */
  get removed(): readonly Track[] {
    return this.removedLast;
  }

  /** Feeds one frame's detections taken at `timeMs` (any monotonic ms clock); returns the live tracks. */
  update(detections: readonly ObjectDetection[], timeMs: number): readonly Track[] {
    const o = this.options;
    const dt = this.lastTimeMs === undefined || !(timeMs > this.lastTimeMs) ? 0 : (timeMs - this.lastTimeMs) / 1000;
    if (this.lastTimeMs === undefined || timeMs > this.lastTimeMs) this.lastTimeMs = timeMs;
    for (const t of this.live) {
      if (t.state === 'lost') t.kf.freezeSize();
      t.kf.predict(dt);
      t.box = t.kf.box();
      t.age++;
    }

    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((d, i) => {
      const { x, y, w, h } = d.box;
      if (!(Number.isFinite(x) && Number.isFinite(y) && w > 0 && h > 0 && w < Infinity && h < Infinity)) return; // a broken box would poison a filter
      if (d.score >= o.highThreshold) high.push(i);
      else if (d.score >= o.lowThreshold) low.push(i);
    });
    const matched = new Set<TrackRecord>();
    const established = this.live.filter((t) => t.state !== 'tentative');
    const tentative = this.live.filter((t) => t.state === 'tentative');

    const first = this.associate(established, high, detections, o.minIou, matched, timeMs);
    this.associate(
      first.tracks.filter((t) => t.state === 'confirmed'),
      low,
      detections,
      o.minIouLow,
      matched,
      timeMs,
    );
    const leftHigh = this.associate(tentative, first.detections, detections, o.minIouTentative, matched, timeMs).detections;

    this.removedLast = [];
    const kept: TrackRecord[] = [];
    for (const t of this.live) {
      if (matched.has(t)) {
        kept.push(t);
        continue;
      }
      t.missed++;
      if (t.state === 'tentative' || timeMs - t.lastSeenMs > o.maxLostMs) {
        this.removedLast.push(t);
        continue;
      }
      t.state = 'lost';
      t.velocity = t.kf.velocity();
      kept.push(t);
    }
    for (const i of leftHigh) {
      const t = new TrackRecord(this.nextId++, new BoxKalman(detections[i]!.box, o.noise), timeMs);
      this.matchTo(t, detections[i]!, timeMs);
      kept.push(t);
    }
    this.live = kept; // ids only grow, and new tracks are appended: the list stays in id order
    return this.live;
  }

  /** Hungarian on 1 − IoU for one pass; updates the matched tracks and returns what is left on both sides. */
  private associate(
    tracks: TrackRecord[],
    candidates: number[],
    detections: readonly ObjectDetection[],
    minIou: number,
    matched: Set<TrackRecord>,
    timeMs: number,
  ): { tracks: TrackRecord[]; detections: number[] } {
    if (tracks.length === 0 || candidates.length === 0) return { tracks, detections: candidates };
    const o = this.options;
    const cost = new Float64Array(tracks.length * candidates.length);
    tracks.forEach((t, r) => {
      candidates.forEach((di, c) => {
        const d = detections[di]!.box;
        const gated = o.maxMahalanobis < Infinity && t.kf.mahalanobis(d) > o.maxMahalanobis;
        cost[r * candidates.length + c] = gated ? Infinity : 1 - iou(t.box, d, o.iouBuffer);
      });
    });
    const a = linearAssignment({ rows: tracks.length, cols: candidates.length, data: cost }, 1 - minIou);
    for (const [r, c] of a.matches) {
      const t = tracks[r]!;
      t.kf.update(detections[candidates[c]!]!.box);
      this.matchTo(t, detections[candidates[c]!]!, timeMs);
      matched.add(t);
    }
    return { tracks: a.unmatchedRows.map((r) => tracks[r]!), detections: a.unmatchedCols.map((c) => candidates[c]!) };
  }

  /** Bookkeeping after a match (the filter is already updated). */
  private matchTo(t: TrackRecord, d: ObjectDetection, timeMs: number): void {
    t.missed = 0;
    t.hits++;
    t.score = d.score;
    t.detected = d.box;
    t.lastSeenMs = timeMs;
    t.state = t.hits >= this.options.minHits ? 'confirmed' : 'tentative';
    t.box = t.kf.box();
    t.velocity = t.kf.velocity();
    if (d.label !== undefined) {
      const v = t.votes.get(d.label) ?? [0, 0];
      v[0]++;
      v[1] = ++this.voteSeq;
      t.votes.set(d.label, v);
      let best: [number, number] = [0, 0];
      for (const [label, vote] of t.votes) {
        if (vote[0] > best[0] || (vote[0] === best[0] && vote[1] > best[1])) {
          best = vote;
          t.label = label;
        }
      }
    }
    t.history.push({ t: timeMs, point: [t.box.x + t.box.w / 2, t.box.y + t.box.h] });
    if (t.history.length > this.options.historyLength) t.history.shift();
  }
}

/** Intersection over union of two boxes, each first widened by `buffer` × its size on every side. */
export function iou(a: Box, b: Box, buffer = 0): number {
  const ax0 = a.x - buffer * a.w;
  const ay0 = a.y - buffer * a.h;
  const ax1 = a.x + a.w * (1 + buffer);
  const ay1 = a.y + a.h * (1 + buffer);
  const bx0 = b.x - buffer * b.w;
  const by0 = b.y - buffer * b.h;
  const bx1 = b.x + b.w * (1 + buffer);
  const by1 = b.y + b.h * (1 + buffer);
  const iw = Math.min(ax1, bx1) - Math.max(ax0, bx0);
  const ih = Math.min(ay1, by1) - Math.max(ay0, by0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter;
  return union > 0 ? inter / union : 0;
}
