/**
 * Synthetic traffic scenes with exact ground truth: a straight road seen in perspective by a
 * pinhole camera (camera.ts), vehicles of each class at their real sizes driving along lanes, a
 * counting line, an optional signal cycling through its phases, cast shadows, slow lighting changes
 * and sensor noise. Everything is drawn into I420 frames (canvas.ts) and reproducible from a seed.
 *
 * Ground truth, frame by frame: every visible vehicle's id, class, image box and ground position;
 * and, per scene, every crossing of the counting line (time, vehicle, class, direction) and the
 * signal's phase at any time. The plugins and their benchmarks are scored against it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ffmpegPath } from '../../core/ffmpeg.js';
import { project, type PinholeCamera, type Vec3 } from './camera.js';
import { prng } from '../../core/testing/prng.js';
import { COLOURS, I420Canvas, type Yuv } from './canvas.js';
import { drawElements, type DrawContext, type ObjectTruth, type SceneElement } from './elements/index.js';

export type VehicleClass = 'motorbike' | 'car' | 'truck' | 'bus';

/** Typical sizes in metres (length along the road, width, height). */
export const VEHICLE_SIZES: Record<VehicleClass, { length: number; width: number; height: number }> = {
  motorbike: { length: 1.9, width: 0.7, height: 1.3 },
  car: { length: 4.4, width: 1.8, height: 1.5 },
  truck: { length: 8.0, width: 2.5, height: 3.2 },
  bus: { length: 11.0, width: 2.5, height: 3.2 },
};

/** A point of a scripted trip: at time `t` (s) the vehicle's centre is at ground (x, z) metres. */
export interface Waypoint {
  t: number;
  x: number;
  z: number;
}

/**
 * One vehicle's trip: by default it appears at the lane's start at `enterS` and drives along the
 * lane at a constant speed. With `path` it follows the waypoints instead (linear between them,
 * visible from the first to the last): stops, lane changes, wrong-way driving, weaving.
 */
export interface VehiclePlan {
  id: number;
  cls: VehicleClass;
  /** Index into the road's lanes. */
  lane: number;
  enterS: number;
  speedKmh: number;
  colour: Yuv;
  path?: Waypoint[];
}

export interface RoadLayout {
  /** Lateral centre of each lane in metres (negative: left of the camera). */
  laneCentres: number[];
  /** +1: the lane's traffic drives away from the camera (Z grows); -1: towards it. */
  directions: (1 | -1)[];
  laneWidth: number;
  /** The visible stretch of road, in metres from the camera's foot. */
  nearZ: number;
  farZ: number;
  /** Lane boundaries (X, metres) drawn solid even between lanes of one direction. */
  solidX?: number[];
  /** A stop line across the lanes at this Z (lanes of both directions; drawn 0.4 m wide). */
  stopLineZ?: number;
  /** A crossing road: asphalt across the whole frame between these Z, with no lane markings. */
  crossRoad?: { z0: number; z1: number };
}

/** A signal with a fixed cycle, drawn as three lamps at an image position. */
export interface SignalPlan {
  /** Centre of the top (red) lamp and the lamp radius, in pixels. */
  at: [number, number];
  radius: number;
  redS: number;
  greenS: number;
  amberS: number;
  /** Seconds into the cycle at t = 0 (the cycle is red, green, amber). */
  offsetS: number;
  /** Share of frames in which a lit lamp is caught dark (LED PWM beating with the shutter). */
  flicker?: number;
  /** Lit lamps saturate the sensor: a white core inside a thin coloured rim. */
  saturate?: boolean;
}

export interface TrafficScene {
  name: string;
  camera: PinholeCamera;
  fps: number;
  durationS: number;
  seed: number;
  road: RoadLayout;
  /** Z of the counting line across the road, metres. */
  countLineZ?: number;
  vehicles: VehiclePlan[];
  signal?: SignalPlan;
  /** Luma gain varies by ± this much with the given period (clouds, exposure). */
  lighting?: { amplitude: number; periodS: number };
  /** Sensor noise amplitude in luma steps. */
  noise: number;
  /** People, objects, smoke, flames, water, weather, lens events (bench/scenes/elements). */
  elements?: SceneElement[];
}

