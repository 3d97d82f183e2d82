/**
 * Vehicles on the road, as the traffic plugins see them: a DetectionSource (the blob detector by
 * default, a neural detector when one is given) feeding the Tracker, each track mapped to the ground
 * through the homography of 4 reference points: ground position, velocity and speed, a class from
 * its size in metres when the detector gives none, and how long it has stood still.
 *
 * Two things the plain blob detector gets wrong on roads are handled here:
 * - side by side: two vehicles in neighbouring lanes touch in the image and become one blob. Zones
 *   listed in `splitBy` (the lanes) cut the foreground along their shared borders (BlobDetector.cuts);
 * - standing still: a vehicle waiting at a light or parked is absorbed into the background within
 *   seconds. The background does not learn under confirmed vehicles that have driven some distance
 *   (BlobDetector.hold); a blob that never moved (a "ghost" left where a parked car drove off) is
 *   not held, so the background takes it back.
 */
import { z } from 'zod';
import { ConfigError } from '../../../core/errors.js';
import type { Frame, Point } from '../types.js';
import { BlobDetector, markBox, type BlobDetectorOptions } from './blobs.js';
import { calibrateRoadCamera, type RoadCamera } from './calibration.js';
import { bottomCentre, pointInPolygon, pointToPixels } from './geometry.js';
import { GroundPlane, groundVelocity } from './homography.js';
import { ownTop } from './profile.js';
import { courseOffset, fitVehicleClass, fitVehicleMask, groundAxis, laneCuts } from './road.js';
import { Tracker, type Track } from './tracker.js';
import { hostDetectionSource, type Box, type DetectionSource, type ObjectDetection } from './types.js';
import { isVehicleKind, kindOfLabel } from './labels.js';

const npoint = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

/** Typical vehicle sizes in metres: the prototypes a vehicle's image box is compared with. */
export const DEFAULT_VEHICLE_CLASSES = [
  { cls: 'motorbike', lengthM: 1.9, widthM: 0.7, heightM: 1.3 },
  { cls: 'car', lengthM: 4.4, widthM: 1.8, heightM: 1.5 },
  { cls: 'truck', lengthM: 8, widthM: 2.5, heightM: 3.2 },
  { cls: 'bus', lengthM: 11, widthM: 2.5, heightM: 3.2 },
];

/** Config fields every vehicle plugin shares; spread into the plugin's strict config object. */
export const vehicleTrackingShape = {
  ground: z.array(z.strictObject({
    image: npoint.describe('Where the point is in the image, [x, y] normalised 0..1.'),
    ground: z.tuple([z.number(), z.number()]).describe('Where it is on the road, [X, Z] in metres (any origin; X across, Z along the road).'),
  })).length(4).optional()
    .describe('4 reference points on the road: image position [x, y] (0..1) and ground position [X, Z] in metres. Gives sizes, speeds and classes.'),
  classes: z.array(z.strictObject({
    cls: z.string().min(1).max(32).describe('Class name reported in counts and events.'),
    lengthM: z.number().positive().max(40).describe('Typical length, metres.'),
    widthM: z.number().positive().max(6).describe('Typical width, metres.'),
    heightM: z.number().positive().max(6).describe('Typical height, metres.'),
  })).min(1).default(DEFAULT_VEHICLE_CLASSES)
    .describe('Vehicle classes by typical size in metres, used when the detector gives no class: each vehicle takes the class whose 3-D box, placed where the vehicle stands and seen through the camera calibrated from `ground`, best covers its blob (by IoU with the foreground cells; with the image box for a detector that gives boxes only).'),
  minArea: z.number().min(0).max(0.5).default(0.0008).describe('Smallest vehicle, as a share of the frame area.'),
  splitBy: z.array(z.string().min(1)).default([])
    .describe('Zones (the lanes) whose shared borders split the foreground, so vehicles side by side in two lanes stay two.'),
};

/** One vehicle class's typical size. */
export interface VehicleClassSize {
  cls: string;
  lengthM: number;
  widthM: number;
  heightM: number;
}

/** The parsed vehicleTrackingShape fields. */
export interface VehicleTrackingConfig {
  ground?: { image: [number, number]; ground: [number, number] }[];
  classes: VehicleClassSize[];
  minArea: number;
  splitBy: string[];
}

