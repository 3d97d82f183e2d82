/**
 * Scenarios for the `flood` plugin: the street (street.ts) with a drainage channel along its right
 * verge and a staff gauge standing in it, 8 m from the camera (bench/scenes/elements/water.ts). The
 * water follows a level plan; above the bank (0.9 m on the gauge) it spreads over the verge and the
 * road. The plugin reads the gauge through a zone drawn around the board and marks at 0, 0.5, 1 and
 * 1.5 m, and measures the extent on the near stretch of the right lane.
 *
 * Truth, from the level plan alone:
 * - flood-level: the first time the plan's level reaches THRESHOLD_M. The plugin's median over
 *   medianS of a steadily rising level is the level medianS / 2 ago, and a level read to ±LEVEL_TOL_M
 *   moves the crossing by LEVEL_TOL_M / rate; the tolerance is the sum of both, plus a second;
 * - flood-rise: the first time the mean rise over the last rise window reaches RISE_CM_PER_MIN. The
 *   plugin fits a slope to median levels over the same window, which reaches the threshold up to a
 *   quarter window later than the mean rate does at the onset of a ramp; tolerance medianS / 2 +
 *   windowS / 4 + 1 s;
 * - flood-extent: the first time the share of the extent zone's pixels whose ground is under water
 *   (computed by unprojecting them, `waterShare`) reaches the share, plus forS; tolerance as for the level.
 * Quiet scenes keep the level under the threshold, the rise under its rate and the water in the
 * channel, with the distractors the plugin must ignore: people and a motorbike passing in front of
 * the gauge (one person stands in front of it for 20 s), traffic, a strong lighting drift.
 */
import { project } from './camera.js';
import { prng } from '../../core/testing/prng.js';
import { COLOURS } from './canvas.js';
import { waterLevel, waterShare, type WaterElement } from './elements/water.js';
import type { SceneElement } from './elements/index.js';
import { groundRect, type ExpectedEvent, type NPoint, type Scenario } from './scenario.js';
import { passers, streetScene, walker } from './street.js';
import type { TrafficScene, VehiclePlan } from './traffic.js';

/** The gauge board: centre X, Z, width, height (metres); zero at the channel bed. */
export const GAUGE = { x: 4.45, z: 8, widthM: 0.5, heightM: 1.6 };
const CHANNEL = { x0: 4.1, x1: 7.5, z0: 2, z1: 60 };
const BANK = { levelM: 0.9, slope: 0.02 };
/** Alarm settings of these scenes. */
export const THRESHOLD_M = 0.6;
export const RISE_CM_PER_MIN = 25;
export const RISE_WINDOW_S = 40;
export const MEDIAN_S = 10;
export const EXTENT_SHARE = 0.3;
export const EXTENT_FOR_S = 5;
/** How closely the plugin reads a level (a third of a band), for the tolerances. */
export const LEVEL_TOL_M = 0.03;
/** The marks the config gives, metres on the gauge. */
const MARKS = [0, 0.5, 1, 1.5];

/** Scene size, rate and seed options (seedOffset moves every random stream: held-out runs). */
export interface SceneOptions {
  width?: number;
  height?: number;
  fps?: number;
  seedOffset?: number;
}

/** A flood scenario with its water element. */
export interface FloodScenario extends Scenario {
  water: WaterElement;
}

/** Every flood scenario: a slow rise over the threshold, a rapid rise, water spreading over the road, and four quiet scenes. */
export function scenarios(opts: SceneOptions = {}): FloodScenario[] {
  return [risingScenario(opts), rapidScenario(opts), spreadScenario(opts), steadyScenario(opts), passersScenario(opts), lightingScenario(opts), slowScenario(opts)];
}

/** Short scenes (≤ 30 s, 10 fps) for the end-to-end test through the server. */
export function quickScenarios(opts: SceneOptions = {}): FloodScenario[] {
  return [build('flood-quick-rise', 41, 30, opts, [[0, 0.42], [6, 0.42], [24, 0.72], [30, 0.72]], { trafficPerMin: 4 }, { medianS: 4, riseWindowS: 10 })];
}

/** The level rises at 13.5 cm/min for 200 s and crosses the threshold at 163 s; light traffic, people on the far verge. */
export function risingScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-rising', 1, 240, opts, [[0, 0.3], [30, 0.3], [230, 0.75]], { trafficPerMin: 6, people: 10 });
}

/** A steady level, then 50 cm/min for 30 s: a rapid rise that stops short of the threshold. */
export function rapidScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-rapid', 2, 150, opts, [[0, 0.25], [50, 0.25], [80, 0.5]], { trafficPerMin: 6, people: 6 });
}

