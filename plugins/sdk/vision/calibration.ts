/**
 * The whole camera from the road's 4 reference points. The ground → image homography of a pinhole
 * camera is G = λ·K·[r1 r2 t] (Zhang, "A flexible new technique for camera calibration", PAMI 2000,
 * §2.3). With square pixels, no skew and the principal point at the image centre, K has one unknown,
 * the focal length f, and the two constraints on r1, r2 (orthogonal, equal length) each give f²;
 * then r3 = r1 × r2 completes the rotation and heights above the road can be projected too.
 *
 * That is what a plugin needs to reason about a vehicle as a box in 3-D: where its roof and far end
 * appear, so a bus and a car at the same spot are told apart by the image box they make, whichever
 * lane they are in. Calibration fails (undefined) for a degenerate view, e.g. a camera looking
 * straight down, where f is not observable from one plane.
 */
import type { Point } from '../types.js';
import type { GroundPlane } from './homography.js';

/** A calibrated camera over the road plane: ground X, Z in metres, heights up from the road. */
export interface RoadCamera {
  focalPx: number;
  /** Camera height above the road, metres. */
  heightM: number;
  /** Ground position [X, Z] of the point under the camera. */
  foot: [number, number];
  /** Image position of a point at ground (x, z), height h metres; undefined behind the camera. */
  project(x: number, z: number, h: number): Point | undefined;
}

/** Calibrates a camera from a ground plane of a `width` × `height` image (see the file comment). */
export function calibrateRoadCamera(plane: GroundPlane, width: number, height: number): RoadCamera | undefined {
  const cx = width / 2;
  const cy = height / 2;
  const m = plane.toImage.matrix;
  // Columns of G with the principal point moved to the origin: g = [gx, gy, gz].
  const col = (j: number): [number, number, number] => {
    const gz = m[6 + j]!;
    return [m[j]! - cx * gz, m[3 + j]! - cy * gz, gz];
  };
  const g1 = col(0);
  const g2 = col(1);
  const g3 = col(2);
  // With w = 1/f²: orthogonality a1·w + b1 = 0 and equal norms a2·w + b2 = 0. Solved together by least
  // squares, so a constraint that carries no information (a1 = b1 = 0 when the camera has no roll
  // or yaw) simply drops out instead of dividing by zero.
  const a1 = g1[0] * g2[0] + g1[1] * g2[1];
  const b1 = g1[2] * g2[2];
  const a2 = g1[0] ** 2 + g1[1] ** 2 - g2[0] ** 2 - g2[1] ** 2;
  const b2 = g1[2] ** 2 - g2[2] ** 2;
  const den = a1 * a1 + a2 * a2;
  const w = den > 0 ? -(a1 * b1 + a2 * b2) / den : NaN;
  if (!(w > 0)) return undefined;
  const f = 1 / Math.sqrt(w);
  // A view straight down leaves f unobservable (both constraints vanish but for rounding).
  if (!Number.isFinite(f) || f > 100 * Math.max(width, height)) return undefined;
  const back = (g: [number, number, number]): [number, number, number] => [g[0] / f, g[1] / f, g[2]];
  let r1 = back(g1);
  let r2 = back(g2);
  let t = back(g3);
  const lambda = Math.sqrt(Math.hypot(...r1) * Math.hypot(...r2));
  // Ground points must lie in front of the camera (positive depth).
  const sign = t[2] > 0 ? 1 : -1;
  const s = sign / lambda;
  r1 = [r1[0] * s, r1[1] * s, r1[2] * s];
  r2 = [r2[0] * s, r2[1] * s, r2[2] * s];
  t = [t[0] * s, t[1] * s, t[2] * s];
  let r3 = cross(r1, r2);
  // Camera centre C = −Rᵀt; its coordinate along r3 is its height, which must be positive (above the road).
  const along = (r: [number, number, number]) => -(r[0] * t[0] + r[1] * t[1] + r[2] * t[2]);
  let up = along(r3);
  if (up < 0) {
    r3 = [-r3[0], -r3[1], -r3[2]];
    up = -up;
  }
  const foot: [number, number] = [along(r1), along(r2)];
  return {
    focalPx: f,
    heightM: up,
    foot,
    project(x, z, h) {
      const X = r1[0] * x + r2[0] * z + r3[0] * h + t[0];
      const Y = r1[1] * x + r2[1] * z + r3[1] * h + t[1];
      const Z = r1[2] * x + r2[2] * z + r3[2] * h + t[2];
      if (!(Z > 1e-6)) return undefined;
      return [cx + (f * X) / Z, cy + (f * Y) / Z];
    },
  };
}

function cross(a: [number, number, number], b: [number, number, number]): [number, number, number] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
