/**
 * Scenarios for the `crowd` plugin, on the shared street (street.ts): people who walk to a spot on a
 * verge, stand and mill around it, then disperse; people passing through on foot; traffic on the
 * road; lighting that drifts.
 *
 * Truth, from the people's paths alone:
 * - a person is in a zone when their foot (ground position) seen through the camera is inside the
 *   zone's image polygon, as the plugin decides it (FrameTruth.objects gives the same foot points);
 * - the true count is sampled at the plugin's frame times; 'crowd' is raised when it first reaches
 *   the zone's threshold and 'crowd-cleared' when it next falls below threshold − hysteresis, by the
 *   rule the plugin documents (its ThresholdAlert, run here on the exact count);
 * - 'gathering': the true density (count / the zone's ground area) rises from below `fromDensity`
 *   to at least `density` and stays there for holdS: the event is at that moment + holdS (the
 *   plugin's GatheringWatch on the exact density).
 * The plugin smooths its count over windowS before it decides, so events are scored within
 * ±(windowS / 2 + 1) s (the mean of a window lags the count it follows by half the window), plus,
 * where the count creeps past the level, the time it takes to pass from 10 % below it to 10 % above:
 * a count good to 10 % crosses anywhere in there (see `tolerance`).
 */
import { prng } from '../../core/testing/prng.js';
import { GatheringWatch, ThresholdAlert } from '../../plugins/crowd/alerts.js';
import { pointInPolygon, polygonArea } from '../../plugins/sdk/vision/geometry.js';
import { unprojectGround } from './camera.js';
import type { PersonElement } from './elements/index.js';
import { groundConfig, groundRect, imagePoint, type ExpectedEvent, type NPoint, type Scenario } from './scenario.js';
import { CLOTHES, passers, streetScene } from './street.js';
import type { TrafficScene } from './traffic.js';

/** The plugin's frame rate in these scenes, at which the truth samples counts. */
export const PLUGIN_FPS = 5;
/** The plugin's smoothing window in these scenes. */
export const WINDOW_S = 2;
/** Scoring tolerance of crowd and gathering events (see the file comment). */
export const TOLERANCE_S = WINDOW_S / 2 + 1;
/** The share of a count the plugin is taken to be accurate to when a crossing is scored (see tolerance). */
export const COUNT_ERROR = 0.1;
/** Seeds the scenes are built from for tuning; HELD_OUT seeds are never tuned on. */
export const TRAIN_SEEDS = [21, 22, 23];
export const HELD_OUT_SEEDS = [71, 72];

/** The zones these scenes watch, on the ground: X across, Z along the road, metres. */
export const ZONES = {
  /** The right verge, between the road's edge (X = 3.5) and the frame's edge. */
  east: { x0: 4.5, x1: 13, z0: 12, z1: 30 },
  /** The left verge. */
  west: { x0: -13, x1: -4.5, z0: 12, z1: 30 },
} as const;

/** A ground rectangle. */
export interface GroundRegion {
  x0: number;
  x1: number;
  z0: number;
  z1: number;
}

/** How a crowd zone alerts in these scenes (the plugin's per-zone config). */
export interface ZoneRule {
  zone: keyof typeof ZONES;
  crowd?: { metric: 'count' | 'density'; threshold: number; hysteresis: number };
  gathering?: { fromDensity: number; density: number; holdS: number };
}

/** A group that gathers: walks in to spots around `centre`, mills there, then disperses. */
export interface GatheringPlan {
  centre: [number, number];
  count: number;
  /** Spots lie within this radius of the centre, at least 0.6 m apart. */
  radiusM: number;
  /** Each person arrives at their spot at a time in [from, to], and leaves it at one in the leave window. */
  arrive: [number, number];
  leave: [number, number];
  idStart: number;
  seed: number;
}

/**
 * People who gather: each walks in from 10–18 m away at 0.9–1.5 m/s, reaching a spot of their own
 * near the centre within the arrival window, shifts their weight around it (a step of up to 0.3 m
 * every 2–4 s, so the group is never frozen still), and walks away 12–18 m in a random direction.
 */
