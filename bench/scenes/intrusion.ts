/**
 * Scenarios for the `intrusion` plugin, on the shared street (street.ts): a restricted lawn on the
 * right verge, X 5–9 m, Z 14–24 m, and a fence line along the left verge at X = −7 m, Z 15–30 m, which
 * must not be crossed from the street side outwards ('right-to-left' as drawn from its near end to
 * its far end). People walk in scripted paths (Walk); vehicles leave the road onto the lawn in
 * scripted trips; light traffic and people passing by on the far verge are the background.
 *
 * Truth, from the paths alone (sampled every 20 ms):
 * - intrusion: each visit of a watched object's foot point (a person's ground position; a vehicle's
 *   near side, where its image box stands) to the lawn rectangle — inside spells less than LEAVE_S
 *   apart are one visit, as the plugin's `leaveS` says — that lasts DWELL_S, at entry + DWELL_S;
 * - tripwire: each crossing of the fence segment by a person's foot in the watched direction, at the
 *   moment it crosses.
 * Distractors that must not fire: walking through the lawn in less than DWELL_S, walking along its
 * edges and along the fence, coming up to the fence and turning back, crossing it the other way,
 * small animals (0.5 m tall walkers the size filter rejects) on the lawn, people on a lawn that only
 * watches vehicles, and a whole scene outside the active hours.
 */
import { prng } from '../../core/testing/prng.js';
import { COLOURS } from './canvas.js';
import { project } from './camera.js';
import type { PersonElement } from './elements/index.js';
import { personVisible } from './elements/person.js';
import { groundConfig, groundRect, imagePoint, roundTo, type ExpectedEvent, type Scenario } from './scenario.js';
import { CLOTHES, passers, streetScene } from './street.js';
import { Trip, VEHICLE_SIZES, vehiclePosition, type TrafficScene, type VehiclePlan } from './traffic.js';

/** The restricted lawn, ground metres. */
export const LAWN = { x0: 5, x1: 9, z0: 14, z1: 24 };
/** The fence line, from its near end to its far end, ground [X, Z] metres. */
export const FENCE: { from: [number, number]; to: [number, number] } = { from: [-7, 15], to: [-7, 30] };
/** Seconds in the lawn before an intrusion, and out of it before a visit ends (the plugin's leaveS). */
export const DWELL_S = 5;
export const LEAVE_S = 3;
/** Seconds a vehicle may be on the lawn (the vehicle scene). */
export const VEHICLE_DWELL_S = 3;
/** Walkers this short are animals: the size filter must reject them, and the truth ignores them. */
export const ANIMAL_HEIGHT_M = 0.6;
/** Always active: a whole-day window on every day (the schedule is exercised, and holds whenever the scene is played). */
const ALWAYS = [{ from: '00:00', to: '00:00' }];
/**
 * A window that is almost never open (Sunday 03:00–03:01 UTC): the off-hours scene must stay quiet
 * whenever it is played, in process (scene clock: a Tuesday night) or through the server (wall clock).
 */
const CLOSED = [{ days: ['sun'], from: '03:00', to: '03:01' }];

/** What varies between runs of a scenario: the seed drives clothes, heights, traffic, passers-by and noise. */
export interface IntrusionSceneOptions {
  seed?: number;
  width?: number;
  height?: number;
}

/** A person's walk: from a point, to points at a speed, with waits; builds the PersonElement. */
export class Walk {
  readonly #points: { t: number; x: number; z: number }[];
  constructor(readonly id: number, t: number, x: number, z: number, readonly heightM?: number) {
    this.#points = [{ t, x, z }];
  }

  /** Walk in a straight line to (x, z) at speedMps. */
  to(x: number, z: number, speedMps = 1.3): this {
    const last = this.#points.at(-1)!;
    this.#points.push({ t: last.t + Math.hypot(x - last.x, z - last.z) / speedMps, x, z });
    return this;
  }

  /** Stand still for seconds. */
  wait(seconds: number): this {
    const last = this.#points.at(-1)!;
    this.#points.push({ t: last.t + seconds, x: last.x, z: last.z });
    return this;
  }

