/**
 * Objects for the public-safety plugins (intrusion, object statistics, crowd): people and vehicles,
 * tracked, each with a kind — 'person' or a vehicle class (motorbike, car, truck, bus) — and its real
 * size in metres, with objects whose size does not fit their kind left out.
 *
 * Built on the vehicle tracker (vehicles.ts): the same DetectionSource → Tracker loop, the same
 * background hold under objects that moved (a person who walks into a zone and stands there is not
 * learnt into the background), and the same classification by fitting 3-D prototypes through the
 * camera calibrated from the `ground` reference points (road.ts fitVehicleMask). A person is one
 * more prototype, an upright 0.5 × 0.5 × 1.7 m box; two people walking side by side or one behind
 * the other make one blob, so two more 'person' prototypes cover a pair (1.2 m across, or 1.5 m
 * along the way they walk); people side by side are first cut apart where the blob's top dips
 * between their heads (people.ts), so that each is tracked and counted on their own. What the vehicle tracker assumes of vehicles does not get in the way of
 * people: lanes (`splitBy`) are left empty; the class fit takes the heading from the velocity only
 * above 1 m/s and tries the road's axis otherwise, which a near-square person prototype does not
 * care about; and its "switched vehicle" test needs a jump of 4 m backwards against a speed of at
 * least 1 m/s, which a person walking, stopping and turning does not make.
 *
 * Size in perspective: the foot point (the box's bottom centre) is put on the ground; the object's
 * height is that of an upright pole standing there whose top reaches the box's top edge in the image
 * (exact through the calibrated camera), and its width is the ground distance between the box's two
 * bottom corners. For a person that is their height and breadth; a vehicle's box also takes in its
 * far end, so its "height" so measured is larger than its roof (a car 2–3.5 m from a 6 m pole) and
 * the default ranges allow for that. The median over the frames where the object was seen whole is
 * compared with the range of its kind (`sizes`), and so is the height up to the frame's top edge in
 * the frames where only that edge cut it, as a lower bound (partialSize); without reference points the box's height as a
 * share of the frame height is compared with `imageSizes` instead, and a blob is a 'person' when it
 * stands at least UPRIGHT times as tall as it is wide, else a 'vehicle'.
 *
 * Pluggable detections: a detector that labels its boxes (a neural detector, issue 6) replaces the
 * blob detector through `source`; the label then is the kind (kindOfLabel maps the usual names:
 * 'motorcycle' → 'motorbike', 'pedestrian' → 'person', ...), and the size filter still applies.
 */
import { z } from 'zod';
import type { Frame, Point } from '../types.js';
import type { RoadCamera } from './calibration.js';
import { calibrateRoadCamera } from './calibration.js';
import type { GroundPlane } from './homography.js';
import type { BlobDetector } from './blobs.js';
import { joinStacked, splitPeople } from './people.js';
import { hostDetectionSource, type Box, type DetectionSource, type ObjectDetection } from './types.js';
import { isVehicleKind, kindOfLabel, OBJECT_KINDS, VEHICLE_KINDS, type ObjectKind } from './labels.js';

export { isVehicleKind, kindOfLabel, OBJECT_KINDS, VEHICLE_KINDS, type ObjectKind } from './labels.js';
import { DEFAULT_VEHICLE_CLASSES, VEHICLE_BLOBS, VehicleTracker, vehicleTrackingShape, type Vehicle, type VehicleClassSize } from './vehicles.js';

/**
 * The prototypes objects are fitted to: a person, two people side by side (across their way) and one
 * behind the other (along it), then the vehicle classes. The pairs are 'person' too: they are people.
 */
export const DEFAULT_OBJECT_CLASSES: readonly VehicleClassSize[] = [
  { cls: 'person', lengthM: 0.5, widthM: 0.5, heightM: 1.7 },
  { cls: 'person', lengthM: 0.5, widthM: 1.2, heightM: 1.7 },
  { cls: 'person', lengthM: 1.5, widthM: 0.5, heightM: 1.7 },
  ...DEFAULT_VEHICLE_CLASSES,
];

/** The range of sizes, metres, an object of one kind may have (see the file comment for how they are measured). */
export interface SizeRange {
  minHeightM: number;
  maxHeightM: number;
  minWidthM: number;
  maxWidthM: number;
}

