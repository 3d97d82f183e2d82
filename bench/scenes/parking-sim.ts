/**
 * Lane traffic with plausible kinematics for the parking scenes: each lane vehicle follows the one
 * ahead with the Intelligent Driver Model (Treiber, Hennecke & Helbing, Phys. Rev. E 62, 2000),
 * stops at a closed stop bar when it still can, and queues behind whatever stands in its lane —
 * other lane vehicles and scripted trips (a car pulling over), which it brakes for as for any leader.
 * The output is plain VehiclePlan paths, so the renderer and the ground truth need nothing new.
 *
 * "Stopped" is exact: a braking vehicle that drops below 1 km/h is set to 0, and a stopped vehicle
 * moves off only once the way ahead has opened (no creeping), so each stop is one wait in its path:
 * two consecutive waypoints at the same place (see `stopsOf`).
 */
import { VEHICLE_SIZES, vehiclePosition, type TrafficScene, type VehicleClass, type VehiclePlan, type Waypoint } from './traffic.js';
import type { Yuv } from './canvas.js';
import { project, unprojectGround } from './camera.js';
import { pointInPolygon } from '../../plugins/sdk/vision/geometry.js';
import { roundTo } from './scenario.js';

/** IDM parameters for urban traffic: comfortable acceleration and braking (m/s²), jam gap (m), time headway (s). */
const IDM = { accel: 1.4, decel: 2.0, minGap: 2.0, headwayS: 1.3 };
/** Simulation step, s. */
const DT = 0.1;
/** Below this (1 km/h) a braking vehicle counts as stopped and is set to 0. */
export const STOPPED_MS = 1 / 3.6;
/** Hardest braking for a closing stop bar: a vehicle that would need more drives through (amber). */
const BAR_DECEL = 3.0;
/** Waypoints are kept every KEEP-th step while moving (0.5 s; linear interpolation errs < 5 cm). */
const KEEP = 5;

/** A vehicle entering its lane at `enterS` (at the lane's start), wanting to drive at `speedKmh`: a plan whose path the simulation writes. */
export type Arrival = Omit<VehiclePlan, 'path'>;

/** A stop bar across `lanes` at Z = z (a stop line, or the head of a jam), closed while `closed(t)`. */
export interface StopBar {
  z: number;
  lanes: number[];
  closed(t: number): boolean;
}

/** One stop of a vehicle: standing still from startS to endS at ground (x, z) (its centre). */
export interface Stop {
  id: number;
  startS: number;
  endS: number;
  x: number;
  z: number;
}

interface Sim {
  a: Arrival;
  len: number;
  dir: 1 | -1;
  x: number;
  z: number;
  v: number;
  state: 'waiting' | 'driving' | 'done';
  /** Bars this vehicle decided to drive through (it could not stop in time). */
  through: Set<StopBar>;
  t: number[];
  zs: number[];
  vs: number[];
}

/**
 * Simulates the arrivals in `scene.road`'s lanes for `scene.durationS`, with `bars` and the scene's
 * scripted (path) vehicles as obstacles, and returns their paths.
 */