export type SignalPhase = 'red' | 'green' | 'amber';

/** One visible vehicle in one frame. */
export interface VehicleTruth {
  id: number;
  cls: VehicleClass;
  /** Image box [x, y, w, h] in pixels, clipped to the frame. */
  box: [number, number, number, number];
  /** Ground position of the vehicle's centre, metres. */
  ground: [number, number];
}

export interface FrameTruth {
  index: number;
  timeS: number;
  vehicles: VehicleTruth[];
  signal?: SignalPhase;
  /** People and objects of the scene's elements that the camera sees (only when the scene has elements). */
  objects?: ObjectTruth[];
}

/** A vehicle's centre passing the counting line. */
export interface CrossingTruth {
  timeS: number;
  id: number;
  cls: VehicleClass;
  /** 'away' from the camera (Z grows) or 'towards' it. */
  direction: 'away' | 'towards';
}

/** Centre Z of a lane vehicle at time t (it enters at the lane's near or far end); path vehicles: see vehiclePosition. */
export function vehicleZ(scene: TrafficScene, v: VehiclePlan, t: number): number {
  if (v.path) return vehiclePosition(scene, v, t)?.[1] ?? NaN;
  const dir = scene.road.directions[v.lane]!;
  const len = VEHICLE_SIZES[v.cls].length;
  const start = dir > 0 ? scene.road.nearZ - len : scene.road.farZ + len;
  return start + dir * (v.speedKmh / 3.6) * (t - v.enterS);
}

/** Ground centre [x, z] of a vehicle at time t, or undefined before it appears or after its path ends. */
export function vehiclePosition(scene: TrafficScene, v: VehiclePlan, t: number): [number, number] | undefined {
  const path = v.path;
  if (!path) return t >= v.enterS ? [scene.road.laneCentres[v.lane]!, vehicleZ(scene, v, t)] : undefined;
  if (path.length === 0 || t < path[0]!.t || t > path.at(-1)!.t) return undefined;
  let i = 0;
  while (i + 1 < path.length - 1 && path[i + 1]!.t <= t) i++;
  const a = path[i]!;
  const b = path[i + 1] ?? a;
  const k = b.t > a.t ? (t - a.t) / (b.t - a.t) : 0;
  return [a.x + k * (b.x - a.x), a.z + k * (b.z - a.z)];
}

/** Whether a path vehicle is driving along X (across the road) at time t; lane vehicles never are. */
function drivesAcross(v: VehiclePlan, t: number): boolean {
  const path = v.path;
  if (!path || path.length < 2) return false;
  let i = 0;
  while (i + 2 < path.length && path[i + 1]!.t <= t) i++;
  const dx = path[i + 1]!.x - path[i]!.x;
  const dz = path[i + 1]!.z - path[i]!.z;
  return Math.abs(dx) > Math.abs(dz);
}

/**
 * A builder for scripted trips: start somewhere, then drive to points at given speeds, or wait.
 * `new Trip(0, 1.75, 60).to(1.75, 10, 30).wait(5).to(1.75, -5, 30).points`
 */
export class Trip {
  readonly points: Waypoint[];
  constructor(t: number, x: number, z: number) {
    this.points = [{ t, x, z }];
  }

  /** Drive in a straight line to (x, z) at speedKmh. */
  to(x: number, z: number, speedKmh: number): this {
    const last = this.points.at(-1)!;
    const d = Math.hypot(x - last.x, z - last.z);
    this.points.push({ t: last.t + d / (speedKmh / 3.6), x, z });
    return this;
  }

  /** Stand still for seconds. */
  wait(seconds: number): this {
    const last = this.points.at(-1)!;
    this.points.push({ t: last.t + seconds, x: last.x, z: last.z });
    return this;
  }

  /** Time the trip first reaches Z = z (linear within the segment), or undefined. */
  timeAtZ(z: number): number | undefined {
    return timeAtZ(this.points, z);
  }
}