/**
 * Default size ranges. A person: 1.0–2.4 m tall (a child to a tall adult; a dog or a bird is
 * smaller), 0.2–1.8 m wide (one person to a pair side by side). Vehicles: the measured height takes
 * in the far end (see the file comment), so the upper bounds are generous; the lower ones reject a
 * dog, a rolling ball or a bird on the ground.
 */
export const DEFAULT_OBJECT_SIZES: Readonly<Record<(typeof OBJECT_KINDS)[number], SizeRange>> = {
  person: { minHeightM: 1.0, maxHeightM: 2.4, minWidthM: 0.2, maxWidthM: 1.8 },
  motorbike: { minHeightM: 0.9, maxHeightM: 4, minWidthM: 0.4, maxWidthM: 3.5 },
  car: { minHeightM: 1.2, maxHeightM: 6, minWidthM: 1.2, maxWidthM: 6 },
  truck: { minHeightM: 2, maxHeightM: 9, minWidthM: 1.8, maxWidthM: 10 },
  bus: { minHeightM: 2, maxHeightM: 9, minWidthM: 1.8, maxWidthM: 13 },
};

const sizeRange = (d: SizeRange, kind: string) => z.strictObject({
  minHeightM: z.number().min(0).max(20).default(d.minHeightM).describe(`Smallest ${kind} height, metres.`),
  maxHeightM: z.number().positive().max(50).default(d.maxHeightM).describe(`Largest ${kind} height, metres (measured up to the box top, so a vehicle's far end counts).`),
  minWidthM: z.number().min(0).max(20).default(d.minWidthM).describe(`Smallest ${kind} width on the ground, metres.`),
  maxWidthM: z.number().positive().max(50).default(d.maxWidthM).describe(`Largest ${kind} width on the ground, metres.`),
}).refine((r) => r.minHeightM <= r.maxHeightM && r.minWidthM <= r.maxWidthM, { message: 'min must not exceed max' });

/** Config fields every object plugin shares; spread into the plugin's strict config object. */
export const objectTrackingShape = {
  ground: vehicleTrackingShape.ground,
  sizes: z.strictObject({
    person: sizeRange(DEFAULT_OBJECT_SIZES.person, 'person').prefault({}).describe('Size range of a person.'),
    motorbike: sizeRange(DEFAULT_OBJECT_SIZES.motorbike, 'motorbike').prefault({}).describe('Size range of a motorbike.'),
    car: sizeRange(DEFAULT_OBJECT_SIZES.car, 'car').prefault({}).describe('Size range of a car.'),
    truck: sizeRange(DEFAULT_OBJECT_SIZES.truck, 'truck').prefault({}).describe('Size range of a truck.'),
    bus: sizeRange(DEFAULT_OBJECT_SIZES.bus, 'bus').prefault({}).describe('Size range of a bus.'),
  }).prefault({}).describe('Size filters in perspective (with `ground`): the real height and width, metres, each kind may have; objects outside are ignored (animals, birds, lighting changes).'),
  imageSizes: z.strictObject({
    minHeight: z.number().min(0).max(1).default(0.04).describe('Smallest object height, as a share of the frame height.'),
    maxHeight: z.number().min(0).max(1).default(0.8).describe('Largest object height, as a share of the frame height.'),
  }).refine((r) => r.minHeight <= r.maxHeight, { message: 'minHeight must not exceed maxHeight', path: ['minHeight'] }).prefault({})
    .describe('Size filters without `ground`: the box height as a share of the frame height.'),
  minArea: z.number().min(0).max(0.5).default(0.0002).describe('Smallest blob, as a share of the frame area (a person 40 m away is about 0.0003).'),
};

/** The parsed objectTrackingShape fields. */
export interface ObjectTrackingConfig {
  ground?: { image: [number, number]; ground: [number, number] }[];
  sizes: Record<(typeof OBJECT_KINDS)[number], SizeRange>;
  imageSizes: { minHeight: number; maxHeight: number };
  minArea: number;
}