export function gathering(p: GatheringPlan): PersonElement[] {
  const rand = prng(p.seed);
  const spots: [number, number][] = [];
  for (let tries = 0; spots.length < p.count && tries < 10_000; tries++) {
    const a = rand() * 2 * Math.PI;
    const r = p.radiusM * Math.sqrt(rand());
    const s: [number, number] = [p.centre[0] + r * Math.cos(a), p.centre[1] + r * Math.sin(a)];
    if (spots.every((o) => Math.hypot(o[0] - s[0], o[1] - s[1]) >= 0.6)) spots.push(s);
  }
  if (spots.length < p.count) throw new Error(`gathering: ${p.count} people do not fit within ${p.radiusM} m`);
  return spots.map((spot, i) => {
    const arriveS = p.arrive[0] + rand() * (p.arrive[1] - p.arrive[0]);
    const leaveS = p.leave[0] + rand() * (p.leave[1] - p.leave[0]);
    const inA = rand() * 2 * Math.PI;
    const inD = 10 + rand() * 8;
    const from: [number, number] = [spot[0] + inD * Math.cos(inA), spot[1] + inD * Math.sin(inA)];
    const speed = 0.9 + rand() * 0.6;
    const path = [{ t: arriveS - inD / speed, x: from[0], z: from[1] }, { t: arriveS, x: spot[0], z: spot[1] }];
    for (let t = arriveS + 2 + rand() * 2; t < leaveS - 1; t += 2 + rand() * 2) {
      path.push({ t, x: spot[0] + (rand() - 0.5) * 0.6, z: spot[1] + (rand() - 0.5) * 0.6 });
    }
    const last = path[path.length - 1]!;
    path.push({ t: leaveS, x: last.x, z: last.z });
    const outA = rand() * 2 * Math.PI;
    const outD = 12 + rand() * 6;
    path.push({ t: leaveS + outD / speed, x: last.x + outD * Math.cos(outA), z: last.z + outD * Math.sin(outA) });
    return {
      kind: 'person', id: p.idStart + i, path, heightM: 1.55 + rand() * 0.35,
      shirt: CLOTHES[Math.floor(rand() * CLOTHES.length)]!, trousers: CLOTHES[Math.floor(rand() * CLOTHES.length)]!,
    };
  });
}

/** The zone's normalised image polygon. */
export function zonePolygon(scene: TrafficScene, zone: keyof typeof ZONES): NPoint[] {
  const r = ZONES[zone];
  return groundRect(scene, r.x0, r.x1, r.z0, r.z1);
}

/** Where each person is at t, metres; only those the camera sees (their foot inside the frame). */
export function peopleAt(scene: TrafficScene, t: number): [number, number][] {
  const out: [number, number][] = [];
  for (const e of scene.elements ?? []) {
    if (e.kind !== 'person') continue;
    const path = e.path;
    if (t < path[0]!.t || t > path[path.length - 1]!.t) continue;
    let at: [number, number] = [path[path.length - 1]!.x, path[path.length - 1]!.z];
    for (let i = 1; i < path.length; i++) {
      const a = path[i - 1]!;
      const b = path[i]!;
      if (t <= b.t) {
        const k = b.t > a.t ? (t - a.t) / (b.t - a.t) : 1;
        at = [a.x + k * (b.x - a.x), a.z + k * (b.z - a.z)];
        break;
      }
    }
    out.push(at);
  }
  return out;
}

/** The true number of people whose foot is inside `polygon` (normalised) at t. */
export function trueCount(scene: TrafficScene, polygon: readonly NPoint[], t: number): number {
  let n = 0;
  for (const [x, z] of peopleAt(scene, t)) {
    const p = footImage(scene, x, z);
    if (p && pointInPolygon(p, polygon)) n++;
  }
  return n;
}

function footImage(scene: TrafficScene, x: number, z: number): NPoint | undefined {
  try {
    return imagePoint(scene, x, z);
  } catch {
    return undefined;
  }
}

/** The ground area of a zone's (clipped) polygon, m², from the scene's exact camera. */
export function zoneAreaM2(scene: TrafficScene, polygon: readonly NPoint[]): number {
  const cam = scene.camera;
  return polygonArea(polygon.map(([u, v]) => unprojectGround(cam, u * cam.width, v * cam.height)!));
}