/** First time a path's centre passes Z = z, or undefined. */
export function timeAtZ(path: Waypoint[], z: number): number | undefined {
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    if ((a.z - z) * (b.z - z) <= 0 && a.z !== b.z) return a.t + ((z - a.z) / (b.z - a.z)) * (b.t - a.t);
  }
  return undefined;
}

/** The signal's phase at time t. */
export function signalPhase(s: SignalPlan, t: number): SignalPhase {
  const cycle = s.redS + s.greenS + s.amberS;
  const p = (((t + s.offsetS) % cycle) + cycle) % cycle;
  return p < s.redS ? 'red' : p < s.redS + s.greenS ? 'green' : 'amber';
}

/** Every crossing of the counting line in the scene, in time order (exact, from the plans). */
export function crossings(scene: TrafficScene): CrossingTruth[] {
  const z = scene.countLineZ;
  if (z === undefined) return [];
  const out: CrossingTruth[] = [];
  for (const v of scene.vehicles) {
    if (v.path) {
      for (let i = 0; i + 1 < v.path.length; i++) {
        const a = v.path[i]!;
        const b = v.path[i + 1]!;
        if ((a.z - z) * (b.z - z) < 0 || (b.z === z && a.z !== z)) {
          const t = a.t + ((z - a.z) / (b.z - a.z)) * (b.t - a.t);
          if (t <= scene.durationS) out.push({ timeS: t, id: v.id, cls: v.cls, direction: b.z > a.z ? 'away' : 'towards' });
        }
      }
      continue;
    }
    const dir = scene.road.directions[v.lane]!;
    const z0 = vehicleZ(scene, v, v.enterS);
    const t = v.enterS + (z - z0) / (dir * (v.speedKmh / 3.6));
    if (t >= v.enterS && t <= scene.durationS) out.push({ timeS: t, id: v.id, cls: v.cls, direction: dir > 0 ? 'away' : 'towards' });
  }
  return out.sort((a, b) => a.timeS - b.timeS);
}

