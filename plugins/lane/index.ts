/**
 * lane: lane discipline on a multi-lane road, with evidence.
 *
 *   frame → VehicleTracker (LaneBlobSource: blobs cut between the `splitBy` lanes, a vehicle changing
 *           lanes joined again → tracker → ground plane, class from its size)
 *         → per vehicle: ground foot point, lane (zone polygon), class by majority of recent updates
 *         → rules: wrong-way, wrong-lane, speeding (rules.ts); solid-line, weaving (motion.ts)
 *         → ctx.emit({ type, attributes, evidence: the frame where it began and the frame now })
 *
 * Lanes are zones named under `lanes` with the direction of their traffic (two image points along the
 * lane), the classes allowed and a speed limit; solid lines are lines named under `solidLines`. Every
 * rule works in metres on the ground, so the plugin needs the 4 ground reference points. One event
 * per vehicle per rule; a finding on a track not yet confirmed waits until it is (and is dropped if
 * the track dies first, which is what noise does). List the lanes in `splitBy` so that vehicles side
 * by side stay apart; the plugin's own detection source keeps a lane changer whole across the cut.
 */
import { ConfigError } from '../../core/errors.js';
import {
  definePlugin, FrameHistory, GroundPlane, VehicleTracker,
  type Detection, type EvidenceImage, type Frame, type NormalisedBox, type Vehicle,
} from '../sdk/index.js';
import { configSchema } from './config.js';
import { TrackLogs } from './handover.js';
import { buildLanes, laneIndexAt, type Lane, type LaneSample, type TrackLog } from './lanes.js';
import { SolidLineRule, WeavingRule } from './motion.js';
import { LaneBlobSource } from './source.js';
import { SpeedingRule, WrongLaneRule, WrongWayRule, type Finding, type LaneRule } from './rules.js';

/**
 * Tracks born this soon after the first frame are not judged: the background model is still learning
 * the empty road, so a vehicle in view at start-up is detected in pieces and its speed and lane are
 * wrong until its track ends.
 */
const WARMUP_MS = 4000;
/**
 * A step between two updates faster than a vehicle moves is no motion: the track's box merged with
 * another vehicle's, jumped to it, or lost a part to the background (typically far away, where
 * boxes are small and touch). The track then carries on the log of a hidden vehicle found there, or
 * the rules start the vehicle afresh (handover.ts). Sideways: over 5 m/s (a
 * swerve is 2-3 m/s). Along the road: over twice its recent speed plus 10 m/s, or over 60 m/s.
 * After a gap of missed updates (the tracker coasted), the vehicle must also be found within
 * REACQUIRE_M (plus a quarter of the distance) of where its velocity would have taken it: a coasting
 * track that picks up another vehicle's box is not the same vehicle.
 */
const MAX_LATERAL_MS = 5;
const MAX_ALONG_MS = 60;
const GAP_MS = 500;
const REACQUIRE_M = 2;

