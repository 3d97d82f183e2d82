/**
 * Lane-discipline scenarios for the `lane` plugin: a four-lane two-way road (two lanes towards the
 * camera, two away), a solid centre line between the directions, a dashed line between the two
 * towards lanes, and a solid line fencing off the away side's motorbike lane (changing into or out of
 * it is banned). Mixed background traffic at legal speeds in lanes its class may use, cast shadows,
 * lighting drift and sensor noise; scripted violators drive wrong way, in a lane their class may not
 * use, across a solid line, weaving, or too fast.
 *
 * Truth: every vehicle's exact ground contact point (the middle of its near end, which is where its
 * image box's bottom edge lies) is followed in 20 ms steps and each rule is applied with the
 * thresholds the scenario configures (RULES). An event's time is the moment the plugin could first
 * know it (the scorer allows ±1 s; the plugin trails by up to one update, 0.2 s, plus jitter):
 *   wrong-way   minMetres driven against the lane since entering it, and minUpdates updates;
 *   wrong-lane  minSeconds (and minMetres) after entering a lane its class may not use;
 *   solid-line  the contact point bandM past the line, on the other side;
 *   weaving     the reversals-th turn confirmed, minSwingM back from its extreme;
 *   speeding    minDistanceM after entering the lane zones, the mean speed over them above limit + tolerance.
 * A vehicle that moves into the oncoming lane while driving with its own lane's traffic is
 * overtaking, not driving the wrong way (see wrongWayAt).
 */
import { prng } from '../../core/testing/prng.js';
import { project, type PinholeCamera } from './camera.js';
import { COLOURS, type Yuv } from './canvas.js';
import { groundConfig, groundRect, imagePoint, type ExpectedEvent, type Scenario, type ScenarioPlugin } from './scenario.js';
import { Trip, VEHICLE_SIZES, vehiclePosition, type TrafficScene, type VehicleClass, type VehiclePlan } from './traffic.js';

/** One lane: its centre (X, metres), its traffic's direction along Z, who may use it and how fast. */
export interface LaneSpec {
  name: string;
  x: number;
  dir: 1 | -1;
  allowed?: VehicleClass[];
  limitKmh: number;
}

/** The road, left to right in the image. */
export const LANES: readonly LaneSpec[] = [
  { name: 'towards-kerb', x: -5.25, dir: -1, limitKmh: 50 },
  { name: 'towards-main', x: -1.75, dir: -1, limitKmh: 50 },
  { name: 'away-main', x: 1.75, dir: 1, allowed: ['car', 'truck', 'bus'], limitKmh: 50 },
  { name: 'away-bikes', x: 5.25, dir: 1, allowed: ['motorbike'], limitKmh: 40 },
];
const LANE_WIDTH = 3.5;
/** Lane zones span these Z: the near end is where the outer lanes come fully into view. */
export const ZONE_Z: readonly [number, number] = [13, 50];
/** Solid lines by name, at X (metres): the centre line and the motorbike lane's line. */
export const SOLID_LINES: Readonly<Record<string, number>> = { centre: 0, 'bike-lane': 3.5 };
/** Event types of the lane plugin; every lane scenario scores all of them. */
export const LANE_TYPES = ['wrong-way', 'wrong-lane', 'solid-line', 'weaving', 'speeding'];
/** Frames a second the plugin is fed in these scenarios. */
export const PLUGIN_FPS = 5;

/** The rule thresholds every lane scenario configures and its truth is derived from. */
export const RULES = {
  wrongWay: { minUpdates: 5, minMetres: 10, minSpeedKmh: 4 },
  wrongLane: { minSeconds: 2, minMetres: 10 },
  solidLine: { bandM: 0.3 },
  weaving: { reversals: 3, minSwingM: 1, windowS: 8 },
  speeding: { toleranceKmh: 5, minDistanceM: 15 },
} as const;