/** Renders frame `index` into `canvas` and returns its ground truth. */
export function renderFrame(scene: TrafficScene, index: number, canvas: I420Canvas, rand: () => number): FrameTruth {
  const t = index / scene.fps;
  const cam = scene.camera;
  const { road } = scene;
  canvas.fill(COLOURS.grass);
  const left = Math.min(...road.laneCentres) - road.laneWidth / 2;
  const right = Math.max(...road.laneCentres) + road.laneWidth / 2;
  const quad = (x0: number, x1: number, z0: number, z1: number) => ground(cam, [[x0, z0], [x1, z0], [x1, z1], [x0, z1]]);
  const grain = (x: number, y: number) => ((Math.imul(x * 73856093, 1) ^ Math.imul(y, 19349663)) & 15) - 8;
  canvas.fillPolygon(quad(left - 1.5, right + 1.5, road.nearZ, road.farZ), COLOURS.kerb);
  canvas.fillPolygon(quad(left, right, road.nearZ, road.farZ), COLOURS.asphalt, grain);
  // Lane markings: solid between opposite directions, dashed between lanes of one direction.
  const order = road.laneCentres.map((c, i) => ({ c, i })).sort((a, b) => a.c - b.c);
  for (let k = 0; k + 1 < order.length; k++) {
    const a = order[k]!;
    const b = order[k + 1]!;
    const x = (a.c + b.c) / 2;
    if (road.directions[a.i] !== road.directions[b.i]) canvas.fillPolygon(quad(x - 0.08, x + 0.08, road.nearZ, road.farZ), COLOURS.marking);
    else for (let z = road.nearZ; z < road.farZ; z += 9) canvas.fillPolygon(quad(x - 0.07, x + 0.07, z, Math.min(z + 3, road.farZ)), COLOURS.marking);
  }
  for (const x of road.solidX ?? []) canvas.fillPolygon(quad(x - 0.08, x + 0.08, road.nearZ, road.farZ), COLOURS.marking);
  if (road.crossRoad) canvas.fillPolygon(quad(-60, 60, road.crossRoad.z0, road.crossRoad.z1), COLOURS.asphalt, grain);
  if (scene.countLineZ !== undefined) canvas.fillPolygon(quad(left, right, scene.countLineZ - 0.2, scene.countLineZ + 0.2), COLOURS.marking);
  if (road.stopLineZ !== undefined) canvas.fillPolygon(quad(left, right, road.stopLineZ - 0.2, road.stopLineZ + 0.2), COLOURS.marking);
  const draw: DrawContext = { t, camera: cam, canvas, rand, objects: [] };
  drawElements(scene.elements, 'ground', draw);

  // Vehicles, far to near, so nearer ones are drawn over farther ones.
  const visible = scene.vehicles
    .map((v) => ({ v, at: vehiclePosition(scene, v, t) }))
    .filter((e): e is { v: VehiclePlan; at: [number, number] } => e.at !== undefined)
    .filter(({ v, at }) => at[1] > road.nearZ - VEHICLE_SIZES[v.cls].length && at[1] < road.farZ + VEHICLE_SIZES[v.cls].length)
    .sort((a, b) => b.at[1] - a.at[1]);
  const truths: VehicleTruth[] = [];
  for (const { v, at } of visible) {
    const [vx, z] = at;
    const box = drawVehicle(canvas, cam, v, vx, z, drivesAcross(v, t));
    if (!box) continue;
    const x0 = Math.max(0, box[0]);
    const y0 = Math.max(0, box[1]);
    const x1 = Math.min(cam.width, box[0] + box[2]);
    const y1 = Math.min(cam.height, box[1] + box[3]);
    if (x1 - x0 >= 2 && y1 - y0 >= 2) truths.push({ id: v.id, cls: v.cls, box: [x0, y0, x1 - x0, y1 - y0], ground: [vx, z] });
  }

  drawElements(scene.elements, 'upright', draw);

  let phase: SignalPhase | undefined;
  if (scene.signal) {
    const s = scene.signal;
    phase = signalPhase(s, t);
    const [cx, cy] = s.at;
    canvas.fillPolygon([[cx - 1.6 * s.radius, cy - 1.6 * s.radius], [cx + 1.6 * s.radius, cy - 1.6 * s.radius], [cx + 1.6 * s.radius, cy + 5.8 * s.radius], [cx - 1.6 * s.radius, cy + 5.8 * s.radius]], COLOURS.black);
    const lamps: [SignalPhase, Yuv][] = [['red', COLOURS.red], ['amber', COLOURS.amber], ['green', COLOURS.green]];
    lamps.forEach(([p, colour], i) => {
      const lit = phase === p && !(s.flicker && rand() < s.flicker);
      const y = cy + i * 2.1 * s.radius;
      canvas.fillDisc(cx, y, s.radius, lit ? colour : COLOURS.lampOff);
      if (lit && s.saturate) canvas.fillDisc(cx, y, s.radius * 0.7, [235, 128, 128]);
    });
  }
  drawElements(scene.elements, 'air', draw);
  const gain = scene.lighting ? 1 + scene.lighting.amplitude * Math.sin((2 * Math.PI * t) / scene.lighting.periodS) : 1;
  canvas.expose(gain, scene.noise, rand);
  drawElements(scene.elements, 'lens', draw);
  return { index, timeS: t, vehicles: truths, signal: phase, ...(scene.elements ? { objects: draw.objects } : {}) };
}

