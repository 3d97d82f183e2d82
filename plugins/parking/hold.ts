/**
 * Which vehicles have driven, and keeping those that stop in the foreground.
 *
 * Driven: a vehicle whose ground contact point has moved at least half its box height (pixels)
 * since its track began. A stationary blob that never moved is a ghost (the background revealed
 * where a parked car left) or something that was there before the camera started; neither is a
 * vehicle that stopped. A track can be lost while its vehicle stands still: a bus passing in the next
 * lane merges with a parked car into one blob for a second or two, and the car comes back as a new
 * track that never moved. So a new track born within its own box height of where a driven track was
 * last seen, at most `CONTINUE_MS` earlier, continues it: it is driven, and its trail (the ground
 * points the stop onset is found from) starts with the lost track's. The time runs from when the
 * lost track was last seen or, after that, last hidden (its last ground contact point inside another
 * track's box): a long bus passing slowly in the next lane hides a car that stops beside it for more
 * than CONTINUE_MS. The merged blob may also keep its own track and, as the bus pulls clear, that
 * track is left on the stopped car: a track that jumps (box IoU under JUMP_IOU from one update to the
 * next) onto the spot of a driven track it was hiding continues that one from then on.
 *
 * Hold: the background model must not learn the cells under a driven, confirmed vehicle, or a car
 * standing still is absorbed within seconds. VehicleTracker holds its own driven tracks, but never
 * a continued track, which is new to it and has not driven (so it is absorbed, lost, picked up
 * again, ...). HoldStopped hands the detector this mask instead: driven tracks, continued tracks,
 * and any track on a stop site (a parked car picked up again after a long occlusion); a driven track
 * that stands still without a site is let go, as it is most likely a departed vehicle's track left
 * on the background it uncovered.
 */
import type { Box, Frame, Point, Vehicle, VehicleTracker } from '../sdk/index.js';
import { BlobDetector, iou, markBox } from '../sdk/index.js';

/** A lost driven track may be continued by a new one for this long after it was last seen or hidden, ms. */
const CONTINUE_MS = 3000;
/** Forgets a vehicle this long after it was last seen, ms. */
const FORGET_MS = 10_000;

/** A ground sample of a track, as Vehicle.history holds it. */
export type TrailPoint = Vehicle['history'][number];

/** Samples of a lost track a continuing one keeps. */
const TRAIL_KEPT = 10;
/** A track's box overlapping its previous one less than this (IoU) jumped: a merged blob split. */
const JUMP_IOU = 0.6;
/** A continuing track's box overlaps the lost track's last box at least this much (IoU). */
const SAME_IOU = 0.4;

interface Travel {
  from: Point;
  max: number;
  last: Point;
  box: Box;
  seenMs: number;
  /** Since it was lost: when its last contact point was last inside another track's box, and whose. */
  hiddenMs: number;
  hiddenBy: number;
  /** Its own samples start here (before: another object's, when it jumped onto the one it continues). */
  fromMs: number;
  driven: boolean;
  /** The track's own samples (VehicleTracker's live array). */
  history: readonly TrailPoint[];
  /** The last samples of the track this one continues. */
  before: readonly TrailPoint[];
}

/** Per track: whether it has driven; see the file comment. */
export class TravelLog {
  readonly #log = new Map<number, Travel>();