const ALL: VehicleClass[] = ['motorbike', 'car', 'truck', 'bus'];
const COLOUR_LIST: Yuv[] = [COLOURS.white, COLOURS.silver, COLOURS.black, COLOURS.blue, COLOURS.darkRed, COLOURS.yellow];
/** Truth step, seconds. */
const DT = 0.02;

/** Index of the lane zone holding ground point (x, z), or -1 outside every lane. */
export function laneAt(x: number, z: number): number {
  if (z < ZONE_Z[0] || z >= ZONE_Z[1]) return -1;
  return LANES.findIndex((l) => x >= l.x - LANE_WIDTH / 2 && x < l.x + LANE_WIDTH / 2);
}

/** The lane plugin's camera config: lane zones with directions, solid lines, the ground and the rules. */
export function lanePlugins(scene: TrafficScene): Record<string, ScenarioPlugin> {
  const zones = Object.fromEntries(LANES.map((l) => [l.name, groundRect(scene, l.x - LANE_WIDTH / 2, l.x + LANE_WIDTH / 2, ZONE_Z[0], ZONE_Z[1])]));
  const lines = Object.fromEntries(Object.entries(SOLID_LINES).map(([name, x]) => [name, { from: imagePoint(scene, x, ZONE_Z[0]), to: imagePoint(scene, x, ZONE_Z[1]) }]));
  // Each lane's direction as a user would click it: two points on the lane, in the direction of traffic.
  const lanes = Object.fromEntries(LANES.map((l) => [l.name, {
    direction: l.dir > 0 ? [imagePoint(scene, l.x, 20), imagePoint(scene, l.x, 40)] : [imagePoint(scene, l.x, 40), imagePoint(scene, l.x, 20)],
    ...(l.allowed ? { allowedClasses: l.allowed } : {}),
    speedLimitKmh: l.limitKmh,
  }]));
  // minArea halved from the default: a motorbike at the far end of the lanes is about 10 × 18 px.
  return {
    lane: {
      zones,
      lines,
      fps: PLUGIN_FPS,
      config: { ground: groundConfig(scene), minArea: 0.0004, lanes, solidLines: Object.keys(SOLID_LINES), splitBy: Object.keys(zones), ...structuredClone(RULES) },
    },
  };
}

/** A vehicle driving its lane end to end at a constant speed, entering at t0. */
export function laneTrip(t0: number, lane: number, cls: VehicleClass, speedKmh: number, x = LANES[lane]!.x): Trip {
  const len = VEHICLE_SIZES[cls].length;
  const [from, to] = LANES[lane]!.dir > 0 ? [6 - len, 60 + len] : [60 + len, 6 - len];
  return new Trip(t0, x, from).to(x, to, speedKmh);
}

/** A scripted vehicle of a scenario. */
export interface Scripted {
  cls: VehicleClass;
  trip: Trip;
  /** Nominal speed, for the plan (the trip's waypoints set the motion). */
  speedKmh: number;
}

/**
 * The road with background traffic: every lane busy with classes it allows, one speed per lane
 * (± 1.5 km/h) below its limit and a gap at entry wide enough that no vehicle catches the one ahead.
 * Background vehicles that would come within a metre sideways and 8 m lengthways of a scripted one
 * are left out (traffic keeps its distance from a vehicle doing something odd), and so are those
 * that would touch one in the image while it is on the measured stretch: a blob detector sees two
 * touching vehicles as one (a truck passing in the next lane hides the violator), and an occluded
 * violation could not be evidenced anyway. Background vehicles still touch one another.
 */
