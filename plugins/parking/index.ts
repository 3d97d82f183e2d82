/**
 * parking: stopping where it is not allowed, and congestion.
 *
 * - `illegal-stopping` (warning): a vehicle has stood in a no-stopping zone for the zone's dwellS,
 *   one event per stop, with the frame where it stopped and the frame at dwellS. Vehicles waiting in
 *   a queue (behind a stop line, or in a jam) are exempt while queued; see stops.ts.
 * - `congestion` (info) when a lane's occupancy stays high for minDurationS, and `congestion-cleared`
 *   when it falls back; see congestion.ts. Each lane's occupancy is also returned with every frame's
 *   detections (label `occupancy:<lane>`, score = occupancy), for live charts.
 *
 * Distances are on the ground, so the camera's 4 `ground` reference points are required.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import {
  BlobDetector, boxToNormalised, definePlugin, FrameHistory, GroundPlane, pointToNormalised, pointToPixels, VehicleTracker, vehicleTrackingShape,
  type Detection, type EvidenceImage, type Frame, type FrameCopy, type PluginContext, type Vehicle,
} from '../sdk/index.js';
import { CongestionMonitor, LaneOccupancy, type CongestionChange } from './congestion.js';
import { StopTracker, type StopSite } from './stops.js';
import { HoldStopped, TravelLog } from './hold.js';
import { LumaTemplate, type LumaPlane } from './appearance.js';

const configSchema = z.strictObject({
  ...vehicleTrackingShape,
  noStopping: z.array(z.strictObject({
    zone: z.string().min(1).describe('Zone (polygon) where stopping is not allowed.'),
    dwellS: z.number().min(1).max(86_400).default(30).describe('Seconds a vehicle may stand in the zone before it is a violation.'),
  })).default([]).describe('No-stopping zones: a vehicle standing in one (its ground contact point inside) for dwellS raises illegal-stopping.'),
  lanes: z.array(z.string().min(1)).default([])
    .describe('Lane zones: queues are found per lane (queued vehicles are exempt), and each lane\'s occupancy is measured for congestion.'),
  stopLines: z.array(z.string().min(1)).default([])
    .describe('Lines where traffic waits (stop lines): a queue reaching one, even a single car, is waiting, not parked.'),
  queueSpacingM: z.number().min(2).max(50).default(15)
    .describe('Stopped vehicles of one lane at most this far apart (ground contact points, metres) belong to one queue: a vehicle length and a gap; 15 fits a bus.'),
  queueMinVehicles: z.number().int().min(2).max(20).default(3).describe('Stopped vehicles a queue away from any stop line needs to exempt them (a jam).'),
  queueOccupancy: z.number().min(0).max(1).default(0.3).describe('Lane occupancy (0-1) a queue away from any stop line needs to exempt its vehicles.'),
  congestion: z.strictObject({
    occupancy: z.number().min(0).max(1).default(0.6).describe('Window-average lane occupancy (0-1) at which congestion may start.'),
    clearOccupancy: z.number().min(0).max(1).default(0.4).describe('Window-average occupancy below which congestion clears (hysteresis; at most occupancy).'),
    windowS: z.number().int().min(1).max(600).default(10).describe('Seconds of per-second occupancy averaged.'),
    minDurationS: z.number().min(1).max(3600).default(60).describe('Seconds the average must stay up (not below clearOccupancy) before congestion is raised.'),
  }).prefault({}).describe('Congestion per lane from its occupancy.'),
}).superRefine((c, issue) => {
  if (!c.ground) issue.addIssue({ code: 'custom', path: ['ground'], message: 'parking needs the 4 ground reference points: stops, queues and occupancy are measured in metres' });
  if (c.congestion.clearOccupancy > c.congestion.occupancy) issue.addIssue({ code: 'custom', path: ['congestion', 'clearOccupancy'], message: 'must not exceed congestion.occupancy' });
});

/** The parsed config. */
export type ParkingConfig = z.infer<typeof configSchema>;

/** Frames kept to find the one where a vehicle stopped (it is recognised as stopped ~1.5 s later). */
const HISTORY_FRAMES = 12;
/**
 * A driven vehicle standing still this long without a stop site is not held any more: it is the
 * track of a vehicle that drove off, left on the background it uncovered (which must be learnt).
 */
const HOLD_UNCLAIMED_MS = 3000;
/** The luma inside a stopped vehicle's box correlates at least this much with its template while it is there. */
const STILL_THERE = 0.5;
/** Most stop frames held for pending violations at once (each is a full frame copy). */
const MAX_PENDING = 16;

export default definePlugin({
  name: 'parking',
  description: 'Vehicles stopping in no-stopping zones (queues exempt); lane occupancy and congestion.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 25, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    return new Parking(ctx);
  },
});

