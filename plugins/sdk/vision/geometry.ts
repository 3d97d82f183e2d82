/**
 * Plane geometry for detectors: point in polygon, box helpers, and a directed line-crossing
 * detector with a hysteresis band. Every function is unit-agnostic: give the polygon or line and
 * the points in the same units, either normalised (the SDK's `Point`, as configured) or pixels (the
 * toolkit's `Box`). Pixels are the better choice wherever a distance matters (the crossing band),
 * since normalised coordinates stretch distances by the frame's aspect ratio.
 */
import { ConfigError } from '../../../core/errors.js';
import type { Point } from '../types.js';
import type { Box } from './types.js';

/** A box as the SDK's `Detection.box` carries it: [x, y, w, h] normalised to 0..1 of the frame. */
export type NormalisedBox = [number, number, number, number];

/** Distance from `p` to the segment a–b (to `a` when the segment has no length), in their units. */
export function segmentDistance(p: Readonly<Point>, a: Readonly<Point>, b: Readonly<Point>): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const k = len2 > 0 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
  return Math.hypot(p[0] - (a[0] + k * dx), p[1] - (a[1] + k * dy));
}

/**
 * Whether `p` is inside `polygon` by the even-odd rule (a ray cast towards +x crosses the outline
 * an odd number of times), so a self-intersecting outline has holes where it overlaps itself.
 * Boundary points follow the half-open rule rasterisers use: with y pointing down, points on a
 * left or top edge are inside, points on a right or bottom edge are outside. Two polygons that
 * share an edge (adjacent lanes) therefore never both claim a point on it.
 */
export function pointInPolygon(p: Readonly<Point>, polygon: readonly Readonly<Point>[]): boolean {
  const [x, y] = p;
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    // The edge spans y half-open: (yi > y) !== (yj > y) counts a vertex at height y only once.
    if (yi > y !== yj > y && x < xj + ((y - yj) * (xi - xj)) / (yi - yj)) inside = !inside;
  }
  return inside;
}

/** Area of a simple polygon (shoelace formula), whatever its winding; meaningless for a self-intersecting one. */
export function polygonArea(polygon: readonly Readonly<Point>[]): number {
  let twice = 0;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    twice += polygon[j][0] * polygon[i][1] - polygon[i][0] * polygon[j][1];
  }
  return Math.abs(twice) / 2;
}

/** The middle of a box's bottom edge: where a vehicle or a person touches the ground. */
export function bottomCentre(box: Box): Point {
  return [box.x + box.w / 2, box.y + box.h];
}

/** A pixel box as [x, y, w, h] normalised to a frame of `width` × `height` pixels. */
export function boxToNormalised(box: Box, width: number, height: number): NormalisedBox {
  return [box.x / width, box.y / height, box.w / width, box.h / height];
}

/** A normalised [x, y, w, h] box in pixels of a frame of `width` × `height`. */
export function boxFromNormalised(box: Readonly<NormalisedBox>, width: number, height: number): Box {
  return { x: box[0] * width, y: box[1] * height, w: box[2] * width, h: box[3] * height };
}

/** A normalised point in pixels of a frame of `width` × `height`. */
export function pointToPixels(p: Readonly<Point>, width: number, height: number): Point {
  return [p[0] * width, p[1] * height];
}

/** A pixel point normalised to a frame of `width` × `height`. */
export function pointToNormalised(p: Readonly<Point>, width: number, height: number): Point {
  return [p[0] / width, p[1] / height];
}

/**
 * The fraction (0..1) of a box's area that lies inside a simple polygon, computed exactly: the
 * polygon is clipped to the box (Sutherland–Hodgman, which is exact in area for any simple polygon
 * clipped by a convex window) and the clipped area divided by the box's. A box with no area counts
 * as its centre: 1 inside, 0 outside.
 */