export function simulate(scene: TrafficScene, arrivals: readonly Arrival[], bars: readonly StopBar[] = []): VehiclePlan[] {
  const { road } = scene;
  const scripted = scene.vehicles.filter((v) => v.path);
  const sims: Sim[] = arrivals.map((a) => ({
    a, len: VEHICLE_SIZES[a.cls].length, dir: road.directions[a.lane]!, x: road.laneCentres[a.lane]!, z: 0, v: 0,
    state: 'waiting', through: new Set(), t: [], zs: [], vs: [],
  }));
  const steps = Math.ceil(scene.durationS / DT);
  for (let k = 0; k <= steps; k++) {
    const t = k * DT;
    const obstacles = scripted.map((s) => ({ s, at: vehiclePosition(scene, s, t), before: vehiclePosition(scene, s, t - DT) }));
    const accel = new Map<Sim, { acc: number; gap: number }>();
    for (const me of sims) {
      if (me.state === 'waiting' && t >= me.a.enterS) enter(me, sims, road, t, scripted);
      if (me.state !== 'driving') continue;
      // The nearest thing ahead in the lane: its gap (bumper to bumper) and speed along the lane.
      let gap = Infinity;
      let leadV = 0;
      const width = VEHICLE_SIZES[me.a.cls].width;
      for (const o of sims) {
        if (o === me || o.state !== 'driving' || o.a.lane !== me.a.lane || (o.z - me.z) * me.dir <= 0) continue;
        const g = Math.abs(o.z - me.z) - (me.len + o.len) / 2;
        if (g < gap) [gap, leadV] = [g, o.v];
      }
      for (const { s, at, before } of obstacles) {
        if (!at || Math.abs(at[0] - me.x) >= (width + VEHICLE_SIZES[s.cls].width) / 2 + 0.3 || (at[1] - me.z) * me.dir <= 0) continue;
        const g = Math.abs(at[1] - me.z) - (me.len + VEHICLE_SIZES[s.cls].length) / 2;
        if (g < gap) [gap, leadV] = [g, before ? Math.max(0, ((at[1] - before[1]) * me.dir) / DT) : 0];
      }
      for (const bar of bars) {
        if (!bar.lanes.includes(me.a.lane) || me.through.has(bar) || !bar.closed(t)) continue;
        // Stop with the bumper 0.7 m short of the bar's centre (it is drawn 0.4 m wide).
        const left = (bar.z - me.dir * 0.7 - (me.z + (me.dir * me.len) / 2)) * me.dir;
        if (left < -0.5) continue;
        if (left < (me.v * me.v) / (2 * BAR_DECEL) && me.v > STOPPED_MS) me.through.add(bar);
        else if (left + IDM.minGap < gap) [gap, leadV] = [left + IDM.minGap, 0];
      }
      accel.set(me, { acc: idm(me.v, me.a.speedKmh / 3.6, gap, leadV), gap });
    }
    for (const [me, { acc, gap }] of accel) {
      let v = Math.max(0, me.v + acc * DT);
      if (me.v === 0 && !(acc > 0.2 && gap > IDM.minGap + 1)) v = 0; // stays until the way opens
      else if (acc < 0 && v < STOPPED_MS) v = 0;
      me.z += me.dir * ((me.v + v) / 2) * DT;
      me.v = v;
      me.t.push(t);
      me.zs.push(me.z);
      me.vs.push(v);
      const out = me.dir > 0 ? me.z > road.farZ + me.len : me.z < road.nearZ - me.len;
      if (out || k === steps) me.state = 'done';
    }
  }
  return sims.filter((s) => s.t.length >= 2).map((s) => ({
    id: s.a.id, cls: s.a.cls, lane: s.a.lane, enterS: s.t[0]!, speedKmh: s.a.speedKmh, colour: s.a.colour, path: waypoints(s),
  }));
}

/**
 * Enters the lane once the last vehicle that entered has left room (else it waits at the lane's
 * start), and not in the 3 s before a scripted trip starts from there (it would not brake for it).
 */
function enter(me: Sim, sims: readonly Sim[], road: TrafficScene['road'], t: number, scripted: readonly VehiclePlan[]): void {
  const start = me.dir > 0 ? road.nearZ - me.len : road.farZ + me.len;
  if (scripted.some((s) => s.path![0]!.t >= t && s.path![0]!.t - t < 3 && Math.abs(s.path![0]!.x - me.x) < road.laneWidth / 2)) return;
  let v = me.a.speedKmh / 3.6;
  for (const o of sims) {
    if (o === me || o.state !== 'driving' || o.a.lane !== me.a.lane) continue;
    const g = (o.z - start) * me.dir - (me.len + o.len) / 2;
    if (g < IDM.minGap + v * IDM.headwayS) {
      if (g < IDM.minGap + 2) return;
      v = Math.min(v, o.v);
    }
  }
  me.z = start;
  me.v = v;
  me.state = 'driving';
}

/** IDM acceleration at speed v (m/s) wanting v0, with `gap` m to a leader driving at leadV. */
function idm(v: number, v0: number, gap: number, leadV: number): number {
  const free = 1 - (v / v0) ** 4;
  if (!Number.isFinite(gap)) return IDM.accel * free;
  if (gap <= 0.2) return -9;
  const want = IDM.minGap + Math.max(0, v * IDM.headwayS + (v * (v - leadV)) / (2 * Math.sqrt(IDM.accel * IDM.decel)));
  return Math.max(-9, IDM.accel * (free - (want / gap) ** 2));
}

/** The simulated track as waypoints: every KEEP-th step, and each start and end of a stop. */
function waypoints(s: Sim): Waypoint[] {
  const out: Waypoint[] = [];
  const n = s.t.length;
  for (let k = 0; k < n; k++) {
    const stopped = s.vs[k] === 0;
    const edge = k === 0 || k === n - 1 || stopped !== (s.vs[k - 1] === 0) || (stopped && s.vs[k + 1] !== 0);
    if (edge || k % KEEP === 0) out.push({ t: roundTo(s.t[k]!, 3), x: s.x, z: s.zs[k]! });
  }
  return out;
}

