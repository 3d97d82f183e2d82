/**
 * People per zone in one frame: the crowd plugin's measurement, usable on its own (an evaluator on
 * real footage reads the same numbers the plugin alerts on).
 *
 *   frame → BlobDetector (background with shadow suppression; its cleaned foreground)
 *         → ConnectedComponents → each foreground cell weighted 1 / (one person's cells at the row
 *           of its person's feet, perspective.ts), summed per component and per zone under the feet
 *         → per component: a person-sized blob standing alone is 1 person; a larger blob is
 *           first cut where its top dips between heads side by side (the SDK's splitPeople), and
 *           each piece of one person's size counts 1, any other piece (or an uncut group)
 *           gain · (weighted area)^exponent people (occlusion: see CROWD_CALIBRATION)
 *         → per zone: each component's people, shared among zones as its weighted cells are.
 *
 * Blobs moving at vehicle speed (movers.ts) and foreground whose column run stands on an `ignore`
 * zone (the carriageway) are traffic and not counted. A blob most of which stands there (a near
 * truck whose roof reaches over the verge in the image, joined with the people behind it) can hide
 * people but not add them: the zone keeps its last count through it for a few seconds.
 *
 * With a `detector` (a neural DetectionSource giving 'person' boxes) people are its detections
 * instead, counted by foot point (detections.ts).
 *
 * A standing crowd would soon be learnt into the background. The background is therefore not learnt
 * under components that moved within STILL_MS (people shift, gesture and sway; BlobDetector.hold);
 * a component that shows no motion for that long (a ghost where someone stood at start-up, a parked
 * object) is learnt and fades.
 */
import { ConfigError } from '../../core/errors.js';
import {
  BlobDetector, calibrateRoadCamera, ConnectedComponents, GroundPlane, hostDetectionSource, pointToPixels, polygonArea,
  type Box, type DetectionSource, type Frame, type Point, type ReferencePoint,
} from '../sdk/index.js';
import { splitPeople, type PeopleCamera } from '../sdk/vision/people.js';
import { countDetectionsInZones } from './detections.js';
import { FastMovers } from './movers.js';
import { PERSON_HEIGHT_M, PersonScale, zoneCells } from './perspective.js';

/**
 * Dense groups: people hide each other, so a group's weighted area (people-equivalents of
 * foreground) falls short of its head count the more people it holds. A group of weighted area W
 * holds gain · W^exponent people. Fitted by least squares on log W against log count, on the groups
 * of the training seeds' scenes only (bench/crowd-count.ts --fit); the held-out seeds never were.
 */
export const CROWD_CALIBRATION = { gain: 0.92, exponent: 1.04 };

/** Components of less than this weight (people-equivalents) are noise or specks of a person. */
const MIN_WEIGHT = 0.2;
/** A blob lower than this share of a person's height at its foot row is not a person (unless the frame's edge cuts it). */
const MIN_HEIGHT = 0.33;
/** A blob of at most this weight whose box fits one person at its foot row is one person. */
const SINGLE_MAX_WEIGHT = 1.7;
/** ...and whose box is at most this many person heights tall and widths wide. */
const SINGLE_MAX_HEIGHT = 1.35;
const SINGLE_MAX_WIDTH = 1.8;
/**
 * A piece cut from a group (splitPeople) may weigh more and still be one person: the cut found a
 * head of its own on it, and the closing that joined the group widened each piece by a cell a side,
 * a large share of a far person's few cells.
 */
const PIECE_MAX_WEIGHT = 2.2;
/** People run at up to about 6 m/s; traffic in town passes at 8 m/s and more. */
export const MAX_SPEED_MPS = 6;
/**
 * A component whose foreground standing on ignored ground (the carriageway) outweighs the rest this
 * many times is traffic as a whole: a truck's roof seen over the verge is not people, though people
 * it joins in the image may be (#coverTraffic).
 */
const TRAFFIC_SHARE = 1;
/** The longest a zone's count is held through traffic covering it, ms (a truck passes in a second or two; a bus that stops does not hide people for ever). */
const COVER_HOLD_MS = 3000;
/** Luma change (levels) between two frames at a cell that counts as motion: several times sensor noise. */
const MOTION_LEVEL = 18;
/** A component with no motion for this long is learnt into the background (see the file comment). */
const STILL_MS = 8000;

