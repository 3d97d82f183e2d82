/**
 * flood: the water level on a staff gauge, and how much of a road or zone is under water.
 *
 * - Level: the waterline on the gauge zone is found from the marks' texture (waterline.ts), turned
 *   into metres through the gauge's reference marks (scale.ts), and smoothed by a median over
 *   `medianS` (series.ts). A reading that jumps away from the median while the rows around it are
 *   covered by something moving (a person or a vehicle in front of the gauge: foreground in a
 *   background model of the gauge zone) is not taken; if such readings persist for `acceptAfterS`
 *   they are, because water that really jumped stays where it jumped to.
 * - `flood-level` (critical) when the median level reaches `level.thresholdM`; armed again once it
 *   falls `level.hysteresisM` below. `flood-rise` (warning) when the level's least-squares slope over
 *   `rise.windowS` reaches `rise.cmPerMin`; armed again below half of it, or once the water is back
 *   out of sight. The slope is fitted only to levels the finder saw: water under the gauge's bottom
 *   marking period cannot be read, and its first sighting above it is not a rise.
 * - `flood-extent` (warning) when the median share of the extent zone under water (extent.ts) stays
 *   at or above `extent.share` for `extent.forS`; armed again below `extent.share − 0.1`.
 * Every event carries the level (m), the rise rate (cm/min), the extent share and a snapshot.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { BackgroundModel, definePlugin, MASK_BACKGROUND, type Detection, type Frame, type PluginContext, type Point } from '../sdk/index.js';
import { analysisFactor, FrameScaler } from '../sdk/vision/scale.js';
import { WaterExtent } from './extent.js';
import { LevelScale } from './scale.js';
import { RiseRate, TimedMedian } from './series.js';
import { WaterlineFinder, type WaterlineReading } from './waterline.js';

const mark = z.strictObject({
  y: z.number().min(0).max(1).describe('Image row of the mark, 0..1 from the top (read off a snapshot).'),
  level: z.number().min(-100).max(100).describe('The mark\'s level on the gauge, metres.'),
});

const configSchema = z.strictObject({
  gauge: z.strictObject({
    zone: z.string().min(1).describe('Zone (polygon) drawn tight around the gauge board, from above its top mark down to below the lowest level of interest.'),
    marks: z.array(mark).min(2, { error: 'gauge.marks needs at least 2 reference marks to map rows to levels' })
      .describe('At least 2 painted marks: image row and level. Levels are interpolated linearly between neighbouring marks.'),
    maxExtrapolationM: z.number().min(0).max(10).default(0.3).describe('How far beyond the outermost marks (metres) a level is extrapolated; further readings are clamped.'),
    markingPeriodM: z.number().min(0.01).max(1).default(0.2).describe('Height of one repeat of the gauge\'s painted pattern, metres (a band and a gap: 0.2 for 10 cm bands).'),
    wetShare: z.number().min(0.05).max(0.9).default(0.45).describe('Share of the dry gauge\'s texture under which a row counts as under water.'),
  }).optional().describe('The staff gauge the level is read from.'),
  medianS: z.number().min(1).max(600).default(10).describe('Seconds of level readings (and extent shares) the median is taken over.'),
  jumpM: z.number().min(0.01).max(5).default(0.08).describe('A reading this far (metres) from the median, with the gauge partly covered by something moving, is taken for an occlusion and dropped.'),
  acceptAfterS: z.number().min(1).max(3600).default(30).describe('Seconds after which readings dropped as occluded are taken after all (the water did move).'),
  level: z.strictObject({
    thresholdM: z.number().min(-100).max(100).describe('Level (metres on the gauge) at which flood-level is raised.'),
    hysteresisM: z.number().min(0).max(10).default(0.05).describe('How far below the threshold the level must fall before flood-level can be raised again.'),
  }).optional().describe('The level alarm.'),
  rise: z.strictObject({
    cmPerMin: z.number().min(0.1).max(1000).default(20).describe('Rise rate (cm per minute) at which flood-rise is raised.'),
    windowS: z.number().min(5).max(3600).default(60).describe('Seconds of median levels the rise rate is fitted over.'),
  }).optional().describe('The rapid-rise alarm.'),
  extent: z.strictObject({
    zone: z.string().min(1).describe('Zone (polygon) on the road or ground whose share under water is measured.'),
    share: z.number().min(0.01).max(1).default(0.3).describe('Share of the zone under water (0-1) that raises flood-extent.'),
    forS: z.number().min(0).max(3600).default(10).describe('Seconds the median share must stay at or above `share`.'),
    learnS: z.number().min(1).max(600).default(10).describe('Seconds at start-up the zone\'s dry look is learnt from (it must be dry then).'),
    cellPx: z.number().int().min(4).max(64).default(8).describe('Cell size, pixels at the analysis width.'),
    textureRatio: z.number().min(0.05).max(0.95).default(0.55).describe('A cell is water-smooth below this share of its dry texture.'),
    chromaChange: z.number().min(1).max(100).default(6).describe('Chroma change (|ΔU| + |ΔV|, levels) that counts as a change of look.'),
    lumaChange: z.number().min(0.02).max(2).default(0.2).describe('Luma change (ratio) that counts as a change of look.'),
  }).optional().describe('The water-extent alarm.'),
  analysisWidth: z.number().int().min(160).max(4096).default(640).describe('Frames wider than this are averaged down before the extent is measured.'),
}).superRefine((c, issue) => {
  if (!c.gauge && !c.extent) issue.addIssue({ code: 'custom', path: ['gauge'], message: 'flood needs a gauge, an extent zone, or both' });
  if ((c.level || c.rise) && !c.gauge) issue.addIssue({ code: 'custom', path: ['gauge'], message: 'the level and rise alarms need a gauge' });
  const marks = c.gauge?.marks ?? [];
  const sorted = [...marks].sort((a, b) => a.y - b.y);
  for (let i = 1; i < sorted.length; i++) {
    if (!(sorted[i]!.y > sorted[i - 1]!.y && sorted[i]!.level < sorted[i - 1]!.level)) {
      issue.addIssue({ code: 'custom', path: ['gauge', 'marks'], message: 'marks must be at distinct rows, with lower levels lower in the image' });
      break;
    }
  }
});

/** The parsed config. */
export type FloodConfig = z.infer<typeof configSchema>;

