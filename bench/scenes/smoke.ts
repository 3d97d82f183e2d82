/**
 * Scenarios for the `smoke` plugin, on the shared street (street.ts) with people walking and light
 * traffic: plumes starting at known times on the verges and on the road, thick and thin, near and
 * far, one watched through a zone and one inside a light fog; and quiet scenes with the frame-wide
 * look-alikes — fog rolling in and clearing, cloud shadows drifting, a strong exposure swing, and
 * busy traffic with people — that must stay quiet.
 *
 * Truth: when does a careful observer call it smoke? When the plume covers a region the size of the
 * plugin's minArea with an opacity a person notices (a quarter: thinner veils are hard to tell from
 * haze), and has kept doing so for persistS. The first time the plume's opacity ≥ 0.25 covers
 * minArea of the frame is taken from the plume's own geometry (smokeCoverage, sampled every 0.1 s),
 * and the expected event is that time + persistS. Scored within ±4 s: the onset of a plume has no
 * sharp edge — moving the "noticeable" opacity between 0.15 and 0.35 moves the crossing by 1–3 s in
 * these scenes — and the detector integrates a block's evidence over ~1.5 s before it counts.
 */
import { smokeCoverage, type SmokeElement } from './elements/smoke.js';
import type { SceneElement, WeatherElement } from './elements/index.js';
import { groundRect, roundTo, type ExpectedEvent, type Scenario } from './scenario.js';
import { passers, streetScene, type StreetOptions } from './street.js';
import type { TrafficScene } from './traffic.js';

/** The plugin's settings in these scenes (its defaults). */
export const SMOKE = { minArea: 0.01, persistS: 4 };
/** Plume opacity a careful observer notices as smoke. */
export const NOTICEABLE_ALPHA = 0.25;
/** Scoring tolerance, seconds (see the file comment). */
export const TOLERANCE_S = 4;

/** Scene options the scenarios take. */
export interface SmokeSceneOptions {
  seed?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/** People crossing both verges and the road over the whole scene. */
function people(durationS: number, seed: number, count: number): SceneElement[] {
  return passers({ count, fromS: 0, toS: durationS - 10, region: { x0: -14, x1: 14, z0: 6, z1: 45 }, idStart: 100, seed });
}

/** A street scene with people, light traffic and the given extra elements. */
function street(name: string, o: SmokeSceneOptions, durationS: number, extra: SceneElement[], more: Partial<StreetOptions> = {}): TrafficScene {
  const seed = o.seed ?? 1;
  return streetScene({
    name, seed, durationS, width: o.width ?? 640, height: o.height ?? 360, fps: o.fps ?? 10, trafficPerMin: 5,
    elements: [...people(durationS, seed * 31 + 7, Math.round(durationS / 6)), ...extra], ...more,
  });
}

/** When the plume first covers minArea at the noticeable opacity (scene seconds), or undefined. */
export function plumeVisibleAt(scene: TrafficScene, plume: SmokeElement, minArea = SMOKE.minArea): number | undefined {
  const need = minArea * scene.camera.width * scene.camera.height;
  for (let t = plume.startS; t <= scene.durationS; t += 0.1) {
    if (smokeCoverage(plume, scene.camera, t, NOTICEABLE_ALPHA) >= need) return t;
  }
  return undefined;
}

/** The expected smoke event of each plume that becomes visible early enough to be called. */
function expected(scene: TrafficScene, plumes: SmokeElement[]): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  for (const p of plumes) {
    const at = plumeVisibleAt(scene, p);
    if (at !== undefined && at + SMOKE.persistS <= scene.durationS - TOLERANCE_S) out.push({ plugin: 'smoke', type: 'smoke', timeS: roundTo(at + SMOKE.persistS, 1), toleranceS: TOLERANCE_S });
  }
  return out;
}

