/**
 * A scenario: one synthetic scene plus the camera config that watches it (plugins, their config,
 * zones and lines) and what the plugins must report — events and counts from the scene's exact
 * ground truth. `streamsight bench accuracy` plays every scenario into the real server and scores
 * what comes out against `events` and `counts`; tests play short ones through the same path.
 *
 * Geometry helpers turn ground positions (metres) into the normalised image points a camera config
 * takes, so scenario files say "the stop line at Z = 18 m" instead of pixel numbers.
 */
import { project } from './camera.js';
import { referencePoints, type TrafficScene } from './traffic.js';

/** A normalised [x, y] image point, as in the camera config. */
export type NPoint = [number, number];

/** One plugin on the scenario's camera, as it would appear under `cameras.<id>.plugins.<name>`. */
export interface ScenarioPlugin {
  config?: Record<string, unknown>;
  zones?: Record<string, NPoint[]>;
  lines?: Record<string, { from: NPoint; to: NPoint }>;
  fps?: number;
  latencyBudgetMs?: number;
}

/** An event the plugins must raise, at `timeS` (scene time) within the scoring tolerance. */
export interface ExpectedEvent {
  plugin: string;
  type: string;
  timeS: number;
  /** The scene vehicle it is about, for diagnostics. */
  vehicleId?: number;
  /**
   * Scoring tolerance, ± seconds, when ±1 s is not meaningful: a state decided over a window (lane
   * congestion from a windowS average) is only defined to within that window. Default: the scorer's.
   */
  toleranceS?: number;
  /**
   * A near miss: the truth comes within the plugin's stated accuracy of raising it (9 people under a
   * crowd threshold of 10, for a count good to 10 %). An event here is neither a hit nor a false
   * alarm, and none is no miss (the "don't care" regions of detection benchmarks).
   */
  optional?: boolean;
}

/** A count the plugins must report over the whole scene. */
export interface ExpectedCount {
  line: string;
  cls: string;
  direction: string;
  n: number;
}

/** A scene with the config that watches it and the truth to score against. */
export interface Scenario {
  name: string;
  /** The plugin whose accuracy the scenario measures. */
  plugin: string;
  scene: TrafficScene;
  /** Plugins to run on the camera, by name. */
  plugins: Record<string, ScenarioPlugin>;
  /** The camera's gate, for counting scenes. */
  gate?: string;
  /** Event types scored; events of other types (e.g. congestion on a red-light scene) are not. */
  scoredTypes: string[];
  /** Every event that must be raised; empty on a violation-free scene, which must stay quiet. */
  events: ExpectedEvent[];
  counts?: ExpectedCount[];
  /** Object statistics: the distinct objects of each class the plugins must report seen over the whole scene. */
  objects?: { cls: string; n: number }[];
}

/** Normalised image point of a ground point (x, z) in metres. */
export function imagePoint(scene: TrafficScene, x: number, z: number): NPoint {
  const p = project(scene.camera, [x, 0, z]);
  if (!p) throw new Error(`ground point (${x}, ${z}) is behind the camera`);
  return [round(p[0] / scene.camera.width), round(p[1] / scene.camera.height)];
}

/** A line across the road at Z = z from X = x0 to X = x1 (left to right in the image). */
export function lineAcross(scene: TrafficScene, z: number, x0: number, x1: number): { from: NPoint; to: NPoint } {
  return { from: imagePoint(scene, x0, z), to: imagePoint(scene, x1, z) };
}

/** A ground rectangle X in [x0, x1], Z in [z0, z1] as a normalised image polygon, clipped to the frame. */
export function groundRect(scene: TrafficScene, x0: number, x1: number, z0: number, z1: number): NPoint[] {
  const raw = [[x0, z0], [x1, z0], [x1, z1], [x0, z1]].map(([x, z]) => {
    const p = project(scene.camera, [x!, 0, z!]);
    if (!p) throw new Error(`ground point (${x}, ${z}) is behind the camera`);
    return [p[0] / scene.camera.width, p[1] / scene.camera.height] as NPoint;
  });
  return clipToFrame(raw).map(([x, y]) => [round(x), round(y)]);
}

/** Sutherland–Hodgman: the part of a polygon inside the unit square (config points must be in 0..1). */
export function clipToFrame(polygon: NPoint[]): NPoint[] {
  let out = polygon;
  const edges: [(p: NPoint) => number, number][] = [[(p) => p[0], 0], [(p) => p[1], 0], [(p) => -p[0], -1], [(p) => -p[1], -1]];
  for (const [f, min] of edges) {
    const input = out;
    out = [];
    for (let i = 0; i < input.length; i++) {
      const a = input[i]!;
      const b = input[(i + 1) % input.length]!;
      const ina = f(a) >= min;
      const inb = f(b) >= min;
      if (ina) out.push(a);
      if (ina !== inb) {
        const t = (min - f(a)) / (f(b) - f(a));
        out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]);
      }
    }
  }
  return out.map(([x, y]) => [Math.min(1, Math.max(0, x)), Math.min(1, Math.max(0, y))]);
}

/** The lane's polygon between z0 and z1. */
export function lanePolygon(scene: TrafficScene, lane: number, z0: number, z1: number): NPoint[] {
  const c = scene.road.laneCentres[lane]!;
  const w = scene.road.laneWidth / 2;
  return groundRect(scene, c - w, c + w, z0, z1);
}

/** The 4 image ↔ ground reference points as plugins take them (`ground:` config). */
export function groundConfig(scene: TrafficScene): { image: NPoint; ground: [number, number] }[] {
  const ref = referencePoints(scene);
  return ref.image.map((p, i) => ({ image: [round(p[0] / scene.camera.width), round(p[1] / scene.camera.height)], ground: ref.ground[i]! }));
}

/** 5 decimals: sub-pixel at any detect size, and short in YAML. */
/** `v` rounded to `digits` decimals: scene data and truth stay short, readable JSON. */
export function roundTo(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

function round(v: number): number {
  return roundTo(v, 5);
}
