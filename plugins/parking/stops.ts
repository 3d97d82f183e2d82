/**
 * Stopped vehicles and the no-stopping rule. A stop is kept as a site on the ground (where a
 * vehicle came to rest) rather than as a track: a parked car's track may be lost and picked up
 * again under a new id, and the stop must go on counting. A site ends when its vehicle drives off
 * (its track leaves the spot smoothly), or when nothing has been seen on it, steady (STEADY_IOU: the
 * box it stopped with), for `graceMs` — not counting the time another vehicle's box covers it (a bus
 * passing in front hides a parked car for seconds), up to `hiddenMs`. A track that jumps off the
 * spot was carried away by a passer's blob: the stop stays and is found again.
 *
 * Stopped: a confirmed vehicle that has driven (hold.ts: a ghost, or a car already parked when the
 * camera started, never moved) and has stayed within the tracker's still radius for
 * `minStillMs`. When it stopped is then refined from its track: the moment its ground contact point
 * came within `onsetRadiusM` of where it now stands.
 *
 * Queued (exempt): the stopped vehicles of one lane whose ground points are at most `queueSpacingM`
 * apart form chains. A chain is a queue when it reaches a stop line (a vehicle within queueSpacingM
 * of it) — a lone car waiting at a red light is a queue of one — or when it holds at least
 * `queueMinVehicles` and the lane's occupancy is at least `queueOccupancy` (a jam). A queued vehicle's
 * dwell clock is held at zero; it starts when the queue leaves it standing (after `releaseMs`, so a
 * queue that flickers for a frame does not restart it). A violation is one per stop, when the clock
 * reaches the zone's dwell.
 */
import type { Box, Point, Vehicle } from '../sdk/index.js';
import { iou, pointInPolygon, segmentDistance } from '../sdk/index.js';
import type { TravelLog, TrailPoint } from './hold.js';

/** A track moving this far between two samples jumped to another blob, metres. */
const JUMP_M = 2;
/** A stop counts as present this long after it was last seen steady, ms. */
const RECENT_MS = 1500;
/** How long a spot a vehicle left is remembered (its ghost fades in about this time). */
const VACATED_MS = 20_000;
/** Samples further apart than this are a gap in the track (the vehicle was hidden). */
const GAP_MS = 500;
/**
 * A stopped vehicle's box overlaps the box it stopped with at least this much (IoU). Less, and the
 * blob is not just the vehicle: merged with one passing in the next lane, or stretched over the
 * spot it is leaving (the background there lags behind the lighting while it stood on it).
 */
const STEADY_IOU = 0.75;

/** A no-stopping zone in pixels, with its dwell. */
export interface StopZone {
  name: string;
  polygon: Point[];
  dwellMs: number;
}

/** Settings of a StopTracker; polygons in pixels, stop lines as ground segments (metres). */
export interface StopTrackerOptions {
  zones: StopZone[];
  lanes: { name: string; polygon: Point[] }[];
  stopLines: [[number, number], [number, number]][];
  queueSpacingM: number;
  queueMinVehicles: number;
  queueOccupancy: number;
  /** Which vehicles have driven (only those can stop: a ghost never moved) and their ground samples. */
  travel: Pick<TravelLog, 'driven' | 'trail'>;
  /** Last check before a violation is raised while its vehicle is seen (the picture still shows it); false: not yet. */
  confirm?: (site: StopSite) => boolean;
  minStillMs?: number;
  onsetRadiusM?: number;
  siteRadiusM?: number;
  graceMs?: number;
  hiddenMs?: number;
  releaseMs?: number;
}

/** One stopped vehicle, on the ground where it stands. */
export interface StopSite {
  readonly key: number;
  vehicleId: number;
  cls: string;
  ground: [number, number];
  foot: Point;
  box: Box;
  /** The box it stopped with; see STEADY_IOU. */
  refBox: Box;
  lane: string | undefined;
  zone: StopZone | undefined;
  /** When it stopped (capture ms). */
  onsetMs: number;
  lastSeenMs: number;
  /** When it was last seen and confirmed still there, near the end of its dwell. */
  verifiedMs: number;
  /** Whether it was seen, steady, in the last update. */
  seen: boolean;
  /** Since it was last seen: time hidden behind other vehicles, and time neither seen nor hidden, ms. */
  hiddenMs: number;
  unseenMs: number;
  /** When its dwell clock started; undefined while it is queued (or not in a zone). */
  clockMs: number | undefined;
  lastQueuedMs: number | undefined;
  queued: boolean;
  reported: boolean;
}

/** What one update found. */
export interface StopUpdate {
  /** Sites in a zone whose clock (re)started this frame, at their clockMs (evidence: the stop frame). */
  started: StopSite[];
  /** Sites whose clock reached the zone's dwell this frame. */
  violations: StopSite[];
  /** Sites that began this frame. */
  created: StopSite[];
  /** Sites that ended this frame. */
  ended: StopSite[];
}

