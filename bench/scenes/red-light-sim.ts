/**
 * Traffic on a signalised approach for the red-light scenes: a car-following simulation (the
 * Intelligent Driver Model, Treiber, Hennecke and Helbing 2000) of vehicles driving away from the
 * camera towards a stop line, turned into the waypoint paths the renderer moves vehicles along.
 *
 * Scripting every queue by hand gets overlaps and impossible kinematics wrong; the model gives
 * plausible braking (≤ 3 m/s² by choice, harder only in a panic the scenes do not contain), queues
 * that close up behind the first vehicle, a start-up reaction of about a second per vehicle on
 * green, and the amber dilemma decided the way drivers decide it (stop if it can be done gently).
 *
 * Behaviours: 'obey' stops for amber and red at the line; 'run' ignores the signal (it still follows
 * the vehicle ahead); 'stopOver' brakes late on red and stands with its rear `overshootM` past the
 * line, then goes on green. The paths are the truth: red-light.ts derives every expected event
 * from them, so nothing here needs to be exact — only physically plausible.
 *
 * Around the approach: cross traffic on the crossing road while the approach is red, kept clear of
 * every approach vehicle in the junction, and oncoming traffic leaving the junction on green.
 */
import type { Yuv } from './canvas.js';
import { signalPhase, Trip, VEHICLE_SIZES, type SignalPhase, type SignalPlan, type VehicleClass, type VehiclePlan, type Waypoint } from './traffic.js';
import { roundTo } from './scenario.js';

/** How a driver treats the signal. */
export type Behaviour = 'obey' | 'run' | 'stopOver';

/** One vehicle arriving at the start of the approach. */
export interface Arrival {
  id: number;
  cls: VehicleClass;
  lane: number;
  colour: Yuv;
  /** Earliest time (s) the vehicle enters; later when the lane is backed up to the start. */
  atS: number;
  speedKmh: number;
  behaviour: Behaviour;
  /** stopOver: how far past the line its rear stops, metres. */
  overshootM?: number;
}

/** The approach: where vehicles appear, stop and leave, and the signal they face. */
export interface Approach {
  laneX: number[];
  /**
   * Centre Z where vehicles enter and where they are dropped. Start well below the picture (tens of
   * metres behind the camera) so drivers see amber and red early, as real ones do, and queues can
   * grow out of view.
   */
  startZ: number;
  endZ: number;
  stopZ: number;
  signal: SignalPlan;
  durationS: number;
}

/** Driver parameters per class: max acceleration, comfortable braking, standstill gap, time headway. */
const DRIVER: Record<VehicleClass, { a: number; b: number; s0: number; T: number }> = {
  motorbike: { a: 2.2, b: 2.8, s0: 1.2, T: 0.9 },
  car: { a: 1.8, b: 2.5, s0: 1.8, T: 1.2 },
  truck: { a: 1.0, b: 2.0, s0: 2.5, T: 1.5 },
  bus: { a: 1.0, b: 2.0, s0: 2.5, T: 1.5 },
};

/** Braking a driver accepts to stop for amber; a harder stop means driving on (the dilemma zone). */
const AMBER_STOP_DECEL = 3;
/** Front of an obeying vehicle stops this far before the line. */
const STOP_SHORT_M = 1;
const DT = 0.05;
/** Path samples are taken every SAMPLE steps, then collinear ones are dropped. */
const SAMPLE = 2;

interface SimVehicle {
  a: Arrival;
  len: number;
  v0: number;
  z: number;
  v: number;
  state: 'waiting' | 'driving' | 'done';
  /** Amber decision of the current cycle: true once the driver decided to go on. */
  committed: boolean;
  /** Time a standing vehicle may start to move (reaction to the gap opening); -1 while moving. */
  startAt: number;
  points: Waypoint[];
}

/** IDM acceleration towards a desired speed behind an obstacle `gap` metres ahead closing at `dv`. */
function idm(v: number, v0: number, gap: number, dv: number, p: (typeof DRIVER)[VehicleClass]): number {
  const free = 1 - (v / v0) ** 4;
  if (!Number.isFinite(gap)) return p.a * free;
  const sStar = p.s0 + Math.max(0, v * p.T + (v * dv) / (2 * Math.sqrt(p.a * p.b)));
  return p.a * (free - (sStar / Math.max(gap, 0.05)) ** 2);
}

