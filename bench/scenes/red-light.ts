/**
 * Red-light scenarios: a signalised approach seen from behind (traffic drives away from the camera
 * towards a stop line, a pedestrian strip, then a crossing road: the junction). The signal cycles
 * red 20 s, green 15 s, amber 3 s. Approach traffic comes from a car-following simulation
 * (red-light-sim.ts): drivers brake for amber and red, queue behind one another and go on green;
 * scripted ones run the red early or late, or stop with their rear just past the line. Cross traffic
 * uses the crossing road while the approach is red; oncoming traffic leaves the junction on green.
 *
 * The ground truth uses the same ground point as the plugin: the bottom-centre of the vehicle's
 * box, which for traffic driving away from the camera is its REAR. A vehicle
 * - crosses the stop line when its rear passes Z = STOP_Z;
 * - runs the red when that happens at least GRACE_S after the red came on, and its rear then
 *   reaches the junction (Z = JUNCTION_Z0) before the red ends. One that stops past the line and
 *   moves on only on green has not run the light.
 * The event is due when the plugin has its 'after' evidence frame: max(junction, crossing + AFTER_S).
 * Scenes keep every crossing on red at least 0.3 s from the grace limit and every junction entry
 * 0.5 s from the end of the red, so the truth does not hang on a frame (red-light.test.ts checks).
 */
import { prng } from '../../core/testing/prng.js';
import { COLOURS, type Yuv } from './canvas.js';
import { crossTraffic, oncoming, simulateApproach, type Arrival, type Behaviour } from './red-light-sim.js';
import { groundConfig, groundRect, lanePolygon, lineAcross, type ExpectedEvent, type NPoint, type Scenario } from './scenario.js';
import { signalPhase, timeAtZ, VEHICLE_SIZES, type SignalPlan, type SignalPhase, type TrafficScene, type VehicleClass, type VehiclePlan } from './traffic.js';

/** Z of the approach's stop line, metres from the camera's foot. */
export const STOP_Z = 22;
/** Near edge of the junction (the crossing road), Z metres; 6 m past the line leave room for a pedestrian crossing. */
export const JUNCTION_Z0 = 28;
/** Far edge of the junction, Z metres. */
export const JUNCTION_Z1 = 40;
/** Indices of the approach lanes (driving away from the camera). */
export const APPROACH_LANES = [2, 3];
/** The plugin's grace time the truth assumes, s. */
export const GRACE_S = 0.5;
/** The plugin's 'after' evidence delay the truth assumes, s. */
export const AFTER_S = 1;

/**
 * The camera stands over the divider of the two approach lanes, as enforcement cameras are mounted
 * (on a gantry or an arm over the lanes they watch): seen from there, a tall vehicle leans away
 * from the other approach lane instead of hiding it. Oncoming lanes lie to the left (right-hand traffic).
 */
const LANES = { laneCentres: [-8.75, -5.25, -1.75, 1.75], directions: [-1, -1, 1, 1] as (1 | -1)[], laneWidth: 3.5 };
/** The road's edges, X metres. */
export const ROAD_X: [number, number] = [-10.5, 3.5];
/** The approach lanes' edges, X metres: the stop line spans them. */
export const APPROACH_X: [number, number] = [-3.5, 3.5];
const CROSS_LANES: { z: number; dir: 1 | -1 }[] = [{ z: 31, dir: 1 }, { z: 37, dir: -1 }];
const PALETTE: Yuv[] = [COLOURS.white, COLOURS.silver, COLOURS.black, COLOURS.blue, COLOURS.darkRed, COLOURS.yellow];
const MIX: VehicleClass[] = ['motorbike', 'motorbike', 'motorbike', 'motorbike', 'car', 'car', 'car', 'car', 'truck', 'bus'];
const SPEED: Record<VehicleClass, [number, number]> = { motorbike: [35, 45], car: [38, 50], truck: [30, 40], bus: [30, 40] };