/** The true count of a zone at every plugin frame: [time s, count]. */
export function countSeries(scene: TrafficScene, polygon: readonly NPoint[]): [number, number][] {
  const out: [number, number][] = [];
  const frames = Math.round(scene.durationS * PLUGIN_FPS);
  for (let i = 0; i < frames; i++) out.push([i / PLUGIN_FPS, trueCount(scene, polygon, i / PLUGIN_FPS)]);
  return out;
}

/** The events the plugin's rules raise on a zone's true count (see the file comment). */
export function expectedEvents(scene: TrafficScene, rule: ZoneRule): ExpectedEvent[] {
  const polygon = zonePolygon(scene, rule.zone);
  const area = zoneAreaM2(scene, polygon);
  const out: ExpectedEvent[] = [];
  const crowd = rule.crowd ? new ThresholdAlert(rule.crowd.threshold, rule.crowd.hysteresis) : undefined;
  const gathering = rule.gathering ? new GatheringWatch(rule.gathering) : undefined;
  const series = countSeries(scene, polygon);
  // Levels in people: the thresholds the events are decided on.
  const people = (v: number, metric: 'count' | 'density') => (metric === 'count' ? v : v * area);
  series.forEach(([t, n], i) => {
    const change = crowd?.push(t * 1000, rule.crowd!.metric === 'count' ? n : n / area);
    if (change) {
      const c = rule.crowd!;
      const level = people(change === 'raised' ? c.threshold : c.threshold - c.hysteresis, c.metric);
      out.push({ plugin: 'crowd', type: change === 'raised' ? 'crowd' : 'crowd-cleared', timeS: t, toleranceS: tolerance(series, i, level, change === 'raised') });
    }
    if (gathering?.push(t * 1000, n / area)) {
      const from = series.findIndex(([u]) => u >= t - rule.gathering!.holdS);
      out.push({ plugin: 'crowd', type: 'gathering', timeS: t, toleranceS: tolerance(series, from, rule.gathering!.density * area, true) });
    }
  });
  if (rule.crowd) {
    const c = rule.crowd;
    out.push(...nearMisses(series, people(c.threshold, c.metric), people(c.threshold - c.hysteresis, c.metric), out));
  }
  return out;
}

/**
 * Optional truths (ExpectedEvent.optional) where a zone's true count comes within COUNT_ERROR of
 * its crowd threshold (`level` people) without reaching it: from that moment until it falls to
 * COUNT_ERROR below the clearing level (`clearAt` people), an estimate good to COUNT_ERROR may raise
 * 'crowd' any time the count is that close, and clear it any time after the count last was. Spells
 * in which the rule truly raises (`required` has a 'crowd' in them), or that begin while its alert
 * stands, are the truth's already.
 */
function nearMisses(series: readonly [number, number][], level: number, clearAt: number, required: readonly ExpectedEvent[]): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  const near = level * (1 - COUNT_ERROR);
  const cleared = clearAt * (1 - COUNT_ERROR);
  let start: number | undefined;
  let last = 0;
  // Whether the rule's alert stands at t (raised by a required 'crowd', not yet cleared).
  const raised = (t: number) => {
    let on = false;
    for (const e of required) if (e.timeS <= t) on = e.type === 'crowd' ? true : e.type === 'crowd-cleared' ? false : on;
    return on;
  };
  const close = (end: number | undefined) => {
    const to = end ?? last;
    if (raised(start!) || required.some((e) => e.type === 'crowd' && e.timeS >= start! - TOLERANCE_S && e.timeS <= to)) return;
    out.push({ plugin: 'crowd', type: 'crowd', timeS: roundTenth((start! + last) / 2), toleranceS: roundTenth((last - start!) / 2 + TOLERANCE_S), optional: true });
    if (end !== undefined) out.push({ plugin: 'crowd', type: 'crowd-cleared', timeS: roundTenth((last + end) / 2), toleranceS: roundTenth((end - last) / 2 + TOLERANCE_S), optional: true });
  };
  for (const [t, n] of series) {
    if (n >= near) {
      start ??= t;
      last = t;
    } else if (start !== undefined && n <= cleared) {
      close(t);
      start = undefined;
    }
  }
  if (start !== undefined) close(undefined);
  return out;
}

const roundTenth = (v: number) => Math.round(v * 10) / 10;

