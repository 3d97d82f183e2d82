/**
 * The demo that `make run` starts: synthetic traffic clips looped as cameras (config/streamsight.yaml,
 * `synthetic: { file }`), rendered once into data/demo/ by `node --import tsx bench/scenes/demo.ts data/demo`.
 *
 * The cameras' plugin settings in config/streamsight.yaml are the scenarios' own (a test keeps the
 * two in step), so the demo raises the events and counts the scenes script.
 *
 * The intersection camera runs red-light, lane and parking on one scene: the red-light runners'
 * approach (red-light.ts) with, added to it, a kerb strip right of the approach lanes whose stretch
 * before the stop line is a no-stopping zone, a car that parks there (parking.ts's kerb trip), and a
 * car driving the wrong way up the oncoming lane on green. Cross and oncoming traffic that would
 * drive through the added cars is left out. Three signal cycles, so the loop keeps the signal's rhythm.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { VTEST_AVI, vtestH264 } from '../../core/detect/onnx/vtest.js';
import { join } from 'node:path';
import { COLOURS } from './canvas.js';
import { gateScenario } from './counting.js';
import { PLUGIN_FPS as LANE_FPS, RULES } from './lane.js';
import { stopsOf, vehicleBox } from './parking-sim.js';
import { CONGESTION, congestionTruth, footOf, KERB, kerbTrip, PLUGIN_FPS as PARKING_FPS } from './parking.js';
import { RED_LIGHT_SCENES, redLightPlugins, redLightScene, stopLineTruth } from './red-light.js';
import { groundConfig, groundRect, imagePoint, lanePolygon, type ExpectedEvent, type Scenario } from './scenario.js';
import { encodeScene, sceneFingerprint, timeAtZ, Trip, VEHICLE_SIZES, vehiclePosition, type TrafficScene, type VehiclePlan } from './traffic.js';

/** The kerb strip's centre, X metres: where parking.ts's kerb lane lies, so its kerb trips fit. */
export const KERB_X = 5.25;
/** The no-stopping zone along the kerb strip, Z metres, short of the stop line. */
export const NO_STOPPING_Z: readonly [number, number] = [11, 21];
/** Stand this long in the zone and it is a violation, s. */
export const DWELL_S = 10;
/** The lane plugin's lane zones span these Z: from where the outer lanes come into view to the junction. */
export const LANE_Z: readonly [number, number] = [12, 27];
/** Speed limit of every lane, km/h (the approach simulation's drivers want 30–50). */
export const LIMIT_KMH = 50;
/**
 * The oncoming lane the wrong-way car drives up, and when and how fast: on the second green, when no
 * approach vehicle passes it close enough to share its blob (demo.test.ts checks).
 */
const WRONG_WAY = { id: 3001, lane: 1, startS: 77, speedKmh: 35 };
/** The parked car: in on the first green, standing through the second red, away on the second green. */
const PARKER = { id: 3002, startS: 38, stopZ: 16, waitS: 32 };
/** Three 38 s signal cycles. */
const DURATION_S = 114;

/** The demo cameras by id, each with the scenario it plays. */
export function demoScenarios(): Record<string, Scenario> {
  return {
    intersection: intersectionScenario(),
    'gate-north': { ...gateScenario(21, 120), gate: 'north' },
    'gate-south': { ...gateScenario(22, 120), gate: 'south' },
  };
}

/** The intersection scene: see the file comment. */
export function intersectionScene(): TrafficScene {
  const base = redLightScene({ ...RED_LIGHT_SCENES.runners!, name: 'intersection', durationS: DURATION_S });
  const { road } = base;
  const scene: TrafficScene = {
    ...base,
    road: { ...road, laneCentres: [...road.laneCentres, KERB_X], directions: [...road.directions, 1], solidX: [KERB_X - road.laneWidth / 2] },
  };
  const x = road.laneCentres[WRONG_WAY.lane]!;
  const len = VEHICLE_SIZES.car.length;
  const added: VehiclePlan[] = [
    { id: WRONG_WAY.id, cls: 'car', lane: WRONG_WAY.lane, enterS: WRONG_WAY.startS, speedKmh: WRONG_WAY.speedKmh, colour: COLOURS.white,
      path: new Trip(WRONG_WAY.startS, x, road.nearZ - len).to(x, road.farZ + len, WRONG_WAY.speedKmh).points },
    { id: PARKER.id, cls: 'car', lane: road.laneCentres.length, enterS: PARKER.startS, speedKmh: 25, colour: COLOURS.darkRed,
      path: kerbTrip({ id: PARKER.id, cls: 'car', startS: PARKER.startS, fromLane: KERB, toLane: KERB, stopZ: PARKER.stopZ, waitS: PARKER.waitS, reason: 'park' }) },
  ];
  // Cross traffic (ids from 1000) and oncoming traffic (from 2000) keep clear of the added cars,
  // and out of their blobs while they are on the watched stretch.
  const kept = base.vehicles.filter((v) => v.id < 1000 || !added.some((a) => nearby(scene, v, a) || touching(scene, v, a)));
  return { ...scene, vehicles: [...kept, ...added] };
}

