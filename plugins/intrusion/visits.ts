/**
 * Visits of objects to one restricted zone, measured on the object's foot point (where it stands), and
 * the intrusion each visit raises once it has lasted the zone's dwell time.
 *
 * - A visit starts when an object's foot is inside the polygon. Its start is taken back along the
 *   object's own foot history to the first sample of the run of samples inside: an object is only
 *   reported once its track is confirmed and its size measured, a few frames after it stepped in.
 * - It lasts while the object is inside; a step outside shorter than `leaveMs` (the foot point
 *   jittering on the edge, a frame where the detection was lost) does not end it.
 * - It raises one intrusion, at `dwellMs` after its start, if the object is then inside and of a
 *   watched kind. A visit that has fired stays fired until it ends: no repeats while the object stays.
 * - With a depth measure (zoneDepth, on the ground), it fires only once the foot has also stood
 *   `minDepthM` inside the zone's edge: a foot point wavering on the edge is not a visit.
 * - A track first seen inside the zone, close to the foot of an object already on a visit, split off
 *   that object's blob (people walking one behind the other are one blob until they part): its visit
 *   starts when that one's did.
 * - A track that starts inside the zone where a visit ended less than `leaveMs` ago, within one
 *   object height of where that visit's object was last seen, takes that visit over: the same person,
 *   lost behind a passing van and picked up under a new track id, is not a new visit.
 * - An object on a visit whose box swallows the spot where a reported visit's track was lost less
 *   than `leaveMs` ago counts as reported (#absorb): after two people meet, the one who stood there
 *   may walk on under the other's track id, and one who was reported is not reported again.
 */
import { pointInPolygon, segmentDistance, type Point } from '../sdk/index.js';

/**
 * Foot samples, ms back from the latest, whose median depth counts (see ZoneWatchOptions.minDepthM):
 * a single frame where the legs blend into the ground and the foot jumps does not make a visit deep.
 */
const DEPTH_WINDOW_MS = 1000;

/** What a visit needs to know of an object (an ObjectTracker's TrackedObject fits). */
export interface VisitObject {
  readonly id: number;
  readonly kind: string;
  readonly foot: Point;
  readonly box: { x: number; y: number; w: number; h: number };
  readonly missed: number;
  readonly history: readonly { t: number; foot: Point }[];
}

/** One object's visit to the zone. */
export interface Visit {
  /** The track id (the latest one, when a track took the visit over). */
  trackId: number;
  kind: string;
  /** When the foot point entered, epoch ms. */
  enteredMs: number;
  /** When it was last seen inside, epoch ms. */
  lastInsideMs: number;
  /** Where it was last seen inside, pixels, and its box height there. */
  foot: Point;
  heightPx: number;
  fired: boolean;
  /** The deepest its foot has stood inside the zone (median over DEPTH_WINDOW_MS), metres; Infinity without a depth measure. */
  deepestM: number;
}

/** What one update found. */
export interface VisitUpdate {
  /** Visits that began this frame (not the ones taken over by a new track). */
  started: Visit[];
  /** Visits that reached the dwell time this frame: raise an intrusion for each. */
  fired: Visit[];
  /** Visits that ended this frame (the object left, or its track ended). */
  ended: Visit[];
}

/** Settings of one zone's watch. */
export interface ZoneWatchOptions {
  /** The zone's polygon, pixels. */
  polygon: Point[];
  dwellMs: number;
  /** Kinds that raise an intrusion: a kind itself, or 'vehicle' for every vehicle kind. */
  accepts: (kind: string) => boolean;
  /** Time outside that ends a visit, ms. */
  leaveMs: number;
  /** How deep a foot stands inside the zone, metres (zoneDepth); without it every visit may raise. */
  depthM?: (foot: Point) => number | undefined;
  /**
   * A visit raises its intrusion only once its foot has stood this deep inside the zone, metres (the
   * median over DEPTH_WINDOW_MS, with `depthM`): a foot point on the zone's edge wavers a few pixels
   * (legs blending into the ground, a shadow), and someone standing on the path beside the edge is
   * then 'inside' for as long as they stand there. Its start is still the first sample inside, so
   * a real visit is not dated later; it only waits, if need be, until the object has gone this deep.
   */
  minDepthM?: number;
}

