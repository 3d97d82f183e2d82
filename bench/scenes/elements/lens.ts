/**
 * What can happen to the camera itself, drawn over the finished (exposed, noisy) frame: a hand or a
 * cloth over the lens, a torch shone into it, the focus ring turned, the camera knocked or turned
 * on its bracket, and (a distractor, not tampering) the camera's auto-exposure stepping.
 *
 * Each effect comes on over `rampS` from `fromS` and goes off over `rampS` from `untilS` (if given).
 * Whatever the lens changes, the sensor's own noise stays: an effect that smooths the picture (a
 * cover, a blur, resampling) adds fresh noise of amplitude `noise` over what it smoothed, as a real
 * sensor behind a covered or defocused lens still shows its grain.
 *
 * - cover:   the frame fades within rampS to a dark, very blurry, low-contrast tone of `colour`
 *            (skin, fabric), shaded unevenly, with light leaking in at one edge;
 * - torch:   a bright bloom centred at `at` that saturates the sensor within about `radius` (share
 *            of the frame width), a veil of stray light over the whole frame, and the lamp's hue cast;
 * - defocus: the whole frame blurred (three box passes ≈ a Gaussian), radius `blur` × frame width;
 * - move:    the camera turned by yawDeg (right +) and pitchDeg (down +): the picture a pinhole
 *            camera sees after a pure rotation is the old one warped by the homography K·R·K⁻¹, so
 *            this is exact but for the strip that comes into view, which is mirrored from the edge;
 * - gain:    luma scaled by `gain` around black (an exposure step, e.g. 0.6 or 1.5).
 */
import type { I420Canvas, Yuv } from '../canvas.js';
import type { DrawContext } from './index.js';

interface LensBase {
  kind: 'lens';
  id: number;
  /** The effect starts coming on at fromS (s)... */
  fromS: number;
  /** ...and starts going off at untilS (default: never). */
  untilS?: number;
  /** Seconds to come on and to go off (default 0.4). */
  rampS?: number;
  /** Fresh sensor noise over what the effect smoothed, luma steps (default 4, as the street scenes). */
  noise?: number;
}

/** A hand, a bag or a cloth over the lens. */
export interface CoverLens extends LensBase {
  effect: 'cover';
  colour: Yuv;
  /** The edge where light leaks past the cover. */
  leak: 'top' | 'bottom' | 'left' | 'right';
}

/** A torch or lamp shone into the lens. */
export interface TorchLens extends LensBase {
  effect: 'torch';
  /** Centre of the bloom, normalised 0..1. */
  at: [number, number];
  /** Radius of the saturated core, share of the frame width. */
  radius: number;
  /** The lamp's colour (its hue is cast over the bloom). */
  colour: Yuv;
}

/** The focus ring turned (or the lens smeared). */
export interface DefocusLens extends LensBase {
  effect: 'defocus';
  /** Blur radius at full strength, share of the frame width. */
  blur: number;
}

/** The camera knocked or turned on its bracket. */
export interface MoveLens extends LensBase {
  effect: 'move';
  yawDeg: number;
  pitchDeg: number;
}

/** An auto-exposure step (not tampering: a distractor). */
export interface GainLens extends LensBase {
  effect: 'gain';
  gain: number;
}

/** Something happening at the lens, from fromS until untilS; see the file comment. */
export type LensElement = CoverLens | TorchLens | DefocusLens | MoveLens | GainLens;

/** A lens element without its kind and id (one of the effects' own shapes). */
export type LensSpec = LensElement extends infer E ? (E extends LensElement ? Omit<E, 'kind' | 'id'> : never) : never;

/** How far the effect is on at t: 0 before fromS, rising to 1 over rampS, falling to 0 over rampS from untilS. */
export function lensStrength(e: LensElement, t: number): number {
  const ramp = e.rampS ?? 0.4;
  const on = ramp > 0 ? (t - e.fromS) / ramp : t >= e.fromS ? 1 : 0;
  const off = e.untilS === undefined ? 1 : ramp > 0 ? 1 - (t - e.untilS) / ramp : t >= e.untilS ? 0 : 1;
  return Math.max(0, Math.min(1, on, off));
}

/** Scratch planes per canvas (a frame's size), made once. */
const scratch = new WeakMap<I420Canvas, { y: Float32Array; u: Float32Array; v: Float32Array; line: Float32Array; copy: Uint8Array }>();

function buffersFor(c: I420Canvas) {
  let s = scratch.get(c);
  if (!s) {
    s = {
      y: new Float32Array(c.y.length), u: new Float32Array(c.u.length), v: new Float32Array(c.v.length),
      line: new Float32Array(Math.max(c.width, c.height) + 1), copy: new Uint8Array(c.data.length),
    };
    scratch.set(c, s);
  }
  return s;
}

