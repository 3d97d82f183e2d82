/**
 * left-taken: objects left behind or taken away (asset monitoring).
 *
 * - `object-left` (warning): something new has stood still for dwellS seconds — a bag put down and
 *   left, a box set on the verge;
 * - `object-removed` (warning): something that stood in the scene has been gone for dwellS seconds.
 *
 * How: a dual background (dual-background.ts) marks cells that differ from the long-term background
 * but not from the short-term one — something that has come and stood still, or gone from where it
 * stood — and keeps when each changed. Candidate cells are grouped into regions and followed as sites
 * (sites.ts). A site is reported when its region has been changed for dwellS, is in view (not covered
 * by someone moving), has the size and shape of an object rather than of a person or a vehicle, lies
 * in a watched zone, and has an outline in the frame now (left) or in the background (taken) but not
 * both (edges.ts): a patch of light or shadow has neither.
 *
 * What it ignores, and why:
 * - people standing still (a person waiting at the kerb for a minute stands still too): with
 *   `ground`, the region's height in perspective (an upright pole at its foot reaching its top edge)
 *   must be at most object.maxHeightM — a person is 1.5–1.9 m, a bag or a suitcase under 1 m; and the
 *   region must be compact (object.maxAspect: height / width at most ~2.5; a person's legs or body
 *   alone, seen when the rest matches the background, are 3–4 times taller than wide), and alone in
 *   its columns (not a head and shoulders over a pair of legs: see stacked()). Without
 *   `ground`, the box's pixel aspect (imageObject.maxAspect) is all there is, and it is weaker: a
 *   camera looking down foreshortens people;
 * - parked vehicles: object.maxSizeM (a car is at least 1.6 m wide and 3.5 m long, a motorbike 1.8 m
 *   long) or imageObject.maxArea;
 * - lighting changes and shadows: the background models follow global lighting and mark shadows
 *   apart; what gets through has no outline of its own (edges.ts);
 * - noise: a cell's change must last (runs, median onsets) and regions need object.minSizeM.
 * After a report the site is not reported again; it ends when the object is taken back (the owner
 * returns) or when the long-term background has learnt it (absorbS), and the place is quiet again.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import {
  calibrateRoadCamera, ConnectedComponents, definePlugin, FrameHistory, GroundPlane, Morphology, pointInPolygon, pointToPixels, poleHeightM,
  vehicleTrackingShape, type Box, type Detection, type EvidenceImage, type Frame, type Point, type PluginContext, type RoadCamera,
} from '../sdk/index.js';
import { analysisFactor, FrameScaler, type ScalablePlanes } from '../sdk/vision/scale.js';
import { DualBackground } from './dual-background.js';
import { contourEdges, decideChange, type ContourEdges, type StaticChange } from './edges.js';
import { measureRegions, SiteTracker, type Site } from './sites.js';

const configSchema = z.strictObject({
  dwellS: z.number().min(5).max(3600).default(30).describe('Seconds an object must have stood (left) or been gone (taken) before it is reported.'),
  absorbS: z.number().min(20).max(86_400).default(120)
    .describe('Seconds after which the long-term background learns a still object (at least 2 × dwellS): a reported object is then part of the scene and its site ends; a parked car or a person who stood this long leaves no ghost.'),
  settleS: z.number().min(0.5).max(30).default(2).describe('Seconds the short-term background takes to learn something that stopped; a change counts as static once learnt and still for another second.'),
  zones: z.array(z.string().min(1)).default([]).describe('Zones to watch: an object counts when its foot (bottom centre) is inside one. Empty: the whole frame.'),
  ground: vehicleTrackingShape.ground,
  object: z.strictObject({
    minSizeM: z.number().min(0).max(5).default(0.15).describe('Smallest object: its larger extent (width or height), metres.'),
    maxSizeM: z.number().positive().max(20).default(1.5).describe('Largest object width on the ground, metres: wider is a vehicle.'),
    maxHeightM: z.number().positive().max(20).default(1.2).describe('Largest object height, metres: taller is a person standing (or a vehicle seen end on).'),
    maxAspect: z.number().positive().max(20).default(2.5).describe('Largest height / width: taller and thinner is part of a person (legs, a body).'),
  }).prefault({}).describe('Size and shape of an object in perspective, with `ground`.'),
  imageObject: z.strictObject({
    minArea: z.number().min(0).max(1).default(0.0002).describe('Smallest object box, as a share of the frame area.'),
    maxArea: z.number().min(0).max(1).default(0.02).describe('Largest object box, as a share of the frame area.'),
    maxAspect: z.number().positive().max(20).default(1.5).describe('Largest box height / width in pixels.'),
  }).refine((o) => o.minArea <= o.maxArea, { message: 'minArea must not exceed maxArea', path: ['minArea'] }).prefault({})
    .describe('Size and shape of an object without `ground`, in the image.'),
  edgeRatio: z.number().min(1).max(10).default(1.5).describe('Left: the contour\'s edges now at least this many times those of the background (taken: the other way round).'),
  minEdge: z.number().min(0).max(255).default(5).describe('...and stronger by at least this many luma levels (mean gradient along the contour).'),
  analysisWidth: z.number().int().min(160).max(4096).default(640).describe('Frames wider than this are averaged down by a whole factor before analysis.'),
}).superRefine((c, issue) => {
  if (c.absorbS < 2 * c.dwellS) issue.addIssue({ code: 'custom', path: ['absorbS'], message: 'must be at least 2 × dwellS: the long-term background must not learn an object before it is reported' });
});

/** The parsed config. */
export type LeftTakenConfig = z.infer<typeof configSchema>;

