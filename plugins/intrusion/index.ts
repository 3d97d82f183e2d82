/**
 * intrusion: people or vehicles where they must not be.
 *
 * - `intrusion` (critical): an object of a watched kind has stood in a restricted zone (its foot point
 *   inside the polygon) for the zone's dwellS; one event per visit (visits.ts), with the frame where it
 *   entered and the frame at dwellS.
 * - `tripwire` (critical): an object of a watched kind crossed a line in the watched direction,
 *   'left-to-right' or 'right-to-left' as seen standing on the line's `from` looking towards `to`.
 *
 * Objects come from the ObjectTracker (sdk/vision/objects.ts): people and vehicles by kind, with
 * objects whose real size does not fit their kind (a dog, a bird, a light change) left out; the size
 * is measured in metres with the 4 `ground` reference points, as a share of the frame without them.
 * Nothing is raised outside the active hours (`schedules`); the objects are tracked all the same, so
 * a person already standing in a zone when the hours open is timed from the opening.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import {
  boxToNormalised, definePlugin, FrameHistory, isVehicleKind, LineCrossingDetector, ObjectTracker, objectTrackingShape,
  pointToNormalised, pointToPixels, segmentDistance, type Detection, type Point, type EvidenceImage, type Frame, type FrameCopy, type PluginContext, type TrackedObject,
} from '../sdk/index.js';
import { ActiveHours, isTimeZone, scheduleWindowSchema } from './schedule.js';
import { ZoneWatch, zoneDepth, type Visit } from './visits.js';

const kinds = z.array(z.string().min(1).max(32)).min(1).default(['person', 'vehicle'])
  .describe("Kinds that raise it: 'person', 'vehicle' (every vehicle class), a vehicle class (motorbike, car, truck, bus), or a detector's label.");

const configSchema = z.strictObject({
  ...objectTrackingShape,
  restricted: z.array(z.strictObject({
    zone: z.string().min(1).describe('Zone (polygon) where the watched kinds must not be.'),
    dwellS: z.number().min(0).max(86_400).default(5).describe('Seconds an object must stay inside (foot point in the polygon) before it is an intrusion; 0 raises it on entry.'),
    kinds,
  })).default([]).describe('Restricted zones: an object of a watched kind inside one for dwellS raises intrusion, once per visit.'),
  tripwires: z.array(z.strictObject({
    line: z.string().min(1).describe('Line that must not be crossed.'),
    direction: z.enum(['left-to-right', 'right-to-left', 'both']).default('both')
      .describe("Crossing direction that raises tripwire, as seen standing on the line's `from` end looking towards `to`."),
    kinds,
  })).default([]).describe('Tripwires: an object of a watched kind whose foot point crosses the line in the watched direction raises tripwire.'),
  leaveS: z.number().min(0.5).max(600).default(3)
    .describe('Seconds an object must be out of a zone (or lost) before its visit ends; coming back later is a new visit and a new event.'),
  schedules: z.array(scheduleWindowSchema).default([])
    .describe('Active hours: weekly windows in which events are raised (none: always). A window whose `to` is not later than its `from` runs past midnight.'),
  timeZone: z.string().refine(isTimeZone, { message: 'is not a time zone known to this server (IANA name, e.g. Asia/Ho_Chi_Minh)' }).optional()
    .describe("Time zone of the schedules (IANA name); default the server's local time zone."),
}).superRefine((c, issue) => {
  if (c.restricted.length === 0 && c.tripwires.length === 0) issue.addIssue({ code: 'custom', path: ['restricted'], message: 'intrusion needs at least one restricted zone or tripwire' });
});

/** The parsed config. */
export type IntrusionConfig = z.infer<typeof configSchema>;

/** Frames kept for the 'before' and 'entered' evidence: 2.4 s at 5 fps. */
const HISTORY_FRAMES = 12;
/** Most entry frames held for visits still under their dwell time (each is a full frame copy). */
const MAX_PENDING = 16;
/**
 * Half-width of a tripwire's hysteresis band: with reference points, on the ground, in metres (an
 * object's foot point is off by a few tenths of a metre when its legs blend into the ground or it
 * merges with someone beside it, and must not count as a crossing); without them, in pixels, as a
 * share of the frame height.
 */
