/**
 * Scenarios for the `tamper` plugin, on the shared street (street.ts) with people walking and light
 * traffic, and street furniture on the verges (bins, benches, a kiosk, bollards) as any real street has.
 *
 * Tamper scenes: a hand and then a cloth over the lens, a torch shone in twice, the focus ring turned
 * twice, the camera knocked (and later put back) and then turned away. Quiet scenes, which must raise
 * nothing: buses and trucks crawling through the near view, a dusk (the light falls to a quarter over
 * four minutes), clouds and auto-exposure steps, and people walking right under the camera.
 *
 * Truth, from the lens elements alone: a tamper is on from the middle of its ramp (`fromS + rampS / 2`:
 * the ramps are at most 1 s, so "when was it covered" has that answer to within ±0.5 s), and the
 * plugin must raise it PERSIST_S later; a tamper that ends is off from `untilS + rampS / 2` and
 * camera-restored is due CLEAR_S later. Scored within ±1 s: the ramp's half (≤ 0.5 s) plus one
 * plugin frame at 5 fps (0.2 s) is how well the onset is defined.
 */
import { prng } from '../../core/testing/prng.js';
import type { LensElement, PropElement, SceneElement } from './elements/index.js';
import type { LensSpec } from './elements/lens.js';
import type { ExpectedEvent, Scenario } from './scenario.js';
import { passers, streetScene, walker } from './street.js';
import { Trip, type TrafficScene, type VehiclePlan } from './traffic.js';
import { COLOURS, type Yuv } from './canvas.js';

/** The plugin's persistence and clearing times in these scenes (its defaults). */
export const PERSIST_S = 3;
export const CLEAR_S = 3;
/** The event types scored. */
export const TAMPER_TYPES = ['camera-covered', 'camera-blinded', 'camera-defocused', 'camera-moved', 'camera-restored'];
/** Lens effects that are tampering (a 'gain' step is the camera's own exposure, not tampering). */
const TAMPER_EVENT: Record<string, string> = { cover: 'camera-covered', torch: 'camera-blinded', defocus: 'camera-defocused', move: 'camera-moved' };

