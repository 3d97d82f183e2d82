/**
 * When an object is counted: once per object, when it has been seen long enough to be sure of it and
 * of its kind. The ObjectTracker reports an object once its track is confirmed and its size fits its
 * kind; that alone is a few frames, which a shadow or a burst of noise can pass, and a vehicle's
 * class is a vote over the frames it was seen whole, which changes in its first second (a car seen
 * from the front while still cut by the frame edge looks like a motorbike). So:
 *
 * - an object qualifies once its foot point has been inside a counting zone (anywhere without
 *   zones) for `minSeenMs` in all, counted along its track's history: the tracker reports an object
 *   only once it has been sized a few times, and a bus coming down the street from the horizon
 *   has its roof cut by the top of the frame until it is nearly under the camera, past the zone;
 * - it is counted `settleMs` after it was first reported, with the kind the vote has reached by
 *   then; a car driving through the view at 40 km/h is whole in it for several seconds, and the vote
 *   has settled long before it leaves;
 * - an object that leaves (its track ends) before that is counted when it leaves, if it qualified,
 *   with the kind it had last;
 * - a track that starts where an ended one would be by now (the same person or vehicle, lost behind
 *   a truck or in a merge with another, and found again under a new id; OcclusionStitcher) carries
 *   on that one's record: it is not counted again, and its time in the zone adds up.
 *
 * The sighting's time is when the object was first inside, so a count lands in the hour it was
 * seen, whatever the settling took.
 */
import { isVehicleKind, OcclusionStitcher, pointInPolygon, type EndedTrack, type Point, type TrackedObject } from '../sdk/index.js';

/** One object to count (what ctx.observe takes). */
export interface Counted {
  cls: string;
  trackId: number;
  /** When it was first reported inside a zone, epoch ms. */
  at: number;
}

/** Settings of a {@link SightingTally}. */
export interface TallyOptions {
  /** Time reported inside a zone before an object counts at all, ms. */
  minSeenMs: number;
  /** Time after it was first reported when its kind is taken as settled and it is counted, ms. */
  settleMs: number;
  /** Counting zones, pixels; empty: the whole frame. */
  zones: readonly (readonly Point[])[];
  /** How long an ended track waits to be continued by a new one, ms. */
  stitchMs?: number;
}

/** What is kept per object (carried from track to track by the stitcher). */
interface ObjectRecord {
  kind: string;
  /** First reported, epoch ms. */
  firstReported: number;
  /** First inside, epoch ms; undefined until then. */
  firstInside?: number;
  /** Time inside, ms. */
  insideMs: number;
  /** Time of the last foot point accounted for in insideMs, epoch ms. */
  accountedTo: number;
  counted: boolean;
  /** The last detection: its time, foot, ground point and velocity (for the stitcher). */
  last?: { t: number; foot: Point; ground?: [number, number]; velocity?: { vx: number; vz: number } };
}

/** A step between foot points longer than this (a stall, frames skipped, a gap) adds no more than this to the time inside, ms. */
const MAX_STEP_MS = 1000;

/** Decides, frame by frame, which objects to count; see the file comment. */
export class SightingTally {
  readonly #opts: TallyOptions;
  readonly #records = new Map<number, ObjectRecord>();
  readonly #stitcher: OcclusionStitcher<EndedTrack & { record: ObjectRecord }>;

  constructor(opts: TallyOptions) {
    this.#opts = opts;
    this.#stitcher = new OcclusionStitcher(opts.stitchMs ?? 3000);
  }

  /** Objects being followed (for tests and diagnostics). */
  get size(): number {
    return this.#records.size;
  }

  /**
   * One frame at `now`: `reported` are the objects the tracker reported (confirmed, size fitting
   * their kind), `live` the ids of every track it still holds (reported or not). Returns the objects
   * to count now.
   */
  update(now: number, reported: readonly TrackedObject[], live: ReadonlySet<number>): Counted[] {
    const out: Counted[] = [];
    for (const o of reported) {
      let r = this.#records.get(o.id);
      if (!r) {
        const first = o.history[0]?.t ?? now;
        r = this.#continued(o) ?? { kind: o.kind, firstReported: now, insideMs: 0, accountedTo: first, counted: false };
        // Where it was before it was reported: along its own track.
        for (const h of o.history) if (h.t < now) this.#account(r, h.t, h.foot);
        this.#records.set(o.id, r);
      }
      r.kind = o.kind;
      // A track the detector lost is reported for a while on its prediction: only detections are time seen.
      if (o.missed === 0) {
        r.last = { t: now, foot: o.foot, ...(o.ground ? { ground: o.ground } : {}), ...(o.velocity ? { velocity: o.velocity } : {}) };
        this.#account(r, now, o.foot);
      }
      if (!r.counted && this.#qualified(r) && now - r.firstReported >= this.#opts.settleMs) out.push(this.#count(r, o.id));
    }
    for (const [id, r] of this.#records) {
      if (live.has(id)) continue;
      this.#records.delete(id);
      if (this.#qualified(r)) out.push(this.#count(r, id));
      const l = r.last;
      if (l?.ground && l.velocity) this.#stitcher.ended({ id, t: l.t, foot: l.foot, ground: l.ground, velocity: l.velocity, record: r });
    }
    return out;
  }

  /** Every object that qualified and is not counted yet (at close: they were seen). */
  flush(): Counted[] {
    const out: Counted[] = [];
    for (const [id, r] of this.#records) if (this.#qualified(r)) out.push(this.#count(r, id));
    this.#records.clear();
    return out;
  }

  /** Adds the time since the last foot point accounted for, if the foot at `t` is inside. */
  #account(r: ObjectRecord, t: number, foot: Point): void {
    if (t <= r.accountedTo && r.firstInside !== undefined) return;
    const step = Math.min(MAX_STEP_MS, Math.max(0, t - r.accountedTo));
    r.accountedTo = Math.max(r.accountedTo, t);
    if (!this.#inside(foot)) return;
    r.firstInside ??= t;
    r.insideMs += step;
  }

  #qualified(r: ObjectRecord): boolean {
    return !r.counted && r.firstInside !== undefined && r.insideMs >= this.#opts.minSeenMs;
  }

  #count(r: ObjectRecord, trackId: number): Counted {
    r.counted = true;
    return { cls: r.kind, trackId, at: r.firstInside! };
  }

  /** The record of the ended track a new one continues, if any (see the file comment). */
  #continued(o: TrackedObject): ObjectRecord | undefined {
    const first = o.history[0];
    if (!first?.ground) return undefined;
    const r = this.#stitcher.takeOver(first.t, first.ground)?.record;
    // A person who steps out where a car's track ended is not that car.
    return r && isVehicleKind(r.kind) === isVehicleKind(o.kind) ? r : undefined;
  }

  #inside(foot: Point): boolean {
    const zones = this.#opts.zones;
    return zones.length === 0 || zones.some((z) => pointInPolygon(foot, z));
  }
}