/** The visits to one zone; fed each frame with the tracker's objects. */
export class ZoneWatch {
  readonly #o: ZoneWatchOptions;
  readonly #visits = new Map<number, Visit>();
  /** Visits that ended less than leaveMs ago, for a new track to take over. */
  #recent: Visit[] = [];

  constructor(options: ZoneWatchOptions) {
    this.#o = options;
  }

  /** The visits in progress. */
  get visits(): readonly Visit[] {
    return [...this.#visits.values()];
  }

  /**
   * Feeds one frame's objects at `now` (epoch ms). `since` (epoch ms) is when the watch became active:
   * a visit cannot start earlier (someone who was inside when the active hours began entered then).
   */
  update(now: number, objects: readonly VisitObject[], since = -Infinity): VisitUpdate {
    const out: VisitUpdate = { started: [], fired: [], ended: [] };
    const o = this.#o;
    this.#recent = this.#recent.filter((v) => now - v.lastInsideMs < o.leaveMs);
    const seen = new Set<number>();
    for (const obj of objects) {
      seen.add(obj.id);
      let visit = this.#visits.get(obj.id);
      // A lost track's box is a prediction: it neither starts nor extends a visit.
      if (obj.missed > 0) continue;
      if (pointInPolygon(obj.foot, o.polygon)) {
        if (!visit) {
          visit = this.#takeOver(obj, now) ?? this.#start(obj, now, since, objects, out);
          this.#visits.set(obj.id, visit);
        }
        this.#absorb(visit, obj, now);
        visit.trackId = obj.id;
        visit.kind = obj.kind;
        visit.lastInsideMs = now;
        visit.foot = obj.foot;
        visit.heightPx = obj.box.h;
        if (visit.deepestM < (o.minDepthM ?? 0)) visit.deepestM = Math.max(visit.deepestM, this.#depth(obj));
        if (!visit.fired && now - visit.enteredMs >= o.dwellMs && visit.deepestM >= (o.minDepthM ?? 0) && o.accepts(obj.kind)) {
          visit.fired = true;
          out.fired.push(visit);
        }
      }
    }
    for (const [id, visit] of this.#visits) {
      const gone = !seen.has(id);
      if (!gone && now - visit.lastInsideMs < o.leaveMs) continue;
      // Outside for leaveMs: it left. Its track gone: it may come back under a new id (#takeOver).
      this.#visits.delete(id);
      out.ended.push(visit);
      if (gone) this.#recent.push(visit);
    }
    return out;
  }

  /** Forgets every visit (the active hours closed: nothing is measured until they open again). */
  clear(): Visit[] {
    const ended = [...this.#visits.values()];
    this.#visits.clear();
    this.#recent = [];
    return ended;
  }

  #start(obj: VisitObject, now: number, since: number, objects: readonly VisitObject[], out: VisitUpdate): Visit {
    // Back along the foot history while the samples are inside, to the first of the run.
    let entered = now;
    const h = obj.history;
    for (let i = h.length - 1; i >= 0; i--) {
      if (!pointInPolygon(h[i]!.foot, this.#o.polygon)) break;
      entered = Math.min(entered, h[i]!.t);
    }
    // Never seen outside, and first seen within half a height of an object on a visit: it came out
    // of that object's blob (two people walking one behind the other make one blob until they part),
    // so it was inside as long as that one was. If that object is not detected now, this is more
    // likely that object itself found again under a new track (its old one not yet given up): it
    // does not raise again what that visit raised.
    const first = h[0];
    let fired = false;
    if (first && entered <= first.t) {
      for (const v of this.#visits.values()) {
        if (v.enteredMs < entered && Math.hypot(v.foot[0] - first.foot[0], v.foot[1] - first.foot[1]) <= v.heightPx / 2) {
          entered = v.enteredMs;
          fired ||= v.fired && !objects.some((x) => x.id === v.trackId && x.missed === 0);
        }
      }
    }
    const visit: Visit = { trackId: obj.id, kind: obj.kind, enteredMs: Math.max(entered, since), lastInsideMs: now, foot: obj.foot, heightPx: obj.box.h, fired, deepestM: this.#o.depthM ? -Infinity : Infinity };
    out.started.push(visit);
    return visit;
  }

  /** The median depth (metres) of the object's foot samples of the last DEPTH_WINDOW_MS; -Infinity when none can be measured. */
  #depth(obj: VisitObject): number {
    const depthM = this.#o.depthM!;
    const h = obj.history;
    const last = h.length ? h[h.length - 1]!.t : 0;
    const d: number[] = [];
    for (let i = h.length - 1; i >= 0 && last - h[i]!.t <= DEPTH_WINDOW_MS; i--) {
      const v = depthM(h[i]!.foot);
      if (v !== undefined) d.push(v);
    }
    if (d.length === 0) {
      const v = depthM(obj.foot);
      return v ?? -Infinity;
    }
    d.sort((a, b) => a - b);
    return d.length % 2 ? d[(d.length - 1) >> 1]! : (d[d.length / 2 - 1]! + d[d.length / 2]!) / 2;
  }

  /**
   * Marks `visit` reported when a reported visit ended moments ago (its track lost, less than
   * leaveMs) where `obj`'s box now stands: `obj`'s blob swallowed that person, and the track that
   * comes out of a merged blob may well be theirs (two people meet on the lawn; the one who was
   * reported walks on under the passer-by's track id) — they are not reported again. Its entry time
   * stays its own: a visit not yet reported that ended there may have been someone passing through.
   */
  #absorb(visit: Visit, obj: VisitObject, now: number): void {
    if (visit.fired || this.#recent.length === 0) return;
    const b = obj.box;
    this.#recent = this.#recent.filter((v) => {
      const [x, y] = v.foot;
      if (!v.fired || now - v.lastInsideMs >= this.#o.leaveMs || x < b.x || x > b.x + b.w || y < b.y || y > b.y + b.h) return true;
      visit.fired = true;
      return false;
    });
  }

  /** A visit that ended moments ago near where this object stands, which it takes over. */
  #takeOver(obj: VisitObject, now: number): Visit | undefined {
    let best: Visit | undefined;
    let bestD = Infinity;
    for (const v of this.#recent) {
      const d = Math.hypot(v.foot[0] - obj.foot[0], v.foot[1] - obj.foot[1]);
      if (d <= Math.max(v.heightPx, obj.box.h) && d < bestD && now - v.lastInsideMs < this.#o.leaveMs) {
        best = v;
        bestD = d;
      }
    }
    if (best) this.#recent.splice(this.#recent.indexOf(best), 1);
    return best;
  }
}

/**
 * How deep an image point stands inside a zone, in metres on the ground: its distance to the nearest
 * of the polygon's edges (positive inside, negative outside), through `toGround`. Edges that lie on
 * the frame's border are left out: they are where the view ends, not where the zone does (a person
 * walking in from the frame's edge is not on the zone's edge). An edge with an end above the horizon
 * (no ground under it) is left out too. Undefined when no edge is left or the point has no ground.
 */
export function zoneDepth(polygon: readonly Point[], toGround: (p: Point) => readonly number[] | null | undefined, width: number, height: number): (p: Point) => number | undefined {
  const onBorder = (a: Point, b: Point) => (a[0] <= 0.5 && b[0] <= 0.5) || (a[0] >= width - 0.5 && b[0] >= width - 0.5)
    || (a[1] <= 0.5 && b[1] <= 0.5) || (a[1] >= height - 0.5 && b[1] >= height - 0.5);
  const edges: [Point, Point][] = [];
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [a, b] = [polygon[j]!, polygon[i]!];
    if (onBorder(a, b)) continue;
    const [ga, gb] = [toGround(a), toGround(b)];
    if (ga && gb) edges.push([[ga[0]!, ga[1]!], [gb[0]!, gb[1]!]]);
  }
  return (p) => {
    const g = toGround(p);
    if (!g || edges.length === 0) return undefined;
    const q: Point = [g[0]!, g[1]!];
    let d = Infinity;
    for (const [a, b] of edges) d = Math.min(d, segmentDistance(q, a, b));
    return pointInPolygon(p, polygon) ? d : -d;
  };
}