/** Draws a lens effect over the finished frame (layer 'lens'). */
export function drawLens(e: LensElement, ctx: DrawContext): void {
  const k = lensStrength(e, ctx.t);
  if (k <= 0) return;
  switch (e.effect) {
    case 'cover':
      return cover(e, k, ctx);
    case 'torch':
      return torch(e, k, ctx);
    case 'defocus':
      return defocus(e, k, ctx);
    case 'move':
      return move(e, k, ctx);
    case 'gain':
      return gain(e, k, ctx);
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Zero-mean noise of amplitude a (the canvas's own kind: the sum of two uniforms). */
function noise(rand: () => number, a: number): number {
  return (rand() + rand() - 1) * a;
}

function cover(e: CoverLens, k: number, ctx: DrawContext): void {
  const { canvas: c, rand } = ctx;
  const { width: w, height: h } = c;
  const amp = (e.noise ?? 4) * k;
  // A cover close to the lens is far out of focus: its shading is a smooth swell across the frame
  // (the palm's curve, a fold of cloth), a few luma steps either way, plus the leak at one edge.
  const leakAt = (x: number, y: number) => {
    const d = e.leak === 'top' ? y / h : e.leak === 'bottom' ? 1 - y / h : e.leak === 'left' ? x / w : 1 - x / w;
    return 90 * Math.exp(-d / 0.12);
  };
  const swell = (x: number, y: number) => 6 * Math.sin((x / w) * 2.3 + 0.7) * Math.cos((y / h) * 1.7 - 0.4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const target = e.colour[0] + swell(x, y) + leakAt(x, y);
      c.y[i] = clamp((1 - k) * c.y[i]! + k * target + noise(rand, amp));
    }
  }
  for (let y = 0; y < c.ch; y++) {
    for (let x = 0; x < c.cw; x++) {
      const j = y * c.cw + x;
      // Leaking daylight is whiter than the cover.
      const l = Math.min(1, leakAt(2 * x, 2 * y) / 90);
      c.u[j] = clamp((1 - k) * c.u[j]! + k * (e.colour[1] + (128 - e.colour[1]) * l));
      c.v[j] = clamp((1 - k) * c.v[j]! + k * (e.colour[2] + (128 - e.colour[2]) * l));
    }
  }
}

function torch(e: TorchLens, k: number, ctx: DrawContext): void {
  const { canvas: c, rand } = ctx;
  const { width: w, height: h } = c;
  // A hand-held lamp wavers a little.
  const cx = (e.at[0] + (rand() - 0.5) * 0.01) * w;
  const cy = (e.at[1] + (rand() - 0.5) * 0.01) * h;
  const r = e.radius * w;
  // Bloom: luma added, 3× saturation at the centre, falling off as a Gaussian whose value is one
  // saturation (about 255 added) at r; a veil of stray light lifts and flattens the whole frame.
  const bloom = (x: number, y: number) => 3 * 255 * Math.exp(-(((x - cx) ** 2 + (y - cy) ** 2) / (r * r)) * Math.log(3));
  const veil = 0.45 * k;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      c.y[i] = clamp(c.y[i]! * (1 - veil) + 200 * veil + k * bloom(x, y));
    }
  }
  for (let y = 0; y < c.ch; y++) {
    for (let x = 0; x < c.cw; x++) {
      const j = y * c.cw + x;
      // The lamp's hue where the bloom is strong, washing to white in the saturated core.
      const b = Math.min(1, (k * bloom(2 * x, 2 * y)) / 255);
      const cast = b * (1 - Math.max(0, b - 0.8) * 5) * 0.7 + veil * 0.3;
      c.u[j] = clamp((1 - cast) * c.u[j]! + cast * e.colour[1]);
      c.v[j] = clamp((1 - cast) * c.v[j]! + cast * e.colour[2]);
    }
  }
}

function defocus(e: DefocusLens, k: number, ctx: DrawContext): void {
  const { canvas: c, rand } = ctx;
  const s = buffersFor(c);
  const radius = Math.round(e.blur * c.width * k);
  if (radius < 1) return;
  blurPlane(c.y, c.width, c.height, radius, s.y, s.line);
  blurPlane(c.u, c.cw, c.ch, Math.max(1, radius >> 1), s.u, s.line);
  blurPlane(c.v, c.cw, c.ch, Math.max(1, radius >> 1), s.v, s.line);
  const amp = e.noise ?? 4;
  for (let i = 0; i < c.y.length; i++) c.y[i] = clamp(s.y[i]! + noise(rand, amp));
  for (let i = 0; i < c.u.length; i++) {
    c.u[i] = clamp(s.u[i]!);
    c.v[i] = clamp(s.v[i]!);
  }
}

