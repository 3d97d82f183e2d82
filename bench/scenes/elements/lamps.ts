/**
 * A vehicle's rear lamps, for the fire scenes' distractors: two red tail lamps that light up bright
 * (brake lights, their core saturating the sensor to near white) while the driver brakes. The lamps
 * ride on the rear of a vehicle driving away from the camera that follows the same timed path as a
 * VehiclePlan (give both the same waypoints), so they sit where that vehicle's rear is drawn.
 */
import { project } from '../camera.js';
import type { Yuv } from '../canvas.js';
import type { Waypoint } from '../traffic.js';
import type { DrawContext } from './index.js';

export interface LampsElement {
  kind: 'lamps';
  id: number;
  /** The vehicle's centre path (the VehiclePlan's `path`); the lamps show between its first and last times. */
  path: Waypoint[];
  /** The vehicle's length and width, metres (its rear is half a length behind the centre). */
  lengthM: number;
  widthM: number;
  /** Braking intervals [fromS, untilS]: the lamps are brake-bright inside them, tail-dim outside. */
  brake: [number, number][];
}

const TAIL: Yuv = [70, 105, 200];
const BRAKE: Yuv = [110, 80, 235];
const HOT: Yuv = [210, 115, 150];

/** The path's centre at t (linear between waypoints), or undefined outside it. */
function at(path: Waypoint[], t: number): [number, number] | undefined {
  if (path.length === 0 || t < path[0]!.t || t > path.at(-1)!.t) return undefined;
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1]!;
    const b = path[i]!;
    if (t <= b.t) {
      const k = b.t > a.t ? (t - a.t) / (b.t - a.t) : 0;
      return [a.x + k * (b.x - a.x), a.z + k * (b.z - a.z)];
    }
  }
  return [path.at(-1)!.x, path.at(-1)!.z];
}

/** Draws the two lamps at ctx.t. */
export function drawLamps(l: LampsElement, ctx: DrawContext): void {
  const c = at(l.path, ctx.t);
  if (!c) return;
  const braking = l.brake.some(([a, b]) => ctx.t >= a && ctx.t < b);
  const rearZ = c[1] - l.lengthM / 2 - 0.02;
  for (const side of [-1, 1]) {
    const x = c[0] + side * (l.widthM / 2 - 0.22);
    const p = project(ctx.camera, [x, 0.8, rearZ]);
    const e = project(ctx.camera, [x + 0.12, 0.8, rearZ]);
    if (!p || !e) continue;
    const r = Math.max(1, Math.abs(e[0] - p[0]));
    ctx.canvas.fillDisc(p[0], p[1], r * (braking ? 1.3 : 1), braking ? BRAKE : TAIL);
    if (braking) ctx.canvas.fillDisc(p[0], p[1], r * 0.6, HOT);
  }
}
