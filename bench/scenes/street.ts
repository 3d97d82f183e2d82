/**
 * The street the public-safety scenes share: a two-lane road (one lane each way) between wide verges,
 * seen by a camera on a 6 m pole, with optional light traffic, and people who walk across the view.
 * Scenario files add their own elements (smoke, a gauge, a bag, …) to `elements`.
 */
import { prng } from '../../core/testing/prng.js';
import { COLOURS, type Yuv } from './canvas.js';
import type { PersonElement, SceneElement } from './elements/index.js';
import { VEHICLE_SIZES, type TrafficScene, type VehicleClass, type VehiclePlan } from './traffic.js';

/** Clothes people wear in the scenes: dark, light and coloured, so some are close to the background. */
export const CLOTHES: Yuv[] = [
  [40, 128, 128], [70, 140, 120], [200, 128, 128], [120, 170, 100], [90, 110, 170], [150, 100, 150], [60, 150, 110], [170, 120, 135],
];

export interface StreetOptions {
  name: string;
  seed?: number;
  durationS?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Vehicles per minute on the road, both directions together (default 0). */
  trafficPerMin?: number;
  elements?: SceneElement[];
  /** Luma gain swing ± and its period (default ± 0.05 over 40 s). */
  lighting?: { amplitude: number; periodS: number };
  noise?: number;
}

/** The street: road X in [-3.5, 3.5] m, verges beyond, visible Z from 4 m to 60 m. */
export function streetScene(o: StreetOptions): TrafficScene {
  const { seed = 1, durationS = 60, width = 640, height = 360, fps = 10 } = o;
  const rand = prng(seed * 7919 + 13);
  const vehicles: VehiclePlan[] = [];
  const perMin = o.trafficPerMin ?? 0;
  const classes: VehicleClass[] = ['motorbike', 'motorbike', 'car', 'car', 'truck'];
  const colours = [COLOURS.white, COLOURS.silver, COLOURS.black, COLOURS.blue, COLOURS.darkRed];
  if (perMin > 0) {
    const nextFree = [0, 0];
    let id = 1000;
    for (let t = rand() * 3; t < durationS - 6; t += (60 / perMin) * (0.5 + rand())) {
      const lane = rand() < 0.5 ? 0 : 1;
      const cls = classes[Math.floor(rand() * classes.length)]!;
      const speedKmh = 30 + rand() * 10;
      const enterS = Math.max(t, nextFree[lane]!);
      vehicles.push({ id: id++, cls, lane, enterS, speedKmh, colour: colours[Math.floor(rand() * colours.length)]! });
      nextFree[lane] = enterS + (VEHICLE_SIZES[cls].length + 15) / ((speedKmh - 1) / 3.6);
    }
  }
  return {
    name: o.name,
    camera: { width, height, focalPx: width * 0.9, heightM: 6, pitchRad: (24 * Math.PI) / 180 },
    fps,
    durationS,
    seed,
    road: { laneCentres: [-1.75, 1.75], directions: [-1, 1], laneWidth: 3.5, nearZ: 4, farZ: 60 },
    vehicles,
    lighting: o.lighting ?? { amplitude: 0.05, periodS: 40 },
    noise: o.noise ?? 4,
    elements: o.elements ?? [],
  };
}

/** A person walking in a straight line from `from` to `to` ([X, Z] metres) at `speedMps`, starting at `startS`. */
export function walker(id: number, startS: number, from: [number, number], to: [number, number], speedMps: number, rand: () => number): PersonElement {
  const dur = Math.hypot(to[0] - from[0], to[1] - from[1]) / speedMps;
  return {
    kind: 'person',
    id,
    path: [{ t: startS, x: from[0], z: from[1] }, { t: startS + dur, x: to[0], z: to[1] }],
    heightM: 1.55 + rand() * 0.35,
    shirt: CLOTHES[Math.floor(rand() * CLOTHES.length)]!,
    trousers: CLOTHES[Math.floor(rand() * CLOTHES.length)]!,
  };
}

/**
 * `count` people crossing the region X in [x0, x1], Z in [z0, z1] between fromS and toS: each enters
 * on one side of the region and leaves on the other (left ↔ right or near ↔ far) at 0.9–1.6 m/s.
 */
export function passers(opts: { count: number; fromS: number; toS: number; region: { x0: number; x1: number; z0: number; z1: number }; idStart: number; seed: number }): PersonElement[] {
  const rand = prng(opts.seed);
  const { x0, x1, z0, z1 } = opts.region;
  const out: PersonElement[] = [];
  for (let i = 0; i < opts.count; i++) {
    const start = opts.fromS + rand() * (opts.toS - opts.fromS);
    const across = rand() < 0.6;
    const a: [number, number] = across ? [x0, z0 + rand() * (z1 - z0)] : [x0 + rand() * (x1 - x0), z0];
    const b: [number, number] = across ? [x1, z0 + rand() * (z1 - z0)] : [x0 + rand() * (x1 - x0), z1];
    const [from, to] = rand() < 0.5 ? [a, b] : [b, a];
    out.push(walker(opts.idStart + i, start, from, to, 0.9 + rand() * 0.7, rand));
  }
  return out;
}