/** A scripted driver: enters so that its rear reaches the line `intoRedS` after the `red`-th red begins. */
export interface ScriptedDriver {
  red: number;
  intoRedS: number;
  lane: number;
  cls: VehicleClass;
  speedKmh: number;
  behaviour: Exclude<Behaviour, 'obey'>;
  overshootM?: number;
}

/** What varies between the red-light scenes. */
export interface RedLightSceneOptions {
  name: string;
  seed: number;
  durationS: number;
  /** Mean seconds between arrivals per approach lane. */
  headwayS: number;
  scripted: ScriptedDriver[];
  signal?: Partial<SignalPlan>;
  lighting?: { amplitude: number; periodS: number };
  noise?: number;
  /** Camera frame rate; default 25 (tests use 10, the plugin's rate, to render less). */
  fps?: number;
}

/** Start times (s) of the reds that begin inside [0, durationS). */
export function redStarts(s: SignalPlan, durationS: number): number[] {
  const cycle = s.redS + s.greenS + s.amberS;
  const out: number[] = [];
  for (let t = (((cycle - s.offsetS) % cycle) + cycle) % cycle; t < durationS; t += cycle) out.push(t);
  return out;
}

/** Seconds since the current red began, or undefined when the signal is not red at t. */
export function redForS(s: SignalPlan, t: number): number | undefined {
  const cycle = s.redS + s.greenS + s.amberS;
  const p = (((t + s.offsetS) % cycle) + cycle) % cycle;
  return p < s.redS ? p : undefined;
}

/** Builds one scene: simulated approach traffic with the scripted drivers, then cross and oncoming traffic around it. */
export function redLightScene(o: RedLightSceneOptions): TrafficScene {
  const rand = prng(o.seed);
  const signal: SignalPlan = { at: [604, 22], radius: 6, redS: 20, greenS: 15, amberS: 3, offsetS: 25, ...o.signal };
  const reds = redStarts(signal, o.durationS);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const newVehicle = () => ({ cls: pick(MIX), colour: pick(PALETTE) });
  const startZ = -40;
  const arrivals: Arrival[] = [];
  let id = 1;
  // Scripted drivers need an empty lane ahead of them: keep it free from before amber until they enter.
  const keepFree: { lane: number; from: number; to: number }[] = [];
  const scripted = new Map<number, ScriptedDriver>();
  // A shortened scene keeps the scripted drivers that fit in it.
  for (const d of o.scripted.filter((x) => x.red < reds.length && reds[x.red]! + x.intoRedS < o.durationS - 4)) {
    const len = VEHICLE_SIZES[d.cls].length;
    const v = d.speedKmh / 3.6;
    const reach = d.behaviour === 'run' ? STOP_Z + len / 2 - startZ : STOP_Z - startZ;
    const atS = reds[d.red]! + d.intoRedS - reach / v;
    scripted.set(id, d);
    arrivals.push({ id: id++, cls: d.cls, lane: d.lane, colour: pick(PALETTE), atS, speedKmh: d.speedKmh, behaviour: d.behaviour, overshootM: d.overshootM });
    keepFree.push({ lane: d.lane, from: reds[d.red]! - signal.amberS - 9, to: atS + 0.5 });
  }
  for (const lane of APPROACH_LANES) {
    for (let t = 0.5 + rand() * 2; t < o.durationS; t += 1.2 + -Math.log(1 - rand()) * (o.headwayS - 1.2)) {
      if (keepFree.some((k) => k.lane === lane && t > k.from && t < k.to)) continue;
      const cls = pick(MIX);
      const [lo, hi] = SPEED[cls];
      arrivals.push({ id: id++, cls, lane, colour: pick(PALETTE), atS: t, speedKmh: lo + rand() * (hi - lo), behaviour: 'obey' });
    }
  }
  const approachOf = (list: Arrival[]) => simulateApproach(list, { laneX: LANES.laneCentres, startZ, endZ: 75, stopZ: STOP_Z, signal, durationS: o.durationS });
  // A queue left over from the last red can still hold a scripted driver up: drop the obeying
  // arrival just ahead of it in its lane until every scripted driver does what it is there for.
  let approach = approachOf(arrivals);
  for (let round = 0; ; round++) {
    const held = [...scripted].filter(([sid, d]) => !asScripted(approach.find((p) => p.id === sid)!, d, reds[d.red]!, signal));
    if (held.length === 0) break;
    if (round === 30) throw new Error(`${o.name}: scripted drivers ${held.map(([sid]) => sid).join(', ')} stay held up`);
    for (const [sid, d] of held) {
      const at = arrivals.find((a) => a.id === sid)!.atS;
      const ahead = arrivals.filter((a) => a.lane === d.lane && a.behaviour === 'obey' && a.atS < at).sort((p, q) => q.atS - p.atS)[0];
      if (ahead) arrivals.splice(arrivals.indexOf(ahead), 1);
    }
    approach = approachOf(arrivals);
  }
  const around = { signal, durationS: o.durationS, roadX: ROAD_X, junctionZ: [JUNCTION_Z0, JUNCTION_Z1] as [number, number], farZ: 60, rand, newVehicle };
  const vehicles = [...approach, ...crossTraffic(approach, CROSS_LANES, reds, around, 1000), ...oncoming([0, 1], around, 2000)];
  return {
    name: o.name,
    camera: { width: 640, height: 360, focalPx: 576, heightM: 8, pitchRad: (22 * Math.PI) / 180 },
    fps: o.fps ?? 25,
    durationS: o.durationS,
    seed: o.seed,
    road: { ...LANES, nearZ: 6, farZ: 60, stopLineZ: STOP_Z, crossRoad: { z0: JUNCTION_Z0, z1: JUNCTION_Z1 } },
    vehicles,
    signal,
    lighting: o.lighting ?? { amplitude: 0.08, periodS: 40 },
    noise: o.noise ?? 4,
  };
}