  /** The element, dressed and sized from `rand` (an animal when heightM is below ANIMAL_HEIGHT_M). */
  person(rand: () => number): PersonElement {
    const pick = () => CLOTHES[Math.floor(rand() * CLOTHES.length)]!;
    return { kind: 'person', id: this.id, path: this.#points.map((p) => ({ ...p })), heightM: this.heightM ?? 1.55 + rand() * 0.35, shirt: pick(), trousers: pick() };
  }
}

/** Every intrusion scenario: lawn visits, vehicles on the lawn, fence crossings, a quiet scene and an off-hours scene. */
export function scenarios(opts: IntrusionSceneOptions = {}): Scenario[] {
  return [lawnScenario(opts), vehicleScenario(opts), fenceScenario(opts), quietScenario(opts), offHoursScenario(opts)];
}

/** Short scenes for the server e2e: one lawn visit and one passer-through, fence crossings both ways. */
export function quickScenarios(opts: IntrusionSceneOptions = {}): Scenario[] {
  const walks = [
    new Walk(1, 1, 4.2, 9).to(4.2, 16).to(7, 17).wait(8).to(4.2, 19).to(4.2, 26),
    new Walk(2, 4, 3.8, 20).to(10.3, 21, 1.4),
    new Walk(3, 2, -4.5, 18).to(-9.5, 19),
    new Walk(4, 12, -9.5, 23).to(-4.5, 22),
  ];
  return [build('intrusion-quick', 31, 28, opts, walks, [], { lawn: ['person'], fence: 'right-to-left', schedules: ALWAYS })];
}

/** People on the lawn: three stay (one twice), others walk through in under DWELL_S or along its edges. */
export function lawnScenario(opts: IntrusionSceneOptions = {}): Scenario {
  return build('intrusion-lawn', 21, 90, opts, lawnWalks(), [], { lawn: ['person'], schedules: ALWAYS, trafficPerMin: 4, passersBy: 6 });
}

/** The lawn's people of lawnScenario (also played outside the active hours). */
function lawnWalks(): Walk[] {
  return [
    // Stays 9 s, leaves along the pavement.
    new Walk(1, 3, 4.2, 9).to(4.2, 16).to(7, 17).wait(9).to(4.2, 21).to(4.2, 30),
    // Straight through in ~3 s.
    new Walk(2, 10, 3.8, 19).to(10.5, 20, 1.4),
    // Along the near edge of the pavement side, 0.7 m outside.
    new Walk(3, 5, 4.3, 8).to(4.3, 32, 1.2),
    // Two visits: 6 s, out beyond the far edge for 8 s, back for 8 s.
    new Walk(4, 20, 10.5, 27).to(7.5, 22).wait(6).to(7.5, 27).wait(8).to(6.5, 20).wait(8).to(3.6, 18).to(3.6, 9),
    // Along the far edge, 1.2 m outside.
    new Walk(5, 30, 10.5, 25.2).to(3, 25.2, 1.1),
    // Cuts the near corner quickly.
    new Walk(6, 42, 3.5, 13).to(9.5, 15.5, 1.6),
    // In from the far side, 7 s, out to the pavement.
    new Walk(7, 55, 3.5, 30).to(6, 23).wait(7).to(6, 17).to(3.5, 15).to(3.5, 8),
    // Across the short way at a brisk walk: 4 m inside, 2.7 s.
    new Walk(8, 66, 9.8, 18).to(3.2, 18.5, 1.5),
  ];
}

/** A car and a motorbike leave the road and stop on a lawn that watches vehicles; a person stands on it (not watched). */
export function vehicleScenario(opts: IntrusionSceneOptions = {}): Scenario {
  const car = new Trip(2, 1.75, -1).to(1.75, 19, 30).to(2.5, 19, 10).to(7.5, 19, 10).to(7.55, 19, 0.012).to(2.5, 19, 8).to(1.75, 19, 8).to(1.75, 70, 30).points;
  const bike = new Trip(32, 1.75, -1).to(1.75, 16, 25).to(2.5, 16, 8).to(6.5, 16, 8).to(6.53, 16, 0.012).to(2.5, 16, 8).to(1.75, 16, 8).to(1.75, 70, 25).points;
  const vehicles: VehiclePlan[] = [
    { id: 901, cls: 'car', lane: 1, enterS: car[0]!.t, speedKmh: 30, colour: COLOURS.blue, path: car },
    { id: 902, cls: 'motorbike', lane: 1, enterS: bike[0]!.t, speedKmh: 25, colour: COLOURS.darkRed, path: bike },
  ];
  const walks = [
    new Walk(1, 4, 3.8, 26).to(6.5, 22).wait(12).to(3.6, 21).to(3.6, 10),
    new Walk(2, 40, 4.2, 30).to(4.2, 9, 1.2),
  ];
  return build('intrusion-vehicle', 22, 70, opts, walks, vehicles, { lawn: ['vehicle'], lawnDwellS: VEHICLE_DWELL_S, schedules: ALWAYS, trafficPerMin: 3 });
}

/** Fence crossings both ways (only street side → outside fires), an approach and turn back, a walk along it. */
export function fenceScenario(opts: IntrusionSceneOptions = {}): Scenario {
  return build('intrusion-fence', 23, 75, opts, fenceWalks(0), [], { fence: 'right-to-left', schedules: ALWAYS, trafficPerMin: 4 });
}

/** The fence's people, starting at t0: three cross outwards, two inwards, one turns back, one walks along, one passes beyond its end. */
function fenceWalks(t0: number, idStart = 1): Walk[] {
  let id = idStart;
  return [
    new Walk(id++, t0 + 3, -4.5, 17).to(-9.5, 18),
    new Walk(id++, t0 + 10, -10, 21).to(-4.5, 22),
    new Walk(id++, t0 + 18, -4.8, 26).to(-10, 24.5),
    new Walk(id++, t0 + 26, -4.5, 19).to(-6.3, 19.5).wait(2).to(-4.4, 20.5),
    new Walk(id++, t0 + 33, -5.8, 13).to(-5.8, 32, 1.2),
    new Walk(id++, t0 + 40, -10, 16.5).to(-4.5, 17),
    new Walk(id++, t0 + 50, -5, 28).to(-9.5, 27),
    new Walk(id++, t0 + 58, -4.5, 34).to(-11, 35),
  ];
}

/** 180 s that must stay quiet: walks through and along the lawn, animals on it, fence crossings inwards, traffic, a lighting drift. */
export function quietScenario(opts: IntrusionSceneOptions = {}): Scenario {
  const walks: Walk[] = [];
  let id = 1;
  for (let k = 0; k < 6; k++) {
    const t = 4 + k * 28;
    walks.push(new Walk(id++, t, 3.6, 15 + k * 1.5).to(10.3, 16 + k * 1.4, 1.3 + (k % 3) * 0.15)); // through, ≤ 3.2 s inside
    walks.push(new Walk(id++, t + 9, 4.3, 9 + (k % 2)).to(4.3, 31, 1.1)); // along the pavement edge
    walks.push(new Walk(id++, t + 15, 10.5, 25.3).to(3.2, 25.3, 1.2)); // along the far edge
    walks.push(new Walk(id++, t + 6, -10, 17 + k * 2).to(-4.5, 17.5 + k * 2)); // fence, inwards
    walks.push(new Walk(id++, t + 20, -5.8, 13).to(-5.8, 32, 1.3)); // along the fence
  }
  // Animals: a dog-sized walker wanders on the lawn for 20 s, another for 17 s.
  walks.push(new Walk(id++, 30, 3.8, 16, 0.5).to(6.5, 18, 1).wait(6).to(8, 21, 1).wait(5).to(3.8, 22, 1.2));
  walks.push(new Walk(id++, 110, 9.5, 19, 0.45).to(6, 20, 0.8).wait(11).to(3.5, 21.5, 1));
  // Someone comes to the fence and turns back, twice.
  walks.push(new Walk(id++, 60, -4.5, 21).to(-6.4, 21).wait(3).to(-4.5, 22));
  walks.push(new Walk(id++, 140, -4.6, 25).to(-6.4, 25.5).wait(2).to(-4.4, 26));
  return build('intrusion-quiet', 24, 180, opts, walks, [], {
    lawn: ['person', 'vehicle'], fence: 'right-to-left', schedules: ALWAYS, trafficPerMin: 6, passersBy: 8, lighting: { amplitude: 0.12, periodS: 30 },
  });
}

/** The lawn scene's people and fence crossings outside the active hours: nothing may fire. */
export function offHoursScenario(opts: IntrusionSceneOptions = {}): Scenario {
  return build('intrusion-off-hours', 25, 90, opts, [...lawnWalks(), ...fenceWalks(10, 100)], [], {
    lawn: ['person', 'vehicle'], fence: 'both', schedules: CLOSED, timeZone: 'UTC', trafficPerMin: 4,
  });
}

interface Watch {
  /** Kinds the lawn watches (no lawn zone when absent). */
  lawn?: string[];
  lawnDwellS?: number;
  /** Direction the fence watches (no fence when absent). */
  fence?: 'left-to-right' | 'right-to-left' | 'both';
  schedules: { days?: string[]; from: string; to: string }[];
  timeZone?: string;
  trafficPerMin?: number;
  /** People walking across the far left verge, away from the fence. */
  passersBy?: number;
  lighting?: { amplitude: number; periodS: number };
}

function build(name: string, baseSeed: number, durationS: number, opts: IntrusionSceneOptions, walks: Walk[], vehicles: VehiclePlan[], w: Watch): Scenario {
  const seed = opts.seed ?? baseSeed;
  const rand = prng(seed * 31 + 7);
  const people = walks.map((k) => k.person(rand));
  const by = w.passersBy ? passers({ count: w.passersBy, fromS: 0, toS: durationS - 25, region: { x0: -14, x1: -9, z0: 34, z1: 44 }, idStart: 500, seed: seed * 13 + 1 }) : [];
  const base = streetScene({ name, seed, durationS, width: opts.width, height: opts.height, fps: 10, trafficPerMin: w.trafficPerMin ?? 0, elements: [...people, ...by], lighting: w.lighting });
  const scene: TrafficScene = { ...base, vehicles: [...base.vehicles, ...vehicles] };
  const dwellS = w.lawnDwellS ?? DWELL_S;
  const config: Record<string, unknown> = {
    ground: groundConfig(scene),
    leaveS: LEAVE_S,
    schedules: w.schedules,
    ...(w.timeZone ? { timeZone: w.timeZone } : {}),
    restricted: w.lawn ? [{ zone: 'lawn', dwellS, kinds: w.lawn }] : [],
    tripwires: w.fence ? [{ line: 'fence', direction: w.fence, kinds: ['person'] }] : [],
  };
  const active = w.schedules !== CLOSED;
  const events: ExpectedEvent[] = [];
  if (active && w.lawn) events.push(...lawnEvents(scene, w.lawn, dwellS));
  if (active && w.fence) events.push(...fenceEvents(scene, w.fence));
  events.sort((a, b) => a.timeS - b.timeS);
  return {
    name,
    plugin: 'intrusion',
    scene,
    plugins: {
      intrusion: {
        config,
        zones: w.lawn ? { lawn: groundRect(scene, LAWN.x0, LAWN.x1, LAWN.z0, LAWN.z1) } : {},
        lines: w.fence ? { fence: { from: imagePoint(scene, ...FENCE.from), to: imagePoint(scene, ...FENCE.to) } } : {},
      },
    },
    scoredTypes: ['intrusion', 'tripwire'],
    events,
  };
}

/** Truth sampling step, seconds. */
const STEP_S = 0.02;

/** Where a watched object's foot stands at t, or undefined when it is not in the scene. */
export type FootPath = (t: number) => [number, number] | undefined;

/** The foot of every object of the scene, by id, with its kind: people (not animals) and the vehicles. */
export function feet(scene: TrafficScene): { id: number; kind: string; foot: FootPath }[] {
  const out: { id: number; kind: string; foot: FootPath }[] = [];
  for (const e of scene.elements ?? []) {
    if (e.kind === 'person' && (e.heightM ?? 1.7) >= ANIMAL_HEIGHT_M) out.push({ id: e.id, kind: 'person', foot: (t) => personVisible(e, t) });
  }
  for (const v of scene.vehicles) out.push({ id: v.id, kind: v.cls, foot: (t) => vehicleFoot(scene, v, t) });
  return out;
}

/**
 * A vehicle's foot: the middle of its side nearest the camera, where the bottom edge of its image
 * box is (vehicles drive along Z, or along X when their path's segment says so, as traffic.ts draws them).
 */
export function vehicleFoot(scene: TrafficScene, v: VehiclePlan, t: number): [number, number] | undefined {
  const c = vehiclePosition(scene, v, t);
  if (!c) return undefined;
  const size = VEHICLE_SIZES[v.cls];
  let across = false;
  if (v.path && v.path.length >= 2) {
    let i = 0;
    while (i + 2 < v.path.length && v.path[i + 1]!.t <= t) i++;
    across = Math.abs(v.path[i + 1]!.x - v.path[i]!.x) > Math.abs(v.path[i + 1]!.z - v.path[i]!.z);
  }
  return [c[0], c[1] - (across ? size.width : size.length) / 2];
}

/** Whether a ground point is inside the lawn. */
export function inLawn(p: [number, number]): boolean {
  return p[0] >= LAWN.x0 && p[0] <= LAWN.x1 && p[1] >= LAWN.z0 && p[1] <= LAWN.z1;
}

/** Whether a ground point is in the camera's view, `marginPx` from the frame's edges. */
export function inView(scene: TrafficScene, p: [number, number], marginPx = 8): boolean {
  const q = project(scene.camera, [p[0], 0, p[1]]);
  return !!q && q[0] >= marginPx && q[0] <= scene.camera.width - marginPx && q[1] >= marginPx && q[1] <= scene.camera.height - marginPx;
}

/** Visits (spells inside less than LEAVE_S apart merged) of one foot path to the lawn: [start, end] seconds. */
export function lawnVisits(scene: TrafficScene, foot: FootPath): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i * STEP_S <= scene.durationS; i++) {
    const t = i * STEP_S;
    const p = foot(t);
    if (!p || !inLawn(p)) continue;
    const last = out.at(-1);
    if (last && t - last[1] < LEAVE_S + STEP_S / 2) last[1] = t;
    else out.push([t, t]);
  }
  return out;
}

