/**
 * Scenarios for the `parking` plugin: a four-lane road (two lanes towards the camera, a through lane
 * and a kerb lane away from it) with a no-stopping zone along the kerb lane, Z 14–40 m. Lane traffic
 * is simulated (parking-sim.ts: car following, queues at a red stop line, a jam behind a bottleneck);
 * the vehicles that pull in to the kerb are scripted trips that brake to a stop, wait and drive off.
 *
 * Truth, from the trips alone:
 * - stopped: speed below 1 km/h, i.e. a wait in the path (the simulation sets a braking vehicle
 *   below 1 km/h to 0; scripted trips brake in steps down to 2.5 km/h, then wait);
 * - illegal-stopping: each scripted `park` stop whose foot (the vehicle's near end, where its box
 *   touches the road) is in the zone, at stop start + dwellS. Drop-offs are shorter than dwellS and
 *   queued lane vehicles are exempt by rule; parking.test.ts checks both claims on the trips;
 * - congestion / congestion-cleared: the lane's occupancy as the share of its image polygon covered
 *   by vehicle boxes (projected from the trips), sampled at the plugin's frame times, averaged per
 *   second and over `windowS`, through the same threshold rule the plugin documents. Scored within
 *   ±windowS, not ±1 s: the state is decided on a windowS average of a quantity that drifts across
 *   the threshold over tens of seconds, so a measurement bias of a few percent of occupancy (a
 *   shadow, a blob box a little larger than the vehicle) moves the crossing by seconds; the onset
 *   is defined only to within the window it is averaged over.
 */
import { prng } from '../../core/testing/prng.js';
import { COLOURS, type Yuv } from './canvas.js';
import { arrivals, laneOccupancy, simulate, stopsOf, type Arrival, type StopBar } from './parking-sim.js';
import { groundConfig, lanePolygon, lineAcross, type ExpectedEvent, type Scenario, type ScenarioPlugin } from './scenario.js';
import { signalPhase, Trip, VEHICLE_SIZES, type SignalPlan, type TrafficScene, type VehicleClass, type VehiclePlan } from './traffic.js';

/** Lane indices: 0 and 1 come towards the camera, 2 (through) and 3 (kerb) drive away. */
export const THROUGH = 2;
export const KERB = 3;
/** The no-stopping zone along the kerb lane, Z metres. */
export const ZONE_Z: [number, number] = [14, 40];
/** The lane polygons the plugin watches (queues, congestion), Z metres. */
export const LANE_Z: [number, number] = [12, 44];
export const STOP_LINE_Z = 44;
/** Dwell before a stop in the zone is a violation, in these scenes. */
export const DWELL_S = 10;
/** The plugin's congestion settings in these scenes (red phases last 28 s, well short of minDurationS). */
export const CONGESTION = { occupancy: 0.6, clearOccupancy: 0.4, windowS: 10, minDurationS: 60 };
/** The plugin's frame rate, at which the truth samples occupancy. */
export const PLUGIN_FPS = 5;

const ROAD = { laneCentres: [-5.25, -1.75, 1.75, 5.25], directions: [-1, -1, 1, 1] as (1 | -1)[], laneWidth: 3.5, nearZ: 6, farZ: 60 };
const MIX: VehicleClass[] = ['motorbike', 'motorbike', 'motorbike', 'car', 'car', 'car', 'truck', 'bus'];
const PAINT: Yuv[] = [COLOURS.white, COLOURS.silver, COLOURS.black, COLOURS.blue, COLOURS.darkRed, COLOURS.yellow];
/** Braking and pulling away of the scripted trips, m/s². */
const BRAKE = 1.8;
const PULL_AWAY = 1.5;

/** A scripted stop at the kerb: arrive in fromLane, pull in, stop with the centre at stopZ, wait, leave into toLane. */
export interface KerbStop {
  id: number;
  cls: VehicleClass;
  startS: number;
  fromLane: number;
  toLane: number;
  stopZ: number;
  waitS: number;
  reason: 'park' | 'drop-off';
}

/** A parking scenario with what its truth was derived from. */
export interface ParkingScenario extends Scenario {
  kerbStops: KerbStop[];
  bars: StopBar[];
}

/** Scene size and rate options. */
export interface SceneOptions {
  width?: number;
  height?: number;
  fps?: number;
}

/** Every parking scenario: violations (also under a strong lighting drift, beside buses), a red-light queue, a jam, and a quiet ≥ 3 min scene. */
export function scenarios(opts: SceneOptions = {}): ParkingScenario[] {
  return [kerbScenario(opts), busyKerbScenario(opts), driftScenario(opts), redQueueScenario(opts), jamScenario(opts), quietScenario(opts)];
}