/** Whether a scripted driver did its part: ran the line on time, or stood past it on red. */
function asScripted(plan: VehiclePlan, d: ScriptedDriver, red: number, s: SignalPlan): boolean {
  const crossS = timeAtZ(plan.path!, STOP_Z + VEHICLE_SIZES[d.cls].length / 2);
  if (crossS === undefined) return false;
  if (d.behaviour === 'run') return Math.abs(crossS - (red + d.intoRedS)) < 0.25;
  const into = redForS(s, crossS);
  return into !== undefined && Math.abs(crossS - red - into) < 1e-6;
}

/** One approach vehicle's passage of the stop line, judged by the rule in the file comment. */
export interface StopLineTruth {
  id: number;
  cls: VehicleClass;
  /** When its rear passed the stop line, and the signal then. */
  crossS: number;
  phase: SignalPhase;
  redForS?: number;
  /** When its rear reached the junction, and the signal then. */
  junctionS?: number;
  junctionPhase?: SignalPhase;
  violation: boolean;
  /** When the event is due (violations only). */
  eventS?: number;
}

/** Every stop-line passage in the scene, in time order. */
export function stopLineTruth(scene: TrafficScene, graceS = GRACE_S, afterS = AFTER_S): StopLineTruth[] {
  const s = scene.signal!;
  const out: StopLineTruth[] = [];
  for (const v of scene.vehicles) {
    if (!v.path || !APPROACH_LANES.includes(v.lane) || v.path[0]!.x !== scene.road.laneCentres[v.lane]) continue;
    const half = VEHICLE_SIZES[v.cls].length / 2;
    const crossS = timeAtZ(v.path, STOP_Z + half);
    if (crossS === undefined || crossS > scene.durationS) continue;
    const redFor = redForS(s, crossS);
    const j = timeAtZ(v.path, JUNCTION_Z0 + half);
    const junctionS = j !== undefined && j <= scene.durationS ? j : undefined;
    const jRed = junctionS !== undefined ? redForS(s, junctionS) : undefined;
    const violation = redFor !== undefined && redFor >= graceS && jRed !== undefined && jRed >= redFor;
    out.push({
      id: v.id, cls: v.cls, crossS, phase: signalPhase(s, crossS), redForS: redFor, junctionS,
      junctionPhase: junctionS !== undefined ? signalPhase(s, junctionS) : undefined, violation,
      eventS: violation ? Math.max(junctionS!, crossS + afterS) : undefined,
    });
  }
  return out.sort((a, b) => a.crossS - b.crossS);
}

