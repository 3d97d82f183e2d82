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
 *   a truck or in a merge with another, and found again under a new id) carries on that one's
 *   record: it is not counted again, and its time in the zone adds up. A vehicle keeps to its
 *   course (OcclusionStitcher). A person does not — they slow, stop, turn — so a person's record
 *   waits PERSON_KEEP_MS, unless they walked out of the frame, and a new person track is matched to
 *   one only when it is about to be counted (or ends), once its own heading is known: first seen
 *   after the old one's last detection, within PERSON_REACH_M plus WALK_SLACK a second of where the
 *   old walk would have taken them, and not heading the other way (two people passing each other
 *   are two). That also catches a track born while the lost one still coasts on its prediction: a
 *   walker's track dragged along by a truck that merged with them, while the walker shows again.
 *
 * The sighting's time is when the object was first inside, so a count lands in the hour it was
 * seen, whatever the settling took.
 */
import { isVehicleKind, OcclusionStitcher, pointInPolygon, type Box, type EndedTrack, type FrameView, type Point, type TrackedObject } from '../sdk/index.js';

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
  /** The frame, pixels: a person last seen at its edge walked out and is not waited for. */
  frame?: { width: number; height: number };
}

/** A hidden person is found again within this many metres of where their walk would have taken them … */
const PERSON_REACH_M = 1;
/** … plus this many metres for every second they were out of sight (they may stop, or speed up, meanwhile). */
const WALK_SLACK = 1.2;
/** Two walkers both faster than this (m/s) and heading apart (more than 90°) are two people. */
const HEADING_SPEED = 0.5;
/** A person's box this close to the frame's edge (pixels) has walked out of it. */
const EDGE_PX = 2;
/** How long an ended person track waits to be continued by a new one, ms. */
const PERSON_KEEP_MS = 3000;

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
  /** The last detection: its time, foot, box, ground point and velocity (for the stitcher). */
  last?: { t: number; foot: Point; box: Box; ground?: [number, number]; velocity?: { vx: number; vz: number } };
  /** Time and ground point of its track's first detection, epoch ms and metres. */
  bornAt: number;
  firstGround?: [number, number];
  /** A person's record that has carried on an ended one (it does so once). */
  adopted?: boolean;
  /** A person's track's last step, faster than a person moves: the detection before it, and the step. */
  leap?: { from: NonNullable<ObjectRecord['last']>; dx: number; dz: number };
}

/** A person's track that ended, waiting to be carried on. */
interface EndedPerson {
  t: number;
  ground: [number, number];
  record: ObjectRecord;
}

/** A step between foot points longer than this (a stall, frames skipped, a gap) adds no more than this to the time inside, ms. */
const MAX_STEP_MS = 1000;

