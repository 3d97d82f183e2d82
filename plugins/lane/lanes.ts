/**
 * The road as the lane rules see it: lane polygons (normalised image coordinates, as configured) with
 * their traffic direction on the ground, and a per-vehicle log of where it was, in which lane, as
 * what class. Directions come from two image points per lane mapped to the ground through the
 * homography, so a user sets them by clicking two points along the lane in the direction of travel.
 */
import { ConfigError } from '../../core/errors.js';
import { GroundPlane, pointInPolygon, type NormalisedBox, type Point } from '../sdk/index.js';
import type { LaneConfig } from './config.js';

/** One lane: its polygon, its traffic direction on the ground and its rules. */
export interface Lane {
  name: string;
  /** Normalised image polygon. */
  polygon: Point[];
  /** Unit ground vector of the traffic direction. */
  dir: [number, number];
  /** Unit ground vector across the lane, the same sense for every lane of the road (for weaving). */
  lateral: [number, number];
  /**
   * The polygon's extent along `lateral` on the ground, metres: the lane's strip across the road, which
   * places a vehicle beyond the ends of the polygons (see laneAcross).
   */
  band: [number, number];
  /** Classes allowed; undefined allows every class. */
  allowed?: ReadonlySet<string>;
  limitKmh?: number;
}

/** Builds the lanes from the config and the plugin's zones; a missing zone or a bad direction is a ConfigError at `where`. */
export function buildLanes(cfg: LaneConfig, zones: Record<string, Point[]>, plane: GroundPlane, where: string): Lane[] {
  const lanes: Lane[] = [];
  for (const [name, lane] of Object.entries(cfg.lanes)) {
    const polygon = zones[name];
    if (!polygon || polygon.length < 3) {
      throw new ConfigError(`names zone '${name}', which is not among the plugin's zones (${Object.keys(zones).join(', ') || 'none'})`, `${where}.lanes`);
    }
    const a = plane.imageToGround(lane.direction[0]);
    const b = plane.imageToGround(lane.direction[1]);
    const len = a && b ? Math.hypot(b[0] - a[0], b[1] - a[1]) : 0;
    if (!a || !b || !(len > 0.5)) {
      throw new ConfigError('direction points must lie on the road below the horizon and at least 0.5 m apart on the ground', `${where}.lanes.${name}.direction`);
    }
    const dir: [number, number] = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
    lanes.push({ name, polygon, dir, lateral: [0, 0], band: [0, 0], allowed: lane.allowedClasses && new Set(lane.allowedClasses), limitKmh: lane.speedLimitKmh });
  }
  // One sideways sense for the whole road: lanes of opposite directions flip their left and right.
  const ref = lanes[0]!.dir;
  for (const l of lanes) {
    const s = l.dir[0] * ref[0] + l.dir[1] * ref[1] >= 0 ? 1 : -1;
    l.lateral = [-l.dir[1] * s, l.dir[0] * s];
  }
  const [lx, lz] = lanes[0]!.lateral;
  for (const l of lanes) {
    // Corners above the horizon have no ground point; a polygon with none has an empty band.
    const across = l.polygon.flatMap((p) => {
      const g = plane.imageToGround(p);
      return g ? [g[0] * lx + g[1] * lz] : [];
    });
    l.band = [Math.min(...across), Math.max(...across)];
  }
  return lanes;
}

/**
 * Index of the first lane whose strip across the road (`band`) holds ground point `g`, or -1: where a
 * vehicle drives beyond the ends of the lane polygons, on a road that runs straight past them.
 */
export function laneAcross(lanes: readonly Lane[], g: readonly number[]): number {
  if (lanes.length === 0) return -1;
  const [lx, lz] = lanes[0]!.lateral;
  const x = g[0]! * lx + g[1]! * lz;
  for (let i = 0; i < lanes.length; i++) if (x >= lanes[i]!.band[0] && x <= lanes[i]!.band[1]) return i;
  return -1;
}

/** Index of the first lane whose polygon holds the normalised point, or -1. */
export function laneIndexAt(lanes: readonly Lane[], p: Point): number {
  for (let i = 0; i < lanes.length; i++) if (pointInPolygon(p, lanes[i]!.polygon)) return i;
  return -1;
}

/** One update of a vehicle: time, ground contact point, lane, and what to draw. */
export interface LaneSample {
  /** Capture time, ms. */
  t: number;
  /** Ground position of the foot, metres. */
  g: [number, number];
  /** Lane index, -1 outside every lane. */
  lane: number;
  /** Foot, normalised. */
  foot: Point;
  /** The vehicle's box, normalised, for evidence. */
  box: NormalisedBox;
  /** The vehicle's class (majority of recent votes) at this update. */
  cls: string;
}

/** Samples kept per vehicle: 25 s at 5 fps, enough for a slow vehicle's whole stay in a lane. */
const MAX_SAMPLES = 128;

/** What the rules know of one vehicle. */
export class TrackLog {
  readonly samples: LaneSample[] = [];
  /** Ground velocity, m/s, when the tracker has one. */
  velocity: [number, number] | undefined;
  /** Rules that have fired for it (one event per vehicle per rule). */
  readonly fired = new Set<string>();
  readonly #votes: string[] = [];

  constructor(readonly id: number) {}

  /** Adds one update, its class set to the majority of the last `votes` per-update classes (`cls` is this update's). */
  push(s: Omit<LaneSample, 'cls'>, cls: string, votes: number, velocity: [number, number] | undefined): void {
    this.velocity = velocity;
    this.#votes.push(cls);
    if (this.#votes.length > votes) this.#votes.shift();
    let best = cls;
    let bestN = 0;
    // Most frequent; a tie goes to the most recent vote.
    for (let i = this.#votes.length - 1; i >= 0; i--) {
      const c = this.#votes[i]!;
      let n = 0;
      for (const o of this.#votes) if (o === c) n++;
      if (n > bestN) [best, bestN] = [c, n];
    }
    this.samples.push({ ...s, cls: best });
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
  }

  /** Its class now. */
  get cls(): string {
    return this.last.cls;
  }

  /** Forgets where it was (after a jump no vehicle can make: the track took over another's box); keeps `fired`. */
  restart(): void {
    this.samples.length = 0;
    this.#votes.length = 0;
    this.velocity = undefined;
  }

  /** The newest sample (only after a push). */
  get last(): LaneSample {
    return this.samples[this.samples.length - 1]!;
  }
}

/** Ground distance between two samples, metres. */
export function metres(a: LaneSample, b: LaneSample): number {
  return Math.hypot(a.g[0] - b.g[0], a.g[1] - b.g[1]);
}