/** One vehicle, updated frame after frame (the same object for the same track). */
export interface Vehicle {
  readonly id: number;
  readonly cls: string;
  readonly confirmed: boolean;
  /** Filtered box, pixels. */
  readonly box: Box;
  /** Bottom-centre of the box (the ground contact), pixels. */
  readonly foot: Point;
  /** Ground position of the foot, metres (with reference points). */
  readonly ground?: [number, number];
  /** Ground velocity, m/s, over the last second (with reference points). */
  readonly velocity?: { vx: number; vz: number };
  readonly speedKmh?: number;
  /** Foot positions after each match, oldest first (bounded). */
  readonly history: readonly { t: number; foot: Point; ground?: [number, number] }[];
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  /** Consecutive frames without a detection. */
  readonly missed: number;
  /** How long it has stayed within `stillRadius` of one spot, ms. */
  readonly stationaryMs: number;
  /**
   * Bumped each time the track is found to have moved on to another vehicle (its foot jumped back
   * against its travel): its history and class vote restart from there. Absent is 0.
   */
  readonly identity?: number;
}

/** How a VehicleTracker is built. */
export interface VehicleTrackerOptions {
  config: VehicleTrackingConfig;
  /** The camera × plugin's zones (normalised), for `splitBy`. */
  zones: Record<string, Point[]>;
  /** Config path of the plugin, for error messages (e.g. `cameras.gate1.plugins.counting.config`). */
  where: string;
  /** Detections come from here; default the host's detector (hostDetectionSource), else a BlobDetector (background on a 2-pixel grid). */
  source?: DetectionSource;
  /** Hand a leaning vehicle's slice that pokes below a vehicle of the next lane back to it, not the whole piece (BlobDetector.splitSlices). Default false. */
  splitSlices?: boolean;
  /** Report the narrower cap over a vehicle's roof as a vehicle of its own (BlobDetector.splitCaps). Default false. */
  splitCaps?: boolean;
  /** The default BlobDetector's options (default VEHICLE_BLOBS); minArea is set from the config all the same. */
  blobs?: BlobDetectorOptions;
  /** Standing within this many metres (pixels / 20 of the frame height without a ground plane) is standing still. Default 1. */
  stillRadiusM?: number;
  /** Rewrites each frame's detections before tracking (e.g. people cut apart, people.ts). Default none. */
  refine?: (detections: ObjectDetection[], frame: Frame) => ObjectDetection[];
  /**
   * Of a labelling detector's boxes (a neural model's), the kinds tracked, the labels mapped to kinds
   * first (kindOfLabel: 'motorcycle' → 'motorbike'); default the vehicle kinds, so a traffic plugin
   * given a COCO model's boxes tracks no people, bicycles or traffic lights. Unlabelled boxes (blobs)
   * are all tracked.
   */
  kinds?: (kind: string) => boolean;
  /**
   * Also fit a moving vehicle's class lying along the ground's Z axis, the road by the reference
   * points' convention, when no `splitBy` lane gives it (see #sizeClass). Default false.
   */
  roadAxis?: boolean;
}

class VehicleRecord implements Vehicle {
  cls = 'vehicle';
  confirmed = false;
  box: Box = { x: 0, y: 0, w: 0, h: 0 };
  foot: Point = [0, 0];
  ground?: [number, number];
  velocity?: { vx: number; vz: number };
  speedKmh?: number;
  history: { t: number; foot: Point; ground?: [number, number] }[] = [];
  firstSeenMs = 0;
  lastSeenMs = 0;
  missed = 0;
  stationaryMs = 0;
  /** Where it stopped and since when. */
  anchor: { at: Point | [number, number]; since: number } | undefined;
  /** Largest distance from its first foot position, pixels: a ghost never moves. */
  travelledPx = 0;
  identity = 0;
  /** Class votes (weighted by fit) from the frames where it was seen whole. */
  readonly votes = new Map<string, number>();
  constructor(readonly id: number) {}
}

/** What depends on the frame size: the plane in pixels, the hold mask and its grid. */
interface SizeState {
  width: number;
  height: number;
  plane?: GroundPlane;
  camera?: RoadCamera;
  hold?: Uint8Array;
  /** The `splitBy` lanes in pixels, each with its long axis on the ground (with a plane). */
  lanes: { polygon: Point[]; axis: [number, number] }[];
  step: number;
  gw: number;
  gh: number;
}