export function laneScene(name: string, opts: { seed: number; durationS: number; fps?: number; scripted: Scripted[] }): TrafficScene {
  const rand = prng(opts.seed);
  const mix: VehicleClass[][] = [
    ['motorbike', 'motorbike', 'motorbike', 'car', 'car', 'truck'],
    ['motorbike', 'car', 'car', 'truck', 'bus'],
    ['car', 'car', 'car', 'truck', 'bus'],
    ['motorbike'],
  ];
  const laneSpeed = [30, 38, 40, 28];
  const camera = { width: 640, height: 360, focalPx: 576, heightM: 8, pitchRad: (22 * Math.PI) / 180 };
  const scripted: VehiclePlan[] = opts.scripted.map((s, i) => ({
    id: i + 1, cls: s.cls, lane: Math.max(0, laneAt(s.trip.points[0]!.x, 30)), enterS: s.trip.points[0]!.t, speedKmh: s.speedKmh,
    colour: COLOUR_LIST[i % COLOUR_LIST.length]!, path: s.trip.points,
  }));
  const background: VehiclePlan[] = [];
  let id = 100;
  for (let k = 0; k < LANES.length; k++) {
    let t = rand() * 2;
    while (t < opts.durationS - 4) {
      const cls = mix[k]![Math.floor(rand() * mix[k]!.length)]!;
      const speedKmh = laneSpeed[k]! + (rand() * 3 - 1.5);
      const plan: VehiclePlan = { id: id++, cls, lane: k, enterS: t, speedKmh, colour: COLOUR_LIST[Math.floor(rand() * COLOUR_LIST.length)]!,
        path: laneTrip(t, k, cls, speedKmh).points };
      if (!scripted.some((s) => conflict(plan, s, 1, 8) || hides(camera, plan, s))) background.push(plan);
      t += Math.max((VEHICLE_SIZES[cls].length + 12) / ((speedKmh - 1.5) / 3.6), 2 + rand() * 5);
    }
  }
  return {
    name,
    camera,
    fps: opts.fps ?? 25,
    durationS: opts.durationS,
    seed: opts.seed,
    road: { laneCentres: LANES.map((l) => l.x), directions: LANES.map((l) => l.dir), laneWidth: LANE_WIDTH, nearZ: 6, farZ: 60, solidX: [SOLID_LINES['bike-lane']!] },
    vehicles: [...scripted, ...background],
    lighting: { amplitude: 0.08, periodS: 40 },
    noise: 4,
  };
}

/** Whether two path vehicles ever come within a metre sideways and 3 m lengthways of each other. */
export function conflict(a: VehiclePlan, b: VehiclePlan, gapX = 1, gapZ = 3): boolean {
  const t0 = Math.max(a.path![0]!.t, b.path![0]!.t);
  const t1 = Math.min(a.path!.at(-1)!.t, b.path!.at(-1)!.t);
  const sa = VEHICLE_SIZES[a.cls];
  const sb = VEHICLE_SIZES[b.cls];
  const stub = { vehicles: [] } as unknown as TrafficScene;
  for (let t = t0; t <= t1; t += 0.1) {
    const pa = vehiclePosition(stub, a, t);
    const pb = vehiclePosition(stub, b, t);
    if (!pa || !pb || Math.max(pa[1], pb[1]) < 0 || Math.min(pa[1], pb[1]) > 70) continue;
    if (Math.abs(pa[0] - pb[0]) < (sa.width + sb.width) / 2 + gapX && Math.abs(pa[1] - pb[1]) < (sa.length + sb.length) / 2 + gapZ) return true;
  }
  return false;
}

/**
 * Whether `a` and scripted vehicle `b` touch in the image while b is on the measured stretch: their
 * boxes, grown by the 4 px that the blob detector's closing bridges, overlap.
 */
function hides(camera: PinholeCamera, a: VehiclePlan, b: VehiclePlan): boolean {
  const t0 = Math.max(a.path![0]!.t, b.path![0]!.t);
  const t1 = Math.min(a.path!.at(-1)!.t, b.path!.at(-1)!.t);
  const stub = { vehicles: [] } as unknown as TrafficScene;
  for (let t = t0; t <= t1; t += 0.2) {
    const pb = vehiclePosition(stub, b, t);
    if (!pb || pb[1] - VEHICLE_SIZES[b.cls].length / 2 < ZONE_Z[0] - 3 || pb[1] > ZONE_Z[1] + 5) continue;
    const ba = imageBox(camera, a.cls, vehiclePosition(stub, a, t)!);
    const bb = imageBox(camera, b.cls, pb);
    if (ba && bb && Math.min(ba[2]!, bb[2]!) - Math.max(ba[0]!, bb[0]!) > -8 && Math.min(ba[3]!, bb[3]!) - Math.max(ba[1]!, bb[1]!) > -8) return true;
  }
  return false;
}

