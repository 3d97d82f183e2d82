/**
 * Rising water beside the road, read off a staff gauge: a drainage channel along the verge with a
 * gauge board on a post standing in it, and water whose level follows a plan of keyframes. The
 * water fills the channel; once the level passes the bank it spreads over the ground beside the
 * channel (the verge, then the road, which falls gently towards the channel), so its edge moves
 * across the road as the level rises.
 *
 * The gauge is a standard painted board (zero at the channel bed): on the left, black and white
 * bands alternating every 10 cm; on the right a tick at each 10 cm, longer at each half metre, a red
 * bar at each metre, and the decimetre's number beside each tick. Below the waterline the board is
 * hidden: the water shows its own surface with moving ripple highlights and a weak, ripple-broken
 * reflection of the board above it, as real water does.
 *
 * Everything a test needs to know is computed from the same data: the level at any time
 * (`waterLevel`), whether a ground point is under water (`underWater`), and the share of an image
 * zone that is (`waterShare`).
 */
import { project, unprojectGround, type PinholeCamera } from '../camera.js';
import type { Yuv } from '../canvas.js';
import type { DrawContext } from './index.js';

export interface WaterElement {
  kind: 'water';
  id: number;
  /** The staff gauge: ground position of the board's centre (X, Z), its width and height, metres. Its zero is the channel bed (the ground). */
  gauge: { x: number; z: number; widthM: number; heightM: number };
  /** Level keyframes [t s, level m on the gauge], linear between, held before the first and after the last. */
  plan: [number, number][];
  /** The channel the gauge stands in, ground X and Z ranges (metres); x0 is its edge nearer the road. */
  channel: { x0: number; x1: number; z0: number; z1: number };
  /**
   * The ground beside the channel (X < channel.x0): water leaves the channel when the level passes
   * `levelM`, and the ground rises by `slope` (metres per metre) away from the channel, so the
   * water's edge is at X = channel.x0 − (level − levelM) / slope (with a gentle wobble along Z).
   */
  bank: { levelM: number; slope: number };
  /** Colour of the water (default a muddy grey-brown). */
  colour?: Yuv;
}

const MUDDY: Yuv = [96, 121, 134];
const BED: Yuv = [74, 118, 138];
const POST: Yuv = [62, 116, 142];
const BOARD: Yuv = [212, 127, 129];
const INK: Yuv = [34, 128, 128];
const RED: Yuv = [76, 104, 200];
/** Share of the board's contrast its reflection keeps. */
const REFLECTION = 0.22;
/** 3×5 bitmaps of the digits, rows top to bottom, bit 2 = left column. */
const DIGITS = [
  [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 3, 1, 7], [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 2, 2], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
];

/** The water level (gauge metres) at t: linear between the plan's keyframes, held outside them. */
export function waterLevel(w: WaterElement, t: number): number {
  const p = w.plan;
  if (p.length === 0) return 0;
  if (t <= p[0]![0]) return p[0]![1];
  for (let i = 1; i < p.length; i++) {
    const [t1, l1] = p[i]!;
    if (t <= t1) {
      const [t0, l0] = p[i - 1]!;
      return t1 > t0 ? l0 + ((t - t0) / (t1 - t0)) * (l1 - l0) : l1;
    }
  }
  return p[p.length - 1]![1];
}

/** X of the water's edge at Z = z for a level above the bank: it wobbles ±0.3 m along the road. */
export function edgeX(w: WaterElement, z: number, level: number): number {
  return w.channel.x0 - (level - w.bank.levelM) / w.bank.slope + 0.3 * Math.sin(0.55 * z + w.id);
}

/** Whether ground point (x, z) is under water at `level`. */
export function underWater(w: WaterElement, x: number, z: number, level: number): boolean {
  const c = w.channel;
  if (z < c.z0 || z > c.z1 || x > c.x1) return false;
  if (x >= c.x0) return level > 0;
  return level > w.bank.levelM && x >= edgeX(w, z, level);
}

