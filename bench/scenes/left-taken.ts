/**
 * Scenarios for the `left-taken` plugin, on the shared street (street.ts): people walk along the
 * pavements and verges; some put a bag or a box down and walk away (left), some pick one up that
 * stood there from the start and walk off with it (taken). Light traffic, people passing by and the
 * street's lighting drift are the background of every scene.
 *
 * A drop or a pick-up is scripted as one person's walk (Walk, from the intrusion scenes): they walk
 * to a spot, stand HANDLE_S seconds, the object appears beside them (a PropElement whose fromS is
 * that moment) or disappears (its untilS), they stand another HANDLE_S and walk on.
 *
 * Truth: 'object-left' at the moment the object was put down + dwellS; 'object-removed' at the moment
 * it was picked up + dwellS — what a careful human watching would say ("it has been unattended for
 * dwellS seconds"). Scored within ±TOLERANCE_S: the plugin dates a change from the moment the
 * long-term background first sees it, and the owner's own legs, standing beside the spot, and their
 * shadow may touch the object's cells a moment before it is put down or keep touching them a moment
 * after it is picked up; the median over the region's cells keeps that within a second or so, and
 * the plugin sees one frame in five of the scene's 0.1 s frames at its default 5 fps (±0.2 s).
 *
 * Must stay quiet: people who stop and stand for a minute and walk on, a car parked at the kerb for
 * several minutes, a motorbike parked on the pavement, a bag put down and picked up again by its
 * owner before dwellS, a left object that stays until the long-term background has learnt it (it is
 * reported once, never again), people passing and the lighting drift.
 */
import { prng } from '../../core/testing/prng.js';
import type { Yuv } from './canvas.js';
import type { PersonElement, PropElement, SceneElement } from './elements/index.js';
import { Walk } from './intrusion.js';
import { groundConfig, roundTo, type ExpectedEvent, type Scenario } from './scenario.js';
import { passers, streetScene } from './street.js';
import type { TrafficScene, VehiclePlan } from './traffic.js';

/** Seconds an object must stand (or be gone) before it is reported, in the main scenes. */
export const DWELL_S = 20;
/** Seconds after which the plugin's long-term background learns a still object, in the main scenes. */
export const ABSORB_S = 60;
/** Scoring tolerance, seconds (see the file comment). */
export const TOLERANCE_S = 1.5;
/** Seconds the owner stands before putting the object down (or picking it up), and after. */
export const HANDLE_S = 1.5;
/** The plugin's frame rate in these scenes. */
export const PLUGIN_FPS = 5;

/** Bags and boxes: dark, light and coloured, small and large. */
const BAGS: { what: string; size: [number, number, number]; colour: Yuv }[] = [
  { what: 'bag', size: [0.45, 0.35, 0.25], colour: [60, 120, 140] },
  { what: 'suitcase', size: [0.45, 0.65, 0.25], colour: [45, 135, 120] },
  { what: 'box', size: [0.6, 0.45, 0.45], colour: [150, 110, 150] },
  { what: 'backpack', size: [0.35, 0.45, 0.25], colour: [110, 150, 100] },
  { what: 'bag', size: [0.5, 0.3, 0.3], colour: [200, 128, 128] },
];

/** What varies between runs of a scenario: the seed drives clothes, heights, traffic, passers-by and noise. */
export interface LeftTakenSceneOptions {
  seed?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/** A person's trip to an object: they walk from `from` to the spot beside it, handle it, and walk on to `to`. */
export interface Trip {
  id: number;
  startS: number;
  from: [number, number];
  to: [number, number];
}

/**
 * One object and the people who handle it. The person stands at `spot`; the object is beside them,
 * its near edge 0.3 m across (X) on the `side` (+1 right, −1 left). `drop`: put down there (else it
 * stood there from the start); `attendedS`: the owner stays beside it that long and picks it up
 * again; `pick`: someone (the owner come back, or anyone) comes and takes it away.
 */
export interface Placement {
  bag: number;
  spot: [number, number];
  side?: 1 | -1;
  drop?: Trip;
  attendedS?: number;
  pick?: Trip;
}

/** A person who walks to `spot`, stands HANDLE_S, handles the object, stands HANDLE_S + `extraS` and walks on; with the moment of handling. */
function visit(t: Trip, spot: [number, number], extraS: number, rand: () => number): { person: PersonElement; atS: number } {
  const walk = new Walk(t.id, t.startS, t.from[0], t.from[1]).to(spot[0], spot[1], 1.2);
  const atS = walk.person(() => 0).path.at(-1)!.t + HANDLE_S;
  return { person: walk.wait(2 * HANDLE_S + extraS).to(t.to[0], t.to[1], 1.3).person(rand), atS };
}

/** The people and the object of one placement, and when it was put down (fromS) and taken (untilS). */
function place(pl: Placement, rand: () => number): { people: PersonElement[]; prop: PropElement } {
  const b = BAGS[pl.bag % BAGS.length]!;
  const side = pl.side ?? 1;
  const prop: PropElement = { kind: 'prop', id: 500 + (pl.drop ?? pl.pick)!.id, what: b.what, x: pl.spot[0] + side * (0.3 + b.size[0] / 2), z: pl.spot[1], size: b.size, colour: b.colour };
  const people: PersonElement[] = [];
  if (pl.drop) {
    const v = visit(pl.drop, pl.spot, pl.attendedS ?? 0, rand);
    people.push(v.person);
    prop.fromS = roundTo(v.atS, 2);
    if (pl.attendedS !== undefined) prop.untilS = roundTo(v.atS + pl.attendedS, 2);
  }
  if (pl.pick) {
    const v = visit(pl.pick, pl.spot, 0, rand);
    people.push(v.person);
    prop.untilS = roundTo(v.atS, 2);
  }
  return { people, prop };
}

/**
 * The events a placement must raise: object-left at fromS + dwellS, unless the owner stayed beside it
 * (attended) or someone came for it before then; object-removed at untilS + dwellS for an object that
 * stood there from the start. An object put down and taken later is no removal: the long-term
 * background never learnt it (the scenes take them back well before ABSORB_S; the test checks).
 */
export function placementEvents(prop: PropElement, pl: Placement, dwellS: number): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  const ev = (type: string, timeS: number): ExpectedEvent => ({ plugin: 'left-taken', type, timeS: roundTo(timeS, 2), toleranceS: TOLERANCE_S });
  if (prop.fromS !== undefined && pl.attendedS === undefined) {
    const pickArrives = prop.untilS === undefined ? Infinity : prop.untilS - HANDLE_S;
    if (pickArrives > prop.fromS + dwellS) out.push(ev('object-left', prop.fromS + dwellS));
  }
  if (prop.fromS === undefined && prop.untilS !== undefined) out.push(ev('object-removed', prop.untilS + dwellS));
  return out;
}

