/**
 * A smoke plume rising from a source on the ground (a grass fire, a burning bin): puffs leave the
 * source at a steady rate, rise, drift with the wind and grow as they age, fading out at the end of
 * their life. Smoke is a scattering medium, so what is behind it is both veiled (blended toward the
 * smoke's grey, chroma toward neutral) and low-passed (edges soften but stay visible through thin
 * smoke): each pixel under the plume is replaced by a mix of itself and its local box mean, then
 * blended toward the grey with the plume's accumulated opacity. Puffs are shaped from a hash of
 * their index, so one puff keeps its look from frame to frame while it drifts.
 */
import { project, type PinholeCamera, type Vec3 } from '../camera.js';
import type { I420Canvas } from '../canvas.js';
import type { DrawContext } from './index.js';

export interface SmokeElement {
  kind: 'smoke';
  id: number;
  /** Ground position of the source, metres. */
  x: number;
  z: number;
  /** First puff leaves the source at this time. */
  startS: number;
  /** No new puffs from this time (the plume then drifts away); default never. */
  untilS?: number;
  /** Wind along X and Z, m/s. */
  wind: [number, number];
  /** Peak opacity of one puff, 0..1 (overlapping puffs add up). */
  density: number;
  /** Grey level of the smoke, luma (default 175: light grey, as smouldering vegetation gives). */
  luma?: number;
  /** Rise speed, m/s (default 0.35). */
  riseMps?: number;
  /** Puffs per second (default 3). */
  puffsPerS?: number;
  /** Puff life, seconds (default 16). */
  lifeS?: number;
  /** Radius of a new puff, metres (default 0.6), and its growth, metres per second (default 0.3). */
  sizeM?: number;
  growMps?: number;
}

/** Widest blur radius under the plume, pixels. */
const MAX_BLUR = 3;

/** Per-canvas work buffers: the plume's opacity, grey and blur radius per pixel, and integral images. */
interface Work {
  alpha: Float32Array;
  grey: Float32Array;
  blur: Float32Array;
  sum: Float64Array;
}
const work = new WeakMap<I420Canvas, Work>();

function workOf(canvas: I420Canvas): Work {
  let w = work.get(canvas);
  if (!w) {
    const n = canvas.width * canvas.height;
    w = { alpha: new Float32Array(n), grey: new Float32Array(n), blur: new Float32Array(n), sum: new Float64Array((canvas.width + 1) * (canvas.height + 1)) };
    work.set(canvas, w);
  }
  return w;
}