/** Simulates every arrival and returns the scene's vehicle plans (waypoint paths). */
export function simulateApproach(arrivals: readonly Arrival[], ap: Approach): VehiclePlan[] {
  const lanes = new Map<number, SimVehicle[]>();
  for (const a of [...arrivals].sort((p, q) => p.atS - q.atS)) {
    const list = lanes.get(a.lane) ?? lanes.set(a.lane, []).get(a.lane)!;
    const len = VEHICLE_SIZES[a.cls].length;
    list.push({ a, len, v0: a.speedKmh / 3.6, z: ap.startZ, v: 0, state: 'waiting', committed: false, startAt: -1, points: [] });
  }
  const steps = Math.ceil((ap.durationS + 2) / DT);
  let previous: SignalPhase | undefined;
  for (let k = 0; k <= steps; k++) {
    const t = k * DT;
    const phase = signalPhase(ap.signal, t);
    for (const list of lanes.values()) stepLane(list, t, phase, phase === 'amber' && previous !== 'amber', ap, k % SAMPLE === 0);
    previous = phase;
  }
  const plans: VehiclePlan[] = [];
  for (const list of lanes.values()) {
    for (const s of list) {
      if (s.points.length < 2) continue;
      plans.push({ id: s.a.id, cls: s.a.cls, lane: s.a.lane, enterS: s.points[0]!.t, speedKmh: s.a.speedKmh, colour: s.a.colour, path: simplify(s.points) });
    }
  }
  return plans.sort((p, q) => p.id - q.id);
}

/** Advances one lane by DT: entries, car following, the signal, exits. */
function stepLane(list: SimVehicle[], t: number, phase: SignalPhase, amberOnset: boolean, ap: Approach, record: boolean): void {
  let leader: SimVehicle | undefined;
  for (const s of list) {
    if (s.state === 'done') continue;
    const p = DRIVER[s.a.cls];
    if (s.state === 'waiting') {
      // Enter once due and once there is room behind the last vehicle of the lane (queues spill
      // back upstream, out of the picture).
      if (t < s.a.atS) break;
      const gap = leader ? leader.z - leader.len / 2 - (ap.startZ + s.len / 2) : Infinity;
      const v = leader ? Math.min(s.v0, leader.v) : s.v0;
      if (gap < p.s0 + v * p.T + 1) break;
      s.state = 'driving';
      s.v = v;
    }
    const front = s.z + s.len / 2;
    let acc = idm(s.v, s.v0, leader ? leader.z - leader.len / 2 - front : Infinity, leader ? s.v - leader.v : 0, p);
    if (phase === 'green') s.committed = false;
    else if (s.a.behaviour !== 'run' && !s.committed) {
      // Where this driver's front comes to rest: short of the line, or (stopOver) past it.
      const stopFront = s.a.behaviour === 'stopOver' ? ap.stopZ + (s.a.overshootM ?? 1) + s.len : ap.stopZ - STOP_SHORT_M;
      const room = stopFront - front;
      // The dilemma, decided when amber comes on: stop if a firm brake does it, otherwise go on.
      if (amberOnset && (room <= 0 || (s.v * s.v) / (2 * room) > AMBER_STOP_DECEL)) s.committed = true;
      else if (room > -0.3) acc = Math.min(acc, idm(s.v, s.v0, room + p.s0, s.v, p));
    }
    // A standing driver reacts to the way opening only after a moment.
    if (s.v < 0.05 && acc > 0) {
      if (s.startAt < 0) s.startAt = t + 0.8 + ((s.a.id * 7) % 5) * 0.1;
      if (t < s.startAt) acc = 0;
    } else if (s.v >= 0.05) s.startAt = -1;
    acc = Math.max(-6, acc);
    s.v = Math.max(0, s.v + acc * DT);
    s.z += s.v * DT;
    if (record || s.points.length === 0) s.points.push({ t: roundTo(t, 3), x: ap.laneX[s.a.lane]!, z: roundTo(s.z, 3) });
    if (s.z - s.len / 2 > ap.endZ) {
      s.state = 'done';
      s.points.push({ t: roundTo(t + DT, 3), x: ap.laneX[s.a.lane]!, z: roundTo(s.z + s.v * DT, 3) });
    }
    leader = s;
  }
}

/** What the traffic around the approach needs to know: the signal, the road and a source of vehicles. */
export interface Around {
  signal: SignalPlan;
  durationS: number;
  /** The road's edges across (X, metres), the junction's along it (Z), and the far end of the picture. */
  roadX: [number, number];
  junctionZ: [number, number];
  farZ: number;
  rand: () => number;
  /** A random class and colour. */
  newVehicle: () => { cls: VehicleClass; colour: Yuv };
}

