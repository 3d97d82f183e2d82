/**
 * Scenarios for the `fire` plugin, on the shared street (street.ts) with people and light traffic:
 * fires lit at known times — on a verge, small and far, on the road near the camera, among orange
 * traffic, and two watched through a zone (one inside it, one outside) — and quiet scenes with the
 * look-alikes that must not raise it: red, orange and yellow vehicles driving by, a red car parked
 * and an orange sign and bin standing by the road, cars braking to a stop with their brake lights
 * on, and a sunset cast over the whole frame.
 *
 * Truth: the flames are visible from the frame they are lit; a person watching needs about a second
 * of them to tell flickering flames from a lamp, a red coat or an orange car (RECOGNISE_S), and the
 * plugin's rule is "fire seen for persistS", so the expected event is the lighting time + RECOGNISE_S
 * + persistS. Scored within ±2 s: flicker is only defined over a window of frames (the plugin counts
 * changes over 32 frames, 3.2 s at 10 fps, and a cell needs 8 of them), so when "it flickers" is
 * decided is uncertain by about a second either way.
 */
import { COLOURS, type Yuv } from './canvas.js';
import type { FireElement, LampsElement, SceneElement } from './elements/index.js';
import { groundRect, type Scenario } from './scenario.js';
import { passers, streetScene, type StreetOptions } from './street.js';
import { prng } from '../../core/testing/prng.js';
import { Trip, VEHICLE_SIZES, type TrafficScene, type VehiclePlan } from './traffic.js';

/** The plugin's persistence in these scenes (its default). */
export const PERSIST_S = 3;
/** Seconds of flames a careful observer needs to call them fire (see the file comment). */
export const RECOGNISE_S = 1;
/** Scoring tolerance, seconds (see the file comment). */
export const TOLERANCE_S = 2;
/** Fire-coloured paints: orange, red, an orange-red and yellow. */
export const FIERY: Yuv[] = [COLOURS.amber, COLOURS.red, [120, 70, 215], COLOURS.yellow];