/** A vehicle's image box [x0, y0, x1, y1] (pixels) with its centre at ground (x, z), as the scene draws it; undefined behind the camera. */
function imageBox(camera: PinholeCamera, cls: VehicleClass, [x, z]: [number, number]): number[] | undefined {
  const { width, length, height } = VEHICLE_SIZES[cls];
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  for (const dx of [-width / 2, width / 2]) {
    for (const dz of [-length / 2, length / 2]) {
      for (const y of [0, height]) {
        const p = project(camera, [x + dx, y, z + dz]);
        if (!p) return undefined;
        [box[0], box[1], box[2], box[3]] = [Math.min(box[0]!, p[0]), Math.min(box[1]!, p[1]), Math.max(box[2]!, p[0]), Math.max(box[3]!, p[1])];
      }
    }
  }
  return box;
}

/** One truth sample: the ground contact point and the lane zone it is in. */
interface Sample {
  t: number;
  x: number;
  z: number;
  lane: number;
}

/** Every event the lane plugin must raise on `scene`, from every vehicle's trip, in time order. */
export function expectedEvents(scene: TrafficScene): ExpectedEvent[] {
  return scene.vehicles.flatMap((v) => violations(scene, v)).sort((a, b) => a.timeS - b.timeS);
}

/** The events one vehicle's trip must raise (at most one per rule). */
export function violations(scene: TrafficScene, v: VehiclePlan): ExpectedEvent[] {
  const s = contactSamples(scene, v);
  const found: [string, number | undefined][] = [
    ['wrong-way', wrongWayAt(s)],
    ['wrong-lane', wrongLaneAt(s, v.cls)],
    ['solid-line', solidLineAt(s)],
    ['weaving', weavingAt(s)],
    ['speeding', speedingAt(s)],
  ];
  return found.filter((f): f is [string, number] => f[1] !== undefined && f[1] <= scene.durationS)
    .map(([type, t]) => ({ plugin: 'lane', type, timeS: Math.round(t * 100) / 100, vehicleId: v.id }));
}

/** The vehicle's ground contact point every DT seconds while it is on the visible road. */
function contactSamples(scene: TrafficScene, v: VehiclePlan): Sample[] {
  const half = VEHICLE_SIZES[v.cls].length / 2;
  const t0 = v.path?.[0]?.t ?? v.enterS;
  const t1 = Math.min(scene.durationS, v.path?.at(-1)?.t ?? t0 + 60);
  const out: Sample[] = [];
  for (let i = 0; t0 + i * DT <= t1; i++) {
    const t = t0 + i * DT;
    const p = vehiclePosition(scene, v, t);
    if (p) out.push({ t, x: p[0], z: p[1] - half, lane: laneAt(p[0], p[1] - half) });
  }
  return out;
}

const dist = (a: Sample, b: Sample) => Math.hypot(a.x - b.x, a.z - b.z);

/**
 * Against its lane's traffic for minUpdates plugin updates and minMetres. A vehicle that moved into
 * an opposing lane while driving with its old lane's traffic is overtaking, not driving wrong way.
 */
function wrongWayAt(s: Sample[]): number | undefined {
  const { minUpdates, minMetres, minSpeedKmh } = RULES.wrongWay;
  const min = minSpeedKmh / 3.6;
  let start = -1;
  let overtaking = false;
  for (let i = 1; i < s.length; i++) {
    const lane = s[i]!.lane;
    const before = s[i - 1]!.lane;
    const vz = (s[i]!.z - s[i - 1]!.z) / DT;
    if (lane < 0) {
      start = -1;
      overtaking = false;
      continue;
    }
    const dir = LANES[lane]!.dir;
    if (before >= 0 && LANES[before]!.dir !== dir && vz * LANES[before]!.dir > min) overtaking = true;
    if (vz * dir > min) overtaking = false;
    if (vz * dir < -min && !overtaking) {
      if (start < 0) start = i;
      if (s[i]!.t - s[start]!.t >= (minUpdates - 1) / PLUGIN_FPS - 1e-9 && Math.abs(s[i]!.z - s[start]!.z) >= minMetres) return s[i]!.t;
    } else if (vz * dir > min || overtaking) {
      start = -1;
    }
  }
  return undefined;
}