/** Whether two vehicles' centres ever come within their half-lengths plus 2 m of each other. */
function nearby(scene: TrafficScene, a: VehiclePlan, b: VehiclePlan): boolean {
  const reach = (VEHICLE_SIZES[a.cls].length + VEHICLE_SIZES[b.cls].length) / 2 + 2;
  const t0 = b.path![0]!.t;
  for (let t = t0; t <= b.path!.at(-1)!.t; t += 0.1) {
    const pa = vehiclePosition(scene, a, t);
    const pb = vehiclePosition(scene, b, t)!;
    if (pa && Math.hypot(pa[0] - pb[0], pa[1] - pb[1]) < reach) return true;
  }
  return false;
}

/**
 * Whether `a` touches path vehicle `b` in the image while b's near end is within 3 m of the lane
 * zones: their boxes, grown by the 4 px that the blob detector's closing bridges, overlap. A blob
 * detector sees touching vehicles as one.
 */
export function touching(scene: TrafficScene, a: VehiclePlan, b: VehiclePlan): boolean {
  const half = VEHICLE_SIZES[b.cls].length / 2;
  for (let t = b.path![0]!.t; t <= b.path!.at(-1)!.t; t += 0.1) {
    const pb = vehiclePosition(scene, b, t)!;
    if (pb[1] - half < LANE_Z[0] - 3 || pb[1] - half > LANE_Z[1] + 3) continue;
    const pa = vehiclePosition(scene, a, t);
    const ba = pa && vehicleBox(scene, a.cls, pa[0], pa[1]);
    const bb = vehicleBox(scene, b.cls, pb[0], pb[1]);
    if (ba && bb && Math.min(ba[2], bb[2]) - Math.max(ba[0], bb[0]) > -8 && Math.min(ba[3], bb[3]) - Math.max(ba[1], bb[1]) > -8) return true;
  }
  return false;
}

/**
 * The three plugins on the intersection and the events its trips must raise: the red-light runners
 * (red-light.ts's truth), the wrong-way car once its near end has driven the rule's metres up the
 * lane zone, and the parked car dwellS after it stopped with its near end in the zone.
 */
export function intersectionScenario(): Scenario {
  const scene = intersectionScene();
  const red = redLightPlugins(scene)['red-light']!;
  const laneZones = Object.fromEntries(Object.entries(red.zones!).filter(([name]) => /^lane\d$/.test(name)));
  const ground = groundConfig(scene);
  const trafficLanes = scene.road.laneCentres.slice(0, 4);
  const lanes = Object.fromEntries(trafficLanes.map((lx, i) => {
    const dir = scene.road.directions[i]!;
    const [near, far] = [imagePoint(scene, lx, LANE_Z[0] + 2), imagePoint(scene, lx, LANE_Z[1] - 2)];
    return [`lane${i + 1}`, { direction: dir > 0 ? [near, far] : [far, near], speedLimitKmh: LIMIT_KMH }];
  }));
  const centreX = (trafficLanes[1]! + trafficLanes[2]!) / 2;
  const kerbLineX = KERB_X - scene.road.laneWidth / 2;
  const solid = (lx: number) => ({ from: imagePoint(scene, lx, LANE_Z[0]), to: imagePoint(scene, lx, LANE_Z[1]) });
  const plugins: Scenario['plugins'] = {
    'red-light': red,
    lane: {
      fps: LANE_FPS,
      zones: Object.fromEntries(trafficLanes.map((_, i) => [`lane${i + 1}`, lanePolygon(scene, i, LANE_Z[0], LANE_Z[1])])),
      lines: { centre: solid(centreX), kerb: solid(kerbLineX) },
      config: { ground, minArea: 0.0004, lanes, solidLines: ['centre', 'kerb'], splitBy: Object.keys(lanes), ...structuredClone(RULES) },
    },
    parking: {
      fps: PARKING_FPS,
      zones: { ...laneZones, 'no-stopping': groundRect(scene, kerbLineX, KERB_X + scene.road.laneWidth / 2, NO_STOPPING_Z[0], NO_STOPPING_Z[1]) },
      lines: { ...red.lines },
      config: {
        ground, splitBy: Object.keys(laneZones), lanes: ['lane3', 'lane4'], stopLines: Object.keys(red.lines!),
        noStopping: [{ zone: 'no-stopping', dwellS: DWELL_S }], congestion: CONGESTION,
      },
    },
  };
  const events: ExpectedEvent[] = [
    ...stopLineTruth(scene).filter((c) => c.violation).map((c) => ({ plugin: 'red-light', type: 'red-light', timeS: c.eventS!, vehicleId: c.id })),
    ...wrongWayTruth(scene),
    ...illegalStopTruth(scene),
    ...['lane3', 'lane4'].flatMap((l) => congestionTruth(scene, plugins.parking!.zones![l]!, CONGESTION)),
  ].sort((a, b) => a.timeS - b.timeS);
  const scoredTypes = ['red-light', 'wrong-way', 'wrong-lane', 'solid-line', 'weaving', 'speeding', 'illegal-stopping', 'congestion', 'congestion-cleared'];
  return { name: 'intersection', plugin: 'red-light', scene, plugins, scoredTypes, events };
}

