/**
 * Scenarios for the `objects` plugin (object statistics), on the shared street (street.ts): people
 * walking along the verges and across the road, traffic of motorbikes, cars, trucks and buses in both
 * directions, lighting that drifts and sensor noise; and a quiet street that must count nothing.
 *
 * Truth, from the scene's plans alone: an object counts when it was in view long enough to be seen,
 * within the counting zone — at the plugin's frame times, a person's feet and head inside the frame,
 * or a vehicle's four ground corners (a truck's roof leaves the top of this camera's view beyond
 * 24 m, and anyone watching would still count the truck), with its foot inside the zone's ground
 * rectangle (a person's position; a vehicle's near end, the bottom of its image, as the camera sees
 * it stand), for at least MIN_VISIBLE_S in all. Objects are counted by the class the
 * scene drew them as. People hidden for a moment behind a passing truck still count: a
 * careful human watching the clip would count them.
 */
import { project } from './camera.js';
import { HELD_OUT_PREFIX } from './counting.js';
import type { PersonElement } from './elements/index.js';
import { personVisible } from './elements/person.js';
import { groundConfig, groundRect, type Scenario } from './scenario.js';
import { passers, streetScene } from './street.js';
import { VEHICLE_SIZES, vehiclePosition, type TrafficScene, type VehicleClass } from './traffic.js';

/** The plugin's frame rate in these scenes. */
export const PLUGIN_FPS = 5;
/** Time in view (and in the zone) after which an object must be counted, seconds. */
export const MIN_VISIBLE_S = 1.5;
/** Seeds the scenes are built from for tuning; HELD_OUT seeds are never tuned on. */
export const TRAIN_SEEDS = [31, 32, 33];
export const HELD_OUT_SEEDS = [81, 82];
/** Every class the plugin reports on this street. */
export const CLASSES = ['person', 'motorbike', 'car', 'truck', 'bus'] as const;

/** A ground rectangle, metres: X across the road, Z along it. */
export interface GroundRegion {
  x0: number;
  x1: number;
  z0: number;
  z1: number;
}

/** The counting zone of the zoned scenes: the street and both verges between 9 and 30 m. */
export const ZONE: GroundRegion = { x0: -14, x1: 14, z0: 9, z1: 30 };

/** The ground corners of an object's box, and the top ones when h > 0, metres [X, Y up, Z]. */
function silhouette(x: number, z: number, w: number, l: number, h: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const dx of [-w / 2, w / 2]) for (const dz of [-l / 2, l / 2]) out.push([x + dx, 0, z + dz], ...(h > 0 ? [[x + dx, h, z + dz] as [number, number, number]] : []));
  return out;
}

/** Whether every point projects inside the frame. */
function whollyInView(scene: TrafficScene, pts: [number, number, number][]): boolean {
  const { width, height } = scene.camera;
  return pts.every((p) => {
    const q = project(scene.camera, p);
    return q !== undefined && q[0] >= 0 && q[0] < width && q[1] >= 0 && q[1] < height;
  });
}

const inside = (r: GroundRegion | undefined, x: number, z: number) => !r || (x >= r.x0 && x <= r.x1 && z >= r.z0 && z <= r.z1);

/** Seconds each scene object is in view (see the file comment) with its ground position in `zone`, sampled at the plugin's frame times. */
export function secondsInView(scene: TrafficScene, zone?: GroundRegion): { id: number; cls: string; seconds: number }[] {
  const out: { id: number; cls: string; seconds: number }[] = [];
  const step = 1 / PLUGIN_FPS;
  const people = (scene.elements ?? []).filter((e): e is PersonElement => e.kind === 'person');
  for (const p of people) {
    let n = 0;
    for (let t = 0; t < scene.durationS; t += step) {
      const at = personVisible(p, t);
      if (at && inside(zone, at[0], at[1]) && whollyInView(scene, silhouette(at[0], at[1], 0.5, 0.3, p.heightM ?? 1.7))) n++;
    }
    out.push({ id: p.id, cls: 'person', seconds: n * step });
  }
  for (const v of scene.vehicles) {
    const size = VEHICLE_SIZES[v.cls];
    let n = 0;
    for (let t = 0; t < scene.durationS; t += step) {
      const at = vehiclePosition(scene, v, t);
      // Where it stands on the ground as seen from the camera: its near end (the bottom of its image).
      if (at && inside(zone, at[0], at[1] - size.length / 2) && whollyInView(scene, silhouette(at[0], at[1], size.width, size.length, 0))) n++;
    }
    out.push({ id: v.id, cls: v.cls, seconds: n * step });
  }
  return out;
}

/** The true objects per class (see the file comment): every class listed, 0 when none. */
export function trueObjects(scene: TrafficScene, zone?: GroundRegion): { cls: string; n: number }[] {
  const seen = secondsInView(scene, zone).filter((o) => o.seconds >= MIN_VISIBLE_S);
  return CLASSES.map((cls) => ({ cls, n: seen.filter((o) => o.cls === cls).length }));
}

/** Options of the scenario builders. */
export interface SceneOptions {
  durationS?: number;
  width?: number;
  height?: number;
}

/**
 * Traffic with buses: streetScene draws motorbikes, cars and trucks; every second truck becomes a bus
 * (3 m longer; streetScene leaves 15 m between vehicles of a lane, so they still never touch).
 */