/** Cross traffic on `lanes` (Z and direction along X) while the approach is red: off the road before its green, and never where an approach vehicle is. */
export function crossTraffic(approach: readonly VehiclePlan[], lanes: readonly { z: number; dir: 1 | -1 }[], reds: readonly number[], o: Around, firstId: number): VehiclePlan[] {
  const out: VehiclePlan[] = [];
  let id = firstId;
  const { rand, roadX } = o;
  for (const red of reds) {
    for (const lane of lanes) {
      for (let t = red + 1 + rand() * 2; t < red + o.signal.redS; t += 2.5 + rand() * 4) {
        const { cls, colour } = o.newVehicle();
        const v = (35 + rand() * 10) / 3.6;
        const len = VEHICLE_SIZES[cls].length;
        // It starts 45 m off the road's axis and is over the road (with its length) from tIn to tOut.
        const [near, far] = lane.dir > 0 ? [45 + roadX[0], 45 + roadX[1]] : [45 - roadX[1], 45 - roadX[0]];
        const tIn = t + (near - len / 2) / v;
        const tOut = t + (far + len / 2) / v;
        if (tOut > red + o.signal.redS - 1) break;
        if (approach.some((a) => nearZ(a, lane.z, tIn - 1, tOut + 1))) continue;
        const path = new Trip(t, -45 * lane.dir, lane.z).to(45 * lane.dir, lane.z, v * 3.6).points;
        out.push({ id: id++, cls, lane: 0, enterS: t, speedKmh: v * 3.6, colour, path });
      }
    }
  }
  return out;
}

/** Whether a path vehicle comes within 2.5 m (plus half its length) of Z = z at any time in [t0, t1]. */
function nearZ(a: VehiclePlan, z: number, t0: number, t1: number): boolean {
  const path = a.path!;
  const half = VEHICLE_SIZES[a.cls].length / 2 + 2.5;
  let i = 0;
  for (let t = Math.max(t0, path[0]!.t); t <= Math.min(t1, path.at(-1)!.t); t += 0.1) {
    while (i + 2 < path.length && path[i + 1]!.t <= t) i++;
    const p = path[i]!;
    const q = path[i + 1] ?? p;
    const at = q.t > p.t ? p.z + ((t - p.t) / (q.t - p.t)) * (q.z - p.z) : p.z;
    if (Math.abs(at - z) < half) return true;
  }
  return false;
}

/** Oncoming traffic on `lanes` (lane plans driving towards the camera) that crosses the junction only within one green of the approach. */
export function oncoming(lanes: readonly number[], o: Around, firstId: number): VehiclePlan[] {
  const out: VehiclePlan[] = [];
  let id = firstId;
  const s = o.signal;
  const cycle = s.redS + s.greenS + s.amberS;
  // Green, or amber that came on less than a second ago (a driver already in the junction goes on).
  const go = (x: number) => signalPhase(s, x) === 'green' || (signalPhase(s, x) === 'amber' && signalPhase(s, x - 1) === 'green');
  lanes.forEach((lane, k) => {
    // One speed per lane (± 1 km/h), and a 12 m gap, so nobody catches up with the vehicle ahead.
    const speed = 32 + 8 * (k % 2);
    let free = 0;
    for (let t = o.rand() * 3; t < o.durationS; t += 2 + o.rand() * 4) {
      const { cls, colour } = o.newVehicle();
      const len = VEHICLE_SIZES[cls].length;
      const v = speed + (o.rand() * 2 - 1);
      // Its centre starts at farZ + len; it is in the junction between tIn and tOut.
      const tIn = t + (o.farZ + len - o.junctionZ[1] - len / 2) / (v / 3.6);
      const tOut = t + (o.farZ + len - o.junctionZ[0] + len / 2) / (v / 3.6);
      if (t < free || !go(tIn) || !go(tOut) || Math.floor((tIn + s.offsetS) / cycle) !== Math.floor((tOut + s.offsetS) / cycle)) continue;
      out.push({ id: id++, cls, lane, enterS: t, speedKmh: v, colour });
      free = t + (len + 12) / ((v - 1) / 3.6);
    }
  });
  return out;
}

/** Drops samples that lie on the line through their neighbours (within 1 cm), keeping the path exact enough. */
function simplify(points: Waypoint[]): Waypoint[] {
  const out: Waypoint[] = [points[0]!];
  for (let i = 1; i + 1 < points.length; i++) {
    const a = out.at(-1)!;
    const b = points[i + 1]!;
    const p = points[i]!;
    const k = (p.t - a.t) / (b.t - a.t);
    if (Math.abs(a.z + k * (b.z - a.z) - p.z) > 0.01) out.push(p);
  }
  out.push(points.at(-1)!);
  return out;
}