const GROUND_BAND_M = 0.5;
const BAND = 0.008;
/**
 * Fastest a person's foot moves on the ground, m/s (a run); a track whose foot jumps faster, far
 * from the line, has been handed to someone else (two people merged and parted), so its side of
 * each line starts afresh instead of counting the jump as a crossing. Vehicles: VEHICLE_SPEED_MPS
 * (150 km/h).
 */
const PERSON_SPEED_MPS = 6;
const VEHICLE_SPEED_MPS = 42;
/**
 * A jump is only taken for a hand-over when it lands this far, metres, from the line segment: a
 * person's foot also jumps a metre or two when their legs drop out of the foreground for a frame,
 * and when that happens as they step over the line, the crossing is real.
 */
const JUMP_AWAY_M = 3;
/**
 * How long, ms, a foot must stay over a tripwire after crossing it before the crossing is raised.
 * When someone walking along a fence meets someone standing at it, the two make one blob whose foot
 * point swings half a metre over the line for a frame or two and back as they part; a person who
 * crosses stays over. (Fresh seed 1003: a standing man's foot, his legs fading, flipped between his
 * box's bottom and the point under his head for three frames over the line; 0.4 s let it through.)
 * The event is raised this much later, dated when the foot stepped over the line (`startedAt`);
 * its evidence is the frames before, at and after it.
 */
const CONFIRM_MS = 1000;
/**
 * How deep, metres on the ground, a foot must have stood inside a restricted zone (the median over a
 * second) before its visit can raise an intrusion (ZoneWatchOptions.minDepthM). The foot point of
 * someone standing beside a zone's edge wavers by a few pixels, which is a few centimetres near the
 * camera and up to a decimetre or two far away (vtest: a man on the path stood 1–2 px over the lawn's
 * edge, 25 m away, and made a visit); a person who steps in, even to stand just inside, goes deeper.
 */
const EDGE_DEPTH_M = 0.3;

export default definePlugin({
  name: 'intrusion',
  description: 'People or vehicles in restricted zones for a dwell time, or crossing tripwires in a given direction, within active hours.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 30, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    return new Intrusion(ctx);
  },
});

/** Whether an object of `kind` is one the list watches. */
export function watches(list: readonly string[], kind: string): boolean {
  return list.includes(kind) || (list.includes('vehicle') && isVehicleKind(kind));
}

/** Whether a foot moved from `a` at `ta` to `b` at `tb` (ground metres, ms) faster than an object of its kind can. */
function jumped(kind: string, a: readonly number[], ta: number, b: readonly number[], tb: number): boolean {
  const limit = isVehicleKind(kind) ? VEHICLE_SPEED_MPS : PERSON_SPEED_MPS;
  return Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!) > limit * Math.max(0.2, (tb - ta) / 1000);
}

/** A tripwire crossing waiting to be confirmed (CONFIRM_MS after it was detected): its track, when, which way, on which side of the line (sign) the foot landed, and the object then. */
interface PendingCrossing {
  id: number;
  /** When the detector reported it (the foot past the band), and when the foot stepped over the line, ms. */
  detectedAt: number;
  at: number;
  direction: string;
  side: number;
  kind: string;
  box: Detection;
}

/**
 * When a foot crossed a line, ms: the detector reports a crossing once the foot is past its band, a
 * few frames after it stepped over the line itself. Back along the track (`history`, up to the
 * detection at `t`) to the last foot on the side it came from (`dist`: signed distance to the line,
 * `side` the sign it has now), and between that one and the next, where the distance passes zero.
 */
function crossedAt<H extends { t: number }>(history: readonly H[], t: number, side: number, dist: (h: H) => number | undefined): number {
  let after: { t: number; d: number } | undefined;
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    if (h.t > t) continue;
    const d = dist(h);
    if (d === undefined) continue;
    if (Math.sign(d) !== side) return after ? h.t + ((after.t - h.t) * d) / (d - after.d) : t;
    after = { t: h.t, d };
  }
  return t;
}