/** Model every second pixel of every second row of the analysis frame. */
const STEP = 2;
/** A cell must stay still this long after the short-term model learnt it (ms). */
const STILL_MS = 1000;
/** A cell's change survives breaks this long (noise, a passer in the pavement's colour), ms. */
const GAP_MS = 1000;
/** Evidence frames kept, one every HISTORY_EVERY_MS: long enough to reach back past the settling time. */
const HISTORY_FRAMES = 16;
const HISTORY_EVERY_MS = 500;
/** The 'before' frame is this long before the change. */
const BEFORE_MS = 1000;
/** A site is reported only while most of it is in view, not covered by someone moving. */
const MIN_VISIBLE = 0.6;
/** A region whose cells were reported already in this share (a piece of an object reported once) is not reported again. */
const SPENT_SHARE = 0.3;
/** Static cells above or below a region within STACK_REACH of its heights, as a share of its area, that make it part of something upright. */
const STACKED_SHARE = 0.25;
const STACK_REACH = 2;
/** Smallest region followed, cells: smaller is noise at any size filter. */
const MIN_CELLS = 4;

export default definePlugin({
  name: 'left-taken',
  description: 'Objects left behind or taken away: dual background, dwell time, edge test on the contour.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 40, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    return new LeftTaken(ctx);
  },
});

/** What depends on the frame size. */
interface Sized {
  width: number;
  height: number;
  scaler: FrameScaler | undefined;
  /** Analysis size. */
  aw: number;
  ah: number;
  dual: DualBackground;
  morph: Morphology;
  closed: Uint8Array;
  cc: ConnectedComponents;
  background: Uint8Array;
  scratch: Float64Array;
  plane: GroundPlane | undefined;
  camera: RoadCamera | undefined;
  zones: { name: string; polygon: Point[] }[];
}

/** What a region measures: box in analysis pixels, foot, size in metres when known. */
interface Measured {
  box: Box;
  foot: Point;
  widthM?: number;
  heightM?: number;
}

/** One camera's left-taken detector. */
class LeftTaken {
  readonly #ctx: PluginContext<LeftTakenConfig>;
  readonly #sites: SiteTracker;
  readonly #history = new FrameHistory(HISTORY_FRAMES);
  #lastPushMs = -Infinity;
  #sized: Sized | undefined;
  /** The long-term background image is read once per frame, when a site needs it. */
  #backgroundFresh = false;