/**
 * The scoring tolerance of a crossing of `level` people at series[i]: TOLERANCE_S, plus the time
 * the true count takes to pass from COUNT_ERROR below the level to COUNT_ERROR above it (or back):
 * an estimate good to that share crosses the level anywhere in that time (at most 10 s more).
 */
function tolerance(series: readonly [number, number][], i: number, level: number, rising: boolean): number {
  const [tc] = series[i]!;
  const below = (n: number) => n <= level * (1 - COUNT_ERROR);
  const above = (n: number) => n >= level * (1 + COUNT_ERROR);
  let lo = i;
  while (lo > 0 && !(rising ? below(series[lo]![1]) : above(series[lo]![1]))) lo--;
  let hi = i;
  while (hi < series.length - 1 && !(rising ? above(series[hi]![1]) : below(series[hi]![1]))) hi++;
  const spread = Math.max(tc - series[lo]![0], series[hi]![0] - tc);
  return Math.round((TOLERANCE_S + Math.min(10, spread)) * 10) / 10;
}

/** A crowd scenario with the rules it was scored by. */
export interface CrowdScenario extends Scenario {
  rules: ZoneRule[];
}

/** Scene size and rate options. */
export interface SceneOptions {
  width?: number;
  height?: number;
  fps?: number;
}

/** Builds a scenario: the street with the given people, the plugin watching `rules`' zones, truth from the paths. */
function build(name: string, seed: number, durationS: number, people: PersonElement[], rules: ZoneRule[], o: SceneOptions & { trafficPerMin?: number; lighting?: { amplitude: number; periodS: number } }): CrowdScenario {
  const scene = streetScene({
    name, seed, durationS, width: o.width ?? 640, height: o.height ?? 360, fps: o.fps ?? 10,
    trafficPerMin: o.trafficPerMin ?? 6, elements: people, ...(o.lighting ? { lighting: o.lighting } : {}),
  });
  const zones: Record<string, NPoint[]> = Object.fromEntries(rules.map((r) => [r.zone, zonePolygon(scene, r.zone)]));
  // The carriageway, with a little of the kerb: traffic, not people.
  zones.road = groundRect(scene, -3.6, 3.6, 0.5, 200);
  return {
    name, plugin: 'crowd', scene, rules,
    plugins: {
      crowd: {
        fps: PLUGIN_FPS, zones,
        config: {
          ground: groundConfig(scene),
          windowS: WINDOW_S,
          ignore: ['road'],
          zones: rules.map((r) => ({ zone: r.zone, ...(r.crowd ? { crowd: r.crowd } : {}), ...(r.gathering ? { gathering: r.gathering } : {}) })),
        },
      },
    },
    scoredTypes: ['crowd', 'crowd-cleared', 'gathering'],
    events: rules.flatMap((r) => expectedEvents(scene, r)).sort((a, b) => a.timeS - b.timeS),
  };
}

/** People passing through a region at `perMin` people a minute over [fromS, toS]. */
function foot(region: GroundRegion, perMin: number, fromS: number, toS: number, idStart: number, seed: number): PersonElement[] {
  return passers({ count: Math.round((perMin * (toS - fromS)) / 60), fromS, toS, region, idStart, seed });
}

/** The region passers cross: wider than the zone, so they enter and leave it. */
function around(r: GroundRegion): GroundRegion {
  return { x0: r.x0 - 2, x1: r.x1 + 2, z0: r.z0 - 4, z1: r.z1 + 4 };
}

/** A group of 18 gathers on the east verge for about 50 s while people pass and traffic drives by (the west verge stays quiet). */
export function gatheringScenario(seed: number, opts: SceneOptions = {}): CrowdScenario {
  const people = [
    ...gathering({ centre: [7.5, 22], count: 18, radiusM: 2.6, arrive: [15, 24], leave: [80, 92], idStart: 1, seed: seed * 31 + 1 }),
    ...foot(around(ZONES.east), 6, 0, 110, 100, seed * 31 + 2),
    ...foot(around(ZONES.west), 6, 0, 110, 200, seed * 31 + 3),
  ];
  const rules: ZoneRule[] = [
    { zone: 'east', crowd: { metric: 'count', threshold: 10, hysteresis: 4 }, gathering: { fromDensity: 0.03, density: 0.08, holdS: 15 } },
    { zone: 'west', crowd: { metric: 'count', threshold: 10, hysteresis: 4 }, gathering: { fromDensity: 0.03, density: 0.08, holdS: 15 } },
  ];
  return build(`crowd-gathering-${seed}`, seed, 120, people, rules, { ...opts, trafficPerMin: 6 });
}