/** out = plane blurred by three separable box passes of radius r (edges clamped); `line` is a scratch row. */
function blurPlane(plane: Uint8Array, w: number, h: number, r: number, out: Float32Array, line: Float32Array): void {
  for (let i = 0; i < plane.length; i++) out[i] = plane[i]!;
  for (let pass = 0; pass < 3; pass++) {
    for (let y = 0; y < h; y++) boxLine(out, y * w, 1, w, r, line);
    for (let x = 0; x < w; x++) boxLine(out, x, w, h, r, line);
  }
}

/** One box pass of radius r along n samples of `a` from `start` every `step`, in place. */
function boxLine(a: Float32Array, start: number, step: number, n: number, r: number, line: Float32Array): void {
  for (let i = 0; i < n; i++) line[i] = a[start + i * step]!;
  const at = (i: number) => line[i < 0 ? 0 : i >= n ? n - 1 : i]!;
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += at(i);
  const norm = 1 / (2 * r + 1);
  for (let i = 0; i < n; i++) {
    a[start + i * step] = sum * norm;
    sum += at(i + r + 1) - at(i - r);
  }
}

function move(e: MoveLens, k: number, ctx: DrawContext): void {
  const { canvas: c, rand, camera } = ctx;
  const s = buffersFor(c);
  s.copy.set(c.data);
  const src = { y: s.copy.subarray(0, c.y.length), u: s.copy.subarray(c.y.length, c.y.length + c.u.length), v: s.copy.subarray(c.y.length + c.u.length) };
  const yaw = ((e.yawDeg * Math.PI) / 180) * k;
  const pitch = ((e.pitchDeg * Math.PI) / 180) * k;
  // A pixel's ray in the turned camera, rotated back into the old camera (yaw about its vertical
  // axis, then pitch about its horizontal one), and projected there: where to read it from.
  const [cy, sy, cp, sp] = [Math.cos(yaw), Math.sin(yaw), Math.cos(pitch), Math.sin(pitch)];
  const f = camera.focalPx;
  const warp = (plane: Uint8Array, from: Uint8Array, w: number, h: number, scale: number, amp: number) => {
    const fs = f * scale;
    const [ox, oy] = [(c.width * scale) / 2, (c.height * scale) / 2];
    for (let v = 0; v < h; v++) {
      for (let u = 0; u < w; u++) {
        const x = (u + 0.5 - ox) / fs;
        const y = (v + 0.5 - oy) / fs;
        // Pitch down by `pitch`: the new camera's ray (x, y, 1) in the old camera's frame.
        const y1 = y * cp + sp;
        const z1 = -y * sp + cp;
        // Yaw right by `yaw`.
        const x2 = x * cy + z1 * sy;
        const z2 = -x * sy + z1 * cy;
        plane[v * w + u] = clamp(sample(from, w, h, (x2 / z2) * fs + ox - 0.5, (y1 / z2) * fs + oy - 0.5) + (amp ? noise(rand, amp) : 0));
      }
    }
  };
  // Bilinear resampling averages neighbouring pixels' noise down by up to half: put some back.
  warp(c.y, src.y, c.width, c.height, 1, (e.noise ?? 4) * 0.5);
  warp(c.u, src.u, c.cw, c.ch, 0.5, 0);
  warp(c.v, src.v, c.cw, c.ch, 0.5, 0);
}

/** Bilinear sample at (x, y), mirrored at the edges (the strip newly in view). */
function sample(p: Uint8Array, w: number, h: number, x: number, y: number): number {
  const mx = mirror(x, w - 1);
  const my = mirror(y, h - 1);
  const x0 = Math.floor(mx);
  const y0 = Math.floor(my);
  const x1 = Math.min(w - 1, x0 + 1);
  const y1 = Math.min(h - 1, y0 + 1);
  const fx = mx - x0;
  const fy = my - y0;
  const a = p[y0 * w + x0]! * (1 - fx) + p[y0 * w + x1]! * fx;
  const b = p[y1 * w + x0]! * (1 - fx) + p[y1 * w + x1]! * fx;
  return a * (1 - fy) + b * fy;
}

function mirror(v: number, max: number): number {
  let m = Math.abs(v);
  m = m % (2 * max);
  return m > max ? 2 * max - m : m;
}

function gain(e: GainLens, k: number, ctx: DrawContext): void {
  const y = ctx.canvas.y;
  const g = 1 + (e.gain - 1) * k;
  for (let i = 0; i < y.length; i++) y[i] = clamp(16 + (y[i]! - 16) * g);
}
