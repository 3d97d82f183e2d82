/**
 * passenger: a motorbike carrying too many people (3 or more, by default).
 *
 *   frame → DetectionSource (a neural detector: 'person' and 'motorcycle' boxes), once
 *         → motorbike boxes → Tracker (motorbike tracks); person boxes as they are
 *         → riders by geometry (riders.ts), each person to one motorbike at most, at the same place
 *           on it as in its previous frame
 *         → per track, the rider count of every frame it was counted in (ride.ts)
 *         → mode ≥ minRiders over ≥ minFrames frames: `motorbike-overloaded`, once per track
 *
 * A motorbike is counted only while under way (at least minSpeed of its box heights per second): a
 * parked or waiting one has people standing beside it, not riding it. Seen from a motorbike under
 * way, its riders stay put and a passer-by slides past: a person counts as a rider only where a
 * person was on the motorbike's previous frame too (riders.ts heldPlace), and the mode outvotes the
 * odd frame a detector splits or misses a rider.
 *
 * The blob detector cannot tell a rider from the motorbike under them, so this plugin needs a
 * detector that labels boxes: the host's (hostDetectionSource, set when the server has a `detector:`
 * model), else `create` fails with a ConfigError. `createPassenger(ctx, source)` builds it on any
 * DetectionSource (tests, embedding).
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import {
  bottomCentre, boxToNormalised, definePlugin, FrameHistory, hostDetectionSource, kindOfLabel, pointInPolygon, pointToNormalised, Tracker,
  type Box, type Detection, type DetectionSource, type EvidenceImage, type Frame, type ObjectDetection, type PluginContext, type PluginInstance, type Point,
} from '../sdk/index.js';
import { assignRiders, heldPlace } from './riders.js';
import { pathVelocity, Ride, RIDE_FRAMES, type RideFrame } from './ride.js';

const configSchema = z.strictObject({
  minRiders: z.number().int().min(2).max(10).default(3)
    .describe('Riders (the mode over the frames a motorbike was counted in) from which it is overloaded.'),
  minFrames: z.number().int().min(1).max(RIDE_FRAMES).default(5)
    .describe('Frames a motorbike must have been counted in (under way, detected) before its mode is trusted.'),
  minSpeed: z.number().gt(0).max(20).default(0.3)
    .describe('Slowest a motorbike is counted at, in its own box heights per second: a parked or waiting one is skipped, since people beside it are not riders.'),
  minScore: z.number().min(0).max(1).default(0.3)
    .describe("Least detector score of a person box that may count as a rider (riders hide each other, so their scores run lower than a pedestrian's)."),
  zones: z.array(z.string().min(1)).default([])
    .describe("Zones, by their names under the camera's `zones:`, where motorbikes are counted (the bottom-centre of their box inside one). None: the whole frame."),
});

/** The parsed config. */
export type PassengerConfig = z.infer<typeof configSchema>;

/** The event's type. */
export const OVERLOADED = 'motorbike-overloaded';

/** Frames kept for evidence: 5 s at 5 fps, as many as a ride keeps records of. */
const HISTORY_FRAMES = RIDE_FRAMES;
/** How far before and after the best frame, ms, the other evidence frames are sought. */
const EVIDENCE_STEP_MS = 600;

const plugin = definePlugin({
  name: 'passenger',
  description: 'Motorbikes carrying too many people (3 or more riders by default), from a neural detector\'s person and motorcycle boxes.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 80, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    // The host's neural detector for this camera (core/plugins/worker.ts sets it before create): the
    // blob detector, which trackers fall back on, cannot tell a rider from the motorbike under them.
    const source = hostDetectionSource();
    if (!source) {
      throw new ConfigError(
        'needs a neural detector (a model that labels person and motorcycle boxes) configured for this camera; the blob detector cannot tell riders apart',
        `cameras.${ctx.cameraId}.plugins.passenger`,
      );
    }
    return createPassenger(ctx, source);
  },
});
export default plugin;

/**
 * Builds the plugin for one camera on `source` (a detector labelling person and motorbike boxes).
 * The source stays the caller's: close() does not close it. Throws ConfigError for a zone the camera
 * does not have.
 */
export function createPassenger(ctx: PluginContext<PassengerConfig>, source: DetectionSource): PluginInstance {
  checkZones(ctx);
  return new Passenger(ctx, source);
}