/** Share (0..1) of a normalised image polygon whose ground is under water at `level`, sampled every `step` pixels. */
export function waterShare(w: WaterElement, cam: PinholeCamera, polygon: readonly (readonly [number, number])[], level: number, step = 2): number {
  let inside = 0;
  let wet = 0;
  for (let py = step / 2; py < cam.height; py += step) {
    for (let px = step / 2; px < cam.width; px += step) {
      if (!inPolygon(px / cam.width, py / cam.height, polygon)) continue;
      inside++;
      const g = unprojectGround(cam, px, py);
      if (g && underWater(w, g[0], g[1], level)) wet++;
    }
  }
  return inside ? wet / inside : 0;
}

function inPolygon(x: number, y: number, poly: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < xi + ((y - yi) / (yj - yi)) * (xj - xi)) inside = !inside;
  }
  return inside;
}

/** Draws the channel, the water on the ground, the gauge above the water and its reflection below. */
export function drawWater(w: WaterElement, ctx: DrawContext): void {
  const { camera: cam, canvas, t } = ctx;
  const level = waterLevel(w, t);
  const c = w.channel;
  const z0 = Math.max(c.z0, 1.5);
  const G = (x: number, z: number) => project(cam, [x, 0, z]);
  const poly = (pts: [number, number][]) => pts.map(([x, z]) => G(x, z)).filter((p): p is [number, number] => p !== undefined);
  canvas.fillPolygon(poly([[c.x0, z0], [c.x1, z0], [c.x1, c.z1], [c.x0, c.z1]]), BED, (x, y) => ((Math.imul(x, 2246822519) ^ Math.imul(y, 3266489917)) >>> 28) - 8);
  const colour = w.colour ?? MUDDY;
  const ripples = rippleTexture(t);
  if (level > 0) {
    // The wet ground: the channel, and beyond the bank a strip whose edge follows edgeX along Z.
    const outline: [number, number][] = [[c.x1, z0], [c.x1, c.z1]];
    if (level > w.bank.levelM) {
      for (let z = c.z1; z > z0; z -= 1) outline.push([edgeX(w, z, level), z]);
      outline.push([edgeX(w, z0, level), z0]);
    } else outline.push([c.x0, c.z1], [c.x0, z0]);
    canvas.fillPolygon(poly(outline), colour, ripples);
  }
  drawGauge(w, ctx, level, colour, ripples);
}

/** sin over one turn in SINE_STEPS steps: the ripples call it several times per pixel of water. */
const SINE_STEPS = 4096;
const SINE = Float32Array.from({ length: SINE_STEPS }, (_, i) => Math.sin((2 * Math.PI * i) / SINE_STEPS));
function fastSin(a: number): number {
  return SINE[Math.floor(a * (SINE_STEPS / (2 * Math.PI))) & (SINE_STEPS - 1)]!;
}

/** Ripple highlights: thin bright streaks, elongated across the image, that drift with time; a faint sky gradient. */
function rippleTexture(t: number): (x: number, y: number) => number {
  return (x, y) => {
    const h = fastSin(1.3 * y + 2.1 * fastSin(0.05 * x + 0.7 * t) + 1.9 * t) * fastSin(0.11 * x - 1.1 * t + 0.2 * y);
    return (h > 0.8 ? 90 * (h - 0.8) : 0) + 5 * fastSin(0.02 * x + 0.05 * y + 0.3 * t);
  };
}