/** In one lane its class may not use for minSeconds and minMetres. */
function wrongLaneAt(s: Sample[], cls: VehicleClass): number | undefined {
  const { minSeconds, minMetres } = RULES.wrongLane;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const lane = s[i]!.lane;
    if (lane < 0 || (LANES[lane]!.allowed ?? ALL).includes(cls)) {
      start = -1;
      continue;
    }
    if (start < 0 || s[start]!.lane !== lane) start = i;
    if (s[i]!.t - s[start]!.t >= minSeconds && dist(s[i]!, s[start]!) >= minMetres) return s[i]!.t;
  }
  return undefined;
}

/** From beyond the band on one side of a solid line to beyond it on the other, within the line's length. */
function solidLineAt(s: Sample[]): number | undefined {
  const band = RULES.solidLine.bandM;
  let first: number | undefined;
  for (const x of Object.values(SOLID_LINES)) {
    let side = 0;
    for (const p of s) {
      const d = p.x - x;
      const now = d > band ? 1 : d < -band ? -1 : 0;
      if (now === 0) continue;
      if (side !== 0 && now !== side && p.z >= ZONE_Z[0] && p.z <= ZONE_Z[1]) {
        first = Math.min(first ?? Infinity, p.t);
        break;
      }
      side = now;
    }
  }
  return first;
}

/**
 * Lateral reversals inside the lane zones: a swing of at least minSwingM one way then back by as
 * much; the event when `reversals` turning points fall within windowS.
 */
function weavingAt(s: Sample[]): number | undefined {
  const { reversals, minSwingM, windowS } = RULES.weaving;
  let dir = 0;
  let lo = NaN;
  let hi = NaN;
  let ext = 0;
  let extT = 0;
  const turns: number[] = [];
  for (const p of s) {
    if (p.lane < 0) {
      [dir, lo, hi] = [0, NaN, NaN];
      turns.length = 0;
      continue;
    }
    if (dir === 0) {
      lo = Number.isNaN(lo) ? p.x : Math.min(lo, p.x);
      hi = Number.isNaN(hi) ? p.x : Math.max(hi, p.x);
      // The first swing sets the direction; it is not a reversal.
      if (p.x - lo >= minSwingM) [dir, ext, extT] = [1, p.x, p.t];
      else if (hi - p.x >= minSwingM) [dir, ext, extT] = [-1, p.x, p.t];
      continue;
    }
    if ((p.x - ext) * dir > 0) [ext, extT] = [p.x, p.t];
    else if ((ext - p.x) * dir >= minSwingM) {
      turns.push(extT);
      [dir, ext, extT] = [-dir, p.x, p.t];
      while (turns.length > 0 && turns[0]! < p.t - windowS) turns.shift();
      if (turns.length >= reversals) return p.t;
    }
  }
  return undefined;
}

/** Mean speed over the last minDistanceM inside the lane zones above the lane's limit plus the tolerance. */
function speedingAt(s: Sample[]): number | undefined {
  const { toleranceKmh, minDistanceM } = RULES.speeding;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (s[i]!.lane < 0) {
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    for (let j = i - 1; j >= start; j--) {
      const d = dist(s[i]!, s[j]!);
      if (d < minDistanceM) continue;
      if ((d / (s[i]!.t - s[j]!.t)) * 3.6 > LANES[s[i]!.lane]!.limitKmh + toleranceKmh) return s[i]!.t;
      break;
    }
  }
  return undefined;
}

/** Options of the scenario builders: the seed, and a lower scene frame rate for quick tests. */
export interface LaneScenarioOptions {
  seed?: number;
  fps?: number;
}