/** Scene options the scenarios take. */
export interface FireSceneOptions {
  seed?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/** A street scene with people, light traffic and the given elements. */
function street(name: string, o: FireSceneOptions, durationS: number, extra: SceneElement[], vehicles: VehiclePlan[], more: Partial<StreetOptions> = {}): TrafficScene {
  const seed = o.seed ?? 1;
  const people = passers({ count: Math.round(durationS / 6), fromS: 0, toS: durationS - 10, region: { x0: -14, x1: 14, z0: 6, z1: 45 }, idStart: 100, seed: seed * 31 + 7 });
  // Scenes with their own vehicles have only those (the street's random traffic could drive into them).
  const scene = streetScene({ name, seed, durationS, width: o.width ?? 640, height: o.height ?? 360, fps: o.fps ?? 10, trafficPerMin: vehicles.length ? 0 : 5, elements: [...people, ...extra], ...more });
  scene.vehicles.push(...vehicles);
  return scene;
}

/**
 * Vehicles driving both ways, about `perMin` a minute, from `seed`, `fieryShare` of them in fire colours. One
 * speed per lane and a 12 m gap at entry, so no vehicle catches up with the one ahead.
 */
export function fieryTraffic(durationS: number, perMin: number, seed: number, fieryShare = 0.5, idStart = 2000): VehiclePlan[] {
  const out: VehiclePlan[] = [];
  const rand = prng(seed * 7 + 5);
  const speed = [30, 36];
  const next = [0, 0];
  for (let t = 1 + rand() * 3, id = idStart; t < durationS - 8; t += (60 / perMin) * (0.6 + 0.8 * rand())) {
    const lane = rand() < 0.5 ? 0 : 1;
    const cls = rand() < 0.7 ? 'car' : 'truck';
    const enterS = Math.max(t, next[lane]!);
    next[lane] = enterS + (VEHICLE_SIZES[cls].length + 12) / (speed[lane]! / 3.6);
    const colour = rand() < fieryShare ? FIERY[Math.floor(rand() * FIERY.length)]! : PLAIN[Math.floor(rand() * PLAIN.length)]!;
    out.push({ id: id++, cls, lane, enterS, speedKmh: speed[lane]!, colour });
  }
  return out;
}

/** Other paints. */
const PLAIN: Yuv[] = [COLOURS.white, COLOURS.silver, COLOURS.black, COLOURS.blue];

/** A fire scenario: the street, the fires and their expected events (only fires inside the zone, when one is given). */
function fireScenario(name: string, o: FireSceneOptions, durationS: number, fires: FireElement[], zone?: (scene: TrafficScene) => [number, number][], vehicles: VehiclePlan[] = []): Scenario {
  const scene = street(name, o, durationS, fires, vehicles);
  const watched = zone ? fires.slice(0, 1) : fires;
  return {
    name, plugin: 'fire', scene, scoredTypes: ['fire'],
    plugins: { fire: zone ? { zones: { watched: zone(scene) } } : {} },
    events: watched.map((f) => ({ plugin: 'fire', type: 'fire', timeS: f.startS + RECOGNISE_S + PERSIST_S, toleranceS: TOLERANCE_S })),
  };
}

/** A quiet scenario. */
function quietScenario(name: string, o: FireSceneOptions, durationS: number, extra: SceneElement[], vehicles: VehiclePlan[], more: Partial<StreetOptions> = {}): Scenario {
  const scene = street(name, o, durationS, extra, vehicles, more);
  return { name, plugin: 'fire', scene, scoredTypes: ['fire'], plugins: { fire: {} }, events: [] };
}

/** Cars driving away in the right-hand lane that brake to a stop, wait and drive on, brake lights and all. */
function brakingCars(durationS: number, seed: number): { vehicles: VehiclePlan[]; lamps: LampsElement[] } {
  const vehicles: VehiclePlan[] = [];
  const lamps: LampsElement[] = [];
  for (let k = 0, t = 3 + (seed % 3); t < durationS - 25; k++, t += 16) {
    const stopZ = 14 + ((seed + k * 7) % 4) * 5;
    const trip = new Trip(t, 1.75, 2).to(1.75, stopZ - 6, 30).to(1.75, stopZ, 12).wait(5 + (k % 3) * 2).to(1.75, 75, 30);
    const p = trip.points;
    const colour = k % 2 ? COLOURS.red : COLOURS.silver;
    vehicles.push({ id: 3000 + k, cls: 'car', lane: 1, enterS: t, speedKmh: 30, colour, path: p });
    // Brakes on from the slow-down to the moment it drives off.
    lamps.push({ kind: 'lamps', id: 3100 + k, path: p, lengthM: 4.4, widthM: 1.8, brake: [[p[1]!.t, p[3]!.t]] });
  }
  return { vehicles, lamps };
}

/** Every fire scenario: five with fires, four quiet ones (7 minutes). */
export function scenarios(o: FireSceneOptions = {}): Scenario[] {
  const s = o.seed ?? 1;
  const id = 800;
  const braking = brakingCars(90, s);
  const parkedRed: VehiclePlan = { id: 2900, cls: 'car', lane: 1, enterS: 0, speedKmh: 0, colour: COLOURS.red, path: [{ t: 0, x: 4.4, z: 18 }, { t: 90, x: 4.4, z: 18 }] };
  return [
    fireScenario(`fire-verge-${s}`, o, 45, [{ kind: 'fire', id, x: -6, z: 15, startS: 12, widthM: 1.2, heightM: 1.4, growS: 20 }]),
    fireScenario(`fire-small-far-${s}`, o, 45, [{ kind: 'fire', id, x: 8, z: 30, startS: 15, widthM: 0.8, heightM: 1 }]),
    fireScenario(`fire-road-near-${s}`, o, 45, [{ kind: 'fire', id, x: 1.5, z: 9, startS: 20, widthM: 1, heightM: 1.2 }]),
    fireScenario(`fire-traffic-${s}`, o, 60, [{ kind: 'fire', id, x: -5, z: 24, startS: 30, widthM: 0.9, heightM: 1.1 }], undefined, fieryTraffic(60, 8, s)),
    fireScenario(`fire-zone-${s}`, o, 60, [
      { kind: 'fire', id, x: 6, z: 18, startS: 35, widthM: 1, heightM: 1.2 },
      // Outside the zone: must not raise the zone's alarm.
      { kind: 'fire', id: id + 1, x: -6, z: 20, startS: 10, widthM: 1, heightM: 1.2 },
    ], (scene) => groundRect(scene, 3.5, 25, 4, 60)),
    quietScenario(`fire-quiet-orange-traffic-${s}`, o, 120, [], fieryTraffic(120, 12, s + 100, 0.9)),
    quietScenario(`fire-quiet-parked-${s}`, o, 90, [
      { kind: 'prop', id: 850, what: 'sign', x: -4.6, z: 12, size: [0.9, 1.2, 0.08], colour: COLOURS.amber },
      { kind: 'prop', id: 851, what: 'bin', x: 5, z: 22, size: [0.6, 1, 0.6], colour: [150, 60, 190] },
    ], [parkedRed, ...fieryTraffic(90, 5, s + 300)]),
    quietScenario(`fire-quiet-brake-lights-${s}`, o, 90, braking.lamps, braking.vehicles),
    quietScenario(`fire-quiet-sunset-${s}`, o, 120, [{ kind: 'weather', id: 860, tint: { fromS: 5, rampS: 60, strength: 0.9 } }], fieryTraffic(120, 6, s + 200)),
  ];
}

/** One short fire scene (20 s, 10 fps) for the shared end-to-end test: the event is due at 12 s, and orange traffic passes before and during the fire. */
export function quickScenarios(o: FireSceneOptions = {}): Scenario[] {
  return [fireScenario(`fire-quick-${o.seed ?? 1}`, o, 20, [{ kind: 'fire', id: 800, x: -5, z: 14, startS: 8, widthM: 1.2, heightM: 1.4, growS: 10 }], undefined, fieryTraffic(20, 8, o.seed ?? 1))];
}