/** 15 cm/min from just under the threshold past the bank: the water spreads over the verge and the right lane. */
export function spreadScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-spread', 3, 240, opts, [[0, 0.55], [10, 0.55], [210, 1.05]], { trafficPerMin: 4, people: 6 });
}

/** Quiet: five minutes of low water wavering by a centimetre, traffic, people. */
export function steadyScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-quiet-steady', 4, 300, opts, [[0, 0.35], [60, 0.36], [120, 0.34], [200, 0.36], [300, 0.35]], { trafficPerMin: 8, people: 16 });
}

/**
 * Quiet: the level 12 cm under the threshold while people walk past in front of the gauge along the
 * pavement and across the road, one stands in front of it for 20 s, and a motorbike rides along the
 * pavement past it. Each hides the waterline and the marks above it, up to 0.75 m on the gauge.
 */
export function passersScenario(opts: SceneOptions = {}): FloodScenario {
  const rand = prng(505 + (opts.seedOffset ?? 0));
  const people: SceneElement[] = [
    walker(301, 8, [3.75, 3], [3.75, 22], 1.2, rand),
    walker(302, 30, [3.8, 24], [3.8, 3], 1.1, rand),
    { ...walker(303, 55, [3.72, 14], [3.72, 6.5], 1.0, rand), path: [{ t: 55, x: 3.72, z: 14 }, { t: 62.5, x: 3.72, z: 6.5 }, { t: 82.5, x: 3.72, z: 6.5 }, { t: 90, x: 3.72, z: 14 }] },
    walker(304, 100, [-6, 6.5], [6, 6.5], 1.3, rand),
    walker(305, 120, [6, 6.8], [-6, 6.8], 0.9, rand),
    walker(306, 150, [3.7, 3], [3.7, 20], 1.4, rand),
  ];
  const bike: VehiclePlan = { id: 700, cls: 'motorbike', lane: 1, enterS: 135, speedKmh: 15, colour: COLOURS.blue, path: [{ t: 135, x: 3.8, z: 20 }, { t: 139, x: 3.8, z: 3 }] };
  return build('flood-quiet-passers', 5, 180, opts, [[0, 0.48]], { trafficPerMin: 6, people: 6, extra: people, vehicles: [bike] });
}

/** Quiet: a strong lighting drift (± 25 % over 50 s, clouds and the camera's exposure), traffic and its shadows. */
export function lightingScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-quiet-light', 6, 240, opts, [[0, 0.42], [120, 0.44], [240, 0.42]], { trafficPerMin: 8, people: 8, lighting: { amplitude: 0.25, periodS: 50 } });
}

/** Quiet: a slow rise (5 cm/min) for five minutes that ends 5 cm under the threshold. */
export function slowScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-quiet-slow', 7, 300, opts, [[0, 0.3], [300, 0.55]], { trafficPerMin: 6, people: 10 });
}

interface Extras {
  trafficPerMin: number;
  people?: number;
  extra?: SceneElement[];
  vehicles?: VehiclePlan[];
  lighting?: { amplitude: number; periodS: number };
}

/** Builds a scenario: the street, the water, the plugin's config and the truth from the plan. */
function build(name: string, seed: number, durationS: number, opts: SceneOptions, plan: [number, number][], x: Extras, tune: { medianS?: number; riseWindowS?: number } = {}): FloodScenario {
  const s = seed + (opts.seedOffset ?? 0) * 100;
  const water: WaterElement = { kind: 'water', id: 1, gauge: GAUGE, plan, channel: CHANNEL, bank: BANK };
  // People walk along the far (left) verge and the far stretch of the right one, clear of the gauge.
  const people = passers({ count: x.people ?? 0, fromS: 0, toS: durationS - 10, region: { x0: -9, x1: -4, z0: 8, z1: 40 }, idStart: 1, seed: s * 31 + 7 });
  const scene = streetScene({
    name, seed: s, durationS, width: opts.width, height: opts.height, fps: opts.fps ?? (durationS > 30 ? 5 : 10), trafficPerMin: x.trafficPerMin,
    elements: [water, ...people, ...(x.extra ?? [])], lighting: x.lighting,
  });
  scene.vehicles.push(...(x.vehicles ?? []));
  const medianS = tune.medianS ?? MEDIAN_S;
  const riseWindowS = tune.riseWindowS ?? RISE_WINDOW_S;
  const zones = { gauge: gaugeZone(scene), road: roadZone(scene) };
  const config = {
    gauge: { zone: 'gauge', marks: gaugeMarks(scene) },
    medianS,
    level: { thresholdM: THRESHOLD_M },
    rise: { cmPerMin: RISE_CM_PER_MIN, windowS: riseWindowS },
    extent: { zone: 'road', share: EXTENT_SHARE, forS: EXTENT_FOR_S },
  };
  const events = truth(scene, water, zones.road, medianS, riseWindowS);
  return { name, plugin: 'flood', scene, plugins: { flood: { config, zones } }, scoredTypes: ['flood-level', 'flood-rise', 'flood-extent'], events, water };
}