/** A fixed pseudo-random number in [0, 1) for puff `i`, draw `k`: the same in every frame. */
function hash(id: number, i: number, k: number): number {
  let h = Math.imul(id + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(k + 7, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

/** Draws the plume at ctx.t and adds its truth (kind 'smoke', the box of the visible plume). */
export function drawSmoke(s: SmokeElement, ctx: DrawContext): void {
  const { canvas } = ctx;
  const w = workOf(canvas);
  const box = accumulate(s, ctx.camera, ctx.t, w);
  if (!box) return;
  compose(canvas, w, box[0], box[1], box[2], box[3], MAX_BLUR);
  ctx.objects.push({ id: s.id, kind: 'smoke', box: [box[0], box[1], box[2] - box[0] + 1, box[3] - box[1] + 1], ground: [s.x, s.z] });
}

/** Buffers for smokeCoverage, by frame size. */
const coverageWork = new Map<string, Work>();

/**
 * Pixels of the frame where the plume's opacity at t is at least `minAlpha`: the truth of how much
 * of the view the smoke covers (the scenarios' expected smoke times come from it).
 */
export function smokeCoverage(s: SmokeElement, camera: PinholeCamera, t: number, minAlpha: number): number {
  const key = `${camera.width}x${camera.height}`;
  let w = coverageWork.get(key);
  if (!w) {
    const n = camera.width * camera.height;
    w = { alpha: new Float32Array(n), grey: new Float32Array(n), blur: new Float32Array(n), sum: new Float64Array(0) };
    coverageWork.set(key, w);
  }
  const box = accumulate(s, camera, t, w);
  if (!box) return 0;
  let n = 0;
  for (let y = box[1]; y <= box[3]; y++) {
    for (let x = box[0]; x <= box[2]; x++) {
      const p = y * camera.width + x;
      if (w.alpha[p]! >= minAlpha) n++;
      w.alpha[p] = 0;
      w.grey[p] = 0;
      w.blur[p] = 0;
    }
  }
  return n;
}

/**
 * Adds every live puff at t into the opacity, grey and blur buffers of `w` (which must be clear) and
 * returns the inclusive pixel box [x0, y0, x1, y1] they touched, or undefined when none shows.
 */
function accumulate(s: SmokeElement, camera: PinholeCamera, t: number, w: Work): [number, number, number, number] | undefined {
  if (t < s.startS) return undefined;
  const W = camera.width;
  const H = camera.height;
  const rate = s.puffsPerS ?? 3;
  const life = s.lifeS ?? 16;
  const rise = s.riseMps ?? 0.35;
  const size = s.sizeM ?? 0.6;
  const grow = s.growMps ?? 0.3;
  const luma = s.luma ?? 175;
  let bx0 = W;
  let by0 = H;
  let bx1 = -1;
  let by1 = -1;
  const first = Math.max(0, Math.ceil((t - life - s.startS) * rate));
  const last = Math.floor(((s.untilS !== undefined ? Math.min(t, s.untilS) : t) - s.startS) * rate);
  for (let i = first; i <= last; i++) {
    const age = t - (s.startS + i / rate);
    if (age < 0 || age >= life) continue;
    // Gusts: each puff drifts a little off the mean wind and rises at its own pace.
    const gx = (hash(s.id, i, 0) - 0.5) * 0.5;
    const gz = (hash(s.id, i, 1) - 0.5) * 0.5;
    const r = (size + grow * age) * (0.8 + 0.4 * hash(s.id, i, 2));
    const centre: Vec3 = [s.x + (s.wind[0] + gx) * age, size + rise * age * (0.8 + 0.4 * hash(s.id, i, 3)), s.z + (s.wind[1] + gz) * age];
    const c = project(camera, centre);
    const e = project(camera, [centre[0] + r, centre[1], centre[2]]);
    if (!c || !e) continue;
    const rPx = Math.abs(e[0] - c[0]);
    if (rPx < 1) continue;
    // Thick as it leaves the source, thinning out as it spreads and ages.
    const a = s.density * (0.7 + 0.3 * hash(s.id, i, 4)) * Math.min(1, age / 0.8) * Math.pow(1 - age / life, 1.5);
    const g = luma + (hash(s.id, i, 5) - 0.5) * 24;
    const squash = 0.75 + 0.5 * hash(s.id, i, 6);
    const x0 = Math.max(0, Math.floor(c[0] - rPx));
    const x1 = Math.min(W - 1, Math.ceil(c[0] + rPx));
    const y0 = Math.max(0, Math.floor(c[1] - rPx * squash));
    const y1 = Math.min(H - 1, Math.ceil(c[1] + rPx * squash));
    if (x0 > x1 || y0 > y1) continue;
    const blur = Math.min(MAX_BLUR, 0.5 + rPx * 0.08);
    for (let y = y0; y <= y1; y++) {
      const dy = (y + 0.5 - c[1]) / (rPx * squash);
      for (let x = x0; x <= x1; x++) {
        const dx = (x + 0.5 - c[0]) / rPx;
        const d2 = dx * dx + dy * dy;
        if (d2 >= 1) continue;
        const k = 1 - d2;
        const wgt = a * k * k;
        if (wgt <= 0) continue;
        const p = y * W + x;
        const A = w.alpha[p]!;
        const An = A + wgt - A * wgt;
        w.grey[p] = (w.grey[p]! * A * (1 - wgt) + g * wgt) / An;
        w.alpha[p] = An;
        if (blur * Math.min(1, 3 * k) > w.blur[p]!) w.blur[p] = blur * Math.min(1, 3 * k);
      }
    }
    bx0 = Math.min(bx0, x0);
    by0 = Math.min(by0, y0);
    bx1 = Math.max(bx1, x1);
    by1 = Math.max(by1, y1);
  }
  return bx1 < bx0 ? undefined : [bx0, by0, bx1, by1];
}

/**
 * Blends the plume held in `w` over the box [x0..x1] × [y0..y1]: each pixel toward its box mean (radius
 * from `w.blur`, via an integral image of the box grown by `pad`), then toward the grey; chroma toward
 * 128 with the same opacity. Clears `w` over the box for the next frame.
 */
function compose(canvas: I420Canvas, w: Work, x0: number, y0: number, x1: number, y1: number, pad: number): void {
  const W = canvas.width;
  const H = canvas.height;
  const ix0 = Math.max(0, x0 - pad);
  const iy0 = Math.max(0, y0 - pad);
  const ix1 = Math.min(W - 1, x1 + pad);
  const iy1 = Math.min(H - 1, y1 + pad);
  const iw = ix1 - ix0 + 2;
  const sum = w.sum;
  // sum[(y - iy0 + 1) * iw + (x - ix0 + 1)] = Σ luma over [ix0..x] × [iy0..y].
  for (let x = 0; x < iw; x++) sum[x] = 0;
  for (let y = iy0; y <= iy1; y++) {
    const row = (y - iy0 + 1) * iw;
    sum[row] = 0;
    let acc = 0;
    for (let x = ix0; x <= ix1; x++) {
      acc += canvas.y[y * W + x]!;
      sum[row + x - ix0 + 1] = sum[row - iw + x - ix0 + 1]! + acc;
    }
  }
  const { alpha, grey, blur } = w;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = y * W + x;
      const A = alpha[p]!;
      if (A <= 0) continue;
      const r = Math.round(blur[p]!);
      let v = canvas.y[p]!;
      if (r >= 1) {
        const ax = Math.max(ix0, x - r) - ix0;
        const bx = Math.min(ix1, x + r) - ix0 + 1;
        const ay = Math.max(iy0, y - r) - iy0;
        const by = Math.min(iy1, y + r) - iy0 + 1;
        const mean = (sum[by * iw + bx]! - sum[ay * iw + bx]! - sum[by * iw + ax]! + sum[ay * iw + ax]!) / ((bx - ax) * (by - ay));
        const m = Math.min(1, 1.5 * A);
        v = v + m * (mean - v);
      }
      canvas.y[p] = Math.round(v + A * (grey[p]! - v));
      if ((x & 1) === 0 && (y & 1) === 0) {
        const q = (y >> 1) * canvas.cw + (x >> 1);
        canvas.u[q] = Math.round(canvas.u[q]! + A * (128 - canvas.u[q]!));
        canvas.v[q] = Math.round(canvas.v[q]! + A * (128 - canvas.v[q]!));
      }
      alpha[p] = 0;
      grey[p] = 0;
      blur[p] = 0;
    }
  }
}
