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
 *
 * `heldOutScenarios(seed)` is the check on what the plugin was not tuned on: the same kinds of scene
 * with the water plan (when it rises, how fast, how high), the gauge (where it stands in the channel,
 * how far from the camera, its size) and the weather (rain) drawn from the seed.
 */
import { project } from './camera.js';
import { prng } from '../../core/testing/prng.js';
import { COLOURS } from './canvas.js';
import { waterLevel, waterShare, type WaterElement } from './elements/water.js';
import type { SceneElement, WeatherElement } from './elements/index.js';
import { groundRect, roundTo, type ExpectedEvent, type NPoint, type Scenario } from './scenario.js';
import { passers, streetScene, walker } from './street.js';
import type { TrafficScene, VehiclePlan } from './traffic.js';

/** The gauge board: centre X, Z, width, height (metres); zero at the channel bed. */
export const GAUGE: Gauge = { x: 4.45, z: 8, widthM: 0.5, heightM: 1.6 };
/** A gauge board's place and size (see GAUGE). */
export type Gauge = WaterElement['gauge'];
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

/**
 * Every flood scenario: a slow rise over the threshold, a rapid rise, water spreading over the road,
 * four quiet scenes, and a slow and a rapid rise out of a nearly empty channel.
 */
export function scenarios(opts: SceneOptions = {}): FloodScenario[] {
  return [risingScenario(opts), rapidScenario(opts), spreadScenario(opts), steadyScenario(opts), passersScenario(opts), lightingScenario(opts), slowScenario(opts), lowRiseScenario(opts), lowRapidScenario(opts)];
}

/** Short scenes (≤ 30 s, 10 fps) for the end-to-end test through the server. */
export function quickScenarios(opts: SceneOptions = {}): FloodScenario[] {
  // It ends as the water stops rising (24 s): both events are due by 17 s.
  return [build('flood-quick-rise', 41, 24, opts, [[0, 0.42], [6, 0.42], [24, 0.72]], { trafficPerMin: 4 }, { medianS: 4, riseWindowS: 10 })];
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

/**
 * 16 cm/min from 3 cm, in a nearly empty channel, to past the threshold (at 244 s). The gauge's bottom
 * marking period, where the finder cannot tell water from board, is under water for the first
 * minute of the rise: the water's first sighting above it is no rapid rise.
 */
export function lowRiseScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-low-rise', 8, 270, opts, [[0, 0.03], [30, 0.03], [270, 0.67]], { trafficPerMin: 6, people: 8 });
}

/** 60 cm/min for 40 s from 4 cm: a rapid rise that starts out of sight, in the gauge's bottom period. */
export function lowRapidScenario(opts: SceneOptions = {}): FloodScenario {
  return build('flood-low-rapid', 9, 140, opts, [[0, 0.04], [40, 0.04], [80, 0.44]], { trafficPerMin: 6, people: 6 });
}

/**
 * Held-out scenes for `seed` (any seed but those of scenarios()): a rise over the threshold in rain,
 * a rapid rise that stops under it, water spreading over the road, a quiet steady level in heavy
 * rain with people passing the gauge, a quiet slow rise, and a slow rise over the threshold out of a
 * nearly empty channel (its start hidden in the gauge's bottom marking period). The water plan, the gauge's place and
 * size (in the channel, 8.5 to 18 m from the camera, 0.35 to 0.7 m wide, 1.6 to 2.2 m tall) and
 * the rain come from the seed; the truth follows from them as in scenarios(). Never tune on these.
 */