/** Share of a gauge band's pixels in the background model's foreground that makes it covered. */
const COVERED = 0.25;
/** Share of the rise window the levels must span before a rate is given, from a fresh start... */
const MIN_SHARE = 0.8;
/** ...and from the floor, when the water has just come into the finder's view (RiseRate.restart). */
const EMERGED_SHARE = 0.25;
/** Level readings kept per second of window (the plugin runs at a few fps). */
const SAMPLES_PER_S = 16;

export default definePlugin({
  name: 'flood',
  description: 'Water level on a staff gauge (with a temporal median), rapid rise, and the share of a zone under water.',
  configSchema,
  defaults: { fps: 2, latencyBudgetMs: 30, input: { format: 'i420' } },
  create(ctx) {
    return new Flood(ctx);
  },
});

/** What depends on the frame size. */
interface Sized {
  key: string;
  finder?: WaterlineFinder;
  /** The gauge zone's bounding box, frame pixels, and a background model of it. */
  box?: { x: number; y: number; w: number; h: number; model: BackgroundModel; mask: Uint8Array; hold: Uint8Array };
  extent?: WaterExtent;
  scaler?: FrameScaler;
}

class Flood {
  readonly #ctx: PluginContext<FloodConfig>;
  readonly #scale: LevelScale | undefined;
  readonly #gaugeZone: Point[] | undefined;
  readonly #extentZone: Point[] | undefined;
  readonly #gaugeBox: [number, number, number, number] = [0, 0, 0, 0];
  readonly #extentBox: [number, number, number, number] = [0, 0, 0, 0];
  readonly #level: TimedMedian;
  readonly #share: TimedMedian;
  readonly #rate: RiseRate | undefined;
  #sized: Sized | undefined;
  #startMs = NaN;
  #levelOn = false;
  #riseOn = false;
  #extentOn = false;
  #extentSinceMs = NaN;
  #occludedSinceMs = NaN;
  #lastLevel = NaN;
  #lastRate = NaN;
  #lastShare = NaN;

