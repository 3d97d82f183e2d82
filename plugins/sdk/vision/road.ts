/**
 * Road geometry for the vehicle tracker: where lanes meet on the blob grid (laneCuts), a lane's
 * direction on the ground (groundAxis), the class whose 3-D box explains an image box
 * (fitVehicleClass) or a blob's foreground cells (fitVehicleMask), and how far a vehicle stands from
 * where its speed would have taken it (courseOffset).
 */
import type { Point } from '../types.js';
import type { RoadCamera } from './calibration.js';
import type { GroundPlane } from './homography.js';
import { cellsOf } from './profile.js';
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

/** Ground directions a vehicle may lie along, tried in turn (the first wins a tie). */
export type Headings = readonly (readonly [number, number])[];

/**
 * The class whose prototype box best explains an image box: each prototype is set on the road with
 * the middle of its near end at the box's foot, lying along each of `headings` (ground directions; it
 * extends away from the camera), projected through the calibrated camera, clipped to the frame, and
 * compared by IoU. Returns the class and its IoU.
 */
export function fitVehicleClass(cam: RoadCamera, foot: [number, number], headings: Headings, box: Box, classes: readonly VehicleClassSize[], width: number, height: number): { cls: string; iou: number } {
  const clip = clipBox(box, width, height);
  return bestPrototype(cam, foot, headings, classes, () => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < 8; i++) {
      x0 = Math.min(x0, cornerX[i]!); y0 = Math.min(y0, cornerY[i]!); x1 = Math.max(x1, cornerX[i]!); y1 = Math.max(y1, cornerY[i]!);
    }
    return iou(clip, clipBox({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 }, width, height));
  });
}

/** Sideways search for the fits: ± this many metres in this many steps each way. */
const LATERAL_RANGE_M = 1.2;
const LATERAL_STEPS = 6;

/** The 8 projected corners of the prototype being scored (bestPrototype fills them). */
const cornerX = new Float64Array(8);
const cornerY = new Float64Array(8);

/**
 * Sets each class's prototype on the road along each heading (see fitVehicleClass), sliding it
 * sideways, projects its 8 corners into cornerX/cornerY and keeps the class that `score` rates highest.
 */
function bestPrototype(cam: RoadCamera, foot: [number, number], headings: Headings, classes: readonly VehicleClassSize[], score: () => number): { cls: string; iou: number } {
  let best = { cls: classes[0]!.cls, iou: -1 };
  for (const heading of headings) {
    const n = Math.hypot(heading[0], heading[1]) || 1;
    let ax = heading[0] / n;
    let az = heading[1] / n;
    // Extend away from the camera: the foot is the end nearest to it.
    if ((foot[0] - cam.foot[0]) * ax + (foot[1] - cam.foot[1]) * az < 0) {
      ax = -ax;
      az = -az;
    }
    best = bestAlong(cam, foot, ax, az, classes, score, best);
  }
  return best;
}

/** bestPrototype along one unit ground axis (ax, az) pointing away from the camera. */
function bestAlong(
  cam: RoadCamera, foot: [number, number], ax: number, az: number, classes: readonly VehicleClassSize[], score: () => number, bestSoFar: { cls: string; iou: number },
): { cls: string; iou: number } {
  const px = -az;
  const pz = ax;
  let best = bestSoFar;
  // The box's bottom-centre is not the middle of the vehicle's near end when a side face shows (off
  // the camera's axis the box takes in the side too), so each prototype also slides sideways.
  for (const c of classes) {
    for (let k = -LATERAL_STEPS; k <= LATERAL_STEPS; k++) {
      const shift = (k * LATERAL_RANGE_M) / LATERAL_STEPS;
      const fx = foot[0] + px * shift;
      const fz = foot[1] + pz * shift;
      let m = 0;
      for (const along of [0, c.lengthM]) {
        for (const side of [-c.widthM / 2, c.widthM / 2]) {
          for (const h of [0, c.heightM]) {
            const p = cam.project(fx + ax * along + px * side, fz + az * along + pz * side, h);
            if (!p) continue;
            cornerX[m] = p[0];
            cornerY[m] = p[1];
            m++;
          }
        }
      }
      if (m < 8) continue;
      const value = score();
      if (value > best.iou) best = { cls: c.cls, iou: value };
    }
  }
  return best;
}

/**
 * The class whose prototype, set on the road as in fitVehicleClass, best covers the blob's own
 * foreground cells: IoU of the prototype's silhouette (the convex hull of its 8 projected corners,
 * rasterised on the mask grid, clipped to the frame) with the foreground cells inside `box`. A piece
 * of another vehicle touching the blob widens its box a lot but adds few cells, so this fit is not
 * thrown by it the way fitVehicleClass is.
 */