/** One zone's people in one frame. */
export interface ZoneCount {
  zone: string;
  /** Estimated people whose feet are in the zone (fractional for groups). */
  count: number;
  /** People per m² of the zone's ground area. */
  density: number;
  /** The zone's area on the ground, m². */
  areaM2: number;
}

/** What one frame shows. */
export interface CrowdReading {
  zones: ZoneCount[];
  /** Person-sized blobs (or person detections), pixels. */
  people: Box[];
  /** Blobs of several people, pixels: the people each holds, its weighted area W, and its share of W in each zone. */
  groups: { box: Box; count: number; weight: number; shares: number[] }[];
}

/** How a CrowdCounter is set up. */
export interface CrowdCounterOptions {
  /** The 4 ground reference points: image [x, y] normalised, ground [X, Z] metres. */
  ground: readonly { image: Point; ground: Point }[];
  /** The zones counted, normalised polygons, by name (at most 8). */
  zones: Record<string, readonly Point[]>;
  /**
   * Ground where nobody is counted, normalised polygons (the carriageway): foreground standing on it
   * (its column's run reaching down into it) is traffic. Default none.
   */
  ignore?: readonly (readonly Point[])[];
  /** A person detector to count instead of foreground (boxes labelled 'person'); closed with the counter. Default the host's detector (hostDetectionSource), if any. */
  detector?: DetectionSource;
  /** Group calibration; default CROWD_CALIBRATION. */
  calibration?: { gain: number; exponent: number };
  /** Blobs moving faster than this (m/s) are vehicles, not counted (movers.ts). Default MAX_SPEED_MPS. */
  maxSpeedMps?: number;
  /** Config path for error messages. */
  where?: string;
}

/** What depends on the frame size. */
interface Sized {
  width: number;
  height: number;
  step: number;
  gw: number;
  gh: number;
  scale: PersonScale | undefined;
  /** The calibrated camera for splitPeople, in this size's pixels; undefined when it cannot be calibrated. */
  camera: PeopleCamera | undefined;
  bits: Uint8Array;
  /** Cells in an ignored zone (the carriageway), or undefined when none is configured. */
  ignore: Uint8Array | undefined;
  cc: ConnectedComponents;
  /** Per component: weight, and weight per zone ([l · zones + k]). */
  weight: Float64Array;
  /** Per component: the weight its cells standing on ignored ground would have had. */
  ignored: Float64Array;
  zoneWeight: Float64Array;
  /** Per cell: its weight this frame (0 off the foreground or on ignored ground). */
  cellWeight: Float32Array;
  /** Per component: latest motion time of any of its cells. */
  moved: Float64Array;
  /** Per cell: last time it changed, and its luma then. */
  lastMotion: Float64Array;
  luma: Uint8Array;
  hold: Uint8Array;
}

/**
 * Counts people in zones, frame by frame: `read(frame)` gives each zone's estimated count and
 * density (people / m²) and the person-sized blobs. One instance per camera; feed it every frame
 * analysed, in order (it learns the background). See the file comment for the method.
 */
export class CrowdCounter {
  readonly names: string[];
  readonly areasM2: number[];
  readonly #polygons: (readonly Point[])[];
  readonly #ignore: readonly (readonly Point[])[];
  readonly #ground: readonly ReferencePoint[];
  readonly #blobs = new BlobDetector({ background: { step: 2 }, analysisWidth: 640, openRadius: 0, closeRadius: 1, minArea: 0 });
  readonly #detector: DetectionSource | undefined;
  readonly #gain: number;
  readonly #exponent: number;
  readonly #movers: FastMovers;
  readonly #fast: boolean[] = [];
  /** Per zone: the count of the last frame, and since when traffic blobs reach into it (see #coverTraffic). */
  readonly #lastCounts: number[] = [];
  readonly #coveredSince: (number | undefined)[] = [];
  #sized: Sized | undefined;

