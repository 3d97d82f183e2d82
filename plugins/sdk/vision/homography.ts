/**
 * Image ↔ ground plane mapping from four reference points, and speed over the ground.
 *
 * The road is a plane, so a pinhole camera maps it to the image by a 3×3 homography H
 * (Hartley & Zisserman, "Multiple View Geometry", 2nd ed., §4.1 DLT and §4.4 normalisation):
 *
 *   [u v w]ᵀ = H · [x y 1]ᵀ,   image point = (u / w, v / w)
 *
 * Four correspondences, no three collinear on either side, fix its 8 degrees of freedom. Both
 * point sets are first normalised (centroid to the origin, mean distance √2), h33 is set to 1 and
 * the 8×8 linear system is solved by Gaussian elimination with partial pivoting; the result is
 * denormalised. H is scaled so that w > 0 on the reference points: w <= 0 then marks a point on or
 * beyond the horizon (image → ground) or behind the camera (ground → image).
 */
import { ConfigError } from '../../../core/errors.js';
import type { Point } from '../types.js';

/** A 3×3 matrix, row-major. */
export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

/**
 * Below this twice-triangle-area (in normalised coordinates, mean distance √2) three points count as
 * collinear: for points spread over 1000 px, one about 1 px off the line through two others, well
 * within clicking error, where the fit would mostly amplify that error.
 */
const COLLINEAR_EPSILON = 1e-2;

/** A projective map of the plane. */
export class Homography {
  /** The matrix, row-major, scaled to unit Frobenius norm with w > 0 on the points it was fitted to. */
  readonly matrix: Matrix3;

  /** Wraps a matrix as given (a zero or singular matrix is a RangeError). */
  constructor(matrix: Matrix3) {
    if (matrix.length !== 9 || !matrix.every(Number.isFinite)) throw new RangeError('homography: need 9 finite numbers');
    const norm = frobenius(matrix);
    if (!(norm > 0) || Math.abs(det3(matrix)) <= 1e-12 * norm ** 3) throw new RangeError('homography: singular matrix');
    this.matrix = matrix;
  }

  /**
   * Fits the homography that maps each of 4 `from` points to the `to` point at the same index.
   * Throws a ConfigError (naming `configPath`) for a wrong count, non-finite numbers, three
   * collinear (or two equal) points on either side, or an order that folds the plane (the two
   * quadrilaterals listed in different rotational orders).
   */
  static fromPoints(from: readonly Readonly<Point>[], to: readonly Readonly<Point>[], configPath?: string): Homography {
    if (from.length !== 4 || to.length !== 4) {
      throw new ConfigError(`need exactly 4 reference points on each side, got ${from.length} and ${to.length}`, configPath);
    }
    if (![...from, ...to].every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))) {
      throw new ConfigError('reference points must be finite numbers', configPath);
    }
    const [ns, src] = normalise(from);
    const [nd, dst] = normalise(to);
    for (const [pts, side] of [[src, 'first'], [dst, 'second']] as const) {
      const triple = collinearTriple(pts);
      if (triple) {
        throw new ConfigError(`reference points ${triple.join(', ')} of the ${side} set are collinear (or equal); ` +
          'pick 4 points with no 3 on one line', configPath);
      }
    }
    // Two rows per correspondence: u = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), likewise v with h3..h5.
    const a = new Float64Array(64);
    const b = new Float64Array(8);
    for (let i = 0; i < 4; i++) {
      const [x, y] = src[i];
      const [u, v] = dst[i];
      a.set([x, y, 1, 0, 0, 0, -x * u, -y * u], 16 * i);
      a.set([0, 0, 0, x, y, 1, -x * v, -y * v], 16 * i + 8);
      b[2 * i] = u;
      b[2 * i + 1] = v;
    }
    const h = solve(a, b, 8);
    if (!h) throw new ConfigError('reference points give a singular system; pick 4 points with no 3 on one line', configPath);
    // H = Nd⁻¹ · Hn · Ns
    const hn: Matrix3 = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
    let m = mul3(inverse3(nd), mul3(hn, ns));
    const ws = from.map(([x, y]) => m[6] * x + m[7] * y + m[8]);
    if (!ws.every((w) => Math.sign(w) === Math.sign(ws[0]))) {
      throw new ConfigError('reference points fold the plane: list both sets in the same order around the quadrilateral',
        configPath);
    }
    m = scale3(m, Math.sign(ws[0]) / frobenius(m));
    return new Homography(m);
  }

  /** Maps a point; null when it lands on or beyond the line at infinity (w <= 0, e.g. above the horizon). */
  map(p: Readonly<Point>): Point | null {
    const m = this.matrix;
    const [x, y] = p;
    const w = m[6] * x + m[7] * y + m[8];
    if (!(w > 0)) return null;
    return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
  }

  /** The inverse map (w > 0 keeps its meaning: the same points stay on the valid side). */
  inverse(): Homography {
    const inv = inverse3(this.matrix);
    return new Homography(scale3(inv, 1 / frobenius(inv)));
  }
}