/** One tracked object, updated frame after frame (the same object for the same track). */
export interface TrackedObject {
  /** Track id, unique within the tracker, never reused. */
  readonly id: number;
  /** See ObjectKind: a vote over the frames, so it may change in the first frames of a track. */
  readonly kind: ObjectKind;
  /** Whether the track is confirmed (matched several frames running). */
  readonly confirmed: boolean;
  /** Filtered box, pixels. */
  readonly box: Box;
  /**
   * Where it stands, pixels: the bottom-centre of the box, or, for a person whose lower part the
   * foreground lost (legs the colour of the ground, or behind something), the point under their head
   * at their measured height.
   */
  readonly foot: Point;
  /** Ground position [X, Z] of the foot, metres (with reference points). */
  readonly ground?: [number, number];
  /** Ground velocity, m/s, over the last second (with reference points). */
  readonly velocity?: { vx: number; vz: number };
  /** Median measured height and ground width, metres (with reference points, once seen whole). */
  readonly heightM?: number;
  readonly widthM?: number;
  /**
   * How much of it the frame shows (this frame's box): 'whole', clear of every edge; 'top', cut by
   * the top edge only (its foot and width are in view, not its height); 'cut', by a side or the bottom.
   */
  readonly view: FrameView;
  /** `foot` (and `ground`, `view`) after each match, oldest first (bounded, ~10 s). */
  readonly history: readonly { t: number; foot: Point; ground?: [number, number]; view: FrameView }[];
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  /** Consecutive frames without a detection (the box is the prediction meanwhile). */
  readonly missed: number;
  /** How long it has stayed within 1 m (frame height / 20 without a ground plane) of one spot, ms. */
  readonly stationaryMs: number;
}

/** How much of an object's box the frame shows (TrackedObject.view). */
export type FrameView = 'whole' | 'top' | 'cut';

/** How an ObjectTracker is built. */
export interface ObjectTrackerOptions {
  config: ObjectTrackingConfig;
  /** Config path of the plugin, for error messages (e.g. `cameras.park1.plugins.intrusion.config`). */
  where: string;
  /** Detections come from here; default the host's detector (hostDetectionSource), else a BlobDetector (vehicles.ts OBJECT_BLOBS). Labelled detections give the kind. */
  source?: DetectionSource;
}

/**
 * The blob detector's settings for objects: those of vehicles (VEHICLE_BLOBS), with an opening of
 * radius OBJECT_OPEN_RADIUS: a person's legs are two strips 0.14 m wide, 3–6 pixels at 20–40 m at
 * 640 wide; the vehicles' 3×3-cell opening erased them, so the box lost its bottom half and the foot
 * point stood at the hips (farther on the ground than the person, and half their height). Specks
 * of noise that no opening removes are smaller than `minArea`, or than a person in `sizes`.
 */
export const OBJECT_BLOBS = { ...VEHICLE_BLOBS, openRadius: 0 } as const;

/** Without reference points, a blob at least this many times as tall as wide is a person. */
export const UPRIGHT = 1.4;

/**
 * A person whose box is shorter than this share of the height in pixels a person of their measured
 * height would have, standing where the box's bottom is, has lost their lower part from the
 * foreground: the box's bottom is not their foot.
 */
const CUT_OFF = 0.8;
/**
 * ...but a box shorter than this share of the tallest the track has been seen (the upper quartile of
 * its heights) is no head and body: it is something else the track was handed to, and is measured
 * as it is. (A walker crossing the lawn passed a dog and their track took it; as a 'cut' person the
 * dog kept a height of the walker's and stood in the zone as an intruder. Its samples while the two
 * were one blob had pulled the median down, so the test is against the upper quartile. Someone whose
 * trousers and shoes have the lawn's colour keeps 40 % of their height in view: still cut.)
 */
const CUT_MIN = 0.3;
/**
 * The tallest a person is taken to be for that test, metres. A box that lost part of the legs puts
 * the foot farther away, where the same head row makes a taller pole (vtest: a man of about 1.75 m
 * walking beside the lawn measured 1.98 m), and against that height his box, a little short, was
 * "cut": his foot was moved a metre onto the lawn.
 */
const CUT_TALL_M = 1.8;

/**
 * A short box whose bottom is within this share of the person's height in pixels of where their foot
 * was a moment ago (moved on at their pace) still shows the foot: it lost its top, not its legs.
 */
const FOOT_KEPT = 0.1;
/** The foot of the last frame predicts this one's for at most this long, ms. */
const FOOT_MEMORY_MS = 1000;