/** The gauge zone: the board, 4 cm in from its sides, from the channel bed to 5 cm under its top. */
export function gaugeZone(scene: TrafficScene): NPoint[] {
  const g = GAUGE;
  const x0 = g.x - g.widthM / 2 + 0.04;
  const x1 = g.x + g.widthM / 2 - 0.04;
  return [[x0, 0], [x1, 0], [x1, g.heightM - 0.05], [x0, g.heightM - 0.05]].map(([x, y]) => boardPoint(scene, x!, y!));
}

/** The marks the plugin is configured with: rows of the gauge's 0, 0.5, 1 and 1.5 m marks at its centre line. */
export function gaugeMarks(scene: TrafficScene): { y: number; level: number }[] {
  return MARKS.map((level) => ({ y: boardPoint(scene, GAUGE.x, level)[1], level }));
}

/** The extent zone: the right lane from Z 6.5 m to 16 m. */
export function roadZone(scene: TrafficScene): NPoint[] {
  return groundRect(scene, 0.3, 3.3, 6.5, 16);
}

function boardPoint(scene: TrafficScene, x: number, y: number): NPoint {
  const p = project(scene.camera, [x, y, GAUGE.z])!;
  return [Math.round((p[0] / scene.camera.width) * 1e5) / 1e5, Math.round((p[1] / scene.camera.height) * 1e5) / 1e5];
}

/** First time in [from, to] the plan's level satisfies `pred`, to 10 ms (it is piecewise linear: a fine scan is exact enough). */
function firstTime(from: number, to: number, pred: (t: number) => boolean): number | undefined {
  for (let t = from; t <= to; t += 0.01) if (pred(t)) return Math.round(t * 100) / 100;
  return undefined;
}

/** The expected events from the level plan; see the file comment. */
export function truth(scene: TrafficScene, water: WaterElement, road: NPoint[], medianS: number, riseWindowS: number): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  const end = scene.durationS;
  const L = (t: number) => waterLevel(water, t);
  const rateAt = (t: number) => Math.abs(L(t + 0.5) - L(t - 0.5));
  const tl = firstTime(0, end, (t) => L(t) >= THRESHOLD_M);
  if (tl !== undefined) out.push({ plugin: 'flood', type: 'flood-level', timeS: tl, toleranceS: levelTolerance(medianS, rateAt(tl)) });
  const perS = RISE_CM_PER_MIN / 6000;
  const tr = firstTime(riseWindowS * 0.8, end, (t) => (L(t) - L(t - riseWindowS)) / riseWindowS >= perS);
  if (tr !== undefined) out.push({ plugin: 'flood', type: 'flood-rise', timeS: tr, toleranceS: medianS / 2 + riseWindowS / 4 + 1 });
  // The level at which the extent share reaches the threshold (the share grows with the level), then when the plan reaches it.
  const cam = scene.camera;
  const top = Math.max(...water.plan.map((p) => p[1]));
  if (waterShare(water, cam, road, top, 4) >= EXTENT_SHARE) {
    let lo = water.bank.levelM;
    let hi = top;
    for (let i = 0; i < 20; i++) {
      const mid = (lo + hi) / 2;
      if (waterShare(water, cam, road, mid, 4) >= EXTENT_SHARE) hi = mid;
      else lo = mid;
    }
    const te = firstTime(0, end, (t) => L(t) >= hi);
    if (te !== undefined && te + EXTENT_FOR_S <= end) out.push({ plugin: 'flood', type: 'flood-extent', timeS: te + EXTENT_FOR_S, toleranceS: levelTolerance(medianS, rateAt(te)) });
  }
  return out.sort((a, b) => a.timeS - b.timeS);
}

/** ± seconds for an event decided on a median level: half the median's window, the reading's tolerance at this rise rate (m/s), and a second. */
export function levelTolerance(medianS: number, ratePerS: number): number {
  return Math.round((medianS / 2 + Math.min(30, LEVEL_TOL_M / Math.max(ratePerS, 1e-6)) + 1) * 10) / 10;
}