/** Vehicles driving away (Z growing) in a lane whose traffic comes towards the camera: due when their near end is minMetres into the lane zone. */
export function wrongWayTruth(scene: TrafficScene): ExpectedEvent[] {
  const { minMetres, minUpdates } = RULES.wrongWay;
  const out: ExpectedEvent[] = [];
  for (const v of scene.vehicles) {
    const lx = scene.road.laneCentres[v.lane];
    if (!v.path || scene.road.directions[v.lane] !== -1 || v.path.some((p) => p.x !== lx) || v.path.at(-1)!.z <= v.path[0]!.z) continue;
    const half = VEHICLE_SIZES[v.cls].length / 2;
    const enter = timeAtZ(v.path, LANE_Z[0] + half);
    const due = timeAtZ(v.path, LANE_Z[0] + minMetres + half);
    if (enter !== undefined && due !== undefined) out.push({ plugin: 'lane', type: 'wrong-way', timeS: Math.max(due, enter + (minUpdates - 1) / LANE_FPS), vehicleId: v.id });
  }
  return out;
}

/** Stops of at least dwellS with the near end in the no-stopping zone, on the kerb strip: due dwellS after the stop. */
export function illegalStopTruth(scene: TrafficScene): ExpectedEvent[] {
  const half = scene.road.laneWidth / 2;
  return scene.vehicles.flatMap((v) => stopsOf(v).flatMap((st) => {
    const [fx, fz] = footOf(v.cls, st.x, st.z);
    const inZone = Math.abs(fx - KERB_X) < half && fz >= NO_STOPPING_Z[0] && fz <= NO_STOPPING_Z[1];
    return inZone && st.endS - st.startS >= DWELL_S ? [{ plugin: 'parking', type: 'illegal-stopping', timeS: st.startS + DWELL_S, vehicleId: v.id }] : [];
  }));
}

/**
 * Renders the clips that are missing from `dir`, or were rendered from another version of their
 * scene (a fingerprint of the scene sits beside each clip: the config follows the current scenes,
 * so an old clip would be watched with the wrong zones); returns their paths by camera id.
 */
export async function ensureDemoClips(dir: string, log: (s: string) => void = () => {}): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const [id, s] of Object.entries(demoScenarios())) {
    const file = join(dir, `${id}.h264`);
    out[id] = file;
    const fingerprint = sceneFingerprint(s.scene);
    if (existsSync(file) && existsSync(`${file}.scene`) && readFileSync(`${file}.scene`, 'utf8') === fingerprint) continue;
    log(`demo: rendering ${id} (${s.scene.durationS} s of ${s.scene.camera.width}x${s.scene.camera.height}) into ${file}`);
    await encodeScene(s.scene, file);
    writeFileSync(`${file}.scene`, fingerprint);
  }
  out.campus = campusClip(dir, log);
  return out;
}

/** The campus camera's clip: vtest.avi as H.264 (the demo's neural-detector camera), made once. */
function campusClip(dir: string, log: (s: string) => void): string {
  const file = join(dir, 'campus.h264');
  if (existsSync(file)) return file;
  log(`demo: encoding ${VTEST_AVI} into ${file}`);
  vtestH264(file, { gop: 20 });
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDemoClips(process.argv[2] ?? 'data/demo', (s) => console.log(s)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
