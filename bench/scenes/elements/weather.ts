/**
 * Weather over the whole view, the smoke and fire detectors' frame-wide distractors:
 * - fog: a haze that rolls in, holds and clears. Its veil grows with distance (Koschmieder: the
 *   share of airlight is 1 − exp(−d / visibility)), so far ground fades more than near ground, and it
 *   pulls every pixel toward the fog's grey and chroma toward neutral;
 * - cloud shadows: large soft-edged ellipses on the ground, drifting with the wind, that take away
 *   a share of the light. A camera sees a surface of fixed colour under less light as the same
 *   colour scaled down: in limited-range YCbCr luma above black (16) and the chroma's distance from
 *   neutral (128) both scale by the light's factor, so a shadow darkens Y and pulls U and V toward
 *   128 together (the bluer tint of skylight in a shadow is left out);
 * - a sunset tint: the whole frame warms (Cb down, Cr up) and dims a little, slowly;
 * - rain: the overcast light that comes with it (the frame dims and its colours go grey), and the
 *   drops as a camera sees them: each falls several metres during one exposure, so it is a thin,
 *   slanted, partly transparent streak, lighter than what it crosses (it catches the sky's light).
 *   Nearer drops make longer, brighter streaks. Streaks fall from frame to frame (each drop's
 *   height is its phase plus its speed times t, wrapping round the frame), so they never stay put.
 * Ground distances come from the camera model per image row, so the element costs a few operations
 * per pixel.
 */
import { unprojectGround } from '../camera.js';
import type { DrawContext } from './index.js';

export interface WeatherElement {
  kind: 'weather';
  id: number;
  /** Fog rolling in at fromS over rampS, holding holdS (default: to the end), then clearing over rampS. */
  fog?: { fromS: number; rampS: number; holdS?: number; visibilityM: number; luma?: number };
  /** Cloud shadows: `count` ellipses of about sizeM, moving along X at speedMps, darkening luma to (1 − darkness). */
  clouds?: { count: number; seed: number; sizeM: number; speedMps: number; darkness: number; fromS?: number };
  /** A sunset cast reaching `strength` (0..1) from fromS over rampS. */
  tint?: { fromS: number; rampS: number; strength: number };
  /**
   * Rain from fromS (default 0; reaching full strength over rampS, default 10 s) until untilS
   * (default: the end; easing off over rampS): `density` streaks per 10,000 pixels, the light
   * dimmed by `darkness` (0..1), and the streaks slanted by `slant` (pixels across per pixel down: wind).
   */
  rain?: { seed: number; density: number; darkness: number; fromS?: number; rampS?: number; untilS?: number; slant?: number };
}

/** Ground of one image row: Z at the centre column, and metres of X per pixel of column. */
function rowGround(ctx: DrawContext, row: number): [number, number] | undefined {
  const cam = ctx.camera;
  const g = unprojectGround(cam, cam.width / 2, row + 0.5);
  const e = unprojectGround(cam, cam.width / 2 + cam.focalPx, row + 0.5);
  return g && e ? [g[1], e[0] / cam.focalPx] : undefined;
}