/** One reference point: where it is in the image (pixels or normalised) and on the ground (metres). */
export interface ReferencePoint {
  image: Point;
  ground: Point;
}

/**
 * The road plane seen by one camera: image points (in the units the reference points used, pixels
 * or normalised) to ground points in metres and back. The ground axes are whatever the reference
 * points say (x across the road and y along it, say); only distances and directions matter.
 */
export class GroundPlane {
  /** Image → ground. */
  readonly toGround: Homography;
  /** Ground → image. */
  readonly toImage: Homography;

  private constructor(toGround: Homography) {
    this.toGround = toGround;
    this.toImage = toGround.inverse();
  }

  /** Fits the plane to 4 reference points; degenerate or mis-ordered points are a ConfigError naming `configPath`. */
  static fromReferencePoints(points: readonly ReferencePoint[], configPath?: string): GroundPlane {
    return new GroundPlane(Homography.fromPoints(points.map((r) => r.image), points.map((r) => r.ground), configPath));
  }

  /** Builds the plane from a known image → ground homography. */
  static fromHomography(toGround: Homography): GroundPlane {
    return new GroundPlane(toGround);
  }

  /** Ground point (metres) under an image point; null on or above the horizon. */
  imageToGround(p: Readonly<Point>): Point | null {
    return this.toGround.map(p);
  }

  /** Image point of a ground point (metres); null behind the camera. */
  groundToImage(p: Readonly<Point>): Point | null {
    return this.toImage.map(p);
  }

  /** Ground distance in metres between two image points; null if either is on or above the horizon. */
  metresBetween(a: Readonly<Point>, b: Readonly<Point>): number | null {
    const ga = this.toGround.map(a);
    const gb = this.toGround.map(b);
    return ga && gb ? Math.hypot(gb[0] - ga[0], gb[1] - ga[1]) : null;
  }
}

/** One sample of a track's ground contact point (a box's bottom-centre) in the image. */
export interface TrackSample {
  /** Time in milliseconds (any origin; samples in increasing order). */
  t: number;
  /** Image point, in the units of the plane's reference points. */
  point: Point;
}

/** How much history a speed estimate uses. */
export interface SpeedOptions {
  /** Only samples within this many ms of the newest one are used. Default 1000. */
  windowMs?: number;
  /** Fewer usable samples than this give no estimate. Default 5. */
  minSamples?: number;
}

/** Velocity over the ground in metres per second, along the ground axes. */
export interface GroundVelocity {
  vx: number;
  vy: number;
  /** Samples the estimate used. */
  samples: number;
}

/**
 * A track's velocity over the ground: each sample in the window is mapped to metres and a
 * least-squares line is fitted to x(t) and to y(t) separately; the slopes are the velocity. Using
 * every sample, not just the two ends, averages out the box's frame-to-frame jitter (the slope's
 * error falls roughly as n^-1.5 for evenly spaced samples). Samples above the horizon are skipped.
 * Returns null with fewer than `minSamples` usable samples or no time spread.
 */