/** What depends on the frame size: the zones' watches and the tripwires' detectors, in pixels. */
interface Sized {
  width: number;
  height: number;
  zones: { name: string; watch: ZoneWatch; dwellS: number }[];
  /**
   * Each tripwire's detector, on the ground (metres) with reference points, else in pixels;
   * `flip` when the ground's handedness is the image's mirror (its 'forward' is the image's right-to-left).
   */
  lines: { name: string; detector: LineCrossingDetector; onGround: boolean; flip: boolean; direction: string; kinds: string[]; pending: Map<number, PendingCrossing> }[];
}

/** One camera's intrusion detector. */
class Intrusion {
  readonly #ctx: PluginContext<IntrusionConfig>;
  readonly #objects: ObjectTracker;
  readonly #hours: ActiveHours;
  readonly #history = new FrameHistory(HISTORY_FRAMES);
  /** The frame each visit in progress entered on, by zone and track, until it fires or ends. */
  readonly #entered = new Map<Visit, FrameCopy>();
  /** Track ids each tripwire detector holds state for. */
  readonly #fed = new Set<number>();
  #sized: Sized | undefined;
  /** When the active hours last opened (epoch ms); undefined while closed. */
  #activeSince: number | undefined;

  constructor(ctx: PluginContext<IntrusionConfig>) {
    this.#ctx = ctx;
    const c = ctx.config;
    const where = `cameras.${ctx.cameraId}.plugins.intrusion.config`;
    const names = (what: string, have: Record<string, unknown>) => `${what} (${Object.keys(have).join(', ') || 'none'})`;
    c.restricted.forEach((r, i) => {
      if (!ctx.geometry.zones[r.zone]) throw new ConfigError(`names zone '${r.zone}', which is not among the ${names('zones', ctx.geometry.zones)}`, `${where}.restricted[${i}].zone`);
    });
    c.tripwires.forEach((t, i) => {
      if (!ctx.geometry.lines[t.line]) throw new ConfigError(`names line '${t.line}', which is not among the ${names('lines', ctx.geometry.lines)}`, `${where}.tripwires[${i}].line`);
    });
    this.#objects = new ObjectTracker({ config: c, where });
    this.#hours = new ActiveHours(c.schedules, c.timeZone);
  }