/** The post, the board above the waterline with its marks, and the water (with the board's reflection) below it. */
function drawGauge(w: WaterElement, ctx: DrawContext, level: number, colour: Yuv, ripples: (x: number, y: number) => number): void {
  const { camera: cam, canvas } = ctx;
  const g = w.gauge;
  const xl = g.x - g.widthM / 2;
  const xr = g.x + g.widthM / 2;
  const P = (x: number, y: number) => project(cam, [x, y, g.z]);
  /** The board-plane rectangle X [x0, x1], height [y0, y1], clipped to above the water. */
  const rect = (x0: number, x1: number, y0: number, y1: number, col: Yuv) => {
    const lo = Math.max(y0, level);
    if (y1 <= lo) return;
    const pts = [P(x0, lo), P(x1, lo), P(x1, y1), P(x0, y1)];
    if (pts.every((p) => p)) canvas.fillPolygon(pts as [number, number][], col);
  };
  rect(g.x - 0.05, g.x + 0.05, 0, g.heightM + 0.25, POST);
  rect(xl, xr, 0, g.heightM, BOARD);
  const split = xl + 0.55 * g.widthM;
  for (let k = 0; k * 0.1 < g.heightM - 1e-9; k++) {
    const y = k * 0.1;
    if (k % 2 === 0) rect(xl, split, y, Math.min(y + 0.1, g.heightM), INK);
    const metre = k % 10 === 0;
    const half = k % 5 === 0;
    // Tick marks, 2 cm tall: across the right part, longer at each half metre, a red bar at each metre.
    if (metre) rect(xl, xr, y, y + 0.03, RED);
    else rect(half ? split : split + 0.3 * (xr - split), xr, y, y + 0.02, INK);
    // The decimetre's digit above its tick, 6 cm tall, on the right part.
    const bits = DIGITS[k % 10]!;
    const cw = (xr - split) * 0.16;
    const ch = 0.012;
    const dx = split + 0.45 * (xr - split);
    for (let r = 0; r < 5; r++) {
      for (let col = 0; col < 3; col++) {
        if (!(bits[r]! & (4 >> col))) continue;
        const top = y + 0.085 - r * ch;
        rect(dx + col * cw, dx + (col + 1) * cw, top - ch, top, metre ? RED : INK);
      }
    }
  }
  if (level <= 0 || level >= g.heightM) return;
  drawReflection(w, ctx, level, colour, ripples, P);
}

/**
 * Below the waterline, in the board's columns: the water, with the board above mirrored about the
 * waterline at REFLECTION of its contrast, each row shifted sideways by the ripples.
 */
function drawReflection(w: WaterElement, ctx: DrawContext, level: number, colour: Yuv, ripples: (x: number, y: number) => number, P: (x: number, y: number) => [number, number] | undefined): void {
  const { canvas, t } = ctx;
  const g = w.gauge;
  const a = P(g.x - g.widthM / 2, level);
  const b = P(g.x + g.widthM / 2, level);
  const foot = P(g.x, 0);
  if (!a || !b || !foot) return;
  const x0 = Math.max(0, Math.round(a[0]));
  const x1 = Math.min(canvas.width, Math.round(b[0]));
  const line = (a[1] + b[1]) / 2;
  const rows = Math.min(Math.round(foot[1] - line) + 4, 40);
  const wl = Math.ceil(line - 0.5);
  const width = canvas.width;
  for (let k = 0; k < rows; k++) {
    const dst = wl + k;
    const src = wl - 1 - k;
    if (dst >= canvas.height || src < 0) break;
    const shift = Math.round(1.5 * Math.sin(0.9 * k + 2.3 * t));
    for (let x = x0; x < x1; x++) {
      const sx = Math.min(x1 - 1, Math.max(x0, x + shift));
      const mirrored = canvas.y[src * width + sx]!;
      const water = colour[0] + ripples(x, dst);
      canvas.y[dst * width + x] = Math.max(0, Math.min(255, water + REFLECTION * (mirrored - BOARD[0] * 0.6)));
    }
    if ((dst & 1) === 0) {
      const crow = (dst >> 1) * canvas.cw;
      for (let x = x0 + (x0 & 1); x < x1; x += 2) {
        canvas.u[crow + (x >> 1)] = colour[1];
        canvas.v[crow + (x >> 1)] = colour[2];
      }
    }
  }
}