/**
 * A crowd builds up on the west verge, one person every 1.5–2 s, to 28 people, alerting on density
 * (people per m²); they leave over 15 s. Traffic is busier and the light drifts faster.
 */
export function risingScenario(seed: number, opts: SceneOptions = {}): CrowdScenario {
  const people = [
    ...gathering({ centre: [-8, 21], count: 28, radiusM: 3.4, arrive: [8, 55], leave: [95, 110], idStart: 1, seed: seed * 37 + 1 }),
    ...foot(around(ZONES.east), 8, 0, 130, 100, seed * 37 + 2),
  ];
  const rules: ZoneRule[] = [
    { zone: 'west', crowd: { metric: 'density', threshold: 0.15, hysteresis: 0.05 } },
    { zone: 'east', crowd: { metric: 'density', threshold: 0.15, hysteresis: 0.05 } },
  ];
  return build(`crowd-rising-${seed}`, seed, 140, people, rules, { ...opts, trafficPerMin: 12, lighting: { amplitude: 0.1, periodS: 50 } });
}

/**
 * Four minutes without a crowd: people pass through both verges (about 24 a minute in all, a few in
 * each zone at any time), four friends stand and talk for a minute, traffic drives by at 12 vehicles
 * a minute and the light swings by ±12 %.
 */
export function quietScenario(seed: number, opts: SceneOptions = {}): CrowdScenario {
  const people = [
    ...foot(around(ZONES.east), 12, 0, 235, 100, seed * 41 + 1),
    ...foot(around(ZONES.west), 12, 0, 235, 300, seed * 41 + 2),
    ...gathering({ centre: [7.5, 22], count: 4, radiusM: 1, arrive: [60, 70], leave: [130, 140], idStart: 1, seed: seed * 41 + 3 }),
  ];
  const rules: ZoneRule[] = [
    { zone: 'east', crowd: { metric: 'count', threshold: 10, hysteresis: 4 }, gathering: { fromDensity: 0.03, density: 0.08, holdS: 15 } },
    { zone: 'west', crowd: { metric: 'count', threshold: 10, hysteresis: 4 }, gathering: { fromDensity: 0.03, density: 0.08, holdS: 15 } },
  ];
  return build(`crowd-quiet-${seed}`, seed, 240, people, rules, { ...opts, trafficPerMin: 12, lighting: { amplitude: 0.12, periodS: 60 } });
}

/** Every scene template on one seed. */
function onSeed(seed: number, opts: SceneOptions): CrowdScenario[] {
  return [gatheringScenario(seed, opts), risingScenario(seed, opts), quietScenario(seed, opts)];
}

/** Every crowd scenario on the tuning seeds. */
export function scenarios(opts: SceneOptions = {}): CrowdScenario[] {
  return TRAIN_SEEDS.flatMap((s) => onSeed(s, opts));
}

/** The same scenes on the held-out seeds (never tuned on). */
export function heldOutScenarios(opts: SceneOptions = {}): CrowdScenario[] {
  return HELD_OUT_SEEDS.flatMap((s) => onSeed(s, opts));
}

/** One short scene (30 s at 10 fps) for the shared end-to-end test: a group of 14 gathers from 6 s. */
export function quickScenarios(opts: SceneOptions = {}): CrowdScenario[] {
  const people = [
    ...gathering({ centre: [7.5, 22], count: 14, radiusM: 2.2, arrive: [10, 16], leave: [40, 45], idStart: 1, seed: 901 }),
    ...foot(around(ZONES.west), 6, 0, 25, 100, 902),
  ];
  const rules: ZoneRule[] = [{ zone: 'east', crowd: { metric: 'count', threshold: 8, hysteresis: 3 }, gathering: { fromDensity: 0.03, density: 0.06, holdS: 8 } }];
  return [build('crowd-quick', 31, 30, people, rules, { ...opts, trafficPerMin: 6 })];
}