/** A fixed pseudo-random number in [0, 1) for cloud i of a seed. */
function hash(seed: number, i: number, k: number): number {
  let h = Math.imul(seed + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(k + 11, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return ((h ^ (h >>> 13)) >>> 0) / 4294967296;
}

/** Share of full fog at t: a linear ramp in, a hold, a linear ramp out. */
export function fogLevel(fog: NonNullable<WeatherElement['fog']>, t: number): number {
  const up = (t - fog.fromS) / fog.rampS;
  if (up <= 0) return 0;
  if (fog.holdS === undefined || t < fog.fromS + fog.rampS + fog.holdS) return Math.min(1, up);
  return Math.max(0, 1 - (t - fog.fromS - fog.rampS - fog.holdS) / fog.rampS);
}

/** Draws the weather at ctx.t. */
export function drawWeather(w: WeatherElement, ctx: DrawContext): void {
  const { canvas, t } = ctx;
  const W = canvas.width;
  const H = canvas.height;
  const Y = canvas.y;
  if (w.clouds && t >= (w.clouds.fromS ?? 0)) drawCloudShadows(w.clouds, ctx);
  if (w.rain) drawRain(w.rain, ctx);
  if (w.tint && t > w.tint.fromS) {
    const s = w.tint.strength * Math.min(1, (t - w.tint.fromS) / w.tint.rampS);
    for (let i = 0; i < Y.length; i++) Y[i] = Math.round(16 + (Y[i]! - 16) * (1 - 0.12 * s));
    for (let i = 0; i < canvas.u.length; i++) {
      canvas.u[i] = Math.max(16, Math.round(canvas.u[i]! - 30 * s));
      canvas.v[i] = Math.min(240, Math.round(canvas.v[i]! + 30 * s));
    }
  }
  if (w.fog) {
    const level = fogLevel(w.fog, t);
    if (level <= 0) return;
    const luma = w.fog.luma ?? 190;
    for (let row = 0; row < H; row++) {
      const g = rowGround(ctx, row);
      const d = g ? Math.hypot(g[0], ctx.camera.heightM) : Infinity;
      const a = level * (1 - Math.exp(-d / w.fog.visibilityM));
      for (let x = 0, i = row * W; x < W; x++, i++) Y[i] = Math.round(Y[i]! + a * (luma - Y[i]!));
      if ((row & 1) === 0) {
        for (let x = 0, j = (row >> 1) * canvas.cw; x < canvas.cw; x++, j++) {
          canvas.u[j] = Math.round(canvas.u[j]! + a * (128 - canvas.u[j]!));
          canvas.v[j] = Math.round(canvas.v[j]! + a * (128 - canvas.v[j]!));
        }
      }
    }
  }
}

/** Light left per column of one row, reused across rows and frames. */
const shadeRows = new WeakMap<DrawContext['canvas'], Float32Array>();

/** Darkens the ground under the cloud shadows at ctx.t, luma and chroma alike (see the file comment). */
function drawCloudShadows(c: NonNullable<WeatherElement['clouds']>, ctx: DrawContext): void {
  const { canvas, t } = ctx;
  const W = canvas.width;
  let shade = shadeRows.get(canvas);
  if (!shade) shadeRows.set(canvas, (shade = new Float32Array(W)));
  // Clouds start spread over X in [-80, 80] m, Z in [0, 80] m and wrap round a 160 m span as they drift.
  const cl = Array.from({ length: c.count }, (_, i) => {
    const size = c.sizeM * (0.6 + 0.8 * hash(c.seed, i, 0));
    const x = ((((hash(c.seed, i, 1) * 160 + c.speedMps * t) % 160) + 160) % 160) - 80;
    return { x, z: hash(c.seed, i, 2) * 80, rx: size, rz: size * (0.5 + 0.5 * hash(c.seed, i, 3)) };
  });
  for (let row = 0; row < canvas.height; row++) {
    const g = rowGround(ctx, row);
    if (!g) continue;
    const [z, perPx] = g;
    let shaded = false;
    for (const e of cl) {
      const dz = (z - e.z) / e.rz;
      if (dz <= -1 || dz >= 1) continue;
      // The columns this ellipse covers on this row.
      const half = e.rx * Math.sqrt(1 - dz * dz);
      const x0 = Math.max(0, Math.floor((e.x - half) / perPx + W / 2 - 0.5));
      const x1 = Math.min(W - 1, Math.ceil((e.x + half) / perPx + W / 2 - 0.5));
      for (let x = x0; x <= x1; x++) {
        const d = Math.hypot(((x + 0.5 - W / 2) * perPx - e.x) / e.rx, dz);
        if (d >= 1) continue;
        if (!shaded) {
          shade.fill(1);
          shaded = true;
        }
        // Soft edge over the outer 40 % of the radius.
        shade[x] = shade[x]! * (1 - c.darkness * Math.min(1, (1 - d) / 0.4));
      }
    }
    if (!shaded) continue;
    for (let x = 0, i = row * W; x < W; x++, i++) if (shade[x]! < 1) canvas.y[i] = Math.round(16 + (canvas.y[i]! - 16) * shade[x]!);
    // Each chroma sample covers two rows and two columns: it takes the light of its top row's pair.
    if (row & 1) continue;
    for (let x = 0, j = (row >> 1) * canvas.cw; x < canvas.cw; x++, j++) {
      const k = (shade[2 * x]! + shade[Math.min(W - 1, 2 * x + 1)]!) / 2;
      if (k >= 1) continue;
      canvas.u[j] = Math.round(128 + (canvas.u[j]! - 128) * k);
      canvas.v[j] = Math.round(128 + (canvas.v[j]! - 128) * k);
    }
  }
}

/** Strength of the rain at t (0..1): a ramp in from fromS, a ramp out after untilS. */
export function rainLevel(r: NonNullable<WeatherElement['rain']>, t: number): number {
  const ramp = r.rampS ?? 10;
  const up = (t - (r.fromS ?? 0)) / ramp;
  const down = r.untilS === undefined ? 1 : 1 - (t - r.untilS) / ramp;
  return Math.max(0, Math.min(1, up, down));
}

/** Dims the frame for the overcast, then draws the falling streaks (see the file comment). */
function drawRain(r: NonNullable<WeatherElement['rain']>, ctx: DrawContext): void {
  const { canvas, t } = ctx;
  const k = rainLevel(r, t);
  if (k <= 0) return;
  const W = canvas.width;
  const H = canvas.height;
  const Y = canvas.y;
  // Overcast: less light (luma above black scales down) and greyer colours.
  const light = 1 - r.darkness * k;
  for (let i = 0; i < Y.length; i++) Y[i] = Math.round(16 + (Y[i]! - 16) * light);
  const grey = 0.35 * r.darkness * k;
  for (let i = 0; i < canvas.u.length; i++) {
    canvas.u[i] = Math.round(canvas.u[i]! + grey * (128 - canvas.u[i]!));
    canvas.v[i] = Math.round(canvas.v[i]! + grey * (128 - canvas.v[i]!));
  }
  const scale = W / 640;
  const slant = r.slant ?? 0.15;
  const count = Math.round((r.density * k * W * H) / 10000);
  for (let i = 0; i < count; i++) {
    // Depth 0 (far) .. 1 (near): longer, brighter, faster streaks.
    const near = hash(r.seed, i, 20);
    const len = (8 + 22 * near) * scale;
    const speed = (1.2 + 1.8 * near) * H;
    const span = H + len;
    const top = ((hash(r.seed, i, 21) * span + speed * t) % span) - len;
    const x0 = hash(r.seed, i, 22) * (W + slant * H) - slant * H;
    const alpha = 0.12 + 0.22 * near;
    const luma = 175 + 40 * near;
    const y0 = Math.max(0, Math.ceil(top));
    const y1 = Math.min(H, Math.floor(top + len));
    for (let y = y0; y < y1; y++) {
      const x = Math.round(x0 + slant * y);
      if (x < 0 || x >= W) continue;
      const j = y * W + x;
      Y[j] = Math.round(Y[j]! + alpha * (luma - Y[j]!));
    }
  }
}