/** Decides, frame by frame, which objects to count; see the file comment. */
export class SightingTally {
  readonly #opts: TallyOptions;
  readonly #records = new Map<number, ObjectRecord>();
  readonly #stitcher: OcclusionStitcher<EndedTrack & { record: ObjectRecord }>;
  readonly #people: EndedPerson[] = [];

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
        const first = o.history[0];
        const born = first?.t ?? now;
        r = this.#continued(o) ?? { kind: o.kind, firstReported: now, insideMs: 0, accountedTo: born, counted: false, bornAt: born,
          ...(first?.ground ? { firstGround: first.ground } : {}) };
        // Where it was before it was reported: along its own track.
        for (const h of o.history) if (h.t < now) this.#account(r, h.t, h.foot, h.view);
        this.#records.set(o.id, r);
      }
      if (o.missed === 0 && leapt(r, now, o.ground)) {
        // Not the person any more: their record ends where they last were, and what the track follows
        // now is not counted from it.
        r.last = r.leap!.from;
        this.#ended(o.id, r, out);
        r = { kind: o.kind, firstReported: now, insideMs: 0, accountedTo: now, counted: true, bornAt: now };
        this.#records.set(o.id, r);
      }
      r.kind = o.kind;
      // A track the detector lost is reported for a while on its prediction: only detections are time seen.
      if (o.missed === 0) {
        r.last = { t: now, foot: o.foot, box: o.box, ...(o.ground ? { ground: o.ground } : {}), ...(o.velocity ? { velocity: o.velocity } : {}) };
        this.#account(r, now, o.foot, o.view);
      }
      if (r.counted || now - r.firstReported < this.#opts.settleMs) continue;
      this.#carryOn(r);
      if (this.#qualified(r)) out.push(this.#count(r, o.id));
    }
    for (const [id, r] of this.#records) {
      if (live.has(id)) continue;
      this.#records.delete(id);
      this.#ended(id, r, out);
    }
    return out;
  }

  /** Track `id`'s record `r` ends: counted if it qualified, and kept a while to be carried on. */
  #ended(id: number, r: ObjectRecord, out: Counted[]): void {
    this.#carryOn(r);
    if (this.#qualified(r)) out.push(this.#count(r, id));
    const l = r.last;
    if (!l?.ground) return;
    if (!isVehicleKind(r.kind)) {
      if (!this.#walkedOut(l.box)) this.#people.push({ t: l.t, ground: l.ground, record: r });
    } else if (l.velocity) this.#stitcher.ended({ id, t: l.t, foot: l.foot, ground: l.ground, velocity: l.velocity, record: r });
  }

  /**
   * A person's record about to be counted, or ending, carries on the ended person track it continues,
   * if any (see the file comment): decided this late, when its heading is known.
   */
  #carryOn(r: ObjectRecord): void {
    if (r.counted || r.adopted || isVehicleKind(r.kind) || !r.firstGround) return;
    for (let i = this.#people.length - 1; i >= 0; i--) if (r.bornAt - this.#people[i]!.t > PERSON_KEEP_MS) this.#people.splice(i, 1);
    let best = -1;
    let bestD = Infinity;
    const own = walk(r);
    this.#people.forEach((e, i) => {
      const v = walk(e.record);
      const d = sameWay(v, own) ? reachShare(e.t, e.ground, v, r.bornAt, r.firstGround!) : Infinity;
      if (d < bestD) [best, bestD] = [i, d];
    });
    if (best < 0) return;
    const old = this.#people.splice(best, 1)[0]!.record;
    r.adopted = true;
    r.insideMs += old.insideMs;
    r.counted = old.counted;
    r.firstReported = old.firstReported;
    if (old.firstInside !== undefined) r.firstInside = Math.min(old.firstInside, r.firstInside ?? Infinity);
  }

  #walkedOut(box: Box): boolean {
    const f = this.#opts.frame;
    return f !== undefined && (box.x <= EDGE_PX || box.y <= EDGE_PX || box.x + box.w >= f.width - EDGE_PX || box.y + box.h >= f.height - EDGE_PX);
  }

  /** Every object that qualified and is not counted yet (at close: they were seen). */
  flush(): Counted[] {
    const out: Counted[] = [];
    for (const [id, r] of this.#records) {
      this.#carryOn(r);
      if (this.#qualified(r)) out.push(this.#count(r, id));
    }
    this.#records.clear();
    return out;
  }

  /**
   * Adds the time since the last foot point accounted for, if the foot at `t` is inside and the
   * frame shows the object whole (a vehicle's roof may be cut by the top edge: its foot and width
   * are in view).
   */
  #account(r: ObjectRecord, t: number, foot: Point, view: FrameView): void {
    if (t <= r.accountedTo && r.firstInside !== undefined) return;
    const step = Math.min(MAX_STEP_MS, Math.max(0, t - r.accountedTo));
    r.accountedTo = Math.max(r.accountedTo, t);
    if (!this.#inside(foot) || !(view === 'whole' || (view === 'top' && isVehicleKind(r.kind)))) return;
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
    if (!first?.ground || !isVehicleKind(o.kind)) return undefined;
    // The stitcher holds vehicles only: ended people wait in #people.
    return this.#stitcher.takeOver(first.t, first.ground)?.record;
  }

  #inside(foot: Point): boolean {
    const zones = this.#opts.zones;
    return zones.length === 0 || zones.some((z) => pointInPolygon(foot, z));
  }
}