  constructor(ctx: PluginContext<LeftTakenConfig>) {
    this.#ctx = ctx;
    const where = `cameras.${ctx.cameraId}.plugins.left-taken.config`;
    ctx.config.zones.forEach((name, i) => {
      if (!ctx.geometry.zones[name]) throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(ctx.geometry.zones).join(', ') || 'none'})`, `${where}.zones[${i}]`);
    });
    if (ctx.config.ground) GroundPlane.fromReferencePoints(ctx.config.ground, `${where}.ground`);
    this.#sites = new SiteTracker(GAP_MS + 1000);
  }

  onFrame(frame: Frame): Detection[] {
    const now = frame.capturedAt;
    const s = this.#size(frame);
    const planes: ScalablePlanes = s.scaler ? s.scaler.scale(frame) : frame;
    if (now - this.#lastPushMs >= HISTORY_EVERY_MS) {
      this.#history.push(frame);
      this.#lastPushMs = now;
    }
    s.dual.update(planes, now);
    if (!s.dual.ready) return [];
    s.morph.close(s.dual.candidate, s.closed, 1);
    s.cc.label(s.closed);
    const regions = measureRegions(s.cc, s.dual.onset, s.dual.visible, s.dual.spent, MIN_CELLS, s.scratch);
    const { created, dropped } = this.#sites.update(regions, now);
    for (const site of dropped) site.before = undefined;
    for (const site of created) {
      const at = this.#history.at(site.onsetMs - BEFORE_MS);
      if (at) site.before = this.#history.snapshot(at);
    }
    this.#backgroundFresh = false;
    const dwellMs = this.#ctx.config.dwellS * 1000;
    const out: Detection[] = [];
    for (const site of this.#sites.sites) {
      if (!site.region) continue;
      const age = now - site.onsetMs;
      if (!site.reported && age >= dwellMs) this.#consider(site, s, frame);
      const label = site.reported === 'left' ? 'object-left' : site.reported === 'removed' ? 'object-removed' : 'static';
      out.push({ label, score: Math.round(Math.min(1, age / dwellMs) * 100) / 100, box: normalised(pixelBox(site.region.box, s), s), trackId: site.id });
    }
    return out;
  }

  close(): void {
    this.#sites.clear();
    this.#history.clear();
  }

  /** Reports the site if it is an object left or taken in a watched zone (see the file comment). */
  #consider(site: Site, s: Sized, frame: Frame): void {
    const region = site.region!;
    if (region.visibleShare < MIN_VISIBLE || region.spentShare >= SPENT_SHARE || this.#sites.overlapsReported(site)) return;
    const m = this.#measure(region.box, s);
    const zone = this.#zoneOf(m.foot, s);
    if (zone === null || !this.#objectSized(m, s) || stacked(s.cc.labels, s.dual.tinted, s.dual.gw, s.dual.gh, region.box, region.area)) return;
    if (!this.#backgroundFresh) {
      s.dual.long.backgroundImage(s.background);
      this.#backgroundFresh = true;
    }
    const edges = contourEdges(s.dual.still, s.background, s.cc.labels, s.dual.gw, s.dual.gh, region.label, region.box);
    const change = decideChange(edges, this.#ctx.config.edgeRatio, this.#ctx.config.minEdge);
    if (!change) return;
    for (const piece of [site, ...this.#sites.piecesOf(site)]) {
      piece.reported = change;
      spend(s.dual, s.cc.labels, piece.region!.label, piece.region!.box);
    }
    this.#emit(site, change, m, edges, zone, s, frame);
  }

  #emit(site: Site, change: StaticChange, m: Measured, edges: ContourEdges, zone: string | undefined, s: Sized, frame: Frame): void {
    const type = change === 'left' ? 'object-left' : 'object-removed';
    const dwellS = Math.round((frame.capturedAt - site.onsetMs) / 100) / 10;
    const box: Detection = { label: change === 'left' ? 'left' : 'removed', score: 1, box: normalised(m.box, s), trackId: site.id };
    const evidence: EvidenceImage[] = [];
    if (site.before) evidence.push({ label: 'before', frame: site.before, boxes: [box], caption: change === 'left' ? 'BEFORE' : 'BEFORE (OBJECT THERE)' });
    site.before = undefined;
    this.#history.push(frame);
    this.#lastPushMs = frame.capturedAt;
    evidence.push({ label: 'at', frame: this.#history.snapshot(this.#history.latest!), boxes: [box], caption: `${change === 'left' ? 'LEFT' : 'TAKEN'} ${dwellS}S` });
    const round2 = (v: number) => Math.round(v * 100) / 100;
    this.#ctx.emit({
      type, severity: 'warning', trackId: site.id, boxes: [box], snapshot: true, evidence,
      ...(zone ? { zone } : {}),
      attributes: {
        dwellS, box: box.box.map(round2),
        ...(m.widthM !== undefined ? { widthM: round2(m.widthM) } : {}),
        ...(m.heightM !== undefined ? { heightM: round2(m.heightM) } : {}),
        edgeNow: round2(edges.current), edgeBackground: round2(edges.background),
        ...(zone ? { zone } : {}),
      },
    });
  }

  /** A region's box in analysis pixels, its foot, and with `ground` its width and height in metres. */
  #measure(cells: Box, s: Sized): Measured {
    const box = pixelBox(cells, s);
    const foot: Point = [box.x + box.w / 2, box.y + box.h];
    const m: Measured = { box, foot };
    if (s.plane && s.camera) {
      const g = s.plane.imageToGround(foot);
      const widthM = s.plane.metresBetween([box.x, foot[1]], [box.x + box.w, foot[1]]);
      const heightM = g ? poleHeightM(s.camera, g[0], g[1], box.y) : undefined;
      if (widthM !== null) m.widthM = widthM;
      if (heightM !== undefined) m.heightM = heightM;
    }
    return m;
  }

  /** Whether a measured region has the size and shape of an object (see the file comment). */
  #objectSized(m: Measured, s: Sized): boolean {
    const c = this.#ctx.config;
    if (s.plane) {
      const { widthM, heightM } = m;
      if (widthM === undefined || heightM === undefined) return false;
      const o = c.object;
      return Math.max(widthM, heightM) >= o.minSizeM && widthM <= o.maxSizeM && heightM <= o.maxHeightM && heightM <= o.maxAspect * widthM;
    }
    const o = c.imageObject;
    const share = (m.box.w * m.box.h) / (s.aw * s.ah);
    return share >= o.minArea && share <= o.maxArea && m.box.h <= o.maxAspect * m.box.w;
  }

  /** The watched zone the foot is in: its name, undefined when no zones are configured, null when outside them all. */
  #zoneOf(foot: Point, s: Sized): string | undefined | null {
    if (s.zones.length === 0) return undefined;
    return s.zones.find((z) => pointInPolygon(foot, z.polygon))?.name ?? null;
  }

  #size(frame: Frame): Sized {
    const { width, height } = frame;
    if (this.#sized?.width === width && this.#sized.height === height) return this.#sized;
    const c = this.#ctx.config;
    const factor = analysisFactor(width, c.analysisWidth);
    const scaler = factor > 1 ? new FrameScaler(width, height, factor) : undefined;
    const aw = scaler?.width ?? width;
    const ah = scaler?.height ?? height;
    const dual = new DualBackground({ width: aw, height: ah, step: STEP, absorbMs: c.absorbS * 1000, settleMs: c.settleS * 1000, stillMs: STILL_MS, gapMs: GAP_MS });
    const plane = c.ground ? GroundPlane.fromReferencePoints(c.ground.map((r) => ({ image: pointToPixels(r.image, aw, ah), ground: r.ground }))) : undefined;
    this.#sites.clear();
    this.#sized = {
      width, height, scaler, aw, ah, dual,
      morph: new Morphology(dual.gw, dual.gh),
      closed: new Uint8Array(dual.gw * dual.gh),
      cc: new ConnectedComponents(dual.gw, dual.gh),
      background: new Uint8Array(dual.gw * dual.gh),
      scratch: new Float64Array(dual.gw * dual.gh),
      plane,
      camera: plane ? calibrateRoadCamera(plane, aw, ah) : undefined,
      zones: c.zones.map((name) => ({ name, polygon: this.#ctx.geometry.zones[name]!.map((p) => pointToPixels(p, aw, ah)) })),
    };
    return this.#sized;
  }
}

/** Marks the cells of component `label` (box in cells) that are in a run as reported (the run's end clears the mark). */
function spend(dual: DualBackground, labels: Int32Array, label: number, box: Box): void {
  for (let y = box.y; y < box.y + box.h; y++) {
    for (let x = box.x, p = y * dual.gw + x; x < box.x + box.w; x++, p++) if (labels[p] === label && dual.onset[p] !== 0) dual.spent[p] = 1;
  }
}

/**
 * Whether something else stands above or below this region, in its columns, within twice its own
 * height — other static regions, or cells whose colour has changed (DualBackground.tinted): then it
 * is a piece of something upright. A person standing still whose shirt or trousers match the
 * pavement's luma shows to the background models as a head and shoulders, or a pair of legs, each
 * small enough to pass for a bag; the rest of them is still there in the columns above or below, as
 * another piece or in colour. An object on the ground stands alone in its columns (unless someone
 * stands just behind it; it is reported once they have gone).
 */
function stacked(labels: Int32Array, tinted: Uint8Array, gw: number, gh: number, box: Box, area: number): boolean {
  let others = 0;
  const x1 = Math.min(gw, box.x + box.w);
  const reach = STACK_REACH * box.h;
  for (const [y0, y1] of [[Math.max(0, box.y - reach), box.y], [box.y + box.h, Math.min(gh, box.y + box.h + reach)]] as const) {
    for (let y = y0; y < y1; y++) for (let x = box.x, p = y * gw + box.x; x < x1; x++, p++) if (labels[p] !== 0 || tinted[p] !== 0) others++;
  }
  return others >= STACKED_SHARE * area;
}

/** A box in grid cells as analysis pixels, clipped to the frame. */
function pixelBox(cells: Box, s: Sized): Box {
  const x = cells.x * STEP;
  const y = cells.y * STEP;
  return { x, y, w: Math.min(s.aw, (cells.x + cells.w) * STEP) - x, h: Math.min(s.ah, (cells.y + cells.h) * STEP) - y };
}

/** A box in analysis pixels as a normalised [x, y, w, h]. */
function normalised(b: Box, s: Sized): [number, number, number, number] {
  return [b.x / s.aw, b.y / s.ah, b.w / s.aw, b.h / s.ah];
}
