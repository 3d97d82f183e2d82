/**
 * A person walking (or standing) on the ground: legs that swing with the stride, a torso, a head and a
 * cast shadow, at real size seen through the scene's camera. A person follows a path of timed ground
 * waypoints and is in the scene from the first waypoint's time to the last one's; two waypoints at the
 * same place make them stand still between those times.
 */
import { project } from '../camera.js';
import type { Yuv } from '../canvas.js';
import type { DrawContext } from './index.js';

/** A ground waypoint [X, Z] in metres reached at scene time t, seconds. */
export interface PersonWaypoint {
  t: number;
  x: number;
  z: number;
}

export interface PersonElement {
  kind: 'person';
  id: number;
  /** Timed ground waypoints, in time order (at least one). */
  path: PersonWaypoint[];
  /** Height in metres (default 1.7). */
  heightM?: number;
  shirt: Yuv;
  trousers: Yuv;
}

const SKIN: Yuv = [150, 115, 145];
const HAIR: Yuv = [40, 128, 130];
/** Half a stride, metres: each leg swings this far forward and back. */
const STRIDE_M = 0.35;

/** The person's ground position [X, Z] at t, or undefined outside their path's times. */
export function personVisible(p: PersonElement, t: number): [number, number] | undefined {
  const path = p.path;
  if (path.length === 0 || t < path[0]!.t || t > path[path.length - 1]!.t) return undefined;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1]!;
    const b = path[i]!;
    if (t <= b.t) {
      const k = b.t > a.t ? (t - a.t) / (b.t - a.t) : 1;
      return [a.x + k * (b.x - a.x), a.z + k * (b.z - a.z)];
    }
  }
  const last = path[path.length - 1]!;
  return [last.x, last.z];
}

/** Ground distance walked from the start of the path to t, metres (drives the legs' swing). */
function walked(p: PersonElement, t: number): number {
  let d = 0;
  for (let i = 1; i < p.path.length; i++) {
    const a = p.path[i - 1]!;
    const b = p.path[i]!;
    const len = Math.hypot(b.x - a.x, b.z - a.z);
    if (t >= b.t) d += len;
    else {
      if (t > a.t && b.t > a.t) d += (len * (t - a.t)) / (b.t - a.t);
      break;
    }
  }
  return d;
}

/** Draws the person standing at ground [x, z] and adds their truth to ctx.objects. */
export function drawPerson(p: PersonElement, at: [number, number], ctx: DrawContext): void {
  const cam = ctx.camera;
  const h = p.heightM ?? 1.7;
  const [x, z] = at;
  const P = (dx: number, y: number, dz = 0) => project(cam, [x + dx, y, z + dz]);
  const quad = (pts: ([number, number] | undefined)[]) => (pts.every((q) => q) ? (pts as [number, number][]) : undefined);
  // Shadow, as the vehicles': pushed to the left on the ground.
  const shadow = quad([P(-0.75, 0, -0.15), P(-0.05, 0, -0.15), P(-0.05, 0, 0.25), P(-0.75, 0, 0.25)]);
  if (shadow) ctx.canvas.shade(shadow, 0.65);
  const swing = Math.sin((walked(p, ctx.t) / STRIDE_M) * (Math.PI / 2)) * 0.12;
  const hip = 0.47 * h;
  for (const [side, s] of [[-1, swing], [1, -swing]] as const) {
    const lx = side * 0.09;
    const leg = quad([P(lx - 0.07 + s, 0), P(lx + 0.07 + s, 0), P(lx + 0.07, hip), P(lx - 0.07, hip)]);
    if (leg) ctx.canvas.fillPolygon(leg, p.trousers);
  }
  const torso = quad([P(-0.21, hip), P(0.21, hip), P(0.23, 0.8 * h), P(-0.23, 0.8 * h)]);
  if (torso) ctx.canvas.fillPolygon(torso, p.shirt);
  const neck = P(0, 0.86 * h);
  const top = P(0, 0.97 * h);
  if (neck && top) {
    const r = Math.max(1, (neck[1] - top[1]) * 0.9);
    ctx.canvas.fillDisc(top[0], (neck[1] + top[1]) / 2, r, SKIN);
    ctx.canvas.fillDisc(top[0], top[1] + r * 0.35, r * 0.75, HAIR);
  }
  const corners = [P(-0.25, 0), P(0.25, 0), P(-0.25, h), P(0.25, h)];
  if (corners.some((c) => !c)) return;
  const us = corners.map((c) => c![0]);
  const vs = corners.map((c) => c![1]);
  const x0 = Math.max(0, Math.min(...us));
  const y0 = Math.max(0, Math.min(...vs));
  const x1 = Math.min(cam.width, Math.max(...us));
  const y1 = Math.min(cam.height, Math.max(...vs));
  if (x1 - x0 >= 1 && y1 - y0 >= 1) ctx.objects.push({ id: p.id, kind: 'person', box: [x0, y0, x1 - x0, y1 - y0], ground: [x, z] });
}