/** Ground velocity, m/s. */
type Velocity = { vx: number; vz: number };

/** A person's track whose foot moves faster than this (m/s) two detections running, the same way, has leapt onto something else. */
const LEAP_SPEED = 6;

/**
 * Whether a person's record's track, detected at `now` on `ground`, has leapt off them: onto a
 * vehicle whose blob took them in and carried the track away, its foot 10 m nearer within a second.
 * One fast step is not enough: far away, a foot point that loses the legs for a frame jumps a metre
 * and back. Two running the same way are; the record then ends at the detection before the first
 * (`leap.from`). Keeps `r.leap` from step to step.
 */
function leapt(r: ObjectRecord, now: number, ground: readonly [number, number] | undefined): boolean {
  const l = r.last;
  if (isVehicleKind(r.kind) || !l?.ground || !ground || now <= l.t) return false;
  const dx = ground[0] - l.ground[0];
  const dz = ground[1] - l.ground[1];
  if (Math.hypot(dx, dz) <= LEAP_SPEED * ((now - l.t) / 1000)) {
    delete r.leap;
    return false;
  }
  if (r.leap && r.leap.dx * dx + r.leap.dz * dz > 0) return true;
  r.leap = { from: l, dx, dz };
  return false;
}

/** A track seen this long (ms) walks at its mean velocity since it was born … */
const MEAN_WALK_MS = 1000;
/** … else at the tracker's last velocity; one faster than this (m/s) is a foot point gone astray, no walk. */
const MAX_WALK_SPEED = 3;

/**
 * A person's ground velocity: the mean since their track was born, steadier than the tracker's
 * last second, which goes astray as the track ends (the foot point of a walker being covered
 * jumps); a short track's last velocity otherwise.
 */
function walk(r: ObjectRecord): Velocity | undefined {
  const l = r.last;
  let v = l?.velocity;
  if (l?.ground && r.firstGround && l.t - r.bornAt >= MEAN_WALK_MS) {
    const s = (l.t - r.bornAt) / 1000;
    v = { vx: (l.ground[0] - r.firstGround[0]) / s, vz: (l.ground[1] - r.firstGround[1]) / s };
  }
  return v && Math.hypot(v.vx, v.vz) <= MAX_WALK_SPEED ? v : undefined;
}

/** Whether two walks can be one person's: unless both are brisk and head apart (more than 90°). */
function sameWay(a: Velocity | undefined, b: Velocity | undefined): boolean {
  if (!a || !b || Math.hypot(a.vx, a.vz) < HEADING_SPEED || Math.hypot(b.vx, b.vz) < HEADING_SPEED) return true;
  return a.vx * b.vx + a.vz * b.vz >= 0;
}

/**
 * How far a person first seen at `t1`, `g1` is from where one last seen at `t0`, `g0`, walking at `v`,
 * would be by then, as a share of what they could be off by: ≤ 1 within reach; Infinity when not
 * seen after, or out of reach.
 */
function reachShare(t0: number, g0: readonly [number, number], v: Velocity | undefined, t1: number, g1: readonly [number, number]): number {
  const dt = (t1 - t0) / 1000;
  if (dt <= 0) return Infinity;
  const off = Math.hypot(g1[0] - g0[0] - (v?.vx ?? 0) * dt, g1[1] - g0[1] - (v?.vz ?? 0) * dt);
  const share = off / (PERSON_REACH_M + WALK_SLACK * dt);
  return share <= 1 ? share : Infinity;
}