/** One intrusion per visit of a watched kind that lasts dwellS, at entry + dwellS. */
function lawnEvents(scene: TrafficScene, kinds: string[], dwellS: number): ExpectedEvent[] {
  const watched = (k: string) => kinds.includes(k) || (k !== 'person' && kinds.includes('vehicle'));
  return feet(scene).filter((f) => watched(f.kind)).flatMap((f) => lawnVisits(scene, f.foot)
    .filter(([a, b]) => b - a >= dwellS)
    .map(([a]) => ({ plugin: 'intrusion', type: 'intrusion', timeS: roundTo(a + dwellS, 2), vehicleId: f.id })));
}

/** Which side of the fence a ground point is on: +1 right (the street side, seen from its near end looking along it), −1 left. */
export function fenceSide(p: [number, number]): number {
  const [fx, fz] = FENCE.from;
  const [dx, dz] = [FENCE.to[0] - fx, FENCE.to[1] - fz];
  return dx * (p[1] - fz) - dz * (p[0] - fx) < 0 ? 1 : -1;
}

/** Each crossing of the fence segment by a person: its time and direction. */
export function fenceCrossings(scene: TrafficScene): { id: number; timeS: number; direction: 'left-to-right' | 'right-to-left' }[] {
  const out: { id: number; timeS: number; direction: 'left-to-right' | 'right-to-left' }[] = [];
  const [z0, z1] = [Math.min(FENCE.from[1], FENCE.to[1]), Math.max(FENCE.from[1], FENCE.to[1])];
  for (const f of feet(scene)) {
    if (f.kind !== 'person') continue;
    let prev: [number, number] | undefined;
    for (let i = 0; i * STEP_S <= scene.durationS; i++) {
      const p = f.foot(i * STEP_S);
      if (p && prev && fenceSide(p) !== fenceSide(prev)) {
        // The fence runs along Z: where the step meets X = fence X.
        const k = (FENCE.from[0] - prev[0]) / (p[0] - prev[0]);
        const z = prev[1] + k * (p[1] - prev[1]);
        if (z >= z0 && z <= z1) out.push({ id: f.id, timeS: roundTo(i * STEP_S, 2), direction: fenceSide(p) > 0 ? 'left-to-right' : 'right-to-left' });
      }
      prev = p;
    }
  }
  return out;
}

function fenceEvents(scene: TrafficScene, direction: 'left-to-right' | 'right-to-left' | 'both'): ExpectedEvent[] {
  return fenceCrossings(scene)
    .filter((c) => direction === 'both' || c.direction === direction)
    .map((c) => ({ plugin: 'intrusion', type: 'tripwire', timeS: c.timeS, vehicleId: c.id }));
}