  async onFrame(frame: Frame): Promise<Detection[]> {
    this.#history.push(frame);
    const objects = await this.#objects.update(frame);
    const s = this.#size(frame);
    const now = frame.capturedAt;
    const active = this.#hours.isActive(now);
    if (active && this.#activeSince === undefined) this.#activeSince = now;
    if (!active && this.#activeSince !== undefined) {
      this.#activeSince = undefined;
      for (const z of s.zones) z.watch.clear();
      this.#entered.clear();
    }
    if (active) for (const z of s.zones) this.#watchZone(z, objects, frame);
    this.#watchLines(s, objects, frame, active);
    return objects.map((o) => ({ label: o.kind, score: 1, box: boxToNormalised(o.box, frame.width, frame.height), trackId: o.id }));
  }

  close(): void {
    this.#objects.close();
    this.#entered.clear();
    this.#history.clear();
  }

  #watchZone(z: Sized['zones'][number], objects: readonly TrackedObject[], frame: Frame): void {
    const u = z.watch.update(frame.capturedAt, objects, this.#activeSince);
    for (const v of u.ended) this.#entered.delete(v);
    for (const v of u.started) {
      if (this.#entered.size >= MAX_PENDING) break;
      // The frame it entered on when the history still has it, else this one.
      const at = this.#history.at(v.enteredMs);
      const copy = at && Math.abs(at.capturedAt - v.enteredMs) <= 500 ? at : this.#history.latest!;
      this.#entered.set(v, this.#history.snapshot(copy));
    }
    for (const v of u.fired) {
      const o = objects.find((x) => x.id === v.trackId)!;
      const dwellS = Math.round((frame.capturedAt - v.enteredMs) / 100) / 10;
      const box = this.#box(o, frame);
      const track = o.history.map((p) => pointToNormalised(p.foot, frame.width, frame.height));
      const evidence: EvidenceImage[] = [];
      const entered = this.#entered.get(v);
      this.#entered.delete(v);
      if (entered) evidence.push({ label: 'entered', frame: entered, boxes: [box], caption: `${o.kind.toUpperCase()} ENTERED ${z.name}` });
      evidence.push({ label: 'at-dwell', frame: this.#history.snapshot(this.#history.latest!), boxes: [box], track, caption: `${o.kind.toUpperCase()} IN ${z.name} ${dwellS}S` });
      this.#ctx.emit({
        type: 'intrusion', severity: 'critical', zone: z.name, trackId: o.id, boxes: [box], snapshot: true, evidence,
        attributes: { zone: z.name, kind: o.kind, dwellS, enteredAt: v.enteredMs, ...this.#size3d(o) },
      });
    }
  }

  /**
   * Feeds every object's foot point to every tripwire (a track seen for the first time replays its
   * history first, so a crossing made before it was confirmed still counts) and raises the crossings
   * of watched kinds in the watched direction while active, once the foot has stayed over the line
   * for CONFIRM_MS. A foot that comes back over the line before then did not cross: the crossing is
   * dropped, and the line's detector starts that track afresh, so that the way back is no crossing
   * either. A track that ends while its crossing waits is taken to have crossed.
   */
  #watchLines(s: Sized, objects: readonly TrackedObject[], frame: Frame, active: boolean): void {
    if (s.lines.length === 0) return;
    const live = new Set(this.#objects.all.map((o) => o.id));
    for (const id of this.#fed) {
      if (live.has(id)) continue;
      for (const l of s.lines) {
        l.detector.forget(id);
        const p = l.pending.get(id);
        if (p) this.#emitCrossing(l, p, undefined, frame);
      }
      this.#fed.delete(id);
    }
    for (const o of objects) {
      if (o.missed > 0) continue;
      const fresh = !this.#fed.has(o.id);
      this.#fed.add(o.id);
      for (const l of s.lines) {
        const at = (h: { foot: Point; ground?: [number, number] }) => (l.onGround ? h.ground : h.foot);
        const steps = fresh ? o.history : o.history.slice(-1);
        for (let i = 0; i < steps.length; i++) {
          const p = at(steps[i]!);
          if (!p) continue;
          const t = steps[i]!.t;
          const prev = l.onGround ? (i > 0 ? steps[i - 1] : o.history.at(-2)) : undefined;
          // A jump that lands far from the line: the track was handed to someone else (see JUMP_AWAY_M).
          if (prev?.ground && jumped(o.kind, prev.ground, prev.t, p, t) && segmentDistance(p, l.detector.from, l.detector.to) > JUMP_AWAY_M) {
            l.detector.forget(o.id);
            l.pending.delete(o.id);
          }
          const waiting = l.pending.get(o.id);
          if (waiting) {
            if (Math.sign(l.detector.signedDistance(p)) !== waiting.side) {
              l.pending.delete(o.id);
              l.detector.forget(o.id);
              l.detector.update(o.id, p);
              continue;
            }
            if (t - waiting.detectedAt >= CONFIRM_MS) this.#emitCrossing(l, waiting, o, frame);
          }
          const c = l.detector.update(o.id, p);
          if (!c || !active || !watches(l.kinds, o.kind)) continue;
          const direction = (c.direction === 'forward') !== l.flip ? 'left-to-right' : 'right-to-left';
          if (l.direction !== 'both' && l.direction !== direction) continue;
          const side = Math.sign(l.detector.signedDistance(p));
          l.pending.set(o.id, { id: o.id, detectedAt: t, at: crossedAt(o.history, t, side, (h) => { const q = at(h); return q && l.detector.signedDistance(q); }), direction, side, kind: o.kind, box: this.#box(o, frame) });
        }
      }
    }
  }

  /** Raises a confirmed crossing (`o`: its object now; undefined when its track has ended). */
  #emitCrossing(l: Sized['lines'][number], p: PendingCrossing, o: TrackedObject | undefined, frame: Frame): void {
    l.pending.delete(p.id);
    const boxes = [o ? this.#box(o, frame) : p.box];
    const kind = o?.kind ?? p.kind;
    const evidence: EvidenceImage[] = [];
    const crossed = this.#history.at(p.at);
    const before = this.#history.at(p.at - 1000);
    if (before && before !== crossed) evidence.push({ label: 'before', frame: this.#history.snapshot(before), boxes: [p.box] });
    if (crossed) evidence.push({ label: 'at', frame: this.#history.snapshot(crossed), boxes: [p.box], caption: `${kind.toUpperCase()} CROSSED ${l.name}` });
    if (o && crossed !== this.#history.latest) {
      const track = o.history.map((h) => pointToNormalised(h.foot, frame.width, frame.height));
      evidence.push({ label: 'after', frame: this.#history.snapshot(this.#history.latest!), boxes, track });
    }
    this.#ctx.emit({
      type: 'tripwire', severity: 'critical', trackId: p.id, boxes, snapshot: true, evidence, startedAt: p.at,
      attributes: { line: l.name, direction: p.direction, kind, ...(o ? this.#size3d(o) : {}) },
    });
  }

  #box(o: TrackedObject, frame: Frame): Detection {
    return { label: o.kind, score: 1, box: boxToNormalised(o.box, frame.width, frame.height), trackId: o.id };
  }

  /** The measured size and ground position, rounded, when there are reference points. */
  #size3d(o: TrackedObject): Record<string, unknown> {
    const r = (v: number) => Math.round(v * 100) / 100;
    return {
      ...(o.heightM !== undefined ? { heightM: r(o.heightM) } : {}),
      ...(o.widthM !== undefined ? { widthM: r(o.widthM) } : {}),
      ...(o.ground ? { ground: [r(o.ground[0]), r(o.ground[1])] } : {}),
    };
  }

  #size(frame: Frame): Sized {
    const { width, height } = frame;
    if (this.#sized?.width === width && this.#sized.height === height) return this.#sized;
    const { geometry, config: c, cameraId } = this.#ctx;
    const where = `cameras.${cameraId}.plugins.intrusion`;
    // A size change restarts the watches: the tracker restarts its tracks too.
    this.#entered.clear();
    this.#fed.clear();
    this.#sized = {
      width, height,
      zones: c.restricted.map((r) => {
        const polygon = geometry.zones[r.zone]!.map((p) => pointToPixels(p, width, height));
        const plane = this.#objects.plane;
        // With reference points, the edge rule in metres; without, none (a pixel margin would be too
        // much near the camera or too little far away).
        const depth = plane ? { depthM: zoneDepth(polygon, (p) => plane.imageToGround(p), width, height), minDepthM: EDGE_DEPTH_M } : {};
        return {
          name: r.zone,
          dwellS: r.dwellS,
          watch: new ZoneWatch({ polygon, dwellMs: r.dwellS * 1000, accepts: (kind) => watches(r.kinds, kind), leaveMs: c.leaveS * 1000, ...depth }),
        };
      }),
      lines: c.tripwires.map((t) => {
        const line = geometry.lines[t.line]!;
        const from = pointToPixels(line.from, width, height);
        const to = pointToPixels(line.to, width, height);
        const configPath = `${where}.lines.${t.line}`;
        const common = { name: t.line, direction: t.direction, kinds: t.kinds };
        const plane = this.#objects.plane;
        const [gFrom, gTo] = [plane?.imageToGround(from), plane?.imageToGround(to)];
        if (!plane || !gFrom || !gTo) {
          return { ...common, onGround: false, flip: false, pending: new Map(), detector: new LineCrossingDetector({ from, to }, { band: Math.max(1, BAND * height), configPath }) };
        }
        const detector = new LineCrossingDetector({ from: [gFrom[0], gFrom[1]], to: [gTo[0], gTo[1]] }, { band: GROUND_BAND_M, configPath });
        // A point just right of the line in the image (y down): on which side of the ground line is it?
        const [dx, dy] = [to[0] - from[0], to[1] - from[1]];
        const k = 4 / Math.hypot(dx, dy);
        const right = plane.imageToGround([(from[0] + to[0]) / 2 - dy * k, (from[1] + to[1]) / 2 + dx * k]);
        const flip = right ? detector.signedDistance([right[0], right[1]]) < 0 : false;
        return { ...common, onGround: true, flip, pending: new Map(), detector };
      }),
    };
    return this.#sized;
  }
}