function scenario(name: string, durationS: number, opts: LaneScenarioOptions, scripted: Scripted[]): Scenario {
  const scene = laneScene(name, { seed: opts.seed ?? 1, durationS, fps: opts.fps, scripted });
  return { name, plugin: 'lane', scene, plugins: lanePlugins(scene), scoredTypes: LANE_TYPES, events: expectedEvents(scene) };
}

/** Against the traffic: a motorbike up the kerb lane, a car down the away lane, a motorbike down the bike lane. */
export function wrongWayScenario(opts: LaneScenarioOptions = {}): Scenario {
  return scenario('lane-wrong-way', 36, opts, [
    { cls: 'motorbike', speedKmh: 28, trip: new Trip(6, -5.6, 4.1).to(-5.6, 61.9, 28) },
    { cls: 'car', speedKmh: 35, trip: new Trip(15, 1.75, 64.4).to(1.75, 1.6, 35) },
    { cls: 'motorbike', speedKmh: 25, trip: new Trip(24, 5.4, 61.9).to(5.4, 4.1, 25) },
  ]);
}

/** Classes in lanes they may not use: a truck and a car in the motorbike lane, a motorbike in the car lane. */
export function wrongLaneScenario(opts: LaneScenarioOptions = {}): Scenario {
  return scenario('lane-wrong-lane', 34, opts, [
    { cls: 'truck', speedKmh: 35, trip: laneTrip(6, 3, 'truck', 35) },
    { cls: 'motorbike', speedKmh: 38, trip: laneTrip(15, 2, 'motorbike', 38) },
    { cls: 'car', speedKmh: 33, trip: laneTrip(24, 3, 'car', 33) },
  ]);
}

/**
 * Solid lines crossed: a car overtakes a slow truck through the oncoming lane (pulling out 15 m
 * behind it), a motorbike swerves out of its lane round a slow one (back within 1.2 s, too short for
 * wrong-lane), a car coming towards the camera overtakes a slow motorbike, and a car changes into
 * the motorbike lane and stays there.
 */
export function solidLineScenario(opts: LaneScenarioOptions = {}): Scenario {
  return scenario('lane-solid-line', 46, opts, [
    { cls: 'truck', speedKmh: 20, trip: laneTrip(0, 2, 'truck', 20) },
    { cls: 'car', speedKmh: 45, trip: new Trip(6, 1.75, 1.6).to(1.75, 14, 45).to(-1.75, 28, 45).to(-1.75, 66, 45) },
    { cls: 'motorbike', speedKmh: 15, trip: laneTrip(13, 3, 'motorbike', 15) },
    { cls: 'motorbike', speedKmh: 38, trip: new Trip(17, 5.25, 4.1).to(5.25, 16, 38).to(2.6, 24, 38).to(2.6, 31, 38).to(5.25, 39, 38).to(5.25, 62, 38) },
    { cls: 'motorbike', speedKmh: 18, trip: laneTrip(22, 1, 'motorbike', 18) },
    { cls: 'car', speedKmh: 45, trip: new Trip(27, -1.75, 64.4).to(-1.75, 56, 45).to(1.75, 44, 45).to(1.75, 1.6, 45) },
    { cls: 'car', speedKmh: 35, trip: new Trip(36, 1.75, 1.6).to(1.75, 18, 35).to(5, 30, 35).to(5, 64.4, 35) },
  ]);
}

/**
 * Weaving: a motorbike zig-zags across both towards lanes, another inside the motorbike lane; a
 * motorbike that changes lanes out and back (one reversal) and a car that changes lanes once do not.
 */