/** A scenario on the street with placements, extra elements and the plugin's config; truth from the placements. */
function build(name: string, durationS: number, opts: LeftTakenSceneOptions, seed: number, placements: Placement[], extra: {
  elements?: (rand: () => number) => SceneElement[]; vehicles?: VehiclePlan[]; passers?: number; trafficPerMin?: number;
  lighting?: { amplitude: number; periodS: number }; dwellS?: number; absorbS?: number;
} = {}): Scenario {
  const s = opts.seed ?? seed;
  const rand = prng(s * 31 + 7);
  const dwellS = extra.dwellS ?? DWELL_S;
  const elements: SceneElement[] = [];
  const events: ExpectedEvent[] = [];
  for (const pl of placements) {
    const { people, prop } = place(pl, rand);
    elements.push(...people, prop);
    events.push(...placementEvents(prop, pl, dwellS));
  }
  elements.push(...(extra.elements?.(rand) ?? []));
  const people = extra.passers ?? Math.round(durationS / 10);
  elements.push(...passers({ count: people, fromS: 0, toS: durationS - 10, region: { x0: -9, x1: 9, z0: 6, z1: 45 }, idStart: 100, seed: s * 13 + 1 }));
  const scene: TrafficScene = streetScene({
    name, seed: s, durationS, width: opts.width ?? 640, height: opts.height ?? 360, fps: opts.fps ?? 10,
    trafficPerMin: extra.trafficPerMin ?? 6, elements, ...(extra.lighting ? { lighting: extra.lighting } : {}),
  });
  if (extra.vehicles) scene.vehicles.push(...extra.vehicles);
  return {
    name, plugin: 'left-taken', scene,
    plugins: { 'left-taken': { fps: PLUGIN_FPS, config: { dwellS, absorbS: extra.absorbS ?? ABSORB_S, ground: groundConfig(scene) } } },
    scoredTypes: ['object-left', 'object-removed'],
    events: events.filter((e) => e.timeS < durationS - 1),
  };
}

/** Bags and a box left on both pavements and the verge, near and far, by people who walk on. */
export function leftScenario(opts: LeftTakenSceneOptions = {}): Scenario {
  return build('left-taken-left', 150, opts, 41, [
    { bag: 0, spot: [4.4, 14], drop: { id: 1, startS: 6, from: [4.6, 40], to: [4.8, 3] } },
    { bag: 2, spot: [-6, 30], drop: { id: 2, startS: 30, from: [-12, 30], to: [-12, 34] } },
    { bag: 1, spot: [-4.5, 20], side: -1, drop: { id: 3, startS: 70, from: [-4.4, 5], to: [-4.4, 50] } },
    { bag: 3, spot: [4.8, 9], drop: { id: 4, startS: 95, from: [12, 9], to: [12, 12] } },
  ]);
}

/** Objects that stood from the start, picked up by people who walk off with them: bags on the pavements, boxes on the verges. */
export function takenScenario(opts: LeftTakenSceneOptions = {}): Scenario {
  return build('left-taken-taken', 150, opts, 42, [
    { bag: 0, spot: [4.5, 16], pick: { id: 1, startS: 12, from: [4.6, 3], to: [4.6, 45] } },
    { bag: 2, spot: [-6.5, 26], pick: { id: 2, startS: 40, from: [-12, 24], to: [-12, 20] } },
    { bag: 4, spot: [5.5, 11], side: -1, pick: { id: 3, startS: 75, from: [12, 10], to: [12, 8] } },
    { bag: 3, spot: [-4.4, 35], pick: { id: 4, startS: 100, from: [-4.5, 45], to: [-4.6, 4] } },
  ], { lighting: { amplitude: 0.08, periodS: 60 } });
}