function checkZones(ctx: PluginContext<PassengerConfig>): void {
  const where = `cameras.${ctx.cameraId}.plugins.passenger.config`;
  ctx.config.zones.forEach((name, i) => {
    if (!ctx.geometry.zones[name]) {
      throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(ctx.geometry.zones).join(', ') || 'none'})`, `${where}.zones[${i}]`);
    }
  });
}

/** One camera's passenger counter. */
class Passenger implements PluginInstance {
  readonly #ctx: PluginContext<PassengerConfig>;
  readonly #source: DetectionSource;
  readonly #zones: Point[][];
  readonly #history = new FrameHistory(HISTORY_FRAMES);
  readonly #rides = new Map<number, Ride>();
  /** The motorbike tracker, in pixels of one frame size. */
  #tracker: { width: number; height: number; tracker: Tracker } | undefined;

  constructor(ctx: PluginContext<PassengerConfig>, source: DetectionSource) {
    this.#ctx = ctx;
    this.#source = source;
    this.#zones = ctx.config.zones.map((name) => ctx.geometry.zones[name]!);
  }

  async onFrame(frame: Frame): Promise<Detection[]> {
    // Copied before the await: the frame's planes are only lent.
    this.#history.push(frame);
    const detections = await this.#source.detect(frame);
    const c = this.#ctx.config;
    const tracker = this.#trackerFor(frame);
    const bikeBoxes: ObjectDetection[] = [];
    const people: Box[] = [];
    for (const d of detections) {
      const kind = kindOfLabel(d.label ?? '');
      if (kind === 'motorbike') bikeBoxes.push(d);
      else if (kind === 'person' && d.score >= c.minScore) people.push(d.box);
    }
    const t = frame.capturedAt;
    const bikes = tracker.update(bikeBoxes, t).filter((b) => b.missed === 0);
    for (const b of tracker.removed) this.#rides.delete(b.id);
    const rides = bikes.map((b) => {
      let ride = this.#rides.get(b.id);
      if (!ride) this.#rides.set(b.id, (ride = new Ride()));
      return ride;
    });
    // How far each motorbike's bottom-centre moved since its previous frame, px.
    const moves = bikes.map((b, bi) => {
      const last = rides[bi]!.previous?.bike;
      rides[bi]!.moved(t, b.detected);
      if (!last) return 0;
      const [p, q] = [bottomCentre(last), bottomCentre(b.detected)];
      return Math.hypot(q[0] - p[0], q[1] - p[1]);
    });
    // Every motorbike detected takes part, moving or not: a pedestrian beside a parked one goes to it, not to the next.
    const riders = assignRiders(bikes.map((b) => b.detected), people, (pi, bi) => {
      const previous = rides[bi]!.previous;
      return previous !== undefined && heldPlace(people[pi]!, bikes[bi]!.detected, previous, moves[bi]!);
    });

    const out: Detection[] = [];
    const norm = (box: Box, label: string, trackId?: number): Detection => ({ label, score: 1, box: boxToNormalised(box, frame.width, frame.height), ...(trackId !== undefined ? { trackId } : {}) });
    bikes.forEach((b, bi) => {
      const box = b.detected;
      const ride = rides[bi]!;
      ride.previous = { bike: box, people };
      out.push(norm(box, 'motorbike', b.id));
      const v = pathVelocity(ride.path);
      if (!v || Math.hypot(v.x, v.y) < c.minSpeed * box.h || !this.#inZones(box, frame)) return;
      const on = riders[bi]!.map((pi) => people[pi]!);
      for (const p of on) out.push(norm(p, 'rider'));
      ride.add({ t, riders: on.length, bike: box, people: on });
      if (!ride.raised && ride.frames >= c.minFrames && ride.mode >= c.minRiders) this.#raise(b.id, ride, frame);
    });
    return out;
  }

  close(): void {
    this.#rides.clear();
    this.#history.clear();
    this.#tracker = undefined;
  }

  #raise(trackId: number, ride: Ride, frame: Frame): void {
    ride.raised = true;
    const riders = ride.mode;
    const available = (t: number) => this.#history.at(t)?.capturedAt === t;
    const best = ride.bestFrame(riders, available) ?? ride.recent.at(-1)!;
    const nearest = (target: number, keep: (f: RideFrame) => boolean) => {
      let found: RideFrame | undefined;
      for (const f of ride.recent) if (keep(f) && available(f.t) && (!found || Math.abs(f.t - target) < Math.abs(found.t - target))) found = f;
      return found;
    };
    const before = nearest(best.t - EVIDENCE_STEP_MS, (f) => f.t < best.t);
    const after = nearest(best.t + EVIDENCE_STEP_MS, (f) => f.t > best.t);
    const boxes = (f: RideFrame): Detection[] => [
      { label: 'motorbike', score: 1, box: boxToNormalised(f.bike, frame.width, frame.height), trackId },
      ...f.people.map((p): Detection => ({ label: 'rider', score: 1, box: boxToNormalised(p, frame.width, frame.height) })),
    ];
    const image = (label: string, f: RideFrame, caption: string): EvidenceImage =>
      ({ label, frame: this.#history.snapshot(this.#history.at(f.t)!), boxes: boxes(f), caption });
    const evidence: EvidenceImage[] = [];
    if (before) evidence.push(image('before', before, `${before.riders} RIDERS`));
    evidence.push(image('best', best, `MOTORBIKE ${riders} RIDERS`));
    if (after) evidence.push(image('after', after, `${after.riders} RIDERS`));
    this.#ctx.emit({
      type: OVERLOADED, severity: 'warning', trackId, boxes: boxes(best), snapshot: true, evidence, startedAt: ride.firstMs,
      attributes: { riders, trackId, frames: ride.frames, counts: ride.counts() },
    });
  }

  /** Whether the box's bottom-centre is inside a configured zone (always, with none). */
  #inZones(box: Box, frame: Frame): boolean {
    if (this.#zones.length === 0) return true;
    const foot = pointToNormalised(bottomCentre(box), frame.width, frame.height);
    return this.#zones.some((z) => pointInPolygon(foot, z));
  }

  #trackerFor(frame: Frame): Tracker {
    const tr = this.#tracker;
    if (tr && tr.width === frame.width && tr.height === frame.height) return tr.tracker;
    // A new size: the tracks (in pixels) and the rides on them start over.
    this.#rides.clear();
    // At 5 fps a motorbike moves most of its length between frames: boxes are widened for the IoU
    // (C-BIoU), as the vehicle tracker does.
    const tracker = new Tracker({ iouBuffer: 0.5 });
    this.#tracker = { width: frame.width, height: frame.height, tracker };
    return tracker;
  }
}