/** No signal: cars and a bus park in the zone (one for 70 s), a motorbike, a car and a truck drop off. */
export function kerbScenario(opts: SceneOptions = {}): ParkingScenario {
  const stops: KerbStop[] = [
    { id: 901, cls: 'car', startS: 6, fromLane: KERB, toLane: KERB, stopZ: 37, waitS: 70, reason: 'park' },
    { id: 902, cls: 'motorbike', startS: 12, fromLane: THROUGH, toLane: THROUGH, stopZ: 20, waitS: 3, reason: 'drop-off' },
    { id: 903, cls: 'car', startS: 28, fromLane: THROUGH, toLane: THROUGH, stopZ: 19, waitS: 22, reason: 'park' },
    { id: 904, cls: 'truck', startS: 58, fromLane: THROUGH, toLane: THROUGH, stopZ: 21, waitS: 5, reason: 'drop-off' },
    { id: 905, cls: 'motorbike', startS: 84, fromLane: KERB, toLane: THROUGH, stopZ: 30, waitS: 16, reason: 'park' },
    { id: 906, cls: 'car', startS: 100, fromLane: THROUGH, toLane: THROUGH, stopZ: 19, waitS: 6, reason: 'drop-off' },
    { id: 907, cls: 'bus', startS: 118, fromLane: THROUGH, toLane: THROUGH, stopZ: 29, waitS: 15, reason: 'park' },
  ];
  return build('parking-kerb', 11, 150, opts, stops, undefined, { kerbHeadwayS: 9, throughHeadwayS: 7 });
}

/**
 * Busier traffic and faster lighting drift: a truck, two cars and a motorbike park in the zone; a
 * car parks just beyond it (not a violation); a motorbike and a bus stop briefly.
 */
export function busyKerbScenario(opts: SceneOptions = {}): ParkingScenario {
  const stops: KerbStop[] = [
    { id: 901, cls: 'truck', startS: 4, fromLane: KERB, toLane: KERB, stopZ: 30, waitS: 20, reason: 'park' },
    { id: 902, cls: 'motorbike', startS: 8, fromLane: THROUGH, toLane: THROUGH, stopZ: 18, waitS: 4, reason: 'drop-off' },
    { id: 903, cls: 'car', startS: 40, fromLane: THROUGH, toLane: THROUGH, stopZ: 46, waitS: 25, reason: 'park' },
    { id: 904, cls: 'car', startS: 48, fromLane: THROUGH, toLane: THROUGH, stopZ: 24, waitS: 30, reason: 'park' },
    { id: 905, cls: 'motorbike', startS: 90, fromLane: KERB, toLane: KERB, stopZ: 32, waitS: 14, reason: 'park' },
    { id: 906, cls: 'bus', startS: 112, fromLane: THROUGH, toLane: THROUGH, stopZ: 27, waitS: 6, reason: 'drop-off' },
    { id: 907, cls: 'car', startS: 128, fromLane: THROUGH, toLane: THROUGH, stopZ: 35, waitS: 18, reason: 'park' },
    { id: 908, cls: 'motorbike', startS: 150, fromLane: KERB, toLane: THROUGH, stopZ: 20, waitS: 3, reason: 'drop-off' },
  ];
  return build('parking-kerb-busy', 15, 170, opts, stops, undefined, { kerbHeadwayS: 12, throughHeadwayS: 5, lighting: { amplitude: 0.08, periodS: 40 } });
}

/**
 * Harder stops under a strong lighting drift: a car parks right behind a bus standing at the kerb (one
 * blob in the picture) and the bus pulls away during the car's dwell; a truck parks for 30 s while the
 * light rises by 17 %, and a car stops on the same spot soon after it leaves (the background held
 * under the truck must have followed the light, or the spot it uncovers is a ghost the car disappears
 * into); a car and a motorbike stop for 7 s, short of the dwell (no event).
 */