export function heldOutScenarios(seed: number, opts: Omit<SceneOptions, 'seedOffset'> = {}): FloodScenario[] {
  const r = prng(seed * 7919 + 13);
  const u = (lo: number, hi: number) => lo + r() * (hi - lo);
  const gauge = placeGauge(u, opts);
  const o: SceneOptions = { ...opts, seedOffset: seed };
  const rain = (id: number, density: number, darkness: number, fromS?: number): WeatherElement =>
    ({ kind: 'weather', id, rain: { seed: seed * 31 + id, density, darkness, fromS, slant: roundTo(u(-0.25, 0.25), 2) } });
  const minutes = (m: number) => m / 60;
  const name = (n: string) => `flood-held-${n}-s${seed}`;
  // A rise of 10-20 cm/min from 0.25-0.4 m to 0.68-0.85 m, starting 20-50 s in, with rain from the start.
  const r1 = { from: roundTo(u(0.25, 0.4), 2), at: Math.round(u(20, 50)), rate: u(10, 20), peak: roundTo(u(0.68, 0.85), 2) };
  const r1End = Math.round(r1.at + (r1.peak - r1.from) / (r1.rate / 100) * 60);
  // 40-55 cm/min for 40 s from 0.1-0.17 m: a clear rapid rise, under the threshold at its top.
  const r2 = { from: roundTo(u(0.1, 0.17), 2), at: Math.round(u(30, 60)), rate: u(40, 55) };
  const r2Top = roundTo(r2.from + (r2.rate / 100) * minutes(40), 2);
  // 12-20 cm/min from just under the threshold to past the bank (0.9 m).
  const r3 = { from: roundTo(u(0.5, 0.57), 2), at: Math.round(u(10, 30)), rate: u(12, 20), peak: roundTo(Math.min(gauge.heightM - 0.15, u(1.0, 1.1)), 2) };
  const r3End = Math.round(r3.at + (r3.peak - r3.from) / (r3.rate / 100) * 60);
  // Quiet: a steady level wavering by a centimetre; a slow rise of 3-7 cm/min ending under 0.55 m.
  const steady = roundTo(u(0.3, 0.48), 2);
  const slow = { from: roundTo(u(0.25, 0.35), 2), rate: u(3, 7) };
  const slowTop = roundTo(Math.min(0.55, slow.from + (slow.rate / 100) * minutes(240)), 2);
  const walkers = (id: number, rand: () => number): SceneElement[] => [
    walker(id, 20, [3.75, 3], [3.75, 24], 1.2, rand), walker(id + 1, 90, [3.8, 24], [3.8, 3], 1.0, rand), walker(id + 2, 160, [3.7, 4], [3.7, 22], 1.4, rand),
  ];
  return [
    build(name('rising'), 11, r1End + 30, o, [[0, r1.from], [r1.at, r1.from], [r1End, r1.peak]], { trafficPerMin: 6, people: 8, gauge, weather: rain(90, u(2, 5), u(0.2, 0.35)) }),
    build(name('rapid'), 12, r2.at + 40 + 60, o, [[0, r2.from], [r2.at, r2.from], [r2.at + 40, r2Top]], { trafficPerMin: 6, people: 6, gauge }),
    build(name('spread'), 13, r3End + 30, o, [[0, r3.from], [r3.at, r3.from], [r3End, r3.peak]], { trafficPerMin: 4, people: 6, gauge }),
    build(name('quiet-rain'), 14, 240, o, [[0, steady], [80, roundTo(steady + 0.01, 2)], [160, roundTo(steady - 0.01, 2)], [240, steady]],
      { trafficPerMin: 8, people: 10, gauge, extra: walkers(300, r), weather: rain(91, u(4, 8), u(0.3, 0.45), 0) }),
    build(name('quiet-slow'), 15, 270, o, [[0, slow.from], [30, slow.from], [270, slowTop]], { trafficPerMin: 6, people: 10, gauge }),
    // 10-18 cm/min from 0-8 cm to 0.65-0.72 m, starting 20-40 s in (drawn last: the scenes above keep their draws).
    lowRise(name('low-rise'), o, gauge, { from: roundTo(u(0, 0.08), 2), at: Math.round(u(20, 40)), rate: u(10, 18), peak: roundTo(u(0.65, 0.72), 2) }),
  ];
}

/** A slow rise from `from` (m) at `rate` (cm/min) from `at` (s) to `peak`, ending 20 s after it gets there. */
function lowRise(name: string, o: SceneOptions, gauge: Gauge, r: { from: number; at: number; rate: number; peak: number }): FloodScenario {
  const end = Math.round(r.at + ((r.peak - r.from) / (r.rate / 100)) * 60);
  return build(name, 16, end + 20, o, [[0, r.from], [r.at, r.from], [end, r.peak]], { trafficPerMin: 6, people: 8, gauge });
}