  /** Records the vehicles VehicleTracker.update returned at `nowMs`. */
  observe(vehicles: readonly Vehicle[], nowMs: number): void {
    const seen = vehicles.filter((v) => v.missed === 0);
    const ids = new Set(seen.map((v) => v.id));
    /** Tracks that arrived here smoothly: only these hide others (a new or jumping one may be the lost one). */
    const steady: Vehicle[] = [];
    for (const v of seen) {
      let t = this.#log.get(v.id);
      const jumped = t !== undefined && iou(t.box, v.box) < JUMP_IOU;
      if (!t) {
        t = { from: v.foot, max: 0, last: v.foot, box: v.box, seenMs: nowMs, hiddenMs: -Infinity, hiddenBy: -1, fromMs: -Infinity, driven: false, history: v.history, before: [] };
        this.#log.set(v.id, t);
        this.#continueLost(v, t, nowMs, ids, false);
      } else if (jumped) {
        this.#continueLost(v, t, nowMs, ids, true);
      } else {
        steady.push(v);
      }
      t.history = v.history;
      t.box = v.box;
      t.max = Math.max(t.max, Math.hypot(v.foot[0] - t.from[0], v.foot[1] - t.from[1]));
      t.driven ||= t.max >= v.box.h / 2;
      t.last = v.foot;
      t.seenMs = nowMs;
    }
    for (const [id, t] of this.#log) {
      if (nowMs - t.seenMs > FORGET_MS) {
        this.#log.delete(id);
        continue;
      }
      const over = ids.has(id) ? undefined : steady.find((v) => inBox(t.last, v.box));
      if (over) [t.hiddenMs, t.hiddenBy] = [nowMs, over.id];
    }
  }

  /** Makes `t` (vehicle v's, new or `jumped`) continue a driven track lost near it; see the file comment. */
  #continueLost(v: Vehicle, t: Travel, nowMs: number, seen: ReadonlySet<number>, jumped: boolean): void {
    for (const [id, old] of this.#log) {
      if (!old.driven || seen.has(id) || nowMs - Math.max(old.seenMs, old.hiddenMs) > CONTINUE_MS) continue;
      if (Math.hypot(old.last[0] - v.foot[0], old.last[1] - v.foot[1]) > v.box.h) continue;
      // A track that jumped continues only the one it was hiding, and where that one stood.
      if (jumped && (old.hiddenBy !== v.id || iou(old.box, v.box) < SAME_IOU)) continue;
      t.driven = true;
      t.before = [...old.before, ...old.history.filter((p) => p.t >= old.fromMs)].slice(-TRAIL_KEPT);
      if (jumped) t.fromMs = nowMs;
      this.#log.delete(id);
      return;
    }
  }

  /** Whether vehicle `id` has driven (or continues a track that had). */
  driven(id: number): boolean {
    return this.#log.get(id)?.driven ?? false;
  }

  /** Vehicle `id`'s samples, oldest first, after those of the track it continues. */
  trail(id: number): readonly TrailPoint[] {
    const t = this.#log.get(id);
    if (!t) return [];
    const own = t.fromMs > -Infinity ? t.history.filter((p) => p.t >= t.fromMs) : t.history;
    return t.before.length > 0 ? [...t.before, ...own] : own;
  }
}

/** The hold mask for a VehicleTracker's blob detector; see the file comment. */
export class HoldStopped {
  readonly #tracker: VehicleTracker;
  readonly #keep: (v: Vehicle) => boolean;
  #mask: Uint8Array | undefined;
  #vehicles: readonly Vehicle[] = [];

  /** `keep(v)`: whether to hold vehicle `v` (it has driven, or it stands where one stopped). */
  constructor(tracker: VehicleTracker, keep: (v: Vehicle) => boolean) {
    this.#tracker = tracker;
    this.#keep = keep;
  }

  /** Sets the hold mask for the next detect, from the vehicles of the last update (call before VehicleTracker.update). */
  apply(frame: Frame): void {
    const blobs = this.#tracker.source;
    if (!(blobs instanceof BlobDetector)) return;
    const grid = blobs.gridFor(frame.width, frame.height);
    if (this.#mask?.length !== grid.width * grid.height) this.#mask = new Uint8Array(grid.width * grid.height);
    const mask = this.#mask;
    mask.fill(0);
    for (const v of this.#vehicles) {
      if (!v.confirmed || !this.#keep(v)) continue;
      markBox(mask, grid, v.box);
    }
    blobs.hold = mask;
  }

  /** Remembers the vehicles of the last update. */
  observe(vehicles: readonly Vehicle[]): void {
    this.#vehicles = vehicles;
  }
}

/** Whether point p lies inside box b. */
function inBox(p: Point, b: Box): boolean {
  return p[0] >= b.x && p[0] <= b.x + b.w && p[1] >= b.y && p[1] <= b.y + b.h;
}
