/**
 * Road geometry for the vehicle tracker: where lanes meet on the blob grid (laneCuts), a lane's
 * direction on the ground (groundAxis), and the class whose 3-D box explains an image box
 * (fitVehicleClass), and how far a vehicle stands from where its speed would have taken it (courseOffset).
 */
import type { Point } from '../types.js';
import type { RoadCamera } from './calibration.js';
import type { GroundPlane } from './homography.js';
import type { Box } from './types.js';
import { iou } from './tracker.js';
import type { VehicleClassSize } from './vehicles.js';

/** Grid cells on the shared border of two lanes (both sides marked, so 8-connected blobs cannot leak through). */
export function laneCuts(lanes: Point[][], grid: { step: number; width: number; height: number }): Uint8Array | undefined {
  if (lanes.length < 2) return undefined;
  const { step, width: gw, height: gh } = grid;
  // Each cell takes the first lane holding its centre (pointInPolygon's even-odd rule), filled a row
  // at a time between the polygon's edge crossings: one pass per row, not a polygon test per cell.
  const region = new Uint8Array(gw * gh);
  const xs: number[] = [];
  for (let gy = 0; gy < gh; gy++) {
    const y = gy * step + step / 2;
    for (let k = 0; k < lanes.length; k++) {
      const poly = lanes[k]!;
      xs.length = 0;
      for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        const [xi, yi] = poly[i]!;
        const [xj, yj] = poly[j]!;
        if (yi > y !== yj > y) xs.push(xj + ((y - yj) * (xi - xj)) / (yi - yj));
      }
      xs.sort((a, b) => a - b);
      // Inside from one crossing (included) to the next (excluded): cell centres gx * step + step / 2 there.
      for (let m = 0; m + 1 < xs.length; m += 2) {
        const from = Math.max(0, Math.ceil((xs[m]! - step / 2) / step));
        const to = Math.min(gw - 1, Math.ceil((xs[m + 1]! - step / 2) / step) - 1);
        for (let gx = from; gx <= to; gx++) if (region[gy * gw + gx] === 0) region[gy * gw + gx] = k + 1;
      }
    }
  }
  const cuts = new Uint8Array(gw * gh);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const i = gy * gw + gx;
      const a = region[i]!;
      if (a === 0) continue;
      // The right and lower neighbours (each border is seen once from its upper-left side).
      const right = gx + 1 < gw ? region[i + 1]! : 0;
      if (right !== 0 && right !== a) cuts[i] = cuts[i + 1] = 1;
      const below = gy + 1 < gh ? region[i + gw]! : 0;
      if (below !== 0 && below !== a) cuts[i] = cuts[i + gw] = 1;
    }
  }
  return cuts;
}

/**
 * The long axis on the ground of an image polygon (a lane): the principal direction of its corners
 * on the plane. Undefined when a corner lies above the horizon.
 */
export function groundAxis(plane: GroundPlane, polygon: readonly Point[]): [number, number] | undefined {
  const pts: [number, number][] = [];
  for (const p of polygon) {
    const g = plane.imageToGround(p);
    if (!g) return undefined;
    pts.push([g[0], g[1]]);
  }
  const n = pts.length;
  const mx = pts.reduce((a, p) => a + p[0], 0) / n;
  const mz = pts.reduce((a, p) => a + p[1], 0) / n;
  let sxx = 0, sxz = 0, szz = 0;
  for (const [x, z] of pts) {
    sxx += (x - mx) ** 2;
    sxz += (x - mx) * (z - mz);
    szz += (z - mz) ** 2;
  }
  const angle = 0.5 * Math.atan2(2 * sxz, sxx - szz);
  return [Math.cos(angle), Math.sin(angle)];
}

/**
 * The class whose prototype box best explains an image box: each prototype is set on the road with
 * the middle of its near end at the box's foot, lying along `heading` (a ground direction; it extends
 * away from the camera), projected through the calibrated camera, clipped to the frame, and compared
 * by IoU. Returns the class and its IoU.
 */
export function fitVehicleClass(cam: RoadCamera, foot: [number, number], heading: [number, number], box: Box, classes: readonly VehicleClassSize[], width: number, height: number): { cls: string; iou: number } {
  const n = Math.hypot(heading[0], heading[1]) || 1;
  let ax = heading[0] / n;
  let az = heading[1] / n;
  // Extend away from the camera: the foot is the end nearest to it.
  if ((foot[0] - cam.foot[0]) * ax + (foot[1] - cam.foot[1]) * az < 0) {
    ax = -ax;
    az = -az;
  }
  const px = -az;
  const pz = ax;
  const clip = clipBox(box, width, height);
  let best = { cls: classes[0]!.cls, iou: -1 };
  // The box's bottom-centre is not the middle of the vehicle's near end when a side face shows (off
  // the camera's axis the box takes in the side too), so each prototype also slides sideways.
  for (const c of classes) {
    for (let k = -LATERAL_STEPS; k <= LATERAL_STEPS; k++) {
      const shift = (k * LATERAL_RANGE_M) / LATERAL_STEPS;
      const fx = foot[0] + px * shift;
      const fz = foot[1] + pz * shift;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      let ok = true;
      for (const along of [0, c.lengthM]) {
        for (const side of [-c.widthM / 2, c.widthM / 2]) {
          for (const h of [0, c.heightM]) {
            const p = cam.project(fx + ax * along + px * side, fz + az * along + pz * side, h);
            if (!p) { ok = false; continue; }
            x0 = Math.min(x0, p[0]); y0 = Math.min(y0, p[1]); x1 = Math.max(x1, p[0]); y1 = Math.max(y1, p[1]);
          }
        }
      }
      if (!ok) continue;
      const score = iou(clip, clipBox({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, width, height));
      if (score > best.iou) best = { cls: c.cls, iou: score };
    }
  }
  return best;
}

/** Sideways search for fitVehicleClass: ± this many metres in this many steps each way. */
const LATERAL_RANGE_M = 1.2;
const LATERAL_STEPS = 6;

function clipBox(b: Box, width: number, height: number): Box {
  const x0 = Math.max(0, b.x);
  const y0 = Math.max(0, b.y);
  const x1 = Math.min(width, b.x + b.w);
  const y1 = Math.min(height, b.y + b.h);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0) };
}

/**
 * How far `at` (ground, metres) lies from where a vehicle last at `from`, moving at `velocity` (m/s),
 * would be `dtS` seconds later: `along` its direction of travel (negative is behind) and `across` it
 * (its sign tells the side). Undefined when the velocity is zero.
 */
export function courseOffset(from: readonly number[], velocity: { vx: number; vz: number }, dtS: number, at: readonly number[]): { along: number; across: number } | undefined {
  const speed = Math.hypot(velocity.vx, velocity.vz);
  if (speed === 0) return undefined;
  const ax = velocity.vx / speed;
  const az = velocity.vz / speed;
  const dx = at[0]! - (from[0]! + velocity.vx * dtS);
  const dz = at[1]! - (from[1]! + velocity.vz * dtS);
  return { along: dx * ax + dz * az, across: dx * az - dz * ax };
}