export function boxFractionInPolygon(box: Box, polygon: readonly Readonly<Point>[]): number {
  const area = box.w * box.h;
  if (!(area > 0)) return pointInPolygon([box.x + box.w / 2, box.y + box.h / 2], polygon) ? 1 : 0;
  // Flat [x0, y0, x1, y1, ...] buffers; each pass clips against one side of the box.
  let pts: number[] = [];
  for (const [x, y] of polygon) pts.push(x, y);
  pts = clipHalfPlane(pts, 1, 0, box.x); //  x >= box.x
  pts = clipHalfPlane(pts, -1, 0, -(box.x + box.w)); // x <= box.x + w
  pts = clipHalfPlane(pts, 0, 1, box.y); // y >= box.y
  pts = clipHalfPlane(pts, 0, -1, -(box.y + box.h)); // y <= box.y + h
  let twice = 0;
  for (let i = 0, j = pts.length - 2; i < pts.length; j = i, i += 2) {
    twice += pts[j] * pts[i + 1] - pts[i] * pts[j + 1];
  }
  return Math.min(1, Math.abs(twice) / 2 / area);
}

/** Keeps the part of a flat polygon where a·x + b·y >= c. */
function clipHalfPlane(pts: number[], a: number, b: number, c: number): number[] {
  const out: number[] = [];
  const n = pts.length;
  if (n === 0) return out;
  let px = pts[n - 2];
  let py = pts[n - 1];
  let pIn = a * px + b * py >= c;
  for (let i = 0; i < n; i += 2) {
    const x = pts[i];
    const y = pts[i + 1];
    const inside = a * x + b * y >= c;
    if (inside !== pIn) {
      const dp = a * px + b * py - c;
      const k = dp / (dp - (a * x + b * y - c));
      out.push(px + k * (x - px), py + k * (y - py));
    }
    if (inside) out.push(x, y);
    px = x;
    py = y;
    pIn = inside;
  }
  return out;
}

/** Which way a track crossed a line; see LineCrossingDetector for the convention. */
export type CrossingDirection = 'forward' | 'backward';

/** One counted crossing of a line by a track. */
export interface LineCrossing {
  trackId: number;
  direction: CrossingDirection;
  /** Where the track's path met the line, in the line's units. */
  at: Point;
  /** Where along the segment: 0 at `from`, 1 at `to`. */
  t: number;
}

/** Options of a LineCrossingDetector. */
export interface LineCrossingOptions {
  /** Half-width of the hysteresis band around the line, in the line's units (pixels advised). */
  band: number;
  /** Count only a track's first crossing (whatever its direction) until it is forgotten. Default false. */
  oncePerTrack?: boolean;
  /** Config path named in a ConfigError (`cameras.gate1.plugins.counting.lines.in`). */
  configPath?: string;
}

/** Per-track state: the side the track was last seen beyond the band on, and where. */
interface TrackSide {
  /** -1 left, +1 right, 0 not yet seen beyond the band. */
  side: number;
  x: number;
  y: number;
  done: boolean;
}

/**
 * Counts directed crossings of one line segment by tracked points (a box's bottom-centre).
 *
 * Direction: standing on `from` and looking towards `to` as the line is drawn on screen (y down),
 * a crossing from the left side to the right side is 'forward', the other way 'backward'. A line
 * drawn left to right across the image therefore counts downward motion as forward; swap `from`
 * and `to` to reverse it.
 *
 * Hysteresis: a point within `band` of the infinite line is on neither side. A crossing is counted
 * when a track seen beyond the band on one side is next seen beyond the band on the other, however
 * many samples it spent in the band and even if one step jumps over the band. A track that only
 * wanders in the band is never counted; one that enters the band and leaves on the side it came
 * from is not counted either. A track first seen inside the band has no known origin, so its first
 * exit is not counted.
 *
 * Segment test: the crossing point is where the chord from the last sample beyond the band on the
 * old side to the first sample beyond it on the new side meets the line; it counts only if it lies
 * on the segment (endpoints included). A crossing of the line's extension is not counted, but the
 * track's side still changes, so it cannot be counted later for that same change.
 *
 * Each completed side change counts once: a track that crosses and backs over the line is counted
 * forward, then backward (net counting is the caller's choice), unless `oncePerTrack` keeps only
 * the first crossing.
 */