/**
 * Whether the bottom of a person's box, at image row `bottom`, is where their foot was last seen
 * (`last`, moved on by `velocity` to `now`), within FOOT_KEPT of their height `tallPx` in pixels. A
 * box short of a person's height has lost part of them; when its bottom stays on the foot's path, the
 * part lost is the top (a shirt the colour of the wall behind, against a bright sky), and the foot
 * must not be moved under the head: street scene, a man walking 33 m away whose torso faded for a
 * few frames had his foot put 5 m nearer, inside a counting zone he never entered. A foot that was
 * itself put under the head (legs lost) is far below a box bottom at the knees, so the cut goes on.
 */
export function footStays(cam: RoadCamera, last: { t: number; ground?: [number, number] } | undefined, velocity: { vx: number; vz: number } | undefined, now: number, bottom: number, tallPx: number): boolean {
  if (!last?.ground || now - last.t > FOOT_MEMORY_MS || now <= last.t) return false;
  const dt = (now - last.t) / 1000;
  const x = last.ground[0] + (velocity?.vx ?? 0) * dt;
  const z = last.ground[1] + (velocity?.vz ?? 0) * dt;
  const row = cam.project(x, z, 0)?.[1];
  return row !== undefined && Math.abs(bottom - row) <= FOOT_KEPT * tallPx;
}

/** Ground speed, m/s, above which an object is a vehicle under way, not someone running (splitGroups leaves its blob whole). */
const VEHICLE_PACE = 4;

/** Foot positions kept per object: 10 s at 10 fps. */
const HISTORY = 100;

/** Size samples kept per object (the median is over these): 3 s at 10 fps. */
const SIZE_SAMPLES = 30;
/** Size samples an object needs before it is judged (and reported). */
const MIN_SIZE_SAMPLES = 3;

/**
 * The height, metres, of an upright pole standing at ground (x, z) whose top appears at image row
 * `topY`; undefined when the camera cannot tell (the row is not on the pole's image). The pole's
 * image row is a projective function of its height, y(h) = (A + B·h) / (1 + D·h), fixed exactly by
 * its rows at 0, 1 and 2 m.
 */
export function poleHeightM(cam: RoadCamera, x: number, z: number, topY: number): number | undefined {
  const p0 = cam.project(x, z, 0);
  const p1 = cam.project(x, z, 1);
  const p2 = cam.project(x, z, 2);
  if (!p0 || !p1 || !p2) return undefined;
  const [y0, y1, y2] = [p0[1], p1[1], p2[1]];
  if (!(y1 - y2 !== 0)) return undefined;
  const D = (y2 + y0 - 2 * y1) / (2 * (y1 - y2));
  const B = y1 * (1 + D) - y0;
  const den = B - topY * D;
  if (den === 0) return undefined;
  const h = (topY - y0) / den;
  return Number.isFinite(h) && h >= 0 ? h : undefined;
}

/**
 * Whether an object's height fits `range`, from the median over the views where it was whole
 * (`wholeM`) and over those cut by the frame's top edge (`atLeastM`, each the height up to that edge:
 * a lower bound). At 5 fps a bus driving down the street from under this camera is whole for two
 * frames, then its roof leaves the top of the view: those views still show it is no taller than its
 * kind can be. With no whole view, the lower bound must itself reach the kind's least height.
 */
export function partialSize(wholeM: number | undefined, atLeastM: number | undefined, range: SizeRange): boolean {
  if (atLeastM !== undefined && atLeastM > range.maxHeightM) return false;
  if (wholeM !== undefined) return wholeM >= range.minHeightM && wholeM <= range.maxHeightM;
  return atLeastM !== undefined && atLeastM >= range.minHeightM;
}

/** A vehicle whose class is not known yet (no vote so far) may have the size of any vehicle class. */
function anyVehicle(sizes: ObjectTrackingConfig['sizes']): SizeRange {
  const r = VEHICLE_KINDS.map((k) => sizes[k]);
  return {
    minHeightM: Math.min(...r.map((s) => s.minHeightM)),
    maxHeightM: Math.max(...r.map((s) => s.maxHeightM)),
    minWidthM: Math.min(...r.map((s) => s.minWidthM)),
    maxWidthM: Math.max(...r.map((s) => s.maxWidthM)),
  };
}