/** Draws one vehicle (shadow, sides, front or back, roof) and returns its image box. */
function drawVehicle(canvas: I420Canvas, cam: PinholeCamera, v: VehiclePlan, cx: number, cz: number, across: boolean): [number, number, number, number] | undefined {
  const size = VEHICLE_SIZES[v.cls];
  const { height } = size;
  // Driving across the road, the vehicle's length lies along X.
  const length = across ? size.width : size.length;
  const width = across ? size.length : size.width;
  const x0 = cx - width / 2;
  const x1 = cx + width / 2;
  const z0 = cz - length / 2;
  const z1 = cz + length / 2;
  const corners: Vec3[] = [];
  for (const x of [x0, x1]) for (const y of [0, height]) for (const z of [z0, z1]) corners.push([x, y, z]);
  const pts = corners.map((p) => project(cam, p));
  if (pts.some((p) => !p)) return undefined;
  const P = (x: number, y: number, z: number) => project(cam, [x, y, z])!;
  // Cast shadow: the footprint pushed sideways, as from a low sun on the right.
  canvas.shade(ground(cam, [[x0 - 0.6, z0], [x1 - 0.6, z0], [x1 - 0.6, z1 + 0.4], [x0 - 0.6, z1 + 0.4]]), 0.6);
  const [cy, cu, cv] = v.colour;
  const tone = (k: number): Yuv => [Math.max(16, Math.min(235, cy * k)), cu, cv];
  const speckle = (x: number, y: number) => ((Math.imul(x, 2654435761) ^ Math.imul(y, 40503)) & 7) - 4;
  // The side facing the camera's axis, then the near end, then the roof.
  const sideX = cx > 0 ? x0 : x1;
  canvas.fillPolygon([P(sideX, 0, z0), P(sideX, 0, z1), P(sideX, height, z1), P(sideX, height, z0)], tone(0.75), speckle);
  canvas.fillPolygon([P(x0, 0, z0), P(x1, 0, z0), P(x1, height, z0), P(x0, height, z0)], tone(0.85), speckle);
  if (v.cls !== 'motorbike') {
    // A dark windscreen band on the near end.
    const wy0 = height * 0.55;
    const wy1 = height * 0.9;
    canvas.fillPolygon([P(x0 + 0.15, wy0, z0), P(x1 - 0.15, wy0, z0), P(x1 - 0.15, wy1, z0), P(x0 + 0.15, wy1, z0)], COLOURS.black);
  }
  canvas.fillPolygon([P(x0, height, z0), P(x1, height, z0), P(x1, height, z1), P(x0, height, z1)], tone(1.1), speckle);
  let minU = Infinity;
  let minV = Infinity;
  let maxU = -Infinity;
  let maxV = -Infinity;
  for (const p of pts) {
    minU = Math.min(minU, p![0]);
    maxU = Math.max(maxU, p![0]);
    minV = Math.min(minV, p![1]);
    maxV = Math.max(maxV, p![1]);
  }
  return [minU, minV, maxU - minU, maxV - minV];
}

/** Ground points [x, z] to image points (dropping any behind the camera). */
function ground(cam: PinholeCamera, pts: [number, number][]): [number, number][] {
  return pts.map(([x, z]) => project(cam, [x, 0, z])).filter((p): p is [number, number] => p !== undefined);
}

/** Four image ↔ ground reference points of the road plane, for a plugin's homography config. */
export function referencePoints(scene: TrafficScene): { image: [number, number][]; ground: [number, number][] } {
  const { road, camera } = scene;
  const left = Math.min(...road.laneCentres) - road.laneWidth / 2;
  const right = Math.max(...road.laneCentres) + road.laneWidth / 2;
  const zNear = road.nearZ + 0.25 * (road.farZ - road.nearZ);
  const zFar = road.nearZ + 0.75 * (road.farZ - road.nearZ);
  const groundPts: [number, number][] = [[left, zNear], [right, zNear], [right, zFar], [left, zFar]];
  return { image: groundPts.map(([x, z]) => project(camera, [x, 0, z])!), ground: groundPts };
}

/**
 * Renders the whole scene and encodes it to H.264 (Annex B, no B-frames, keyframe every 2 s) at
 * `file`, with the ground truth as JSON at `file + '.truth.json'`. Both are written under `.part`
 * names and renamed when whole, so an interrupted render leaves no clip that looks finished.
 */
export async function encodeScene(scene: TrafficScene, file: string): Promise<{ frames: FrameTruth[]; crossings: CrossingTruth[] }> {
  const part = `${file}.part`;
  const { width, height } = scene.camera;
  const ff = spawn(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`,
    '-r', String(scene.fps), '-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency',
    '-pix_fmt', 'yuv420p', '-bf', '0', '-g', String(2 * scene.fps), '-b:v', '2M', '-f', 'h264', part,
  ], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  ff.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    ff.on('error', reject);
    ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`))));
  });
  const canvas = new I420Canvas(width, height);
  const rand = prng(scene.seed);
  const frames: FrameTruth[] = [];
  const total = Math.round(scene.durationS * scene.fps);
  for (let i = 0; i < total; i++) {
    frames.push(renderFrame(scene, i, canvas, rand));
    if (!ff.stdin.write(canvas.data)) await new Promise((r) => ff.stdin.once('drain', r));
  }
  ff.stdin.end();
  await done;
  const truth = { scene: scene.name, fps: scene.fps, frames, crossings: crossings(scene), reference: referencePoints(scene) };
  writeFileSync(`${part}.truth.json`, JSON.stringify(truth));
  renameSync(part, file);
  renameSync(`${part}.truth.json`, `${file}.truth.json`);
  return truth;
}