/**
 * The blob detector's settings for vehicles: background on a 2-pixel grid, frames wider than 640 px
 * averaged down first (a car is still dozens of pixels at 640 wide, and the cost per frame stays
 * that of 640×360 whatever the camera sends). minArea is set per frame size.
 */
export const VEHICLE_BLOBS = { minArea: 16, background: { step: 2 }, analysisWidth: 640 } as const;

/** The ground's direction along the road: reference points give [X across, Z along]. */
const ROAD_AXIS = [0, 1] as const;

/** History kept per vehicle: 10 s at 10 fps. */
const HISTORY = 100;

/**
 * A moving vehicle's foot that lands this many metres behind where its speed would put it has not
 * reversed: the blob it was (merged with the vehicle behind, or the nearer one of a pair side by
 * side) lost the vehicle it followed, which left the frame or the merge, and the track now holds the
 * one behind. Vehicles in a queue are at least a car's length apart, foot to foot.
 */
const SWITCH_BACK_M = 4;

/**
 * Whether a track whose last match was `last`, moving at `velocity` (m/s), now stands at `ground` at
 * `t` (ms) so far behind where it should be that it follows another vehicle (SWITCH_BACK_M).
 */
export function switchedVehicle(last: { t: number; ground?: [number, number] } | undefined, velocity: { vx: number; vz: number } | undefined, t: number, ground: [number, number] | undefined): boolean {
  if (!last?.ground || !velocity || !ground) return false;
  if (Math.hypot(velocity.vx, velocity.vz) < 1) return false;
  return courseOffset(last.ground, velocity, (t - last.t) / 1000, ground)!.along < -SWITCH_BACK_M;
}

/** Tracks vehicles on the road; one per camera × plugin, fed every frame the plugin receives. */
export class VehicleTracker {
  readonly tracker: Tracker;
  readonly source: DetectionSource;
  readonly #blobs: BlobDetector | undefined;
  readonly #opts: VehicleTrackerOptions;
  readonly #records = new Map<number, VehicleRecord>();
  #removed: number[] = [];
  #removedVehicles: Vehicle[] = [];
  #size: SizeState | undefined;