export class LineCrossingDetector {
  readonly from: Point;
  readonly to: Point;
  readonly band: number;
  readonly oncePerTrack: boolean;
  readonly #dx: number;
  readonly #dy: number;
  readonly #length: number;
  readonly #tracks = new Map<number, TrackSide>();

  /** Builds the detector for one line; a zero-length line or a negative band is a ConfigError. */
  constructor(line: { from: Readonly<Point>; to: Readonly<Point> }, options: LineCrossingOptions) {
    this.from = [line.from[0], line.from[1]];
    this.to = [line.to[0], line.to[1]];
    this.band = options.band;
    this.oncePerTrack = options.oncePerTrack ?? false;
    this.#dx = this.to[0] - this.from[0];
    this.#dy = this.to[1] - this.from[1];
    this.#length = Math.hypot(this.#dx, this.#dy);
    if (![...this.from, ...this.to].every(Number.isFinite)) {
      throw new ConfigError('line endpoints must be finite numbers', options.configPath);
    }
    if (!(this.#length > 0)) throw new ConfigError('line has zero length (from equals to)', options.configPath);
    if (!(this.band >= 0 && Number.isFinite(this.band))) {
      throw new ConfigError(`band must be a finite number >= 0, got ${this.band}`, options.configPath);
    }
  }

  /** Distance of `p` from the infinite line: positive on the right side (as drawn, y down), negative on the left. */
  signedDistance(p: Readonly<Point>): number {
    return this.#distance(p[0], p[1]);
  }

  #distance(x: number, y: number): number {
    return (this.#dx * (y - this.from[1]) - this.#dy * (x - this.from[0])) / this.#length;
  }

  /** Feeds a track's next point; returns the crossing it completes, or null. Non-finite points are ignored. */
  update(trackId: number, p: Readonly<Point>): LineCrossing | null {
    const [x, y] = p;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return null;
    const d = this.#distance(x, y);
    const side = d > this.band ? 1 : d < -this.band ? -1 : 0;
    let state = this.#tracks.get(trackId);
    if (!state) {
      state = { side, x, y, done: false };
      this.#tracks.set(trackId, state);
      return null;
    }
    if (side === 0) return null;
    if (side === state.side || state.side === 0) {
      state.side = side;
      state.x = x;
      state.y = y;
      return null;
    }
    // Beyond the band on the other side: the chord from the last point on the old side meets the line at k.
    const d0 = this.#distance(state.x, state.y);
    const k = d0 / (d0 - d);
    const ax = state.x + k * (x - state.x);
    const ay = state.y + k * (y - state.y);
    state.side = side;
    state.x = x;
    state.y = y;
    const t = ((ax - this.from[0]) * this.#dx + (ay - this.from[1]) * this.#dy) / (this.#length * this.#length);
    if (state.done || t < 0 || t > 1) return null;
    if (this.oncePerTrack) state.done = true;
    return { trackId, direction: side > 0 ? 'forward' : 'backward', at: [ax, ay], t };
  }

  /**
   * Where `trackId` last stood clear of the band (the point its next crossing is measured from), or
   * undefined when it never has. Feeding this point first to another track id gives that track the
   * same side: a vehicle that comes back under a new id goes on from where it was.
   */
  sidePoint(trackId: number): Point | undefined {
    const state = this.#tracks.get(trackId);
    return state && state.side !== 0 ? [state.x, state.y] : undefined;
  }

  /** Whether `trackId` has been fed since it was last forgotten. */
  has(trackId: number): boolean {
    return this.#tracks.has(trackId);
  }

  /** Drops a track's state (call when the tracker deletes the track). */
  forget(trackId: number): void {
    this.#tracks.delete(trackId);
  }

  /** Number of tracks with state, to check that callers forget their dead tracks. */
  get trackCount(): number {
    return this.#tracks.size;
  }
}