/**
 * The same scene seen at another frame size: the focal length and the signal (drawn in pixels) scale
 * with the width, so everything keeps its place relative to the frame and normalised zones still fit.
 */
export function resizeScene(scene: TrafficScene, width: number, height: number): TrafficScene {
  const k = width / scene.camera.width;
  const camera = { ...scene.camera, width, height, focalPx: scene.camera.focalPx * k };
  const signal = scene.signal && { ...scene.signal, at: [scene.signal.at[0] * k, scene.signal.at[1] * (height / scene.camera.height)] as [number, number], radius: scene.signal.radius * k };
  return { ...scene, camera, ...(signal ? { signal } : {}) };
}

/** A short hash of everything that decides a scene's frames: clips rendered from it are named or checked by it. */
export function sceneFingerprint(scene: TrafficScene): string {
  return createHash('sha256').update(JSON.stringify(scene)).digest('hex').slice(0, 16);
}

/** Where a scenario's H.264 clip is cached in `dir`: named by the scenario and its scene's fingerprint, so a changed scene renders anew (bench accuracy and quiet-soak share them). */
export function clipFile(dir: string, name: string, scene: TrafficScene): string {
  return join(dir, `${name}-${sceneFingerprint(scene)}.h264`);
}

/** A gate camera: two lanes in, two out, mixed traffic, a counting line; known counts per class and direction. */
export function gateScene(opts: { seed?: number; durationS?: number; width?: number; height?: number } = {}): TrafficScene {
  const { seed = 1, durationS = 60, width = 640, height = 360 } = opts;
  const rand = prng(seed);
  const classes: VehicleClass[] = ['motorbike', 'motorbike', 'motorbike', 'car', 'car', 'truck', 'bus'];
  const colours = [COLOURS.white, COLOURS.silver, COLOURS.black, COLOURS.blue, COLOURS.darkRed, COLOURS.yellow];
  const lanes = { laneCentres: [-5.25, -1.75, 1.75, 5.25], directions: [-1, -1, 1, 1] as (1 | -1)[] };
  const vehicles: VehiclePlan[] = [];
  // One speed per lane (± 1 km/h per vehicle) and a 12 m gap at entry, so no vehicle catches up
  // with the one ahead in its lane inside the visible 60 m.
  const laneSpeed = [32, 40, 40, 32];
  const nextFree = [0, 0, 0, 0];
  let id = 1;
  for (let lane = 0; lane < 4; lane++) {
    let t = rand() * 2;
    while (t < durationS - 8) {
      const cls = classes[Math.floor(rand() * classes.length)]!;
      const speedKmh = laneSpeed[lane]! + (rand() * 2 - 1);
      t = Math.max(t, nextFree[lane]!);
      vehicles.push({ id: id++, cls, lane, enterS: t, speedKmh, colour: colours[Math.floor(rand() * colours.length)]! });
      nextFree[lane] = t + (VEHICLE_SIZES[cls].length + 12) / ((speedKmh - 1) / 3.6);
      t += 1 + rand() * 5;
    }
  }
  return {
    name: `gate-${seed}`,
    camera: { width, height, focalPx: width * 0.9, heightM: 8, pitchRad: (22 * Math.PI) / 180 },
    fps: 25,
    durationS,
    seed,
    road: { ...lanes, laneWidth: 3.5, nearZ: 6, farZ: 60 },
    countLineZ: 20,
    vehicles,
    lighting: { amplitude: 0.08, periodS: 40 },
    noise: 4,
  };
}