export function fitVehicleMask(
  cam: RoadCamera, foot: [number, number], headings: Headings, fg: Uint8Array, grid: { step: number; width: number; height: number },
  box: Box, classes: readonly VehicleClassSize[], width: number, height: number,
): { cls: string; iou: number } {
  const { step, width: gw, height: gh } = grid;
  const { x0: bx0, x1: bx1, y0: by0, y1: by1 } = cellsOf(box, grid);
  const bw = bx1 - bx0 + 1;
  const bh = by1 - by0 + 1;
  if (bw <= 0 || bh <= 0) return { cls: classes[0]!.cls, iou: -1 };
  // Foreground cells of the box, as prefix sums per row: the cells of any run in one subtraction.
  const stride = bw + 1;
  if (prefix.length < bh * stride) prefix = new Int32Array(bh * stride * 2);
  let area = 0;
  for (let r = 0; r < bh; r++) {
    const row = (by0 + r) * gw + bx0;
    let sum = 0;
    prefix[r * stride] = 0;
    for (let c = 0; c < bw; c++) {
      if (fg[row + c] !== 0) sum++;
      prefix[r * stride + c + 1] = sum;
    }
    area += sum;
  }
  if (area === 0) return { cls: classes[0]!.cls, iou: -1 };
  const lastRow = Math.min(gh - 1, Math.floor((height - step / 2) / step));
  const lastCol = Math.min(gw - 1, Math.floor((width - step / 2) / step));
  return bestPrototype(cam, foot, headings, classes, () => {
    const hn = convexHull();
    let ymin = Infinity, ymax = -Infinity;
    for (let i = 0; i < hn; i++) {
      ymin = Math.min(ymin, hullY[i]!);
      ymax = Math.max(ymax, hullY[i]!);
    }
    let silhouette = 0;
    let inside = 0;
    const g1 = Math.min(lastRow, Math.floor((ymax - step / 2) / step));
    for (let gy = Math.max(0, Math.ceil((ymin - step / 2) / step)); gy <= g1; gy++) {
      // The hull's span on this row of cell centres.
      const y = gy * step + step / 2;
      let xl = Infinity, xr = -Infinity;
      for (let i = 0, j = hn - 1; i < hn; j = i++) {
        const yi = hullY[i]!, yj = hullY[j]!;
        if ((yi <= y) === (yj <= y)) continue;
        const x = hullX[j]! + ((y - yj) * (hullX[i]! - hullX[j]!)) / (yi - yj);
        if (x < xl) xl = x;
        if (x > xr) xr = x;
      }
      const c0 = Math.max(0, Math.ceil((xl - step / 2) / step));
      const c1 = Math.min(lastCol, Math.floor((xr - step / 2) / step));
      if (c0 > c1) continue;
      silhouette += c1 - c0 + 1;
      if (gy < by0 || gy > by1) continue;
      const o0 = Math.max(c0, bx0);
      const o1 = Math.min(c1, bx1);
      if (o0 > o1) continue;
      const r = (gy - by0) * stride;
      inside += prefix[r + o1 - bx0 + 1]! - prefix[r + o0 - bx0]!;
    }
    return inside / (area + silhouette - inside);
  });
}

/** fitVehicleMask's buffers: per-row foreground prefix sums, the corners' order and their hull. */
let prefix = new Int32Array(4096);
const sorted = new Int32Array(8);
const chain = new Int32Array(17);
const hullX = new Float64Array(16);
const hullY = new Float64Array(16);

/** Cross product of corners o→a and o→b: its sign tells which way o, a, b turn (0: in line). */
function turn(o: number, a: number, b: number): number {
  return (cornerX[a]! - cornerX[o]!) * (cornerY[b]! - cornerY[o]!) - (cornerY[a]! - cornerY[o]!) * (cornerX[b]! - cornerX[o]!);
}

/** Convex hull (Andrew's monotone chain) of cornerX/cornerY into hullX/hullY; returns its size. */
function convexHull(): number {
  for (let i = 0; i < 8; i++) {
    // Insertion sort by x, then y.
    let j = i;
    while (j > 0 && (cornerX[sorted[j - 1]!]! > cornerX[i]! || (cornerX[sorted[j - 1]!]! === cornerX[i]! && cornerY[sorted[j - 1]!]! > cornerY[i]!))) {
      sorted[j] = sorted[j - 1]!;
      j--;
    }
    sorted[j] = i;
  }
  let n = 0;
  for (let t = 0; t < 8; t++) {
    while (n >= 2 && turn(chain[n - 2]!, chain[n - 1]!, sorted[t]!) <= 0) n--;
    chain[n++] = sorted[t]!;
  }
  const lower = n + 1;
  for (let t = 6; t >= 0; t--) {
    while (n >= lower && turn(chain[n - 2]!, chain[n - 1]!, sorted[t]!) <= 0) n--;
    chain[n++] = sorted[t]!;
  }
  n--;
  for (let i = 0; i < n; i++) {
    hullX[i] = cornerX[chain[i]!]!;
    hullY[i] = cornerY[chain[i]!]!;
  }
  return n;
}

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