export function driftScenario(opts: SceneOptions = {}): ParkingScenario {
  const stops: KerbStop[] = [
    { id: 901, cls: 'car', startS: 6, fromLane: THROUGH, toLane: THROUGH, stopZ: 24, waitS: 7, reason: 'drop-off' },
    { id: 902, cls: 'bus', startS: 20, fromLane: THROUGH, toLane: THROUGH, stopZ: 36, waitS: 7, reason: 'drop-off' },
    { id: 903, cls: 'car', startS: 24, fromLane: KERB, toLane: THROUGH, stopZ: 24, waitS: 20, reason: 'park' },
    { id: 904, cls: 'truck', startS: 50, fromLane: KERB, toLane: THROUGH, stopZ: 26, waitS: 30, reason: 'park' },
    { id: 905, cls: 'car', startS: 88.5, fromLane: THROUGH, toLane: THROUGH, stopZ: 27, waitS: 15, reason: 'park' },
    { id: 906, cls: 'motorbike', startS: 142, fromLane: KERB, toLane: KERB, stopZ: 32, waitS: 7, reason: 'drop-off' },
  ];
  return build('parking-drift', 16, 170, opts, stops, undefined, { kerbHeadwayS: 10, throughHeadwayS: 6, lighting: { amplitude: 0.12, periodS: 80 } });
}

/** A signal: queues in both lanes reach back through the zone; a lone car waits at the line; a car parks between reds. */
export function redQueueScenario(opts: SceneOptions = {}): ParkingScenario {
  const stops: KerbStop[] = [
    { id: 901, cls: 'car', startS: 52, fromLane: KERB, toLane: KERB, stopZ: 22, waitS: 36, reason: 'park' },
    { id: 902, cls: 'motorbike', startS: 100, fromLane: KERB, toLane: KERB, stopZ: 26, waitS: 4, reason: 'drop-off' },
  ];
  // Red 12–40 s, 65–93 s, 118–146 s. In the first red a single car waits in the kerb lane, which then
  // stays empty while the car parks (it leaves on green at 94 s); the third red queues through the zone.
  return build('parking-red', 12, 170, opts, stops, signal(12), { kerbHeadwayS: 7, throughHeadwayS: 7, kerbQuiet: [[0, 108]], loneCarS: 14 });
}

/**
 * An incident beyond the lanes blocks the road from 30 s, then lets traffic through in short bursts
 * (stop and go) until 100 s: dense traffic jams both lanes (congestion), and vehicles stand in the
 * zone for up to a minute, queued.
 */
export function jamScenario(opts: SceneOptions = {}): ParkingScenario {
  const jam = (t: number) => t >= 30 && t < 100 && (t < 60 || (t - 60) % 18 >= 6);
  return build('parking-jam', 13, 150, opts, [], undefined, { kerbHeadwayS: 3, throughHeadwayS: 3, denseFromS: 20, denseToS: 90, jam });
}

/** 200 s without a violation: red queues through the zone, a lone car at the line, short drop-offs. */
export function quietScenario(opts: SceneOptions = {}): ParkingScenario {
  const stops: KerbStop[] = [
    { id: 901, cls: 'car', startS: 46, fromLane: THROUGH, toLane: THROUGH, stopZ: 24, waitS: 5, reason: 'drop-off' },
    { id: 903, cls: 'car', startS: 43, fromLane: KERB, toLane: KERB, stopZ: 36, waitS: 4, reason: 'drop-off' },
    { id: 902, cls: 'motorbike', startS: 97, fromLane: KERB, toLane: KERB, stopZ: 30, waitS: 3, reason: 'drop-off' },
  ];
  return build('parking-quiet', 14, 200, opts, stops, signal(12), { kerbHeadwayS: 7, throughHeadwayS: 6, kerbQuiet: [[66, 96]], loneCarS: 70 });
}

/** Red 28 s, green 22 s, amber 3 s, red first at `redAtS`. */
function signal(redAtS: number): SignalPlan {
  const cycle = 28 + 22 + 3;
  return { at: [0, 0], radius: 0, redS: 28, greenS: 22, amberS: 3, offsetS: cycle - redAtS, flicker: 0.1, saturate: true };
}

interface Traffic {
  kerbHeadwayS: number;
  throughHeadwayS: number;
  kerbQuiet?: [number, number][];
  denseFromS?: number;
  denseToS?: number;
  jam?: (t: number) => boolean;
  lighting?: { amplitude: number; periodS: number };
  /** A car entering the (otherwise quiet) kerb lane then, to wait alone at the red line. */
  loneCarS?: number;
}