function withBuses(scene: TrafficScene): TrafficScene {
  let trucks = 0;
  const vehicles = scene.vehicles.map((v) => (v.cls === 'truck' && trucks++ % 2 === 1 ? { ...v, cls: 'bus' as VehicleClass } : v));
  return { ...scene, vehicles };
}

/**
 * A busy street: `people` walk along the verges (near and far), or cross the road, while traffic
 * passes at `trafficPerMin`; with `zone`, only what is inside it counts, and people also walk
 * beyond it (farther than its far edge) where they must not be counted.
 */
export function streetScenario(seed: number, opts: SceneOptions & { zone?: boolean; people?: number; trafficPerMin?: number; heldOut?: boolean } = {}): Scenario {
  const durationS = opts.durationS ?? 90;
  const people = opts.people ?? 14;
  const walkUntil = durationS - 20;
  const elements = [
    // Along the verges, in both directions.
    ...passers({ count: Math.round(people * 0.4), fromS: 1, toS: walkUntil, region: { x0: 5, x1: 10, z0: 8, z1: 28 }, idStart: 1, seed: seed * 3 + 1 }),
    ...passers({ count: Math.round(people * 0.3), fromS: 1, toS: walkUntil, region: { x0: -10, x1: -5, z0: 8, z1: 28 }, idStart: 100, seed: seed * 3 + 2 }),
    // Across the road, verge to verge.
    ...passers({ count: people - Math.round(people * 0.4) - Math.round(people * 0.3), fromS: 1, toS: walkUntil, region: { x0: -8, x1: 8, z0: 12, z1: 24 }, idStart: 200, seed: seed * 3 + 3 }),
    // With a zone: people far down the street, outside it.
    ...(opts.zone ? passers({ count: 4, fromS: 1, toS: walkUntil, region: { x0: -12, x1: 12, z0: 31.5, z1: 35 }, idStart: 300, seed: seed * 3 + 4 }) : []),
  ];
  const name = `${opts.heldOut ? HELD_OUT_PREFIX : ''}objects-${opts.zone ? 'zone' : 'street'}-${seed}`;
  const scene = withBuses(streetScene({
    name, seed, durationS, fps: 10, width: opts.width ?? 640, height: opts.height ?? 360,
    trafficPerMin: opts.trafficPerMin ?? 8, elements,
  }));
  const zone = opts.zone ? ZONE : undefined;
  return {
    name,
    plugin: 'objects',
    scene,
    plugins: {
      objects: {
        fps: PLUGIN_FPS,
        config: { ground: groundConfig(scene), ...(zone ? { zones: ['counted'] } : {}) },
        ...(zone ? { zones: { counted: groundRect(scene, zone.x0, zone.x1, zone.z0, zone.z1) } } : {}),
      },
    },
    scoredTypes: [],
    events: [],
    objects: trueObjects(scene, zone),
  };
}

/**
 * An empty street: no one walks by and nothing drives past, only the light drifting (clouds, the
 * camera's exposure: ± 12 % over 25 s) and sensor noise. It must count nothing.
 */
export function quietScenario(seed: number, opts: SceneOptions & { heldOut?: boolean } = {}): Scenario {
  const name = `${opts.heldOut ? HELD_OUT_PREFIX : ''}objects-quiet-${seed}`;
  const scene = streetScene({
    name, seed, durationS: opts.durationS ?? 150, fps: 10, width: opts.width ?? 640, height: opts.height ?? 360,
    lighting: { amplitude: 0.12, periodS: 25 }, noise: 6,
  });
  return {
    name,
    plugin: 'objects',
    scene,
    plugins: { objects: { fps: PLUGIN_FPS, config: { ground: groundConfig(scene) } } },
    scoredTypes: [],
    events: [],
    objects: CLASSES.map((cls) => ({ cls, n: 0 })),
  };
}

/** Every objects scenario: busy streets with and without a zone, quiet streets, and the held-out seeds. */
export function scenarios(opts: SceneOptions = {}): Scenario[] {
  return [
    ...TRAIN_SEEDS.map((seed, i) => streetScenario(seed, { ...opts, zone: i % 2 === 1 })),
    quietScenario(TRAIN_SEEDS[0]!, opts),
    quietScenario(TRAIN_SEEDS[1]!, opts),
    ...heldOutScenarios(HELD_OUT_SEEDS, opts),
    quietScenario(HELD_OUT_SEEDS[0]!, { ...opts, heldOut: true }),
  ];
}

/**
 * Busy streets built from seeds that are not tuned on, every second one with the counting zone,
 * named apart (HELD_OUT_PREFIX): the held-out set, or fresh seeds to check a change on scenes never
 * seen before (`heldOutScenarios([91, 92])`).
 */
export function heldOutScenarios(seeds: readonly number[], opts: SceneOptions = {}): Scenario[] {
  return seeds.map((seed, i) => streetScenario(seed, { ...opts, zone: i % 2 === 1, heldOut: true }));
}

/** One short scene for the shared end-to-end test through the real server: 30 s of a busy street. */
export function quickScenarios(opts: SceneOptions = {}): Scenario[] {
  return [streetScenario(TRAIN_SEEDS[0]!, { ...opts, durationS: 30, people: 5, trafficPerMin: 8 })];
}