  constructor(ctx: PluginContext<FloodConfig>) {
    this.#ctx = ctx;
    const c = ctx.config;
    const where = `cameras.${ctx.cameraId}.plugins.flood.config`;
    const zone = (name: string, path: string) => {
      const poly = ctx.geometry.zones[name];
      if (!poly) throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(ctx.geometry.zones).join(', ') || 'none'})`, `${where}.${path}`);
      return poly;
    };
    if (c.gauge) {
      this.#gaugeZone = zone(c.gauge.zone, 'gauge.zone');
      this.#scale = new LevelScale(c.gauge.marks, c.gauge.maxExtrapolationM);
      this.#gaugeBox = boundsOf(this.#gaugeZone);
    }
    if (c.extent) {
      this.#extentZone = zone(c.extent.zone, 'extent.zone');
      this.#extentBox = boundsOf(this.#extentZone);
    }
    const capacity = Math.ceil(c.medianS * SAMPLES_PER_S) + 1;
    this.#level = new TimedMedian(c.medianS * 1000, capacity);
    this.#share = new TimedMedian(c.medianS * 1000, capacity);
    if (c.rise) this.#rate = new RiseRate(c.rise.windowS * 1000, Math.ceil(c.rise.windowS * SAMPLES_PER_S) + 1);
  }

  /** Returns, for live charts, the gauge zone labelled `level:<median m>` and the extent zone labelled `extent:<median share>`. */
  onFrame(frame: Frame): Detection[] {
    const now = frame.capturedAt;
    if (Number.isNaN(this.#startMs)) this.#startMs = now;
    const s = this.#size(frame);
    const out: Detection[] = [];
    if (s.finder && s.box) {
      this.#gauge(frame, s, now);
      if (!Number.isNaN(this.#lastLevel)) out.push({ label: `level:${this.#lastLevel.toFixed(3)}`, score: 1, box: this.#gaugeBox });
    }
    if (s.extent) {
      this.#extent(frame, s, now);
      if (!Number.isNaN(this.#lastShare)) out.push({ label: `extent:${this.#lastShare.toFixed(3)}`, score: this.#lastShare, box: this.#extentBox });
    }
    return out;
  }

  /** Reads the gauge, takes or drops the reading, and raises the level and rise alarms. */
  #gauge(frame: Frame, s: Sized, now: number): void {
    const c = this.#ctx.config;
    const box = s.box!;
    const finder = s.finder!;
    // While a reading is being dropped as occluded, the occluder's cells are not learnt: a person
    // standing at the gauge must not become its background before acceptAfterS.
    box.model.apply({ y: frame.y.subarray(box.y * frame.strideY + box.x), strideY: frame.strideY, width: box.w, height: box.h, strideUV: 0 }, box.mask, -1, box.hold);
    if (Number.isNaN(this.#occludedSinceMs)) box.hold.fill(0);
    else box.hold.set(box.mask);
    const reading = finder.find(frame.y, frame.strideY);
    if (reading.state === 'hidden') return;
    const level = this.#scale!.level(reading.row / frame.height).level;
    const median = this.#level.value;
    // Levels under the finder's floor cannot be told apart ('dry' says only "somewhere below it"), so
    // the jump is measured between levels raised to the floor: water rising out of the bottom
    // period into view is not a jump from the region's bottom, nor is water falling back into it.
    const floor = this.#scale!.level(finder.floorRow / frame.height).level;
    const jump = Math.abs(Math.max(level, floor) - Math.max(median, floor));
    if (!Number.isNaN(median) && jump > c.jumpM && this.#covered(reading, median, s, frame.height)) {
      // A jump with something in front of the gauge: hold the median, unless it goes on for acceptAfterS.
      if (Number.isNaN(this.#occludedSinceMs)) this.#occludedSinceMs = now;
      if (now - this.#occludedSinceMs < c.acceptAfterS * 1000) return;
      this.#level.clear();
    }
    this.#occludedSinceMs = NaN;
    finder.learnDry(reading);
    this.#level.push(now, level);
    const med = this.#level.value;
    this.#lastLevel = med;
    // The rise is fitted only to levels the finder saw. While the median is under the floor the water
    // is somewhere below it, so the fit starts again from the floor at the last such reading: a slow
    // rise coming into view does not step from the region's bottom to the floor, and a rapid one is
    // timed from when it left the floor.
    const unseen = med <= floor;
    if (this.#rate) {
      if (unseen) this.#rate.restart(now, floor);
      else this.#rate.push(now, med);
      this.#lastRate = this.#rate.perSecond(now, MIN_SHARE, EMERGED_SHARE) * 6000;
    }
    if (c.level) {
      if (!this.#levelOn && med >= c.level.thresholdM) {
        this.#levelOn = true;
        this.#emit('flood-level', 'critical', c.gauge!.zone, { thresholdM: c.level.thresholdM });
      } else if (this.#levelOn && med < c.level.thresholdM - c.level.hysteresisM) this.#levelOn = false;
    }
    if (c.rise && !Number.isNaN(this.#lastRate)) {
      if (!this.#riseOn && this.#lastRate >= c.rise.cmPerMin) {
        this.#riseOn = true;
        this.#emit('flood-rise', 'warning', c.gauge!.zone, { thresholdCmPerMin: c.rise.cmPerMin, windowS: c.rise.windowS });
      } else if (this.#riseOn && this.#lastRate < c.rise.cmPerMin / 2) this.#riseOn = false;
    } else if (unseen) this.#riseOn = false; // back under the floor: whatever rose has fallen

  }

  /**
   * Whether the gauge rows a jumping reading claims have changed (those between its line and the
   * median's, and two more either side) are covered by something new in front of the gauge: COVERED
   * of their pixels not background (foreground or shadow) in the gauge zone's background model.
   */
  #covered(reading: WaterlineReading, median: number, s: Sized, height: number): boolean {
    const box = s.box!;
    const finder = s.finder!;
    const medianRow = this.#scale!.row(median) * height;
    const a = Math.max(box.y, Math.floor(Math.min(reading.row, medianRow)) - 2);
    const b = Math.min(box.y + box.h - 1, Math.ceil(Math.max(reading.row, medianRow)) + 2);
    let fg = 0;
    let all = 0;
    for (let r = a; r <= b; r++) {
      const i = r - finder.top;
      if (i < 0 || i >= finder.x0.length) continue;
      for (let x = finder.x0[i]!; x < finder.x1[i]!; x++) {
        all++;
        // Shadow-marked cells count too: a dark coat over the white board is "a shadow" to the model.
        if (box.mask[(r - box.y) * box.w + (x - box.x)] !== MASK_BACKGROUND) fg++;
      }
    }
    return all > 0 && fg >= COVERED * all;
  }

  /** Measures the extent zone's water share and raises the extent alarm. */
  #extent(frame: Frame, s: Sized, now: number): void {
    const c = this.#ctx.config.extent!;
    const planes = s.scaler ? s.scaler.scale(frame) : frame;
    const learning = now - this.#startMs < c.learnS * 1000;
    const share = s.extent!.measure(planes, learning);
    if (learning || Number.isNaN(share)) return;
    this.#share.push(now, share);
    const med = this.#share.value;
    this.#lastShare = med;
    if (med >= c.share) {
      if (Number.isNaN(this.#extentSinceMs)) this.#extentSinceMs = now;
      if (!this.#extentOn && now - this.#extentSinceMs >= c.forS * 1000) {
        this.#extentOn = true;
        this.#emit('flood-extent', 'warning', c.zone, { thresholdShare: c.share });
      }
    } else {
      this.#extentSinceMs = NaN;
      if (med < c.share - 0.1) this.#extentOn = false;
    }
  }

  #emit(type: string, severity: 'warning' | 'critical', zone: string, extra: Record<string, unknown>): void {
    const round = (v: number, k: number) => (Number.isNaN(v) ? null : Math.round(v * k) / k);
    this.#ctx.emit({
      type,
      severity,
      zone,
      attributes: { levelM: round(this.#lastLevel, 1000), rateCmPerMin: round(this.#lastRate, 10), extent: round(this.#lastShare, 1000), ...extra },
      snapshot: true,
    });
  }

  /** The per-size state, rebuilt when the frame size changes. */
  #size(frame: Frame): Sized {
    const key = `${frame.width}x${frame.height}`;
    if (this.#sized?.key === key) return this.#sized;
    const c = this.#ctx.config;
    const s: Sized = { key };
    if (this.#gaugeZone && this.#scale && c.gauge) {
      const mid = (this.#gaugeZone.reduce((m, p) => m + p[1], 0)) / this.#gaugeZone.length;
      const periodRows = this.#scale.rowsPerMetre(mid) * frame.height * c.gauge.markingPeriodM;
      s.finder = new WaterlineFinder(this.#gaugeZone, frame.width, frame.height, periodRows, c.gauge.wetShare);
      const xs = this.#gaugeZone.map((p) => p[0] * frame.width);
      const x = Math.max(0, Math.floor(Math.min(...xs)));
      const w = Math.min(frame.width, Math.ceil(Math.max(...xs))) - x;
      const h = s.finder.bottom - s.finder.top + 1;
      if (w > 0 && h > 0) {
        const model = new BackgroundModel({ width: w, height: h, history: 200 });
        s.box = { x, y: s.finder.top, w, h, model, mask: new Uint8Array(w * h), hold: new Uint8Array(w * h) };
      }
    }
    if (this.#extentZone && c.extent) {
      const f = analysisFactor(frame.width, c.analysisWidth);
      if (f > 1) s.scaler = new FrameScaler(frame.width, frame.height, f);
      const w = Math.ceil(frame.width / f);
      const h = Math.ceil(frame.height / f);
      s.extent = new WaterExtent(this.#extentZone, w, h, { cell: c.extent.cellPx, textureRatio: c.extent.textureRatio, chromaChange: c.extent.chromaChange, lumaChange: c.extent.lumaChange });
    }
    this.#sized = s;
    return s;
  }
}

/** A polygon's normalised bounding box [x, y, w, h]. */
function boundsOf(poly: readonly Point[]): [number, number, number, number] {
  const xs = poly.map((p) => p[0]);
  const ys = poly.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}