export function groundVelocity(plane: GroundPlane, history: readonly TrackSample[], options: SpeedOptions = {}): GroundVelocity | null {
  const windowMs = options.windowMs ?? 1000;
  const minSamples = Math.max(2, options.minSamples ?? 5);
  if (history.length === 0) return null;
  const tEnd = history[history.length - 1].t;
  // Times relative to the newest sample keep the sums well conditioned with epoch-ms clocks.
  let n = 0, st = 0, sx = 0, sy = 0, stt = 0, stx = 0, sty = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i];
    const t = (s.t - tEnd) / 1000;
    if (t < -windowMs / 1000) break;
    const g = plane.imageToGround(s.point);
    if (!g) continue;
    n++;
    st += t;
    sx += g[0];
    sy += g[1];
    stt += t * t;
    stx += t * g[0];
    sty += t * g[1];
  }
  if (n < minSamples) return null;
  const denom = n * stt - st * st;
  if (!(denom > 1e-12 * n * n)) return null;
  return { vx: (n * stx - st * sx) / denom, vy: (n * sty - st * sy) / denom, samples: n };
}

/** A track's ground speed in km/h (see groundVelocity for the method); null when there is too little history. */
export function speedKmh(plane: GroundPlane, history: readonly TrackSample[], options: SpeedOptions = {}): number | null {
  const v = groundVelocity(plane, history, options);
  return v ? Math.hypot(v.vx, v.vy) * 3.6 : null;
}

/** Hartley normalisation: the similarity N taking the points' centroid to 0 and their mean distance to √2, and N·points. */
function normalise(points: readonly Readonly<Point>[]): [Matrix3, Point[]] {
  let cx = 0, cy = 0;
  for (const [x, y] of points) {
    cx += x / points.length;
    cy += y / points.length;
  }
  let mean = 0;
  for (const [x, y] of points) mean += Math.hypot(x - cx, y - cy) / points.length;
  const s = mean > 0 ? Math.SQRT2 / mean : 1;
  return [[s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1], points.map(([x, y]) => [s * (x - cx), s * (y - cy)])];
}

/** The 1-based indices of the first three points that are collinear (or coincide), or null. */
function collinearTriple(p: readonly Point[]): [number, number, number] | null {
  for (let i = 0; i < p.length; i++) {
    for (let j = i + 1; j < p.length; j++) {
      for (let k = j + 1; k < p.length; k++) {
        const cross = (p[j][0] - p[i][0]) * (p[k][1] - p[i][1]) - (p[j][1] - p[i][1]) * (p[k][0] - p[i][0]);
        if (Math.abs(cross) < COLLINEAR_EPSILON) return [i + 1, j + 1, k + 1];
      }
    }
  }
  return null;
}

/** Solves the n×n system a·x = b (a row-major) by Gaussian elimination with partial pivoting; null if singular. Destroys a and b. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    if (Math.abs(a[pivot * n + col]) < 1e-12) return null;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        const tmp = a[col * n + c];
        a[col * n + c] = a[pivot * n + c];
        a[pivot * n + c] = tmp;
      }
      const tmp = b[col];
      b[col] = b[pivot];
      b[pivot] = tmp;
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c] -= f * a[col * n + c];
      b[r] -= f * b[col];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < n; c++) s -= a[r * n + c] * x[c];
    x[r] = s / a[r * n + r];
  }
  return x;
}

function mul3(a: Matrix3, b: Matrix3): Matrix3 {
  const m: number[] = [];
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) m.push(a[3 * r] * b[c] + a[3 * r + 1] * b[3 + c] + a[3 * r + 2] * b[6 + c]);
  }
  return m as unknown as Matrix3;
}

function det3(m: Matrix3): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** adj(m) / det(m). Dividing by the signed determinant keeps w > 0 on the points that had it. */
function inverse3(m: Matrix3): Matrix3 {
  const d = det3(m);
  return [
    (m[4] * m[8] - m[5] * m[7]) / d, (m[2] * m[7] - m[1] * m[8]) / d, (m[1] * m[5] - m[2] * m[4]) / d,
    (m[5] * m[6] - m[3] * m[8]) / d, (m[0] * m[8] - m[2] * m[6]) / d, (m[2] * m[3] - m[0] * m[5]) / d,
    (m[3] * m[7] - m[4] * m[6]) / d, (m[1] * m[6] - m[0] * m[7]) / d, (m[0] * m[4] - m[1] * m[3]) / d,
  ];
}

function frobenius(m: Matrix3): number {
  return Math.hypot(...m);
}

function scale3(m: Matrix3, s: number): Matrix3 {
  return m.map((v) => v * s) as unknown as Matrix3;
}