/** Scene options: the base seed (held-out checks use others), size and rate. */
export interface TamperSceneOptions {
  seed?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/** Every tamper scenario: four tamper scenes, four quiet ones (12.5 minutes). */
export function scenarios(opts: TamperSceneOptions = {}): Scenario[] {
  return [coverScenario(opts), torchScenario(opts), defocusScenario(opts), movedScenario(opts),
    busesScenario(opts), duskScenario(opts), exposureScenario(opts), peopleScenario(opts)];
}

/** Short scenes for the end-to-end test through the real server: a hand over the lens, a knocked camera. */
export function quickScenarios(opts: TamperSceneOptions = {}): Scenario[] {
  const o = { ...opts, seed: opts.seed ?? 1 };
  const r = prng(o.seed * 31 + 7);
  const cover = build('tamper-quick-cover', o, 30, 10, [lens(900, { effect: 'cover', fromS: 8, untilS: 18, colour: skin(r), leak: 'left' })]);
  // The knock is reported at about 13 s: 22 s leave the moved view as long again to stay quiet in.
  const moved = build('tamper-quick-moved', o, 22, 10, [lens(900, { effect: 'move', fromS: 10, rampS: 0.3, yawDeg: 3.5, pitchDeg: 1 })]);
  return [cover, moved];
}

/** A hand over the lens for 20 s, then a cloth until the end. */
export function coverScenario(opts: TamperSceneOptions = {}): Scenario {
  const r = prng(seedOf(opts) * 31 + 1);
  return build('tamper-cover', opts, 120, 10, [
    lens(900, { effect: 'cover', fromS: 20 + r() * 5, untilS: 45, colour: skin(r), leak: pick(r, ['left', 'right', 'top', 'bottom'] as const) }),
    lens(901, { effect: 'cover', fromS: 80, rampS: 0.6, colour: [40 + r() * 60, 120 + r() * 16, 120 + r() * 16], leak: pick(r, ['left', 'right', 'top', 'bottom'] as const) }),
  ]);
}

/** A torch shone into the lens twice, at different places and strengths. */
export function torchScenario(opts: TamperSceneOptions = {}): Scenario {
  const r = prng(seedOf(opts) * 31 + 2);
  return build('tamper-torch', opts, 120, 12, [
    lens(900, { effect: 'torch', fromS: 25, untilS: 42, at: [0.35 + r() * 0.3, 0.3 + r() * 0.4], radius: 0.15 + r() * 0.05, colour: [210, 110, 150] }),
    lens(901, { effect: 'torch', fromS: 80, untilS: 95, at: [0.2 + r() * 0.6, 0.3 + r() * 0.4], radius: 0.2 + r() * 0.05, colour: [220, 150, 115] }),
  ]);
}

/** The focus ring turned a little for 30 s, then a lot until the end. */
export function defocusScenario(opts: TamperSceneOptions = {}): Scenario {
  const r = prng(seedOf(opts) * 31 + 3);
  return build('tamper-defocus', opts, 120, 10, [
    lens(900, { effect: 'defocus', fromS: 20, untilS: 50, rampS: 1, blur: 0.007 + r() * 0.002 }),
    lens(901, { effect: 'defocus', fromS: 80, rampS: 1, blur: 0.012 + r() * 0.004 }),
  ]);
}

/** The camera knocked a few degrees and put back after half a minute, then turned far away. */
export function movedScenario(opts: TamperSceneOptions = {}): Scenario {
  const r = prng(seedOf(opts) * 31 + 4);
  const sign = r() < 0.5 ? -1 : 1;
  return build('tamper-moved', opts, 120, 10, [
    lens(900, { effect: 'move', fromS: 20, untilS: 55, rampS: 0.4, yawDeg: sign * (2.5 + r() * 2), pitchDeg: (r() - 0.5) * 3 }),
    lens(901, { effect: 'move', fromS: 85, rampS: 1, yawDeg: -sign * (20 + r() * 10), pitchDeg: -3 + r() * 2 }),
  ]);
}

/** Quiet: buses and trucks crawling past in the near view, besides the usual traffic. */
export function busesScenario(opts: TamperSceneOptions = {}): Scenario {
  const r = prng(seedOf(opts) * 31 + 5);
  const big: VehiclePlan[] = [];
  for (let k = 0; k < 9; k++) {
    const lane = k % 2;
    if (k === 3) continue; // the bus stop's slot
    big.push({ id: 2000 + k, cls: k % 3 === 2 ? 'truck' : 'bus', lane, enterS: 8 + k * 18 + r() * 4, speedKmh: 10 + r() * 15, colour: pick(r, [COLOURS.white, COLOURS.yellow, COLOURS.blue, COLOURS.silver]) });
  }
  // A bus that pulls up close to the camera, stands for 8 s (a bus stop) and drives on.
  big.push({ id: 2100, cls: 'bus', lane: 1, enterS: 60, speedKmh: 20, colour: COLOURS.white, path: new Trip(60, 1.75, -8).to(1.75, 14, 20).wait(8).to(1.75, 80, 25).points });
  return build('tamper-quiet-buses', opts, 180, 6, [], { extraVehicles: big });
}

/** Quiet: dusk, the light falling to a quarter over four minutes, people and traffic throughout. */
export function duskScenario(opts: TamperSceneOptions = {}): Scenario {
  // gain = 1 − 0.75 sin(2πt / 960): a quarter period over the 240 s scene, from 1 down to 0.25.
  return build('tamper-quiet-dusk', opts, 240, 10, [], { lighting: { amplitude: -0.75, periodS: 960 } });
}

/** Quiet: clouds (± 25 % light every 30 s) and the camera's auto-exposure stepping down and up. */
export function exposureScenario(opts: TamperSceneOptions = {}): Scenario {
  return build('tamper-quiet-exposure', opts, 180, 10, [
    lens(900, { effect: 'gain', fromS: 40, untilS: 70, rampS: 0.5, gain: 0.6 }),
    lens(901, { effect: 'gain', fromS: 110, untilS: 140, rampS: 0.5, gain: 1.45 }),
  ], { lighting: { amplitude: 0.25, periodS: 30 } });
}

/** Quiet: people walking right under the camera (2–4 m in front of the nearest ground it sees), one at a time and in groups. */
export function peopleScenario(opts: TamperSceneOptions = {}): Scenario {
  const rand = prng(seedOf(opts) * 31 + 6);
  const close: SceneElement[] = [];
  for (let k = 0; k < 24; k++) {
    const t = 4 + k * 5.5 + rand() * 3;
    const z = 7 + rand() * 3;
    const [a, b] = rand() < 0.5 ? [-7, 7] : [7, -7];
    close.push(walker(300 + k, t, [a, z], [b, z + (rand() - 0.5) * 2], 1 + rand() * 0.6, rand));
  }
  return build('tamper-quiet-people', opts, 150, 8, close);
}

function seedOf(opts: TamperSceneOptions): number {
  return opts.seed ?? 1;
}

/** A lens element with id and kind filled in. */
function lens(id: number, e: LensSpec): LensElement {
  return { kind: 'lens', id, ...e };
}

function pick<T>(rand: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

/** A hand's colour: skin tones in shadow (the palm is lit from behind). */
function skin(rand: () => number): Yuv {
  return [55 + rand() * 50, 110 + rand() * 8, 140 + rand() * 14];
}

/** Bins, benches, a kiosk and bollards along both verges: the structure a real street gives the camera. */
export function streetFurniture(seed: number): PropElement[] {
  const rand = prng(seed * 977 + 3);
  const out: PropElement[] = [];
  const kinds: { what: string; size: [number, number, number] }[] = [
    { what: 'bin', size: [0.6, 1, 0.6] }, { what: 'bench', size: [1.8, 0.8, 0.6] }, { what: 'bollard', size: [0.25, 0.9, 0.25] },
    { what: 'kiosk', size: [2.2, 2.6, 2] }, { what: 'planter', size: [1.2, 0.7, 1.2] },
  ];
  const paints: Yuv[] = [[60, 128, 128], [150, 110, 140], [90, 150, 110], [190, 128, 128], [70, 100, 160], [120, 90, 150]];
  let id = 500;
  for (const side of [-1, 1]) {
    for (let z = 7 + rand() * 3; z < 48; z += 4 + rand() * 6) {
      const k = kinds[Math.floor(rand() * kinds.length)]!;
      out.push({ kind: 'prop', id: id++, what: k.what, x: side * (6 + rand() * 5), z, size: k.size, colour: paints[Math.floor(rand() * paints.length)]! });
    }
  }
  return out;
}

/** The street with traffic, passers-by, furniture and the given lens elements; truth from the lens elements. */
function build(name: string, opts: TamperSceneOptions, durationS: number, trafficPerMin: number, extra: SceneElement[],
  more: { lighting?: TrafficScene['lighting']; extraVehicles?: VehiclePlan[] } = {}): Scenario {
  const seed = seedOf(opts);
  const sceneSeed = seed * 100 + hash(name);
  const people = passers({ count: Math.round(durationS / 4), fromS: 0, toS: durationS - 10, region: { x0: -14, x1: 14, z0: 8, z1: 40 }, idStart: 1, seed: sceneSeed });
  const scene = streetScene({
    name: seed === 1 ? name : `${name}-s${seed}`, seed: sceneSeed, durationS, trafficPerMin, width: opts.width, height: opts.height, fps: opts.fps,
    elements: [...streetFurniture(sceneSeed), ...people, ...extra],
    ...(more.lighting ? { lighting: more.lighting } : {}),
  });
  if (more.extraVehicles) scene.vehicles = [...scene.vehicles.filter((v) => !more.extraVehicles!.some((b) => b.lane === v.lane && Math.abs(b.enterS - v.enterS) < 6)), ...more.extraVehicles];
  const lenses = extra.filter((e): e is LensElement => e.kind === 'lens');
  return {
    name: scene.name, plugin: 'tamper', scene, plugins: { tamper: { config: { persistS: PERSIST_S, clearS: CLEAR_S } } },
    scoredTypes: TAMPER_TYPES, events: tamperTruth(lenses, durationS),
  };
}

/** The expected events of a scene's lens elements; see the file comment. */
export function tamperTruth(lenses: readonly LensElement[], durationS: number): ExpectedEvent[] {
  const out: ExpectedEvent[] = [];
  for (const e of lenses) {
    const type = TAMPER_EVENT[e.effect];
    if (!type) continue;
    const half = (e.rampS ?? 0.4) / 2;
    const raised = e.fromS + half + PERSIST_S;
    if (raised <= durationS - 1) out.push({ plugin: 'tamper', type, timeS: raised });
    if (e.untilS === undefined) continue;
    const restored = e.untilS + half + CLEAR_S;
    if (restored <= durationS - 1) out.push({ plugin: 'tamper', type: 'camera-restored', timeS: restored });
  }
  return out.sort((a, b) => a.timeS - b.timeS);
}

/** A small stable number from a scene name, so each scene has its own traffic and people. */
function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) % 97;
  return h;
}