  constructor(opts: CrowdCounterOptions) {
    const where = opts.where ?? 'crowd';
    this.names = Object.keys(opts.zones);
    if (this.names.length > 8) throw new ConfigError('at most 8 zones are counted', `${where}.zones`);
    this.#polygons = this.names.map((n) => opts.zones[n]!);
    this.#ignore = opts.ignore ?? [];
    if (this.#ignore.length > 8) throw new ConfigError('at most 8 zones are ignored', `${where}.ignore`);
    this.#ground = opts.ground.map((r) => ({ image: r.image, ground: r.ground }));
    const plane = GroundPlane.fromReferencePoints(this.#ground, `${where}.ground`);
    this.areasM2 = this.names.map((name, k) => {
      const pts = this.#polygons[k]!.map((p) => plane.imageToGround(p));
      if (pts.some((p) => !p)) throw new ConfigError(`zone '${name}' reaches above the horizon of the ground reference points`, `${where}.zones`);
      return polygonArea(pts as Point[]);
    });
    this.#detector = opts.detector ?? hostDetectionSource();
    this.#gain = opts.calibration?.gain ?? CROWD_CALIBRATION.gain;
    this.#exponent = opts.calibration?.exponent ?? CROWD_CALIBRATION.exponent;
    this.#movers = new FastMovers(opts.maxSpeedMps ?? MAX_SPEED_MPS);
  }

  /** The people in `frame`'s zones; see the class comment. */
  async read(frame: Frame): Promise<CrowdReading> {
    if (this.#detector) {
      const found = await this.#detector.detect(frame);
      const counts = countDetectionsInZones(found, this.#polygons, frame.width, frame.height);
      return { zones: this.#zones(counts), people: found.filter((d) => d.label === 'person').map((d) => d.box), groups: [] };
    }
    return this.#readBlobs(frame);
  }

  /** Closes the detector, if any. */
  close(): void {
    this.#detector?.close?.();
  }

  #zones(counts: readonly number[]): ZoneCount[] {
    return this.names.map((zone, k) => ({ zone, count: counts[k]!, areaM2: this.areasM2[k]!, density: counts[k]! / this.areasM2[k]! }));
  }

  #size(frame: Frame): Sized {
    const { width, height } = frame;
    if (this.#sized?.width === width && this.#sized.height === height) return this.#sized;
    const grid = this.#blobs.gridFor(width, height);
    const cells = grid.width * grid.height;
    const ground = this.#ground.map((r) => ({ image: pointToPixels(r.image, width, height), ground: r.ground }));
    const cc = new ConnectedComponents(grid.width, grid.height);
    const cap = cc.area.length;
    const hold = new Uint8Array(cells);
    this.#blobs.hold = hold;
    const plane = GroundPlane.fromReferencePoints(ground);
    const cam = calibrateRoadCamera(plane, width, height);
    this.#sized = {
      width, height, step: grid.step, gw: grid.width, gh: grid.height,
      scale: cam ? PersonScale.fromCamera(plane, cam, width, grid) : undefined,
      camera: cam ? { cam, toGround: (p) => plane.imageToGround(p) ?? undefined } : undefined,
      bits: zoneCells(this.#polygons, width, height, grid),
      ignore: this.#ignore.length > 0 ? zoneCells(this.#ignore, width, height, grid) : undefined,
      cc,
      weight: new Float64Array(cap),
      ignored: new Float64Array(cap),
      zoneWeight: new Float64Array(cap * Math.max(1, this.names.length)),
      cellWeight: new Float32Array(cells),
      moved: new Float64Array(cap),
      lastMotion: new Float64Array(cells).fill(-Infinity),
      luma: new Uint8Array(cells),
      hold,
    };
    return this.#sized;
  }

  #readBlobs(frame: Frame): CrowdReading {
    const s = this.#size(frame);
    const now = frame.capturedAt;
    this.#blobs.detect(frame);
    this.#motion(frame, s, now);
    const fg = this.#blobs.foreground;
    const empty: CrowdReading = { zones: this.#zones(this.names.map(() => 0)), people: [], groups: [] };
    if (!fg || !s.scale || (this.#blobs.background?.frameCount ?? 0) <= 10) return empty;
    const count = s.cc.label(fg);
    this.#weigh(fg, s, s.scale, count);
    const zones = this.names.length;
    const counts = this.names.map(() => 0);
    const behindTraffic = this.names.map(() => 0);
    const people: Box[] = [];
    const groups: CrowdReading['groups'] = [];
    const { cc, weight, zoneWeight, step, scale } = s;
    const mask = this.#blobs.mask;
    const grid = { step, width: s.gw, height: s.gh };
    // Blobs of at least MIN_WEIGHT, and which of them are vehicles (movers.ts).
    const labels: number[] = [];
    const boxes: Box[] = [];
    for (let l = 1; l <= count; l++) {
      if (weight[l]! < MIN_WEIGHT) continue;
      const x = cc.minX[l]! * step;
      const y = cc.minY[l]! * step;
      labels.push(l);
      boxes.push({ x, y, w: Math.min((cc.maxX[l]! + 1) * step, frame.width) - x, h: Math.min((cc.maxY[l]! + 1) * step, frame.height) - y });
    }
    this.#movers.update(boxes, frame.height, (row) => PERSON_HEIGHT_M / Math.max(1, scale.heightCells[Math.min(s.gh - 1, Math.floor(row / step))]! * step), now, this.#fast);
    s.hold.fill(0);
    for (let l = 1; l <= count; l++) if (weight[l]! < MIN_WEIGHT && now - s.moved[l]! < STILL_MS) this.#holdComponent(s, l);
    labels.forEach((l, j) => {
      if (this.#fast[j]) return;
      // Mostly on the carriageway: a vehicle, with whatever it touches in the image (the roof of a near
      // truck reaching over a zone, and the people it hides and joins there): its people go apart.
      const traffic = s.ignored[l]! > TRAFFIC_SHARE * weight[l]!;
      if (!traffic && now - s.moved[l]! < STILL_MS) this.#holdComponent(s, l);
      const w = weight[l]!;
      const foot = cc.maxY[l]!;
      const bh = foot - cc.minY[l]! + 1;
      const edge = cc.minX[l]! === 0 || cc.minY[l]! === 0 || cc.maxX[l]! === s.gw - 1 || foot === s.gh - 1;
      // A strip far lower than a person (a kerb line, a shadow's edge, a flicker along a contour) is
      // no one, unless the frame's edge cuts it.
      if (!edge && bh < MIN_HEIGHT * scale.heightCells[foot]!) return;
      const shares = this.names.map((_, k) => zoneWeight[l * zones + k]! / w);
      const into = traffic ? behindTraffic : counts;
      const add = (n: number) => {
        for (let k = 0; k < zones; k++) into[k]! += n * shares[k]!;
      };
      if (this.#isOne(w, boxes[j]!, s)) {
        if (!traffic) people.push(boxes[j]!);
        return add(1);
      }
      // People side by side: cut where the blob's top dips between heads (splitPeople), then each
      // piece is one person when it has one person's size and area, a group by its area otherwise.
      const pieces = s.camera && mask ? splitPeople(boxes[j]!, mask, fg, grid, s.camera) : [boxes[j]!];
      const weights = pieces.length > 1 ? this.#pieceWeights(s, l, pieces) : [w];
      pieces.forEach((box, q) => {
        const pw = weights[q]!;
        if (pieces.length > 1 && this.#isOne(pw, box, s, PIECE_MAX_WEIGHT)) {
          if (!traffic) people.push(box);
          return add(1);
        }
        const n = this.#gain * Math.pow(pw, this.#exponent);
        if (!traffic) groups.push({ box, count: n, weight: pw, shares });
        add(n);
      });
    });
    this.#coverTraffic(counts, behindTraffic, now);
    return { zones: this.#zones(counts), people, groups };
  }

  /**
   * A vehicle can hide people but not add them: while blobs that are mostly traffic reach into a zone
   * (`behind`: the people they seem to hold there), the zone's count may rise through them only back
   * to what it was the frame before, for at most COVER_HOLD_MS; after that they add nothing.
   */
  #coverTraffic(counts: number[], behind: readonly number[], now: number): void {
    for (let k = 0; k < counts.length; k++) {
      if (behind[k]! > 0) {
        this.#coveredSince[k] ??= now;
        if (now - this.#coveredSince[k]! <= COVER_HOLD_MS) counts[k]! += Math.min(behind[k]!, Math.max(0, (this.#lastCounts[k] ?? 0) - counts[k]!));
      } else {
        this.#coveredSince[k] = undefined;
      }
      this.#lastCounts[k] = counts[k]!;
    }
  }

  /** Whether a blob (or a piece of one) of weight w and pixel box b is one person: a person's area and size at its foot row. */
  #isOne(w: number, b: Box, s: Sized, maxWeight = SINGLE_MAX_WEIGHT): boolean {
    const scale = s.scale!;
    const foot = Math.min(s.gh - 1, Math.floor((b.y + b.h - 1) / s.step));
    return w <= maxWeight && b.h / s.step <= SINGLE_MAX_HEIGHT * scale.heightCells[foot]! && b.w / s.step <= SINGLE_MAX_WIDTH * scale.widthCells[foot]!;
  }

  /**
   * Component l's weight in each of its pieces (boxes left to right, from splitPeople): the columns
   * between two pieces, where the cut was, are shared at their middle.
   */
  #pieceWeights(s: Sized, l: number, pieces: readonly Box[]): number[] {
    const { cc, gw, step, cellWeight } = s;
    const labels = cc.labels;
    const out: number[] = [];
    let from = cc.minX[l]!;
    pieces.forEach((p, q) => {
      const next = pieces[q + 1];
      const to = next ? Math.floor((p.x + p.w + next.x) / 2 / step) : cc.maxX[l]!;
      let sum = 0;
      for (let gy = cc.minY[l]!; gy <= cc.maxY[l]!; gy++) {
        for (let gx = from, i = gy * gw + gx; gx <= to; gx++, i++) if (labels[i] === l) sum += cellWeight[i]!;
      }
      out.push(sum);
      from = to + 1;
    });
    return out;
  }

  /**
   * Sums each component's weight and its weight per zone under the feet (see perspective.ts): a cell
   * less than a person height above the bottom of its column's run has that bottom as its foot row,
   * a cell higher up the row half a person below it.
   */
  #weigh(fg: Uint8Array, s: Sized, scale: PersonScale, count: number): void {
    const { gw, gh, bits, ignore, weight, ignored, zoneWeight, moved, lastMotion, cellWeight } = s;
    const labels = s.cc.labels;
    const zones = this.names.length;
    const { heightCells, perCell, footOfMid } = scale;
    weight.fill(0, 0, count + 1);
    ignored.fill(0, 0, count + 1);
    zoneWeight.fill(0, 0, (count + 1) * zones);
    moved.fill(-Infinity, 0, count + 1);
    cellWeight.fill(0);
    for (let gx = 0; gx < gw; gx++) {
      let bottom = -1;
      for (let gy = gh - 1; gy >= 0; gy--) {
        const i = gy * gw + gx;
        if (fg[i] === 0) {
          bottom = -1;
          continue;
        }
        if (bottom < 0) bottom = gy;
        const foot = bottom - gy < heightCells[bottom]! ? bottom : footOfMid[gy]!;
        const w = perCell[foot]!;
        if (ignore !== undefined && ignore[bottom * gw + gx] !== 0) {
          ignored[labels[i]!] = ignored[labels[i]!]! + w;
          continue;
        }
        cellWeight[i] = w;
        const l = labels[i]!;
        weight[l] = weight[l]! + w;
        if (lastMotion[i]! > moved[l]!) moved[l] = lastMotion[i]!;
        const b = bits[foot * gw + gx]!;
        if (b === 0) continue;
        for (let k = 0; k < zones; k++) if (b & (1 << k)) zoneWeight[l * zones + k] = zoneWeight[l * zones + k]! + w;
      }
    }
  }

  /** Marks where the luma changed since the last frame (sampled at each cell's corner pixel). */
  #motion(frame: Frame, s: Sized, now: number): void {
    const { gw, gh, step, luma, lastMotion } = s;
    const y = frame.y;
    for (let gy = 0, i = 0; gy < gh; gy++) {
      const row = gy * step * frame.strideY;
      for (let gx = 0; gx < gw; gx++, i++) {
        const v = y[row + gx * step]!;
        const d = v - luma[i]!;
        if (d > MOTION_LEVEL || d < -MOTION_LEVEL) lastMotion[i] = now;
        luma[i] = v;
      }
    }
  }

  /** Holds the background under component l for the next frame. */
  #holdComponent(s: Sized, l: number): void {
    const { cc, gw, hold } = s;
    const labels = cc.labels;
    for (let gy = cc.minY[l]!; gy <= cc.maxY[l]!; gy++) {
      for (let gx = cc.minX[l]!, i = gy * gw + gx; gx <= cc.maxX[l]!; gx++, i++) if (labels[i] === l) hold[i] = 1;
    }
  }
}