/** Every stop of a path vehicle: runs of consecutive waypoints at one place. */
export function stopsOf(v: VehiclePlan): Stop[] {
  const out: Stop[] = [];
  const p = v.path ?? [];
  for (let i = 0; i + 1 < p.length; i++) {
    if (p[i]!.x !== p[i + 1]!.x || p[i]!.z !== p[i + 1]!.z) continue;
    let j = i + 1;
    while (j + 1 < p.length && p[j + 1]!.x === p[i]!.x && p[j + 1]!.z === p[i]!.z) j++;
    out.push({ id: v.id, startS: p[i]!.t, endS: p[j]!.t, x: p[i]!.x, z: p[i]!.z });
    i = j;
  }
  return out;
}

/** Arrivals in one lane from fromS to toS, a mean `headwayS` apart (at least 1.5 s), skipping the `quiet` windows. */
export function arrivals(rand: () => number, opts: {
  lane: number; fromS: number; toS: number; headwayS: number; speedKmh: number; firstId: number;
  classes: readonly VehicleClass[]; colours: readonly Yuv[]; quiet?: readonly [number, number][];
}): Arrival[] {
  const out: Arrival[] = [];
  let t = opts.fromS + rand() * opts.headwayS;
  for (let n = 0; t < opts.toS; n++) {
    // Drawn whether or not it is skipped, so a quiet window leaves the rest of the traffic as it was.
    const speedKmh = opts.speedKmh + (rand() * 4 - 2);
    const cls = opts.classes[Math.floor(rand() * opts.classes.length)]!;
    const colour = opts.colours[Math.floor(rand() * opts.colours.length)]!;
    if (!opts.quiet?.some(([a, b]) => t >= a && t < b)) out.push({ id: opts.firstId + n, lane: opts.lane, enterS: roundTo(t, 3), speedKmh, cls, colour });
    // Exponential headways (Poisson arrivals) above a floor.
    t += Math.max(1.5, -Math.log(1 - rand()) * opts.headwayS);
  }
  return out;
}

/**
 * A lane's true occupancy per second: the share of its polygon (normalised) covered by vehicle boxes
 * (the bounds of each vehicle's projected corners, as the renderer draws them), each 4-pixel cell
 * weighted by the ground area it sees; sampled `fps` times a second and averaged over each second.
 */
export function laneOccupancy(scene: TrafficScene, polygon: readonly [number, number][], fps: number): number[] {
  const { camera: cam } = scene;
  const px = polygon.map(([x, y]): [number, number] => [x * cam.width, y * cam.height]);
  const cells: { x: number; y: number; w: number }[] = [];
  const metres = (a: [number, number] | undefined, b: [number, number] | undefined) => (a && b ? Math.hypot(a[0] - b[0], a[1] - b[1]) : 0);
  for (let y = 2; y < cam.height; y += 4) {
    for (let x = 2; x < cam.width; x += 4) {
      if (!pointInPolygon([x, y], px)) continue;
      const w = metres(unprojectGround(cam, x - 2, y), unprojectGround(cam, x + 2, y)) * metres(unprojectGround(cam, x, y - 2), unprojectGround(cam, x, y + 2));
      cells.push({ x, y, w });
    }
  }
  const total = cells.reduce((a, c) => a + c.w, 0);
  const out: number[] = [];
  for (let j = 0; j < Math.floor(scene.durationS); j++) {
    let sum = 0;
    for (let k = 0; k < fps; k++) {
      const t = j + k / fps;
      const boxes = scene.vehicles.flatMap((v) => {
        const at = vehiclePosition(scene, v, t);
        const b = at && vehicleBox(scene, v.cls, at[0], at[1]);
        return b ? [b] : [];
      });
      let covered = 0;
      for (const c of cells) if (boxes.some((b) => c.x >= b[0] && c.x < b[2] && c.y >= b[1] && c.y < b[3])) covered += c.w;
      sum += total > 0 ? covered / total : 0;
    }
    out.push(sum / fps);
  }
  return out;
}

/** Image bounds [x0, y0, x1, y1] of a vehicle at ground (x, z), clipped to the frame; undefined if partly behind the camera. */
export function vehicleBox(scene: TrafficScene, cls: VehicleClass, x: number, z: number): [number, number, number, number] | undefined {
  const { width: w, length: l, height: h } = VEHICLE_SIZES[cls];
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const dx of [-w / 2, w / 2]) for (const y of [0, h]) for (const dz of [-l / 2, l / 2]) {
    const p = project(scene.camera, [x + dx, y, z + dz]);
    if (!p) return undefined;
    [x0, y0, x1, y1] = [Math.min(x0, p[0]), Math.min(y0, p[1]), Math.max(x1, p[0]), Math.max(y1, p[1])];
  }
  return [Math.max(0, x0), Math.max(0, y0), Math.min(scene.camera.width, x1), Math.min(scene.camera.height, y1)];
}