/**
 * The image row, below `fromY`, where a person `heightM` tall must stand (on the image column x) for
 * the top of their head to appear at row `topY`; at most `fromY` + `frameHeight`. The head's row
 * moves down monotonically as the person stands nearer (the camera is above their head), so the
 * row is found by bisection.
 */
export function footUnderHead(cam: RoadCamera, toGround: (p: Point) => [number, number] | undefined, x: number, topY: number, heightM: number, fromY: number, frameHeight: number): number {
  const headRow = (y: number): number | undefined => {
    const g = toGround([x, y]);
    return g ? cam.project(g[0], g[1], heightM)?.[1] : undefined;
  };
  let lo = fromY;
  let hi = fromY + frameHeight;
  const top = headRow(hi);
  if (top === undefined || top < topY) return hi;
  for (let i = 0; i < 24; i++) {
    const mid = (lo + hi) / 2;
    const row = headRow(mid);
    if (row === undefined || row < topY) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Whether a box `h` px tall with its foot at row `footY` (ground `g`) is shorter than CUT_MIN of the
 * tallest the track has been (the upper quartile of its heights, at most CUT_TALL_M; `tall` before
 * any sample): no head and body (see CUT_MIN).
 */
function noTorso(r: ObjectRecord, cam: RoadCamera, g: readonly [number, number], footY: number, h: number, tall: number): boolean {
  const n = Math.min(r.samples, SIZE_SAMPLES);
  const tallest = n > 0 ? Math.min(quantile(copyInto(scratchH, r.heights, n), n, 0.75), CUT_TALL_M) : tall;
  const top = cam.project(g[0], g[1], tallest);
  return top === undefined || h < CUT_MIN * (footY - top[1]);
}

/** The q-quantile (0..1, linear between ranks) of the first n values of a (sorted in place). */
function quantile(a: Float64Array, n: number, q: number): number {
  const s = a.subarray(0, n).sort();
  const at = q * (n - 1);
  const lo = Math.floor(at);
  return lo + 1 < n ? s[lo]! + (at - lo) * (s[lo + 1]! - s[lo]!) : s[lo]!;
}

/** Median of the first n values of a (sorted in place). */
function median(a: Float64Array, n: number): number {
  return quantile(a, n, 0.5);
}

/** What ObjectTracker keeps per track beyond the Vehicle. */
class ObjectRecord implements TrackedObject {
  kind: ObjectKind = 'vehicle';
  heightM?: number;
  widthM?: number;
  foot: Point;
  ground?: [number, number];
  view: FrameView = 'cut';
  history: { t: number; foot: Point; ground?: [number, number]; view: FrameView }[] = [];
  /** Ring of size samples: height (metres or share of frame), width (metres or pixels). */
  readonly heights = new Float64Array(SIZE_SAMPLES);
  readonly widths = new Float64Array(SIZE_SAMPLES);
  samples = 0;
  /** Ring of samples seen cut by the frame's top edge only: the height to that edge (a lower bound), the width. */
  readonly lowHeights = new Float64Array(SIZE_SAMPLES);
  readonly lowWidths = new Float64Array(SIZE_SAMPLES);
  lowSamples = 0;
  /** Whether the median size fits the kind (undefined until MIN_SIZE_SAMPLES). */
  fits: boolean | undefined;
  /**
   * The last detection whose box had a person's full height: where the foot surely was. A short box
   * is judged against it (footStays), not against the frame before, which may itself have been
   * short: a person standing still whose legs fade into the background over a few frames has a box
   * bottom that rises a little each frame, and judged frame by frame it never jumps (the quiet
   * scene: a foot that drifted 3.5 m over a fence and raised a tripwire). The foot is moved on at
   * the velocity the track had then: once the box lost the legs, the tracker's velocity follows its
   * bottom up the image.
   */
  fullFoot?: { t: number; ground: [number, number]; velocity?: { vx: number; vz: number } };
  constructor(public v: Vehicle) {
    this.foot = v.foot;
    this.ground = v.ground;
  }
  get id() { return this.v.id; }
  get confirmed() { return this.v.confirmed; }
  get box() { return this.v.box; }
  get velocity() { return this.v.velocity; }
  get firstSeenMs() { return this.v.firstSeenMs; }
  get lastSeenMs() { return this.v.lastSeenMs; }
  get missed() { return this.v.missed; }
  get stationaryMs() { return this.v.stationaryMs; }
}

/**
 * Tracks people and vehicles; one per camera × plugin, fed every frame the plugin receives.
 *
 *   const objects = new ObjectTracker({ config: ctx.config, where });
 *   onFrame: for (const o of await objects.update(frame)) if (o.kind === 'person') ...
 *            for (const o of objects.removed) ...   // tracks that ended this frame, last seen
 */
export class ObjectTracker {
  readonly #vehicles: VehicleTracker;
  readonly #config: ObjectTrackingConfig;
  readonly #records = new Map<number, ObjectRecord>();
  #removed: TrackedObject[] = [];
  #all: TrackedObject[] = [];
  #camera: { plane: GroundPlane; cam: RoadCamera | undefined; width: number; height: number } | undefined;

  constructor(opts: ObjectTrackerOptions) {
    this.#config = opts.config;
    const source = opts.source ?? hostDetectionSource();
    this.#vehicles = new VehicleTracker({
      config: { ground: opts.config.ground, classes: [...DEFAULT_OBJECT_CLASSES], minArea: opts.config.minArea, splitBy: [] },
      // No lanes here: a bus that entered cut by the frame's edge is fitted along the road as well.
      roadAxis: true,
      zones: {},
      where: opts.where,
      ...(source ? { source } : {}),
      // Every kind a labelling detector names: people, vehicles, and its own labels (a zone may watch for dogs).
      kinds: () => true,
      blobs: OBJECT_BLOBS,
      // A detector's own boxes are its own; only blobs can hold several people.
      ...(source ? {} : { refine: (d: ObjectDetection[], f: Frame) => this.#splitGroups(d, f) }),
    });
  }

  /** The detection source (the BlobDetector unless one was given). */
  get source(): DetectionSource {
    return this.#vehicles.source;
  }

  /** The ground plane (after the first frame, with reference points). */
  get plane(): GroundPlane | undefined {
    return this.#vehicles.plane;
  }

  /**
   * Tracks that ended with the last update, as they were last seen, if they were ever reported
   * (confirmed and of a size that fits their kind): where an object is counted once.
   */
  get removed(): readonly TrackedObject[] {
    return this.#removed;
  }

  /** Every live track of the last update, including tentative ones and those whose size does not fit (for overlays and tests). */
  get all(): readonly TrackedObject[] {
    return this.#all;
  }

  /** Ground position (metres) of an image point (pixels), or undefined (no plane, above the horizon). */
  toGround(p: Point): [number, number] | undefined {
    return this.#vehicles.toGround(p);
  }

  /**
   * Detects and tracks in `frame` (await it inside onFrame). Resolves to the objects that are
   * confirmed and whose measured size fits their kind; `all` has the rest.
   */
  async update(frame: Frame): Promise<readonly TrackedObject[]> {
    const vehicles = await this.#vehicles.update(frame);
    const cam = this.#cameraFor(frame);
    this.#removed = [];
    for (const id of this.#vehicles.removed) {
      const r = this.#records.get(id);
      if (r && r.fits && r.v.confirmed) this.#removed.push(r);
      this.#records.delete(id);
    }
    const out: TrackedObject[] = [];
    this.#all = [];
    for (const v of vehicles) {
      let r = this.#records.get(v.id);
      if (!r) {
        r = new ObjectRecord(v);
        this.#records.set(v.id, r);
      }
      r.v = v;
      this.#measure(r, frame, cam);
      this.#all.push(r);
      if (v.confirmed && r.fits) out.push(r);
    }
    return out;
  }

  /** Frees the detector. */
  close(): void {
    this.#vehicles.close();
  }

  /**
   * The object's foot for this frame, then its size sample (when seen whole and matched), its kind
   * and whether its size fits. A person whose box is much shorter than their measured height has
   * lost their lower part (legs the colour of the ground, or behind a bench or a car): the foot is
   * then put where a person of that height would stand for the head to be where it is (footUnderHead),
   * and the frame gives no size sample.
   */
  #measure(r: ObjectRecord, frame: Frame, cam: RoadCamera | undefined): void {
    const v = r.v;
    const b = v.box;
    const { width, height } = frame;
    r.foot = v.foot;
    r.ground = v.ground;
    let cut = false;
    if (cam && v.ground && r.kind === 'person' && r.fits && r.heightM !== undefined) {
      // In pixels, not metres: a foot placed too high maps farther away, where the same head row
      // makes a taller pole, so the height in metres hides most of the cut.
      // The measured height is taken at most CUT_TALL_M: it comes out tall exactly when the legs are
      // partly lost, and a foot moved down by that much lands on ground the person never stood on.
      const tall = Math.min(r.heightM, CUT_TALL_M);
      const head = cam.project(v.ground[0], v.ground[1], tall);
      const tallPx = head ? v.foot[1] - head[1] : 0;
      const full = head !== undefined && b.h >= CUT_OFF * tallPx;
      if (full && v.missed === 0) r.fullFoot = { t: v.lastSeenMs, ground: v.ground, ...(r.velocity ? { velocity: r.velocity } : {}) };
      if (head && !full && !noTorso(r, cam, v.ground, v.foot[1], b.h, tall) && !footStays(cam, r.fullFoot, r.fullFoot?.velocity, v.lastSeenMs, v.foot[1], tallPx)) {
        const y = footUnderHead(cam, (p) => this.toGround(p), b.x + b.w / 2, b.y, tall, b.y + b.h, height);
        const g = this.toGround([b.x + b.w / 2, y]);
        if (g) {
          cut = true;
          r.foot = [b.x + b.w / 2, y];
          r.ground = g;
        }
      }
    }
    // A box cut by the frame's bottom edge has its bottom on the frame's boundary, which is also the
    // boundary of every zone drawn to the frame's edge: there pointInPolygon says in or out by
    // rounding; and a person so cut whose foot was put under their head stands below the frame. The
    // foot is kept at the last row's centre at most, inside the frame (vtest: a woman on the lawn,
    // cut at the knees by the bottom edge, was 'outside' for 3 s and made a second visit).
    if (r.foot[1] > height - 0.5) {
      r.foot = [r.foot[0], height - 0.5];
      if (cam) r.ground = this.toGround(r.foot);
    }
    const sides = b.x > 1 && b.x + b.w < width - 1 && b.y + b.h < height - 1;
    const whole = sides && b.y > 1;
    r.view = whole ? 'whole' : sides ? 'top' : 'cut';
    if (v.missed === 0) {
      r.history.push({ t: v.lastSeenMs, foot: r.foot, ground: r.ground, view: r.view });
      if (r.history.length > HISTORY) r.history.splice(0, r.history.length - HISTORY);
    }
    if (v.missed === 0 && sides && !whole && !cut && cam && v.ground) {
      // Cut by the top edge only: the bottom corners are on the ground and in view, so the width is
      // measured, and the pole reaching the edge is as tall as the object at least (partialSize).
      const h = poleHeightM(cam, v.ground[0], v.ground[1], b.y);
      const left = this.toGround([b.x, b.y + b.h]);
      const right = this.toGround([b.x + b.w, b.y + b.h]);
      if (h !== undefined && left && right) {
        const k = r.lowSamples % SIZE_SAMPLES;
        r.lowHeights[k] = h;
        r.lowWidths[k] = Math.hypot(right[0] - left[0], right[1] - left[1]);
        r.lowSamples++;
      }
    }
    if (v.missed === 0 && whole && !cut) {
      let h: number | undefined;
      let w: number | undefined;
      if (cam) {
        if (v.ground) h = poleHeightM(cam, v.ground[0], v.ground[1], b.y);
        const left = this.toGround([b.x, b.y + b.h]);
        const right = this.toGround([b.x + b.w, b.y + b.h]);
        if (left && right) w = Math.hypot(right[0] - left[0], right[1] - left[1]);
      } else {
        h = b.h / height;
        w = b.w / height;
      }
      if (h !== undefined && w !== undefined) {
        const k = r.samples % SIZE_SAMPLES;
        r.heights[k] = h;
        r.widths[k] = w;
        r.samples++;
      }
    }
    const n = Math.min(r.samples, SIZE_SAMPLES);
    const m = Math.min(r.lowSamples, SIZE_SAMPLES);
    if (n > 0) {
      // median() sorts its input: measure on copies so the ring keeps its order.
      r.heightM = median(copyInto(scratchH, r.heights, n), n);
      r.widthM = median(copyInto(scratchW, r.widths, n), n);
    }
    r.kind = v.cls === 'vehicle' && !cam ? (r.heightM !== undefined && r.widthM !== undefined && r.heightM >= UPRIGHT * r.widthM ? 'person' : 'vehicle') : kindOfLabel(v.cls);
    // Views cut by the top edge vote for no class (vehicles.ts): a vehicle seen only so is of no known kind yet.
    if (n + m < MIN_SIZE_SAMPLES || (n === 0 && r.kind === 'vehicle')) {
      r.fits = undefined;
      return;
    }
    if (!cam) {
      const s = this.#config.imageSizes;
      r.fits = r.heightM! >= s.minHeight && r.heightM! <= s.maxHeight;
      r.heightM = undefined;
      r.widthM = undefined;
      return;
    }
    const range = r.kind === 'vehicle' ? anyVehicle(this.#config.sizes) : (this.#config.sizes as Record<string, SizeRange | undefined>)[r.kind];
    const atLeastM = m > 0 ? median(copyInto(scratchH, r.lowHeights, m), m) : undefined;
    const widthM = n > 0 ? r.widthM! : median(copyInto(scratchW, r.lowWidths, m), m);
    r.fits = !range || (partialSize(n > 0 ? r.heightM : undefined, atLeastM, range) && widthM >= range.minWidthM && widthM <= range.maxWidthM);
  }

  /**
   * Joins the pieces of one person (a head over legs, their clothes the ground's colour), then cuts
   * blobs that hold several people apart (people.ts). A blob over a vehicle already moving at a
   * vehicle's pace is left as it is: a car's blob can carry a pedestrian's head beside its roof.
   */
  #splitGroups(detections: ObjectDetection[], frame: Frame): ObjectDetection[] {
    const cam = this.#cameraFor(frame);
    const blobs = this.#vehicles.source as BlobDetector;
    const fg = blobs.foreground;
    const mask = blobs.mask;
    if (!cam || !fg || !mask || detections.length === 0) return detections;
    const grid = blobs.gridFor(frame.width, frame.height);
    const camera = { cam, toGround: (p: Point) => this.toGround(p) };
    const out: ObjectDetection[] = [];
    const overVehicle = new Set(detections.filter((d) => this.#overVehicle(d.box)));
    for (const d of joinStacked(detections, camera, (d) => overVehicle.has(d))) {
      if (overVehicle.has(d)) {
        out.push(d);
        continue;
      }
      const pieces = splitPeople(d.box, mask, fg, grid, camera);
      if (pieces.length === 1) out.push(d);
      else for (const box of pieces) out.push({ box: clipBox(box, frame.width, frame.height), score: d.score });
    }
    return out;
  }

  /** Whether a box's foot is inside the box of a confirmed object of a vehicle kind moving faster than a person runs. */
  #overVehicle(b: Box): boolean {
    const fx = b.x + b.w / 2;
    const fy = b.y + b.h;
    for (const r of this.#records.values()) {
      if (!r.confirmed || !isVehicleKind(r.kind) || !r.velocity || Math.hypot(r.velocity.vx, r.velocity.vz) < VEHICLE_PACE) continue;
      const o = r.box;
      if (fx >= o.x && fx <= o.x + o.w && fy >= o.y && fy <= o.y + o.h * 1.2) return true;
    }
    return false;
  }

  #cameraFor(frame: Frame): RoadCamera | undefined {
    const plane = this.#vehicles.plane;
    if (!plane) return undefined;
    const c = this.#camera;
    if (c && c.plane === plane && c.width === frame.width && c.height === frame.height) return c.cam;
    const cam = calibrateRoadCamera(plane, frame.width, frame.height);
    this.#camera = { plane, cam, width: frame.width, height: frame.height };
    return cam;
  }
}

/** Scratch for the medians (one tracker at a time runs in a worker thread). */
const scratchH = new Float64Array(SIZE_SAMPLES);
const scratchW = new Float64Array(SIZE_SAMPLES);

/** A box clipped to a width × height frame. */
function clipBox(b: Box, width: number, height: number): Box {
  const x = Math.max(0, b.x);
  const y = Math.max(0, b.y);
  return { x, y, w: Math.min(width, b.x + b.w) - x, h: Math.min(height, b.y + b.h) - y };
}

function copyInto(dst: Float64Array, src: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) dst[i] = src[i]!;
  return dst;
}