/** Builds the scene (scripted kerb stops first, then the simulated lanes around them) and its truth. */
function build(name: string, seed: number, durationS: number, opts: SceneOptions, stops: KerbStop[], sig: SignalPlan | undefined, traffic: Traffic): ParkingScenario {
  const scoredTypes = ['illegal-stopping', 'congestion', 'congestion-cleared'];
  const { width = 640, height = 360, fps = 25 } = opts;
  const rand = prng(seed);
  const scene: TrafficScene = {
    name, fps, durationS, seed, noise: 4,
    camera: { width, height, focalPx: width * 0.9, heightM: 8, pitchRad: (22 * Math.PI) / 180 },
    road: { ...ROAD, ...(sig ? { stopLineZ: STOP_LINE_Z, crossRoad: { z0: 46, z1: 56 } } : {}) },
    vehicles: stops.map((s, i) => ({ id: s.id, cls: s.cls, lane: KERB, enterS: s.startS, speedKmh: 25, colour: PAINT[i % PAINT.length]!, path: kerbTrip(s) })),
    lighting: traffic.lighting ?? { amplitude: 0.06, periodS: 50 },
    ...(sig ? { signal: { ...sig, at: [width * 0.92, height * 0.06] as [number, number], radius: Math.max(3, width / 100) } } : {}),
  };
  const bars: StopBar[] = [];
  if (sig) bars.push({ z: STOP_LINE_Z, lanes: [THROUGH, KERB], closed: (t) => signalPhase(sig, t) !== 'green' });
  if (traffic.jam) bars.push({ z: 50, lanes: [THROUGH, KERB], closed: traffic.jam });
  // Kerb traffic keeps away while a scripted vehicle is at the kerb (in life it would change lanes).
  const busy = stops.map((s): [number, number] => [s.startS - 8, s.startS + s.waitS + 14]);
  // ...and the through lane leaves room for one that comes from it.
  const merging = stops.filter((s) => s.fromLane === THROUGH).map((s): [number, number] => [s.startS - 5, s.startS + 2]);
  for (const s of stops.filter((x) => x.toLane === THROUGH)) {
    const end = stopsOf(scene.vehicles.find((v) => v.id === s.id)!)[0]!.endS;
    merging.push([end - 10, end + 3]);
  }
  const lane = (l: number, headwayS: number, speedKmh: number, quiet: [number, number][] = [], dense = headwayS): Arrival[] => {
    const common = { lane: l, speedKmh, classes: MIX, colours: PAINT, quiet };
    const from = traffic.denseFromS ?? durationS;
    const to = traffic.denseToS ?? durationS;
    return [
      ...arrivals(rand, { ...common, fromS: 0, toS: from, headwayS, firstId: 100 * (l + 1) }),
      ...arrivals(rand, { ...common, fromS: from, toS: to, headwayS: dense, firstId: 100 * (l + 1) + 40 }),
      ...arrivals(rand, { ...common, fromS: to, toS: durationS - 6, headwayS, firstId: 100 * (l + 1) + 80 }),
    ];
  };
  const sparse = traffic.jam ? 9 : undefined;
  const all = [
    ...lane(0, 6, 40), ...lane(1, 5, 42),
    ...lane(THROUGH, sparse ?? traffic.throughHeadwayS, 38, merging, traffic.throughHeadwayS),
    ...lane(KERB, sparse ?? traffic.kerbHeadwayS, 32, [...busy, ...(traffic.kerbQuiet ?? [])], traffic.kerbHeadwayS),
  ];
  if (traffic.loneCarS !== undefined) all.push({ id: 499, cls: 'car', lane: KERB, enterS: traffic.loneCarS, speedKmh: 32, colour: COLOURS.blue });
  scene.vehicles = [...scene.vehicles, ...simulate(scene, all, bars)];
  const camera = plugin(scene, sig !== undefined);
  const events = [...illegalStops(scene, stops), ...['through', 'kerb'].flatMap((l) => congestionTruth(scene, camera.zones![l]!, CONGESTION))];
  return {
    name, plugin: 'parking', scene, plugins: { parking: camera }, kerbStops: stops, bars,
    scoredTypes, events: events.sort((a, b) => a.timeS - b.timeS),
  };
}

/** The camera's parking plugin: lanes, the zone, the stop line when there is a signal. */
function plugin(scene: TrafficScene, stopLine: boolean): ScenarioPlugin {
  const lanes = ['oncoming-outer', 'oncoming', 'through', 'kerb'];
  const zones = Object.fromEntries(lanes.map((n, i) => [n, lanePolygon(scene, i, LANE_Z[0], LANE_Z[1])]));
  return {
    fps: PLUGIN_FPS,
    zones: { ...zones, 'no-stopping': lanePolygon(scene, KERB, ZONE_Z[0], ZONE_Z[1]) },
    lines: stopLine ? { stop: lineAcross(scene, STOP_LINE_Z, 0, 7) } : {},
    config: {
      ground: groundConfig(scene), splitBy: lanes, lanes: ['through', 'kerb'], stopLines: stopLine ? ['stop'] : [],
      noStopping: [{ zone: 'no-stopping', dwellS: DWELL_S }], congestion: CONGESTION,
    },
  };
}

