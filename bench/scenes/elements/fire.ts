/**
 * Flames on the ground at a point: a row of tongues, each a red-orange outer flame around an orange
 * body and a yellow-white core, redrawn every frame from the scene's random stream, so each tongue's
 * height, lean and width change from frame to frame as a real fire's do (flame flicker is broadband,
 * roughly 1–10 Hz, and not periodic). The fire may grow from a small start to its full size, and
 * casts a flickering orange glow on the ground around it.
 */
import { project } from '../camera.js';
import type { Yuv } from '../canvas.js';
import type { DrawContext } from './index.js';

export interface FireElement {
  kind: 'fire';
  id: number;
  /** Ground position of the fire's centre, metres. */
  x: number;
  z: number;
  /** Lit at this time; out at untilS (default never). */
  startS: number;
  untilS?: number;
  /** Full width and flame height, metres. */
  widthM: number;
  heightM: number;
  /** Seconds from a fire a third of full size to full size (default 0: full size at once). */
  growS?: number;
}

/** Flame colours (BT.601 limited range), outside in: red-orange, orange, yellow, white-yellow core. */
const OUTER: Yuv = [122, 70, 228];
const BODY: Yuv = [160, 48, 184];
const INNER: Yuv = [200, 62, 152];
const CORE: Yuv = [228, 104, 136];
const GLOW: Yuv = [150, 80, 180];

/** Whether the fire burns at t. */
export function fireLit(f: FireElement, t: number): boolean {
  return t >= f.startS && (f.untilS === undefined || t < f.untilS);
}

/** Draws the flames at ctx.t (when lit) and adds their truth (kind 'fire'). */
export function drawFire(f: FireElement, ctx: DrawContext): void {
  const t = ctx.t;
  if (!fireLit(f, t)) return;
  const { camera, canvas, rand } = ctx;
  const grown = f.growS ? Math.min(1, 1 / 3 + ((2 / 3) * (t - f.startS)) / f.growS) : 1;
  const width = f.widthM * grown;
  const height = f.heightM * grown;
  // Glow on the ground: a flat ellipse, brighter and dimmer with the flames.
  const glow: [number, number][] = [];
  for (let i = 0; i < 16; i++) {
    const a = (i / 16) * 2 * Math.PI;
    const p = project(camera, [f.x + Math.cos(a) * width * 0.8, 0, f.z + Math.sin(a) * width * 0.6]);
    if (p) glow.push(p);
  }
  canvas.fillPolygon(glow, GLOW, undefined, 0.18 + 0.14 * rand());
  const tongues = Math.max(3, Math.round(width / 0.25));
  let u0 = Infinity;
  let v0 = Infinity;
  let u1 = -Infinity;
  let v1 = -Infinity;
  for (let j = 0; j < tongues; j++) {
    const off = tongues > 1 ? j / (tongues - 1) - 0.5 : 0;
    const cx = f.x + off * width * 0.85 + (rand() - 0.5) * 0.05 * width;
    const half = (width / tongues) * (0.6 + 0.5 * rand());
    // The middle tongues are the tallest; each one jumps between 40 % and 100 % of its height.
    const h = height * (1 - 0.55 * Math.abs(off)) * (0.4 + 0.6 * rand());
    const lean = (rand() - 0.5) * 0.5 * h;
    const layers: [Yuv, number][] = [[OUTER, 1], [BODY, 0.75], [INNER, 0.5], [CORE, 0.28]];
    for (const [colour, k] of layers) {
      const hw = half * (0.4 + 0.6 * k);
      const pts = [
        project(camera, [cx - hw, 0, f.z]),
        project(camera, [cx - hw * 0.9 + lean * 0.2, h * k * 0.45, f.z]),
        project(camera, [cx + lean * k, h * k, f.z]),
        project(camera, [cx + hw * 0.9 + lean * 0.2, h * k * 0.45, f.z]),
        project(camera, [cx + hw, 0, f.z]),
      ];
      if (pts.some((p) => !p)) continue;
      const jitter = (rand() - 0.5) * 16;
      canvas.fillPolygon(pts as [number, number][], [colour[0] + jitter, colour[1], colour[2]]);
      for (const p of pts as [number, number][]) {
        u0 = Math.min(u0, p[0]);
        u1 = Math.max(u1, p[0]);
        v0 = Math.min(v0, p[1]);
        v1 = Math.max(v1, p[1]);
      }
    }
  }
  const x0 = Math.max(0, u0);
  const y0 = Math.max(0, v0);
  const x1 = Math.min(camera.width, u1);
  const y1 = Math.min(camera.height, v1);
  if (x1 - x0 >= 1 && y1 - y0 >= 1) ctx.objects.push({ id: f.id, kind: 'fire', box: [x0, y0, x1 - x0, y1 - y0], ground: [f.x, f.z] });
}