export function weavingScenario(opts: LaneScenarioOptions = {}): Scenario {
  return scenario('lane-weaving', 38, opts, [
    { cls: 'motorbike', speedKmh: 32, trip: new Trip(6, -3.6, 61.9).to(-2.6, 56, 32).to(-4.6, 48, 32).to(-2.6, 40, 32).to(-4.6, 32, 32)
      .to(-2.6, 24, 32).to(-4.6, 16, 32).to(-3.6, 8, 32).to(-3.6, 4, 32) },
    { cls: 'motorbike', speedKmh: 32, trip: new Trip(16, 5.25, 4.1).to(5.25, 14, 32).to(4.3, 19, 32).to(6.2, 25, 32).to(4.3, 31, 32)
      .to(6.2, 37, 32).to(4.3, 43, 32).to(5.25, 49, 32).to(5.25, 62, 32) },
    { cls: 'motorbike', speedKmh: 36, trip: new Trip(25, -1.75, 61.9).to(-1.75, 50, 36).to(-5.25, 40, 36).to(-5.25, 30, 36).to(-1.75, 20, 36).to(-1.75, 4, 36) },
    { cls: 'car', speedKmh: 38, trip: new Trip(29, -5.25, 64.4).to(-5.25, 45, 38).to(-1.75, 33, 38).to(-1.75, 1.6, 38) },
  ]);
}

/** Speeders among legal traffic: 75, 68 and 66 km/h in 50 zones, 62 km/h in the 40 motorbike lane; 47 and 38 km/h pass. */
export function speedingScenario(opts: LaneScenarioOptions = {}): Scenario {
  return scenario('lane-speeding', 38, opts, [
    { cls: 'car', speedKmh: 75, trip: laneTrip(6, 1, 'car', 75) },
    { cls: 'car', speedKmh: 68, trip: laneTrip(12, 2, 'car', 68) },
    { cls: 'motorbike', speedKmh: 62, trip: laneTrip(18, 3, 'motorbike', 62) },
    { cls: 'car', speedKmh: 47, trip: laneTrip(24, 2, 'car', 47) },
    { cls: 'motorbike', speedKmh: 38, trip: laneTrip(25, 3, 'motorbike', 38) },
    { cls: 'truck', speedKmh: 66, trip: laneTrip(30, 1, 'truck', 66) },
  ]);
}

/**
 * No violation for `durationS` (200 s for the bench): the background traffic plus, every 12 s, a
 * legal lane change across the dashed line (once, or out and back) or a drift inside the motorbike lane.
 */
export function cleanScenario(opts: LaneScenarioOptions & { durationS?: number } = {}): Scenario {
  const durationS = opts.durationS ?? 200;
  const moves = [
    (t: number): Scripted => ({ cls: 'car', speedKmh: 38, trip: new Trip(t, -1.75, 64.4).to(-1.75, 44, 38).to(-5.25, 32, 38).to(-5.25, 1.6, 38) }),
    (t: number): Scripted => ({ cls: 'motorbike', speedKmh: 34, trip: new Trip(t, -5.25, 61.9).to(-5.25, 40, 34).to(-1.75, 30, 34).to(-1.75, 4.1, 34) }),
    (t: number): Scripted => ({ cls: 'motorbike', speedKmh: 26, trip: new Trip(t, 5.25, 4.1).to(5.25, 20, 26).to(4.1, 26, 26).to(4.1, 32, 26).to(5.25, 38, 26).to(5.25, 62, 26) }),
    (t: number): Scripted => ({ cls: 'car', speedKmh: 42, trip: new Trip(t, -5.25, 64.4).to(-5.25, 48, 42).to(-1.75, 38, 42).to(-1.75, 28, 42).to(-5.25, 18, 42).to(-5.25, 1.6, 42) }),
  ];
  const scripted: Scripted[] = [];
  for (let t = 8, k = 0; t < durationS - 10; t += 12, k++) scripted.push(moves[k % moves.length]!(t));
  return scenario(`lane-clean-${durationS}s`, durationS, opts, scripted);
}

/** The lane scenarios of `bench accuracy`: one per rule and a violation-free 200 s. */
export function scenarios(opts: LaneScenarioOptions = {}): Scenario[] {
  return [wrongWayScenario(opts), wrongLaneScenario(opts), solidLineScenario(opts), weavingScenario(opts), speedingScenario(opts), cleanScenario(opts)];
}