/** A plume scenario: the street, the plume(s) and their expected events. */
function plumeScenario(name: string, o: SmokeSceneOptions, durationS: number, plumes: SmokeElement[], extra: SceneElement[] = [], zones?: (scene: TrafficScene) => Record<string, [number, number][]>): Scenario {
  const scene = street(name, o, durationS, [...extra, ...plumes]);
  const watched = zones ? plumes.slice(0, 1) : plumes;
  return {
    name, plugin: 'smoke', scene, scoredTypes: ['smoke'],
    plugins: { smoke: { ...(zones ? { zones: zones(scene) } : {}) } },
    events: expected(scene, watched),
  };
}

/** A quiet scenario: no plume, only what must not be taken for one. */
function quietScenario(name: string, o: SmokeSceneOptions, durationS: number, extra: SceneElement[], more: Partial<StreetOptions> = {}): Scenario {
  return { name, plugin: 'smoke', scene: street(name, o, durationS, extra, more), scoredTypes: ['smoke'], plugins: { smoke: {} }, events: [] };
}

const fog = (id: number, fromS: number, rampS: number, holdS: number, visibilityM: number): WeatherElement => ({ kind: 'weather', id, fog: { fromS, rampS, holdS, visibilityM } });

/** Every smoke scenario: six with plumes, four quiet ones (7.5 minutes). */
export function scenarios(o: SmokeSceneOptions = {}): Scenario[] {
  const s = o.seed ?? 1;
  const id = 900;
  return [
    plumeScenario(`smoke-verge-${s}`, o, 60, [{ kind: 'smoke', id, x: 7, z: 20, startS: 15, wind: [-0.4, 0.3], density: 0.5 }]),
    plumeScenario(`smoke-road-${s}`, o, 60, [{ kind: 'smoke', id, x: 1, z: 14, startS: 20, wind: [0.5, 0.4], density: 0.45, luma: 150 }]),
    plumeScenario(`smoke-far-${s}`, o, 60, [{ kind: 'smoke', id, x: -8, z: 28, startS: 10, wind: [0.5, -0.4], density: 0.6 }]),
    plumeScenario(`smoke-thin-${s}`, o, 60, [{ kind: 'smoke', id, x: 5, z: 10, startS: 25, wind: [-0.3, 0.5], density: 0.35, luma: 165 }]),
    plumeScenario(`smoke-zone-${s}`, o, 70, [
      { kind: 'smoke', id, x: -7, z: 16, startS: 30, wind: [-0.2, 0.4], density: 0.5 },
      // Outside the zone: must not raise the zone's alarm.
      { kind: 'smoke', id: id + 1, x: 8, z: 24, startS: 12, wind: [0.3, 0.3], density: 0.5 },
    ], [], (scene) => ({ 'west-verge': groundRect(scene, -25, -3.5, 4, 60) })),
    plumeScenario(`smoke-in-haze-${s}`, o, 70, [{ kind: 'smoke', id, x: 6, z: 16, startS: 35, wind: [-0.4, 0.2], density: 0.5 }], [fog(950, 0, 15, 1000, 120)]),
    quietScenario(`smoke-quiet-fog-${s}`, o, 120, [fog(950, 15, 25, 35, 45)]),
    // Cloud shadows tens of metres across, as broken cumulus casts them (they darken chroma with luma, as on a camera).
    quietScenario(`smoke-quiet-clouds-${s}`, o, 120, [{ kind: 'weather', id: 951, clouds: { count: 14, seed: s, sizeM: 20, speedMps: 3, darkness: 0.45 } }]),
    quietScenario(`smoke-quiet-exposure-${s}`, o, 90, [], { lighting: { amplitude: 0.3, periodS: 30 } }),
    quietScenario(`smoke-quiet-busy-${s}`, o, 120, people(120, s * 17 + 3, 40), { trafficPerMin: 14 }),
  ];
}

/** One short plume scene (30 s, 10 fps) for the shared end-to-end test. */
export function quickScenarios(o: SmokeSceneOptions = {}): Scenario[] {
  return [plumeScenario(`smoke-quick-${o.seed ?? 1}`, o, 30, [{ kind: 'smoke', id: 900, x: 4, z: 14, startS: 6, wind: [-0.3, 0.3], density: 0.55 }])];
}