/** The path of a kerb stop: cruise, pull in, brake, wait, pull away (into toLane), drive off. */
export function kerbTrip(s: KerbStop): Trip['points'] {
  const len = VEHICLE_SIZES[s.cls].length;
  const kmh = 25;
  const v = kmh / 3.6;
  const brakeM = (v * v) / (2 * BRAKE);
  const [xFrom, xKerb, xTo] = [ROAD.laneCentres[s.fromLane]!, ROAD.laneCentres[KERB]!, ROAD.laneCentres[s.toLane]!];
  // Cruise, then move over to the kerb in the 12 m before braking (less if it stops near the camera).
  const start = ROAD.nearZ - len;
  const trip = new Trip(s.startS, xFrom, start).to(xFrom, Math.max(start + 0.5, s.stopZ - brakeM - 12), kmh).to(xKerb, s.stopZ - brakeM, kmh);
  ramp(trip, xKerb, s.stopZ, kmh, 0);
  trip.wait(s.waitS);
  // Pull out within 8 m at walking pace (clear of anything parked ahead), then speed up.
  ramp(trip, xTo, s.stopZ + 8, 0, 10);
  ramp(trip, xTo, s.stopZ + 8 + (v * v - 2.8 * 2.8) / (2 * PULL_AWAY), 10, kmh);
  return trip.to(xTo, Math.max(ROAD.farZ + len, trip.points.at(-1)!.z + 1), kmh).points;
}

/** Drives to (x, z) changing speed evenly from v0 to v1 km/h, as 5 steps of constant speed. */
function ramp(trip: Trip, x: number, z: number, v0: number, v1: number): void {
  const from = trip.points.at(-1)!;
  const speeds = [0, 1, 2, 3, 4].map((k) => v0 + ((v1 - v0) * (k + 0.5)) / 5);
  const total = speeds.reduce((a, b) => a + b, 0);
  let done = 0;
  for (const sp of speeds) {
    done += sp / total;
    trip.to(from.x + (x - from.x) * done, from.z + (z - from.z) * done, sp);
  }
}

/** Foot (near end of the vehicle, on its centre line) of a vehicle whose centre is at (x, z). */
export function footOf(cls: VehicleClass, x: number, z: number): [number, number] {
  return [x, z - VEHICLE_SIZES[cls].length / 2];
}

/** One illegal-stopping event per `park` stop with its foot in the zone, dwellS after it stopped. */
function illegalStops(scene: TrafficScene, stops: KerbStop[]): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  for (const s of stops) {
    const v = scene.vehicles.find((p) => p.id === s.id)!;
    for (const st of stopsOf(v)) {
      const [x, z] = footOf(v.cls, st.x, st.z);
      const inZone = Math.abs(x - ROAD.laneCentres[KERB]!) < ROAD.laneWidth / 2 && z >= ZONE_Z[0] && z <= ZONE_Z[1];
      if (s.reason === 'park' && inZone && st.endS - st.startS >= DWELL_S) out.push({ plugin: 'parking', type: 'illegal-stopping', timeS: st.startS + DWELL_S, vehicleId: s.id });
    }
  }
  return out;
}

/**
 * congestion / congestion-cleared for one lane (normalised polygon) from its true occupancy, by the
 * rule the plugin documents: per-second means, averaged over windowS, decided as each second closes.
 */
export function congestionTruth(scene: TrafficScene, polygon: readonly [number, number][], c: typeof CONGESTION): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  const perSecond = laneOccupancy(scene, polygon, PLUGIN_FPS);
  let since: number | undefined;
  let active = false;
  for (let j = c.windowS - 1; j < perSecond.length; j++) {
    const avg = perSecond.slice(j - c.windowS + 1, j + 1).reduce((a, b) => a + b, 0) / c.windowS;
    const now = j + 1; // the plugin closes second j on its first frame of second j + 1
    if (since === undefined && avg >= c.occupancy) since = now;
    else if (since !== undefined && avg < c.clearOccupancy) {
      if (active) out.push({ plugin: 'parking', type: 'congestion-cleared', timeS: now, toleranceS: c.windowS });
      since = undefined;
      active = false;
    }
    if (since !== undefined && !active && now - since >= c.minDurationS) {
      active = true;
      out.push({ plugin: 'parking', type: 'congestion', timeS: now, toleranceS: c.windowS });
    }
  }
  return out;
}