/** A gauge drawn from `u` (uniform in a range) that the camera sees whole, post top included, 8 pixels clear of the frame's edges. */
function placeGauge(u: (lo: number, hi: number) => number, opts: SceneOptions): Gauge {
  const cam = streetScene({ name: 'gauge-fit', seed: 0, durationS: 1, width: opts.width, height: opts.height, trafficPerMin: 0 }).camera;
  const inFrame = (p: [number, number] | undefined) => p !== undefined && p[0] >= 8 && p[0] <= cam.width - 8 && p[1] >= 8 && p[1] <= cam.height - 8;
  for (let tries = 0; tries < 1000; tries++) {
    const g: Gauge = { x: roundTo(u(4.4, 6), 2), z: roundTo(u(8.5, 18), 2), widthM: roundTo(u(0.35, 0.7), 2), heightM: roundTo(u(1.6, 2.2), 2) };
    const corners: [number, number][] = [[g.x - g.widthM / 2, 0], [g.x + g.widthM / 2, 0], [g.x - g.widthM / 2, g.heightM + 0.25], [g.x + g.widthM / 2, g.heightM + 0.25]];
    if (corners.every(([x, y]) => inFrame(project(cam, [x, y, g.z])))) return g;
  }
  throw new Error(`placeGauge: no gauge in the ranges fits a ${cam.width}x${cam.height} frame`);
}

interface Extras {
  trafficPerMin: number;
  /** The gauge, if not GAUGE. */
  gauge?: Gauge;
  weather?: WeatherElement;
  people?: number;
  extra?: SceneElement[];
  vehicles?: VehiclePlan[];
  lighting?: { amplitude: number; periodS: number };
}

/** Builds a scenario: the street, the water, the plugin's config and the truth from the plan. */
function build(name: string, seed: number, durationS: number, opts: SceneOptions, plan: [number, number][], x: Extras, tune: { medianS?: number; riseWindowS?: number } = {}): FloodScenario {
  const s = seed + (opts.seedOffset ?? 0) * 100;
  const gauge = x.gauge ?? GAUGE;
  const water: WaterElement = { kind: 'water', id: 1, gauge, plan, channel: CHANNEL, bank: BANK };
  // People walk along the far (left) verge and the far stretch of the right one, clear of the gauge.
  const people = passers({ count: x.people ?? 0, fromS: 0, toS: durationS - 10, region: { x0: -9, x1: -4, z0: 8, z1: 40 }, idStart: 1, seed: s * 31 + 7 });
  const scene = streetScene({
    name, seed: s, durationS, width: opts.width, height: opts.height, fps: opts.fps ?? (durationS > 30 ? 5 : 10), trafficPerMin: x.trafficPerMin,
    elements: [water, ...people, ...(x.extra ?? []), ...(x.weather ? [x.weather] : [])], lighting: x.lighting,
  });
  scene.vehicles.push(...(x.vehicles ?? []));
  const medianS = tune.medianS ?? MEDIAN_S;
  const riseWindowS = tune.riseWindowS ?? RISE_WINDOW_S;
  const zones = { gauge: gaugeZone(scene, gauge), road: roadZone(scene) };
  const config = {
    gauge: { zone: 'gauge', marks: gaugeMarks(scene, gauge) },
    medianS,
    level: { thresholdM: THRESHOLD_M },
    rise: { cmPerMin: RISE_CM_PER_MIN, windowS: riseWindowS },
    extent: { zone: 'road', share: EXTENT_SHARE, forS: EXTENT_FOR_S },
  };
  const events = truth(scene, water, zones.road, medianS, riseWindowS);
  return { name, plugin: 'flood', scene, plugins: { flood: { config, zones } }, scoredTypes: ['flood-level', 'flood-rise', 'flood-extent'], events, water };
}

/** The gauge zone: the board, 4 cm in from its sides, from the channel bed to 5 cm under its top. */
export function gaugeZone(scene: TrafficScene, g: Gauge = GAUGE): NPoint[] {
  const x0 = g.x - g.widthM / 2 + 0.04;
  const x1 = g.x + g.widthM / 2 - 0.04;
  return [[x0, 0], [x1, 0], [x1, g.heightM - 0.05], [x0, g.heightM - 0.05]].map(([x, y]) => boardPoint(scene, g, x!, y!));
}

/** The marks the plugin is configured with: rows of the gauge's 0, 0.5, 1 and 1.5 m marks at its centre line. */
export function gaugeMarks(scene: TrafficScene, g: Gauge = GAUGE): { y: number; level: number }[] {
  return MARKS.map((level) => ({ y: boardPoint(scene, g, g.x, level)[1], level }));
}

/** The extent zone: the right lane from Z 6.5 m to 16 m. */
export function roadZone(scene: TrafficScene): NPoint[] {
  return groundRect(scene, 0.3, 3.3, 6.5, 16);
}

function boardPoint(scene: TrafficScene, g: Gauge, x: number, y: number): NPoint {
  const p = project(scene.camera, [x, y, g.z])!;
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
