/**
 * An object on the ground — a bag, a box, a bin — drawn as a lit box (front, side, top) with a
 * shadow. It is there from `fromS` (left behind) until `untilS` (taken away); either may be open.
 */
import { project, type Vec3 } from '../camera.js';
import type { Yuv } from '../canvas.js';
import type { DrawContext } from './index.js';

export interface PropElement {
  kind: 'prop';
  id: number;
  /** What it is, reported in the truth: 'bag', 'box', … */
  what: string;
  /** Ground position of its centre, metres. */
  x: number;
  z: number;
  /** Width (X), height, depth (Z), metres. */
  size: [number, number, number];
  colour: Yuv;
  /** In the scene from this time (default: from the start). */
  fromS?: number;
  /** Gone from this time (default: never). */
  untilS?: number;
}

/** Whether the prop is in the scene at t. */
export function propPresent(p: PropElement, t: number): boolean {
  return (p.fromS === undefined || t >= p.fromS) && (p.untilS === undefined || t < p.untilS);
}

/** Draws the prop when present and adds its truth to ctx.objects. */
export function drawProp(p: PropElement, ctx: DrawContext): void {
  if (!propPresent(p, ctx.t)) return;
  const cam = ctx.camera;
  const [w, h, d] = p.size;
  const x0 = p.x - w / 2;
  const x1 = p.x + w / 2;
  const z0 = p.z - d / 2;
  const z1 = p.z + d / 2;
  const P = (x: number, y: number, z: number) => project(cam, [x, y, z] as Vec3);
  const face = (pts: ([number, number] | undefined)[]) => (pts.every((q) => q) ? (pts as [number, number][]) : undefined);
  const tone = (k: number): Yuv => [Math.max(16, Math.min(235, p.colour[0] * k)), p.colour[1], p.colour[2]];
  const speckle = (x: number, y: number) => ((Math.imul(x, 2654435761) ^ Math.imul(y, 40503)) & 7) - 4;
  const shadow = face([P(x0 - 0.4 * h, 0, z0), P(x1 - 0.4 * h, 0, z0), P(x1 - 0.4 * h, 0, z1 + 0.2 * h), P(x0 - 0.4 * h, 0, z1 + 0.2 * h)]);
  if (shadow) ctx.canvas.shade(shadow, 0.6);
  const sideX = p.x > 0 ? x0 : x1;
  const side = face([P(sideX, 0, z0), P(sideX, 0, z1), P(sideX, h, z1), P(sideX, h, z0)]);
  if (side) ctx.canvas.fillPolygon(side, tone(0.75), speckle);
  const front = face([P(x0, 0, z0), P(x1, 0, z0), P(x1, h, z0), P(x0, h, z0)]);
  if (front) ctx.canvas.fillPolygon(front, tone(0.9), speckle);
  const top = face([P(x0, h, z0), P(x1, h, z0), P(x1, h, z1), P(x0, h, z1)]);
  if (top) ctx.canvas.fillPolygon(top, tone(1.1), speckle);
  const corners: ([number, number] | undefined)[] = [];
  for (const x of [x0, x1]) for (const y of [0, h]) for (const z of [z0, z1]) corners.push(P(x, y, z));
  if (corners.some((c) => !c)) return;
  const us = corners.map((c) => c![0]);
  const vs = corners.map((c) => c![1]);
  const bx0 = Math.max(0, Math.min(...us));
  const by0 = Math.max(0, Math.min(...vs));
  const bx1 = Math.min(cam.width, Math.max(...us));
  const by1 = Math.min(cam.height, Math.max(...vs));
  if (bx1 - bx0 >= 1 && by1 - by0 >= 1) ctx.objects.push({ id: p.id, kind: p.what, box: [bx0, by0, bx1 - bx0, by1 - by0], ground: [p.x, p.z] });
}