/**
 * Both in one street: a bag left, then taken back by its owner 25 s after it was reported (the site
 * ends, and its pick-up is no removal); a box left that stays to the end (reported once, learnt at
 * absorbS, never reported again); a suitcase taken from the verge.
 */
export function mixedScenario(opts: LeftTakenSceneOptions = {}): Scenario {
  return build('left-taken-mixed', 170, opts, 43, [
    { bag: 0, spot: [5.2, 12], drop: { id: 1, startS: 8, from: [12, 12], to: [12, 15] }, pick: { id: 4, startS: 52, from: [12, 13], to: [12, 10] } },
    { bag: 2, spot: [-4.6, 24], side: 1, drop: { id: 2, startS: 20, from: [-4.5, 45], to: [-4.5, 3] } },
    { bag: 1, spot: [-6, 15], pick: { id: 3, startS: 100, from: [-12, 14], to: [-12, 18] } },
  ], { trafficPerMin: 8 });
}

/**
 * Quiet: three people stop and stand for a minute (at the kerb, on the far pavement, on the verge)
 * and walk on; two owners put a bag down and pick it up again before dwellS, staying beside it;
 * people pass; the light drifts by ±10 %.
 */
export function waitingScenario(opts: LeftTakenSceneOptions = {}): Scenario {
  const stand = (rand: () => number, id: number, t: number, from: [number, number], at: [number, number], to: [number, number], waitS: number) =>
    new Walk(id, t, from[0], from[1]).to(at[0], at[1], 1.2).wait(waitS).to(to[0], to[1], 1.3).person(rand);
  return build('left-taken-quiet-waiting', 200, opts, 44, [
    { bag: 0, spot: [5.5, 10], drop: { id: 1, startS: 20, from: [12, 10], to: [12, 14] }, attendedS: 12 },
    { bag: 1, spot: [-4.5, 22], side: -1, drop: { id: 2, startS: 110, from: [-4.5, 45], to: [-4.5, 4] }, attendedS: DWELL_S - 6 },
  ], {
    lighting: { amplitude: 0.1, periodS: 70 },
    elements: (rand) => [
      stand(rand, 11, 5, [4.5, 40], [3.9, 13], [4.5, 3], 60),
      stand(rand, 12, 30, [-12, 30], [-4.2, 30], [-12, 33], 65),
      stand(rand, 13, 90, [12, 20], [6.5, 18], [12, 22], 60),
    ],
  });
}

/**
 * Quiet: a car pulls in to the kerb and stays parked for four minutes; a motorbike is parked on the
 * pavement for two; people pass; the light drifts.
 */
export function parkedScenario(opts: LeftTakenSceneOptions = {}): Scenario {
  const car: VehiclePlan = {
    id: 900, cls: 'car', lane: 1, enterS: 10, speedKmh: 20, colour: [70, 110, 170],
    path: [{ t: 10, x: 1.75, z: 4 }, { t: 13, x: 1.75, z: 16 }, { t: 15, x: 2.4, z: 20 }, { t: 255, x: 2.4, z: 20 }, { t: 258, x: 1.75, z: 32 }, { t: 261, x: 1.75, z: 62 }],
  };
  const bike: VehiclePlan = {
    id: 901, cls: 'motorbike', lane: 0, enterS: 30, speedKmh: 15, colour: [40, 128, 128],
    path: [{ t: 30, x: -1.75, z: 60 }, { t: 38, x: -1.75, z: 30 }, { t: 40, x: -4.4, z: 27 }, { t: 160, x: -4.4, z: 27 }, { t: 163, x: -1.75, z: 22 }, { t: 167, x: -1.75, z: 4 }],
  };
  return build('left-taken-quiet-parked', 280, opts, 45, [], { vehicles: [car, bike], trafficPerMin: 4, lighting: { amplitude: 0.08, periodS: 90 } });
}

/** Every left-taken scenario: left, taken, both, and two quiet scenes (8 minutes). */
export function scenarios(opts: LeftTakenSceneOptions = {}): Scenario[] {
  return [leftScenario(opts), takenScenario(opts), mixedScenario(opts), waitingScenario(opts), parkedScenario(opts)];
}

/** One short scene (30 s, 10 fps) for the end-to-end test: a bag left and a box taken, dwellS 8. */
export function quickScenarios(opts: LeftTakenSceneOptions = {}): Scenario[] {
  return [build('left-taken-quick', 30, { fps: 10, ...opts }, 46, [
    { bag: 0, spot: [5.5, 11], drop: { id: 1, startS: 2, from: [12, 11], to: [12, 14] } },
    { bag: 2, spot: [-6, 20], pick: { id: 2, startS: 5, from: [-12, 20], to: [-12, 24] } },
  ], { dwellS: 8, absorbS: 20, passers: 3 })];
}