/** Tracks stop sites, queues and dwell clocks; see the file comment. */
export class StopTracker {
  readonly #o: Required<StopTrackerOptions>;
  readonly #sites: StopSite[] = [];
  #nextKey = 1;
  #lastMs: number | undefined;
  /** Spots vehicles drove off from, by the track that left: the same track standing there again is a ghost. */
  #vacated: { vehicleId: number; ground: [number, number]; atMs: number }[] = [];

  constructor(o: StopTrackerOptions) {
    this.#o = { confirm: () => true, minStillMs: 1200, onsetRadiusM: 0.15, siteRadiusM: 1.2, graceMs: 4000, hiddenMs: 60_000, releaseMs: 2000, ...o };
  }

  /** Whether vehicle `id` holds a site and was seen on it in the last update. */
  holds(id: number): boolean {
    return this.#sites.some((s) => s.seen && s.vehicleId === id);
  }

  /** The live sites. */
  get sites(): readonly StopSite[] {
    return this.#sites;
  }

  /** Feeds the tracker's vehicles at `nowMs` and each lane's occupancy now (by lane name). */
  update(nowMs: number, vehicles: readonly Vehicle[], occupancy: ReadonlyMap<string, number>): StopUpdate {
    const o = this.#o;
    const out: StopUpdate = { created: [], started: [], violations: [], ended: [] };
    const dt = this.#lastMs === undefined ? 0 : nowMs - this.#lastMs;
    this.#lastMs = nowMs;
    const seen = vehicles.filter((v): v is Vehicle & { ground: [number, number] } => v.confirmed && v.missed === 0 && v.ground !== undefined);
    this.#vacated = this.#vacated.filter((x) => nowMs - x.atMs <= VACATED_MS);

    // Existing sites: the holder drove off, or someone (the holder, or its track picked up anew) is still there.
    const claimed = new Set<number>();
    for (const site of [...this.#sites]) {
      let holder = seen.find((v) => v.id === site.vehicleId);
      if (holder && dist(holder.ground, site.ground) > o.siteRadiusM) {
        // Its track left the spot. Smoothly: the vehicle drove off, and the site ends (now, so that
        // the background it uncovers is not taken for it). In one jump: a passer's blob merged with
        // it and took the track along; the vehicle is let go of and found again on the spot.
        const h = holder.history;
        const a = h.at(-1)?.ground;
        const b = h.at(-2)?.ground;
        if (!(a && b && dist(a, b) > JUMP_M)) {
          this.#end(site, out, nowMs);
          continue;
        }
        site.vehicleId = -1;
        holder = undefined;
      }
      const here = holder ?? seen.find((v) => !claimed.has(v.id) && dist(v.ground, site.ground) <= o.siteRadiusM && !(v.speedKmh !== undefined && v.speedKmh > 5));
      if (here) claimed.add(here.id);
      const overlap = here ? iou(here.box, site.refBox) : 0;
      if (here && overlap >= STEADY_IOU) {
        site.vehicleId = here.id;
        site.lastSeenMs = nowMs;
        site.seen = true;
        site.hiddenMs = 0;
        site.unseenMs = 0;
        site.box = here.box;
        site.foot = here.foot;
        if (here.cls !== 'vehicle') site.cls = here.cls;
        continue;
      }
      site.seen = false;
      if (site.hiddenMs < o.hiddenMs && seen.some((v) => v.id !== site.vehicleId && covers(v.box, site.refBox))) {
        // Hidden: the time does not count against the grace, so the stop goes on when it reappears.
        site.hiddenMs += dt;
      } else if ((site.unseenMs += dt) > o.graceMs) {
        this.#end(site, out, nowMs);
      }
    }
    for (const v of seen) {
      if (claimed.has(v.id) || v.stationaryMs < o.minStillMs || !o.travel.driven(v.id)) continue;
      if (this.#sites.some((s) => dist(s.ground, v.ground) <= o.siteRadiusM)) continue;
      // The track of a vehicle that just left, standing on the spot again: the background it uncovered.
      if (this.#vacated.some((x) => x.vehicleId === v.id && dist(x.ground, v.ground) <= 2 * o.siteRadiusM)) continue;
      const site: StopSite = {
        key: this.#nextKey++, vehicleId: v.id, cls: v.cls, ground: [v.ground[0], v.ground[1]], foot: v.foot, box: v.box, refBox: v.box,
        lane: o.lanes.find((l) => pointInPolygon(v.foot, l.polygon))?.name, zone: o.zones.find((z) => pointInPolygon(v.foot, z.polygon)),
        onsetMs: stopOnset(o.travel.trail(v.id), nowMs - v.stationaryMs, o.onsetRadiusM), lastSeenMs: nowMs, verifiedMs: -Infinity, seen: true, hiddenMs: 0, unseenMs: 0, clockMs: undefined, lastQueuedMs: undefined, queued: false, reported: false,
      };
      this.#sites.push(site);
      out.created.push(site);
    }

    this.#markQueues(occupancy);
    for (const site of this.#sites) {
      if (!site.zone) continue;
      if (site.queued) {
        site.lastQueuedMs = nowMs;
        site.clockMs = undefined;
      } else if (site.clockMs === undefined && (site.lastQueuedMs === undefined || nowMs - site.lastQueuedMs >= o.releaseMs)) {
        site.clockMs = site.lastQueuedMs === undefined ? site.onsetMs : nowMs;
        out.started.push(site);
      }
      if (site.reported || site.clockMs === undefined || nowMs - site.clockMs < site.zone.dwellMs - RECENT_MS) continue;
      // Raised only while the vehicle is seen and still looks as it did (`confirm`), or was so a
      // moment ago and a moving vehicle is passing over it (their blobs merge for a second or two):
      // otherwise an unsteady stop may be one that is leaving, or the ghost of one that left.
      if (site.seen && o.confirm(site)) site.verifiedMs = nowMs;
      const passing = () => vehicles.some((v) => v.confirmed && v.id !== site.vehicleId && v.stationaryMs < o.minStillMs && overlaps(v.box, site.refBox));
      const present = site.verifiedMs === nowMs || (nowMs - site.verifiedMs <= RECENT_MS && passing());
      if (present && nowMs - site.clockMs >= site.zone.dwellMs) {
        site.reported = true;
        out.violations.push(site);
      }
    }
    return out;
  }

  /** Sets each site's `queued` from the chains in its lane; see the file comment. */
  #markQueues(occupancy: ReadonlyMap<string, number>): void {
    const o = this.#o;
    for (const site of this.#sites) site.queued = false;
    for (const lane of o.lanes) {
      const members = this.#sites.filter((s) => s.lane === lane.name);
      const seen = new Set<StopSite>();
      for (const start of members) {
        if (seen.has(start)) continue;
        const chain = [start];
        seen.add(start);
        for (let i = 0; i < chain.length; i++) {
          for (const m of members) {
            if (!seen.has(m) && dist(m.ground, chain[i]!.ground) <= o.queueSpacingM) {
              seen.add(m);
              chain.push(m);
            }
          }
        }
        const atLine = chain.some((s) => o.stopLines.some(([a, b]) => segmentDistance(s.ground, a, b) <= o.queueSpacingM));
        const jam = chain.length >= o.queueMinVehicles && (occupancy.get(lane.name) ?? 0) >= o.queueOccupancy;
        if (atLine || jam) for (const s of chain) s.queued = true;
      }
    }
  }

  #end(site: StopSite, out: StopUpdate, nowMs: number): void {
    this.#sites.splice(this.#sites.indexOf(site), 1);
    this.#vacated.push({ vehicleId: site.vehicleId, ground: site.ground, atMs: nowMs });
    out.ended.push(site);
  }
}

/**
 * When a vehicle stopped, from its track (oldest first): walking back from where it stands now (the
 * mean of its last 3 ground points), the moment it came within `radiusM` of that spot, interpolated
 * between the samples either side. Across a gap in the track (hidden by a passing vehicle) it is
 * taken to have braked evenly from the speed it last showed. `fallbackMs` without ground points.
 */
export function stopOnset(history: readonly TrailPoint[], fallbackMs: number, radiusM: number): number {
  const h = history.filter((p): p is typeof p & { ground: [number, number] } => p.ground !== undefined);
  if (h.length === 0) return fallbackMs;
  const last = h.slice(-3);
  const at: [number, number] = [last.reduce((a, p) => a + p.ground[0], 0) / last.length, last.reduce((a, p) => a + p.ground[1], 0) / last.length];
  let i = h.length - 1;
  while (i > 0 && dist(h[i - 1]!.ground, at) <= radiusM) i--;
  if (i === 0) return h[0]!.t;
  const outside = dist(h[i - 1]!.ground, at);
  const inside = dist(h[i]!.ground, at);
  if (inside > radiusM) return h[i]!.t;
  if (h[i]!.t - h[i - 1]!.t > GAP_MS && i >= 2 && h[i - 1]!.t > h[i - 2]!.t) {
    const speed = dist(h[i - 2]!.ground, h[i - 1]!.ground) / (h[i - 1]!.t - h[i - 2]!.t);
    if (speed > 0) return Math.min(h[i]!.t, h[i - 1]!.t + (2 * (outside - radiusM)) / speed);
  }
  const k = (outside - radiusM) / (outside - inside);
  return h[i - 1]!.t + k * (h[i]!.t - h[i - 1]!.t);
}

/** Whether two boxes overlap at all. */
function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Whether box `a` covers at least half of box `b`. */
function covers(a: Box, b: Box): boolean {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 && w * h >= 0.5 * b.w * b.h;
}

/** Distance between two ground points, metres. */
function dist(a: readonly [number, number], b: readonly [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