/** The red-light plugin's camera config: lamps, stop line, junction, lanes and ground reference. */
export function redLightPlugins(scene: TrafficScene): Scenario['plugins'] {
  const s = scene.signal!;
  const { width, height } = scene.camera;
  // A lamp's zone: the square around its disc, as someone drawing it on a snapshot would.
  const lamp = (i: number): NPoint[] => {
    const [cx, cy] = [s.at[0], s.at[1] + i * 2.1 * s.radius];
    const r = s.radius;
    return [[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r]].map(([x, y]) => [x! / width, y! / height]);
  };
  // All four lanes split blobs: oncoming vehicles pass queued ones side by side.
  const lanes = Object.fromEntries(scene.road.laneCentres.map((_, l) => [`lane${l + 1}`, lanePolygon(scene, l, scene.road.nearZ, JUNCTION_Z0 - 1)]));
  return {
    'red-light': {
      zones: { lamp_red: lamp(0), lamp_amber: lamp(1), lamp_green: lamp(2), junction: groundRect(scene, ROAD_X[0], ROAD_X[1], JUNCTION_Z0, JUNCTION_Z1), ...lanes },
      lines: { stop_line: lineAcross(scene, STOP_Z, APPROACH_X[0], APPROACH_X[1]) },
      config: {
        lamps: { red: 'lamp_red', amber: 'lamp_amber', green: 'lamp_green' },
        stopLine: 'stop_line', junction: 'junction', graceS: GRACE_S, afterS: AFTER_S,
        ground: groundConfig(scene), splitBy: Object.keys(lanes),
      },
    },
  };
}

/** A scenario for a scene: the expected events are its violations. */
export function redLightScenario(scene: TrafficScene): Scenario {
  const events: ExpectedEvent[] = stopLineTruth(scene)
    .filter((c) => c.violation)
    .map((c) => ({ plugin: 'red-light', type: 'red-light', timeS: c.eventS!, vehicleId: c.id }));
  return { name: scene.name, plugin: 'red-light', scene, plugins: redLightPlugins(scene), scoredTypes: ['red-light'], events };
}