/** What depends on the frame size. */
interface Sized {
  width: number;
  height: number;
  stops: StopTracker;
  occupancy: LaneOccupancy;
  occ: Float64Array;
}

/** One camera's parking detector. */
class Parking {
  readonly #ctx: PluginContext<ParkingConfig>;
  readonly #vehicles: VehicleTracker;
  readonly #travel = new TravelLog();
  readonly #hold: HoldStopped;
  readonly #history: FrameHistory | undefined;
  readonly #congestion: Map<string, CongestionMonitor>;
  /** Frame where each pending site's clock started, kept until it is reported or ends. */
  readonly #stopFrames = new Map<number, FrameCopy>();
  /** The stop lines on the ground, metres. */
  readonly #stopLines: [[number, number], [number, number]][];
  #sized: Sized | undefined;
  /** How each stop in a zone looked when it was found (see appearance.ts). */
  readonly #templates = new Map<number, LumaTemplate>();
  /** The luma of the frame being processed. */
  #luma: LumaPlane | undefined;

  constructor(ctx: PluginContext<ParkingConfig>) {
    this.#ctx = ctx;
    const c = ctx.config;
    const where = `cameras.${ctx.cameraId}.plugins.parking.config`;
    const zone = (name: string, path: string) => {
      if (!ctx.geometry.zones[name]) throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(ctx.geometry.zones).join(', ') || 'none'})`, `${where}.${path}`);
    };
    c.noStopping.forEach((n, i) => zone(n.zone, `noStopping[${i}].zone`));
    c.lanes.forEach((n, i) => zone(n, `lanes[${i}]`));
    // The reference points fit a plane in any image units: normalised ones place the lines now.
    const plane = GroundPlane.fromReferencePoints(c.ground!, `${where}.ground`);
    this.#stopLines = c.stopLines.map((n, i) => {
      const line = ctx.geometry.lines[n];
      if (!line) throw new ConfigError(`names line '${n}', which is not among the lines (${Object.keys(ctx.geometry.lines).join(', ') || 'none'})`, `${where}.stopLines[${i}]`);
      const [a, b] = [plane.imageToGround(line.from), plane.imageToGround(line.to)];
      if (!a || !b) throw new ConfigError(`line '${n}' reaches above the horizon of the ground reference points`, `${where}.stopLines[${i}]`);
      return [[a[0], a[1]], [b[0], b[1]]];
    });
    this.#vehicles = new VehicleTracker({ config: c, zones: ctx.geometry.zones, where });
    this.#hold = new HoldStopped(this.#vehicles, (v) => this.#sized?.stops.holds(v.id) === true || (this.#travel.driven(v.id) && v.stationaryMs < HOLD_UNCLAIMED_MS));
    this.#history = c.noStopping.length > 0 ? new FrameHistory(HISTORY_FRAMES) : undefined;
    this.#congestion = new Map(c.lanes.map((l) => [l, new CongestionMonitor(c.congestion)]));
  }

  async onFrame(frame: Frame): Promise<Detection[]> {
    this.#luma = { y: frame.y, width: frame.width, height: frame.height, stride: frame.strideY };
    this.#history?.push(frame);
    this.#hold.apply(frame);
    const vehicles = await this.#vehicles.update(frame);
    this.#travel.observe(vehicles, frame.capturedAt);
    this.#hold.observe(vehicles);
    const s = this.#size(frame);
    const blobs = this.#vehicles.source instanceof BlobDetector ? this.#vehicles.source : undefined;
    const confirmed = vehicles.filter((v) => v.confirmed);
    s.occupancy.measure(blobs?.foreground, confirmed.map((v) => v.box), s.occ);
    const byLane = new Map(s.occupancy.names.map((n, k) => [n, s.occ[k]!]));
    const now = frame.capturedAt;
    for (const [lane, monitor] of this.#congestion) {
      const change = monitor.push(now, byLane.get(lane) ?? 0);
      if (change) this.#emitCongestion(lane, change);
    }
    const update = s.stops.update(now, vehicles, byLane);
    for (const site of update.created) if (site.zone) this.#templates.set(site.key, LumaTemplate.capture(this.#luma!, site.refBox));
    for (const site of update.ended) {
      this.#stopFrames.delete(site.key);
      this.#templates.delete(site.key);
    }
    for (const site of update.started) {
      // The frame it stopped in; when that is older than the history (it stopped while hidden), the
      // frame it was found stopped in.
      const at = this.#history?.at(site.clockMs!);
      const copy = at && Math.abs(at.capturedAt - site.clockMs!) <= 1000 ? at : this.#history?.latest;
      if (copy && this.#stopFrames.size < MAX_PENDING) this.#stopFrames.set(site.key, this.#history!.snapshot(copy));
    }
    for (const site of update.violations) this.#emitStop(site, vehicles, frame);
    return this.#detections(confirmed, s, frame);
  }

  close(): void {
    this.#vehicles.close();
    this.#stopFrames.clear();
    this.#templates.clear();
  }

  #size(frame: Frame): Sized {
    const { width, height } = frame;
    if (this.#sized?.width === width && this.#sized.height === height) return this.#sized;
    const { geometry, config: c } = this.#ctx;
    const px = (name: string) => geometry.zones[name]!.map((p) => pointToPixels(p, width, height));
    const lanes = c.lanes.map((name) => ({ name, polygon: px(name) }));
    const blobs = this.#vehicles.source instanceof BlobDetector ? this.#vehicles.source : undefined;
    const grid = blobs?.gridFor(width, height) ?? { step: 2, width: Math.ceil(width / 2), height: Math.ceil(height / 2) };
    this.#sized = {
      width, height,
      stops: new StopTracker({
        zones: c.noStopping.map((n) => ({ name: n.zone, polygon: px(n.zone), dwellMs: n.dwellS * 1000 })),
        lanes,
        stopLines: this.#stopLines,
        queueSpacingM: c.queueSpacingM, queueMinVehicles: c.queueMinVehicles, queueOccupancy: c.queueOccupancy,
        travel: this.#travel,
        confirm: (site) => (this.#templates.get(site.key)?.correlate(this.#luma!) ?? 1) >= STILL_THERE,
      }),
      occupancy: new LaneOccupancy(lanes, this.#vehicles.plane!, grid),
      occ: new Float64Array(lanes.length),
    };
    return this.#sized;
  }

  #emitStop(site: StopSite, vehicles: readonly Vehicle[], frame: Frame): void {
    const { width, height } = frame;
    const stoppedS = Math.round((frame.capturedAt - site.onsetMs) / 100) / 10;
    const box: Detection = { label: site.cls, score: 1, box: boxToNormalised(site.box, width, height), trackId: site.vehicleId };
    const holder = vehicles.find((v) => v.id === site.vehicleId);
    const track = holder?.history.map((p) => pointToNormalised(p.foot, width, height));
    const evidence: EvidenceImage[] = [];
    const stopped = this.#stopFrames.get(site.key);
    this.#stopFrames.delete(site.key);
    if (stopped) evidence.push({ label: 'stopped', frame: stopped, boxes: [box], caption: `STOPPED ${site.zone!.name}` });
    const latest = this.#history?.latest;
    if (latest) evidence.push({ label: 'at-dwell', frame: this.#history!.snapshot(latest), boxes: [box], track, caption: `${site.cls.toUpperCase()} STOPPED ${stoppedS}S` });
    this.#ctx.emit({
      type: 'illegal-stopping', severity: 'warning', zone: site.zone!.name, trackId: site.vehicleId, boxes: [box],
      attributes: { cls: site.cls, zone: site.zone!.name, stoppedS, ...(site.lane ? { lane: site.lane } : {}) },
      evidence,
    });
  }

  #emitCongestion(lane: string, change: CongestionChange): void {
    const attributes = { lane, occupancy: Math.round(change.occupancy * 1000) / 1000, durationS: Math.round(change.durationS * 10) / 10 };
    if (change.type === 'congestion') this.#ctx.emit({ type: 'congestion', severity: 'info', zone: lane, attributes, snapshot: true });
    else this.#ctx.emit({ type: 'congestion-cleared', severity: 'info', zone: lane, attributes, endedAt: change.atMs });
  }

  /**
   * Confirmed vehicles; each stop in a no-stopping zone (label `stopped`, score = share of the dwell
   * used, its vehicle's box where it was last seen, also while hidden); and each lane's occupancy over
   * the lane's bounds.
   */
  #detections(confirmed: readonly Vehicle[], s: Sized, frame: Frame): Detection[] {
    const out: Detection[] = confirmed.map((v) => ({ label: v.cls, score: 1, box: boxToNormalised(v.box, frame.width, frame.height), trackId: v.id }));
    for (const site of s.stops.sites) {
      if (!site.zone) continue;
      const used = site.clockMs === undefined ? 0 : Math.min(1, (frame.capturedAt - site.clockMs) / site.zone.dwellMs);
      out.push({ label: 'stopped', score: Math.round(used * 100) / 100, box: boxToNormalised(site.box, frame.width, frame.height), trackId: site.vehicleId });
    }
    for (const [k, lane] of s.occupancy.names.entries()) {
      const poly = this.#ctx.geometry.zones[lane]!;
      const xs = poly.map((p) => p[0]);
      const ys = poly.map((p) => p[1]);
      const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
      const avg = this.#congestion.get(lane)?.average;
      out.push({ label: `occupancy:${lane}`, score: Math.round((avg ?? s.occ[k]!) * 1000) / 1000, box: [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0] });
    }
    return out;
  }
}