  constructor(opts: VehicleTrackerOptions) {
    this.#opts = opts;
    for (const name of opts.config.splitBy) {
      if (!opts.zones[name]) throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(opts.zones).join(', ') || 'none'})`, `${opts.where}.splitBy`);
    }
    // Blob scores are fill ratios (0.3-0.9 for vehicles in perspective), not confidences: a lower
    // first-pass threshold than ByteTrack's 0.5; boxes widened for the IoU, since blobs jitter.
    this.tracker = new Tracker({ iouBuffer: 0.5, highThreshold: 0.3, historyLength: 64 });
    const source = opts.source ?? hostDetectionSource();
    if (source) {
      this.source = source;
    } else {
      this.#blobs = new BlobDetector(opts.blobs ?? VEHICLE_BLOBS);
      this.#blobs.splitSlices = opts.splitSlices ?? false;
      this.#blobs.splitCaps = opts.splitCaps ?? false;
      this.source = this.#blobs;
    }
  }

  /** The ground plane (after the first frame, with reference points). */
  get plane(): GroundPlane | undefined {
    return this.#size?.plane;
  }

  /** Ids of vehicles dropped by the last update. */
  get removed(): readonly number[] {
    return this.#removed;
  }

  /** The vehicles dropped by the last update, as they were last seen. */
  get removedVehicles(): readonly Vehicle[] {
    return this.#removedVehicles;
  }

  /** Ground position (metres) of an image point (pixels), or undefined (no plane, above the horizon). */
  toGround(p: Point): [number, number] | undefined {
    const g = this.#size?.plane?.imageToGround(p);
    return g ? [g[0], g[1]] : undefined;
  }

  /** Detects and tracks in `frame` (await it inside onFrame); resolves to the live vehicles, confirmed or not. */
  async update(frame: Frame): Promise<readonly Vehicle[]> {
    const s = this.#prepare(frame);
    if (s.hold && this.#blobs) this.#fillHold(s);
    const found = this.#kept(await this.source.detect(frame));
    const detections = this.#opts.refine ? this.#opts.refine(found, frame) : found;
    const tracks = this.tracker.update(detections, frame.capturedAt);
    this.#removed = this.tracker.removed.map((t) => t.id);
    this.#removedVehicles = [];
    for (const id of this.#removed) {
      const v = this.#records.get(id);
      if (v) this.#removedVehicles.push(v);
      this.#records.delete(id);
    }
    const out: Vehicle[] = [];
    for (const t of tracks) {
      if (t.state === 'lost' && t.missed > 0 && t.hits < this.tracker.options.minHits) continue;
      out.push(this.#view(t, s.plane, frame.height, s));
    }
    return out;
  }

  /** Frees the detector. */
  close(): void {
    this.source.close?.();
  }

  /** Labelled detections of the kinds tracked, labelled by kind (see VehicleTrackerOptions.kinds); unlabelled ones as they are. */
  #kept(found: ObjectDetection[]): ObjectDetection[] {
    if (!found.some((d) => d.label !== undefined)) return found;
    const keep = this.#opts.kinds ?? isVehicleKind;
    const out: ObjectDetection[] = [];
    for (const d of found) {
      if (d.label === undefined) out.push(d);
      else {
        const kind = kindOfLabel(d.label);
        if (keep(kind)) out.push(kind === d.label ? d : { ...d, label: kind });
      }
    }
    return out;
  }

  /** Majority vote of the fitted class over the frames where the vehicle was seen whole and matched. */
  #sizeClass(v: VehicleRecord, t: Track, s: SizeState): string {
    const cam = s.camera;
    const b = t.detected;
    const whole = b.x > 1 && b.y > 1 && b.x + b.w < s.width - 1 && b.y + b.h < s.height - 1;
    if (cam && v.ground && t.missed === 0 && whole) {
      const moving = v.velocity && Math.hypot(v.velocity.vx, v.velocity.vz) > 1;
      const heading: [number, number] = moving ? [v.velocity!.vx, v.velocity!.vz] : [0, 1];
      // A blob can carry the tops of farther vehicles above its own roof (profile.ts); a detector's boxes are its own.
      const fg = this.#blobs?.foreground;
      const grid = { step: s.step, width: s.gw, height: s.gh };
      const own = fg ? ownTop(fg, grid, b) : b;
      // The last second's velocity is off after a merge or a split moved the box: the lane it drives
      // in is a second opinion on its heading.
      // Without lanes, the road's axis is that second opinion (roadAxis): a vehicle that entered cut
      // by the frame's bottom edge had its foot held on the last row, so its first second's velocity
      // is slow and slanted, and a bus laid along it fits worse than a truck.
      const lane = moving ? s.lanes.find((l) => pointInPolygon(v.foot, l.polygon)) : undefined;
      const headings: (readonly [number, number])[] = lane ? [heading, lane.axis] : moving && this.#opts.roadAxis ? [heading, ROAD_AXIS] : [heading];
      // The blob's own cells against each prototype's silhouette when there is a foreground mask
      // (a piece of the next vehicle touching it widens the box but adds few cells); the box otherwise.
      const fit = fg
        ? fitVehicleMask(cam, v.ground, headings, fg, grid, own, this.#opts.config.classes, s.width, s.height)
        : fitVehicleClass(cam, v.ground, headings, own, this.#opts.config.classes, s.width, s.height);
      // A blob that fits a prototype closely is a clean view; one merged with the vehicle behind, or
      // cut by an occluder, fits every prototype poorly and gets little say.
      const weight = fit.iou >= 0.9 ? 1 : fit.iou >= 0.75 ? 0.05 : 0.001;
      v.votes.set(fit.cls, (v.votes.get(fit.cls) ?? 0) + weight);
    }
    let cls = v.cls;
    let most = 0;
    for (const [c, n] of v.votes) if (n > most) [cls, most] = [c, n];
    return most > 0 ? cls : cam ? cls : 'vehicle';
  }

  #view(t: Track, plane: GroundPlane | undefined, height: number, s: SizeState): Vehicle {
    let v = this.#records.get(t.id);
    if (!v) {
      v = new VehicleRecord(t.id);
      v.firstSeenMs = t.firstSeenMs;
      this.#records.set(t.id, v);
    }
    v.confirmed = t.state !== 'tentative';
    v.box = t.box;
    v.foot = bottomCentre(t.box);
    v.missed = t.missed;
    v.lastSeenMs = t.lastSeenMs;
    const g = plane?.imageToGround(v.foot);
    v.ground = g ? [g[0], g[1]] : undefined;
    if (t.missed === 0) {
      if (switchedVehicle(v.history.at(-1), v.velocity, t.lastSeenMs, v.ground)) {
        v.identity++;
        v.history = [];
        v.votes.clear();
      }
      v.history.push({ t: t.lastSeenMs, foot: v.foot, ground: v.ground });
      if (v.history.length > HISTORY) v.history.splice(0, v.history.length - HISTORY);
      const first = v.history[0]!.foot;
      v.travelledPx = Math.max(v.travelledPx, Math.hypot(v.foot[0] - first[0], v.foot[1] - first[1]));
    }
    if (plane) {
      const vel = groundVelocity(plane, t.history, { windowMs: 1000, minSamples: 4 });
      v.velocity = vel ? { vx: vel.vx, vz: vel.vy } : undefined;
      v.speedKmh = vel ? Math.hypot(vel.vx, vel.vy) * 3.6 : undefined;
    }
    v.cls = t.label ?? this.#sizeClass(v, t, s);
    // Standing still: within the radius of where it stopped.
    const here: [number, number] = v.ground ?? [v.foot[0], v.foot[1]];
    const radius = v.ground ? (this.#opts.stillRadiusM ?? 1) : height / 20;
    if (!v.anchor || Math.hypot(here[0] - v.anchor.at[0], here[1] - v.anchor.at[1]) > radius) v.anchor = { at: here, since: t.lastSeenMs };
    v.stationaryMs = t.lastSeenMs - v.anchor.since;
    return v;
  }

  /**
   * Holds the background under confirmed vehicles that drove at least half their box height, moving
   * or stopped. One moving vehicle does not stay on a pixel long enough to be learnt, but a busy lane
   * does: the colour of the many dark cars that cover a pixel a tenth of the time becomes one of its
   * background modes (MOG2 keeps modes up to 90 % of the weight), and the next dark car there is
   * invisible. Early in a stream, when the rate is high, a slow car's uniform body is learnt as it
   * passes and the car falls apart into parts counted twice. A vehicle that never drove is left out:
   * it may be a ghost, which must fade.
   */
  #fillHold(s: SizeState): void {
    const hold = s.hold!;
    hold.fill(0);
    for (const v of this.#records.values()) {
      if (!v.confirmed || v.travelledPx < v.box.h / 2) continue;
      markBox(hold, { step: s.step, width: s.gw, height: s.gh }, v.box);
    }
  }

  #prepare(frame: Frame): SizeState {
    const s = this.#size;
    if (s && s.width === frame.width && s.height === frame.height) return s;
    const { width, height } = frame;
    const cfg = this.#opts.config;
    const plane = cfg.ground
      ? GroundPlane.fromReferencePoints(cfg.ground.map((r) => ({ image: pointToPixels(r.image, width, height), ground: r.ground })), `${this.#opts.where}.ground`)
      : undefined;
    const blobs = this.#blobs;
    const grid = blobs?.gridFor(width, height) ?? { step: 2, width: Math.ceil(width / 2), height: Math.ceil(height / 2) };
    const splitBy = cfg.splitBy.map((n) => this.#opts.zones[n]!.map((p) => pointToPixels(p, width, height)));
    if (blobs) blobs.cuts = laneCuts(splitBy, grid);
    const camera = plane ? calibrateRoadCamera(plane, width, height) : undefined;
    const lanes = plane ? splitBy.flatMap((polygon) => {
      const axis = groundAxis(plane, polygon);
      return axis ? [{ polygon, axis }] : [];
    }) : [];
    const next = { width, height, plane, camera, lanes, step: grid.step, gw: grid.width, gh: grid.height, hold: blobs ? new Uint8Array(grid.width * grid.height) : undefined };
    if (blobs) {
      blobs.minArea = Math.max(16, cfg.minArea * width * height);
      blobs.hold = next.hold;
    }
    this.#size = next;
    return next;
  }
}
