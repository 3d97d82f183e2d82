/**
 * Constant-velocity Kalman filter for one box, as SORT and ByteTrack run it, with time in seconds.
 *
 * State (8): cx, cy, w, h and their velocities in px/s (BoT-SORT's XYWH variant of ByteTrack's
 * filter: width instead of aspect ratio, since blob boxes change width and height independently).
 * Measurement (4): cx, cy, w, h. Noise is scaled by the box size (ByteTrack/OC-SORT): the x and w
 * components by the width, the y and h components by the height, so one setting fits a motorbike
 * far away and a bus up close.
 *
 * With F = [[I, dt·I], [0, I]], H = [I 0] and diagonal Q, R and initial P, the 8×8 covariance stays
 * block-diagonal: four independent (position, velocity) pairs. We store the four symmetric 2×2
 * blocks (12 numbers) and the arithmetic below is the full 8-state filter, minus the zeros.
 *
 * Frames arrive at irregular intervals, so process noise is a random walk per second (variance grows
 * linearly with dt) rather than ByteTrack's per-frame constant; DEFAULT_KALMAN_NOISE is ByteTrack's
 * per-frame noise at 30 fps converted to those units, so the filter behaves like ByteTrack's at
 * 30 fps and consistently at any other rate.
 */
import type { Box } from './types.js';

/** Noise levels, each a fraction of the box size (width for x/w, height for y/h). */
export interface KalmanNoise {
  /** Measurement standard deviation (ByteTrack: 1/20). */
  measurement: number;
  /** Process noise on position: standard deviation gained per √second. */
  position: number;
  /** Process noise on velocity: standard deviation (per second) gained per √second. */
  velocity: number;
  /** Velocity standard deviation of a new track, per second (its velocity starts at 0). */
  initialVelocity: number;
}

const BYTETRACK_FPS = 30;
/** ByteTrack's std_weight_position = 1/20 and std_weight_velocity = 1/160 per frame, at 30 fps, in per-second units. */
export const DEFAULT_KALMAN_NOISE: Readonly<KalmanNoise> = Object.freeze({
  measurement: 1 / 20,
  position: Math.sqrt(BYTETRACK_FPS) / 20,
  velocity: (BYTETRACK_FPS / 160) * Math.sqrt(BYTETRACK_FPS),
  initialVelocity: (10 * BYTETRACK_FPS) / 160,
});

/** 95% quantile of χ² with 4 degrees of freedom: the usual gate on `mahalanobis` (DeepSORT's chi2inv95[4]). */
export const CHI2_95_4DOF = 9.4877;

/** The smallest width or height the filter keeps, px. */
const MIN_SIZE = 1;

/** Kalman filter over one box: `predict(dt)` then `update(box)` when a detection is matched to it. */
export class BoxKalman {
  /** cx, cy, w, h, vcx, vcy, vw, vh (px, px/s). */
  readonly mean = new Float64Array(8);
  /** Per component k (cx, cy, w, h): cov[3k] = var(pos), cov[3k+1] = cov(pos, vel), cov[3k+2] = var(vel). */
  readonly cov = new Float64Array(12);
  private readonly noise: Readonly<KalmanNoise>;

  constructor(box: Box, noise: Readonly<KalmanNoise> = DEFAULT_KALMAN_NOISE) {
    this.noise = noise;
    const m = this.mean;
    m[0] = box.x + box.w / 2;
    m[1] = box.y + box.h / 2;
    m[2] = Math.max(MIN_SIZE, box.w);
    m[3] = Math.max(MIN_SIZE, box.h);
    for (let k = 0; k < 4; k++) {
      const s = this.scale(k);
      this.cov[3 * k] = (2 * noise.measurement * s) ** 2;
      this.cov[3 * k + 1] = 0;
      this.cov[3 * k + 2] = (noise.initialVelocity * s) ** 2;
    }
  }

  /** Advances the state by `dt` seconds (negative is treated as 0). */
  predict(dt: number): void {
    if (!(dt > 0)) return;
    const m = this.mean;
    const c = this.cov;
    const { position, velocity } = this.noise;
    for (let k = 0; k < 4; k++) {
      const s = this.scale(k); // noise from the size before the step, as ByteTrack does
      const pp = c[3 * k]!;
      const pv = c[3 * k + 1]!;
      const vv = c[3 * k + 2]!;
      c[3 * k] = pp + 2 * dt * pv + dt * dt * vv + (position * s) ** 2 * dt;
      c[3 * k + 1] = pv + dt * vv;
      c[3 * k + 2] = vv + (velocity * s) ** 2 * dt;
      m[k] = m[k]! + m[k + 4]! * dt;
    }
    this.clampSize();
  }

  /** Corrects the state with a measured box. */
  update(box: Box): void {
    const m = this.mean;
    const c = this.cov;
    const z0 = box.x + box.w / 2;
    const z1 = box.y + box.h / 2;
    for (let k = 0; k < 4; k++) {
      const z = k === 0 ? z0 : k === 1 ? z1 : k === 2 ? box.w : box.h;
      const r = (this.noise.measurement * this.scale(k)) ** 2;
      const pp = c[3 * k]!;
      const pv = c[3 * k + 1]!;
      const vv = c[3 * k + 2]!;
      const gainP = pp / (pp + r);
      const gainV = pv / (pp + r);
      const innovation = z - m[k]!;
      m[k] = m[k]! + gainP * innovation;
      m[k + 4] = m[k + 4]! + gainV * innovation;
      c[3 * k] = (1 - gainP) * pp;
      c[3 * k + 1] = (1 - gainP) * pv;
      c[3 * k + 2] = vv - gainV * pv;
    }
    this.clampSize();
  }

  /** Squared Mahalanobis distance of a measured box from the predicted one (4 dof; gate with CHI2_95_4DOF). */
  mahalanobis(box: Box): number {
    const m = this.mean;
    let d2 = 0;
    for (let k = 0; k < 4; k++) {
      const z = k === 0 ? box.x + box.w / 2 : k === 1 ? box.y + box.h / 2 : k === 2 ? box.w : box.h;
      const s = this.cov[3 * k]! + (this.noise.measurement * this.scale(k)) ** 2;
      d2 += (z - m[k]!) ** 2 / s;
    }
    return d2;
  }

  /** Stops the size from drifting while no detection corrects it (ByteTrack zeroes vh for lost tracks). */
  freezeSize(): void {
    this.mean[6] = 0;
    this.mean[7] = 0;
  }

  /** The filtered box. */
  box(): Box {
    const [cx, cy, w, h] = this.mean;
    return { x: cx! - w! / 2, y: cy! - h! / 2, w: w!, h: h! };
  }

  /** Velocity of the box centre, px/s. */
  velocity(): { x: number; y: number } {
    return { x: this.mean[4]!, y: this.mean[5]! };
  }

  /** A shrinking velocity must not turn the box inside out: stop at MIN_SIZE and drop the shrink. */
  private clampSize(): void {
    const m = this.mean;
    for (let k = 2; k < 4; k++) {
      if (m[k]! < MIN_SIZE) {
        m[k] = MIN_SIZE;
        if (m[k + 4]! < 0) m[k + 4] = 0;
      }
    }
  }

  private scale(k: number): number {
    return k === 0 || k === 2 ? this.mean[2]! : this.mean[3]!;
  }
}