/** The scenes of `bench accuracy`, by name; tests build shorter ones from the same options. */
export const RED_LIGHT_SCENES: Record<string, RedLightSceneOptions> = {
  // Runners early (1-1.5 s into red) and late, one crossing inside the grace time (no violation).
  runners: {
    name: 'red-light-runners', seed: 21, durationS: 100, headwayS: 6,
    scripted: [
      { red: 0, intoRedS: 1.2, lane: 3, cls: 'car', speedKmh: 45, behaviour: 'run' },
      { red: 0, intoRedS: 0.1, lane: 2, cls: 'car', speedKmh: 42, behaviour: 'run' },
      { red: 0, intoRedS: 9, lane: 3, cls: 'motorbike', speedKmh: 40, behaviour: 'run' },
      { red: 1, intoRedS: 1.5, lane: 3, cls: 'car', speedKmh: 48, behaviour: 'run' },
      { red: 1, intoRedS: 6, lane: 2, cls: 'truck', speedKmh: 35, behaviour: 'run' },
      { red: 1, intoRedS: 14, lane: 3, cls: 'bus', speedKmh: 35, behaviour: 'run' },
      { red: 2, intoRedS: 1, lane: 2, cls: 'motorbike', speedKmh: 42, behaviour: 'run' },
    ],
  },
  // Vehicles that stop with their rear just past the line and go on green, among runners.
  stopOver: {
    name: 'red-light-stop-over', seed: 22, durationS: 90, headwayS: 6,
    scripted: [
      { red: 0, intoRedS: 4, lane: 3, cls: 'car', speedKmh: 40, behaviour: 'stopOver', overshootM: 1.2 },
      { red: 0, intoRedS: 3, lane: 2, cls: 'motorbike', speedKmh: 38, behaviour: 'stopOver', overshootM: 0.8 },
      { red: 1, intoRedS: 2, lane: 2, cls: 'car', speedKmh: 45, behaviour: 'run' },
      { red: 1, intoRedS: 5, lane: 3, cls: 'car', speedKmh: 36, behaviour: 'stopOver', overshootM: 1 },
      { red: 1, intoRedS: 12, lane: 2, cls: 'motorbike', speedKmh: 42, behaviour: 'run' },
    ],
  },
  // LED lamps beating with the shutter: a lit lamp is caught dark in a quarter of the frames.
  flicker: {
    name: 'red-light-flicker', seed: 23, durationS: 90, headwayS: 5, signal: { flicker: 0.25 },
    scripted: [
      { red: 0, intoRedS: 1.3, lane: 2, cls: 'car', speedKmh: 44, behaviour: 'run' },
      { red: 0, intoRedS: 7, lane: 3, cls: 'truck', speedKmh: 36, behaviour: 'run' },
      { red: 1, intoRedS: 1.1, lane: 3, cls: 'motorbike', speedKmh: 40, behaviour: 'run' },
      { red: 1, intoRedS: 10, lane: 2, cls: 'car', speedKmh: 42, behaviour: 'run' },
    ],
  },
  // Lamps that saturate to a white core, a smaller signal and stronger lighting drift.
  saturated: {
    name: 'red-light-saturated', seed: 24, durationS: 90, headwayS: 5, signal: { saturate: true, radius: 5 },
    lighting: { amplitude: 0.15, periodS: 30 },
    scripted: [
      { red: 0, intoRedS: 1.2, lane: 3, cls: 'car', speedKmh: 46, behaviour: 'run' },
      { red: 0, intoRedS: 12, lane: 2, cls: 'bus', speedKmh: 34, behaviour: 'run' },
      { red: 1, intoRedS: 1.4, lane: 2, cls: 'motorbike', speedKmh: 40, behaviour: 'run' },
      { red: 1, intoRedS: 5, lane: 3, cls: 'car', speedKmh: 44, behaviour: 'run' },
    ],
  },
  // Four minutes of dense obeying traffic; amber and in-grace crossings and stop-overs are no violations.
  quiet: {
    name: 'red-light-quiet', seed: 25, durationS: 240, headwayS: 4, signal: { flicker: 0.1 },
    scripted: [
      { red: 1, intoRedS: 0, lane: 3, cls: 'car', speedKmh: 44, behaviour: 'run' },
      { red: 2, intoRedS: 3, lane: 2, cls: 'car', speedKmh: 40, behaviour: 'stopOver', overshootM: 1 },
      { red: 3, intoRedS: 0.15, lane: 2, cls: 'motorbike', speedKmh: 40, behaviour: 'run' },
      { red: 4, intoRedS: 5, lane: 3, cls: 'motorbike', speedKmh: 36, behaviour: 'stopOver', overshootM: 1.5 },
    ],
  },
};

/** The red-light scenarios of `bench accuracy`: four scenes with violations, and four quiet minutes. */
export function scenarios(): Scenario[] {
  return Object.values(RED_LIGHT_SCENES).map((o) => redLightScenario(redLightScene(o)));
}