export default definePlugin({
  name: 'lane',
  description: 'Lane discipline: wrong-way, wrong-lane, solid-line crossing, weaving and speeding events with evidence images.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 25, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    const cfg = ctx.config;
    const where = `cameras.${ctx.cameraId}.plugins.lane.config`;
    if (!cfg.ground) throw new ConfigError('the lane plugin needs 4 ground reference points', `${where}.ground`);
    // The plane in normalised image units: lane directions and lines are configured that way.
    const plane = GroundPlane.fromReferencePoints(cfg.ground, `${where}.ground`);
    const lanes = buildLanes(cfg, ctx.geometry.zones, plane, where);
    const rules: LaneRule[] = [
      new WrongWayRule(cfg.wrongWay), new WrongLaneRule(cfg.wrongLane),
      new SolidLineRule(cfg, ctx.geometry.lines, plane, where), new WeavingRule(cfg.weaving), new SpeedingRule(cfg.speeding),
    ];
    const zones = ctx.geometry.zones;
    const source = new LaneBlobSource(cfg.splitBy.flatMap((n) => (zones[n] ? [zones[n]] : [])), plane, cfg.minArea);
    const vehicles = new VehicleTracker({ config: cfg, zones, where, source });
    const history = new FrameHistory(cfg.evidenceFrames);
    const logs = new TrackLogs((id) => {
      for (const rule of rules) rule.forget(id);
    }, (log, g, t) => implausible(log, g, t, lanes[0]!), lanes[0]!.dir);
    // Findings on tracks not confirmed yet, by track id.
    const pending = new Map<number, Finding[]>();
    let startedAt: number | undefined;

    const report = (f: Finding, log: TrackLog, v: Vehicle) => {
      const lane = f.attributes.lane;
      ctx.emit({
        type: f.type, severity: f.severity, trackId: v.id, zone: typeof lane === 'string' ? lane : undefined,
        boxes: [detection(log.cls, v.id, log.last.box)], evidence: evidence(history, f, log, v.id),
        // Every event says how fast the vehicle went (the rule's own measure where it has one).
        attributes: v.speedKmh === undefined ? f.attributes : { speedKmh: Math.round(v.speedKmh * 10) / 10, ...f.attributes },
      });
    };

    return {
      async onFrame(frame: Frame) {
        history.push(frame);
        startedAt ??= frame.capturedAt;
        const live = await vehicles.update(frame);
        // Before any new track asks for its log: the vehicles lost in this very update offer theirs.
        logs.update(live, vehicles.removed, frame.capturedAt);
        const { width, height } = frame;
        for (const v of live) {
          if (v.missed > 0 || v.firstSeenMs < startedAt + WARMUP_MS) continue;
          const foot: [number, number] = [v.foot[0] / width, v.foot[1] / height];
          const g = v.ground ?? plane.imageToGround(foot);
          if (!g) continue;
          const log = logs.of(v, g, frame.capturedAt);
          const box: NormalisedBox = [v.box.x / width, v.box.y / height, v.box.w / width, v.box.h / height];
          const sample: Omit<LaneSample, 'cls'> = { t: frame.capturedAt, g: [g[0], g[1]], lane: laneIndexAt(lanes, foot), foot, box };
          log.push(sample, v.cls, cfg.wrongLane.classVotes, v.velocity && [v.velocity.vx, v.velocity.vz]);
          for (const rule of rules) {
            if (log.fired.has(rule.type)) continue;
            const f = rule.check(log, lanes);
            if (!f) continue;
            log.fired.add(rule.type);
            pending.set(v.id, [...(pending.get(v.id) ?? []), f]);
          }
          const found = pending.get(v.id);
          if (v.confirmed && found) {
            for (const f of found) report(f, log, v);
            pending.delete(v.id);
          }
        }
        source.hold(live, vehicles.removed);
        for (const id of vehicles.removed) pending.delete(id);
        return live.filter((v) => v.confirmed)
          .map((v) => detection(v.cls, v.id, [v.box.x / width, v.box.y / height, v.box.w / width, v.box.h / height]));
      },
      close() {
        vehicles.close();
      },
    };
  },
});

/** Whether the step from the log's last sample to ground point `g` at time `t` is one no vehicle makes (see MAX_LATERAL_MS). */
function implausible(log: TrackLog, g: readonly number[], t: number, road: Lane): boolean {
  const n = log.samples.length;
  const a = log.samples[n - 1]!;
  const dt = (t - a.t) / 1000;
  const dx = g[0]! - a.g[0];
  const dz = g[1]! - a.g[1];
  if (Math.abs(dx * road.lateral[0] + dz * road.lateral[1]) > MAX_LATERAL_MS * dt) return true;
  const step = Math.abs(dx * road.dir[0] + dz * road.dir[1]) / dt;
  if (step > MAX_ALONG_MS) return true;
  const v = log.velocity;
  if (v && t - a.t > GAP_MS) {
    const off = Math.hypot(dx - v[0] * dt, dz - v[1] * dt);
    if (off > REACQUIRE_M + 0.25 * Math.hypot(v[0], v[1]) * dt) return true;
  }
  if (n < 3) return false;
  const back = log.samples[Math.max(0, n - 6)]!;
  const recent = Math.abs((a.g[0] - back.g[0]) * road.dir[0] + (a.g[1] - back.g[1]) * road.dir[1]) / ((a.t - back.t) / 1000);
  return step > 2 * recent + 10;
}

function detection(cls: string, id: number, box: NormalisedBox): Detection {
  return { label: cls, score: 1, box, trackId: id };
}

/**
 * The evidence: the frame where the violation began (with the vehicle's box then and its track so
 * far) if it is still held, and the frame now with the whole track. Both carry the caption.
 */
function evidence(history: FrameHistory, f: Finding, log: TrackLog, id: number): EvidenceImage[] {
  const now = history.latest;
  if (!now) return [];
  const images: EvidenceImage[] = [];
  const then = history.at(f.since);
  if (then && then.capturedAt < now.capturedAt) {
    let k = 0;
    while (k + 1 < log.samples.length && log.samples[k + 1]!.t <= then.capturedAt) k++;
    const s = log.samples[k]!;
    images.push({
      label: 'start', frame: history.snapshot(then), caption: f.caption,
      boxes: [detection(s.cls, id, s.box)], track: log.samples.slice(0, k + 1).map((x) => x.foot),
    });
  }
  images.push({
    label: 'at', frame: history.snapshot(now), caption: f.caption,
    boxes: [detection(log.cls, id, log.last.box)], track: log.samples.map((x) => x.foot),
  });
  return images;
}
