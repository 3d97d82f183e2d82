/**
 * counting: vehicles crossing directed counting lines, once per vehicle per line, by class.
 *
 *   frame → VehicleTracker (blob detector or a neural DetectionSource → Tracker → ground plane)
 *         → each confirmed vehicle's foot (bottom-centre) through a LineCrossingDetector per line
 *         → ctx.count({ line, cls, direction }) → the host's count store (per minute, hour, day)
 *
 * Direction: each line says what its 'forward' crossing means ('in' or 'out'); forward is left to
 * right as seen standing on the line's first point looking at its second (plugins/sdk geometry).
 *
 * Class: the detector's label when it gives one; otherwise the vehicle's size on the ground through
 * the homography of the 4 reference points (VehicleTracker's size bands). Without reference points
 * every vehicle is counted as 'vehicle'. On multi-lane roads, list the lanes in `splitBy` so that
 * vehicles side by side are counted as two.
 */
import { z } from 'zod';
import {
  definePlugin, LineCrossingDetector, OcclusionStitcher, pointToPixels, VehicleTracker, vehicleTrackingShape, type EndedTrack, type Frame, type Point,
} from '../sdk/index.js';

const configSchema = z.strictObject({
  lines: z.record(z.string(), z.strictObject({
    forward: z.enum(['in', 'out']).default('in').describe("What a forward crossing (left to right, looking from the line's first point to its second) means: 'in' (entering) or 'out'."),
  }).describe('One counting line, by the name it has under `lines:` of the camera\'s plugin settings.')).default({}).describe('Per configured line: what its directions mean. Lines not listed count forward as in.'),
  band: z.number().min(0).max(0.2).default(0.015)
    .describe('Half-width of the hysteresis band around each line, as a share of the frame height: a vehicle must get this far past the line to count.'),
  classifyForMs: z.number().int().min(0).max(60_000).default(4000)
    .describe('How long after a crossing the vehicle is still watched to settle its class (ms); the count is stored then, or when the vehicle leaves, under the time it crossed.'),
  ...vehicleTrackingShape,
});

export default definePlugin({
  name: 'counting',
  description: 'Counts vehicles crossing directed lines, by class, into per-minute, hourly and daily counts.',
  configSchema,
  defaults: { fps: 10, latencyBudgetMs: 25, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    const cfg = ctx.config;
    // Counting splits leaning slices off vehicles of the next lane, and counts a motorbike or car that
    // shows above a bus's roof on its own (both measured on the gate scenes); parking, whose vehicles
    // stand for minutes across lane lines, keeps whole pieces (its tests regress otherwise).
    const vehicles = new VehicleTracker({ config: cfg, zones: ctx.geometry.zones, where: `cameras.${ctx.cameraId}.plugins.counting.config`, splitSlices: true, splitCaps: true });
    let lines: { name: string; forward: 'in' | 'out'; detector: LineCrossingDetector }[] | undefined;
    let size = '';
    // Crossings waiting for their class: a vehicle is classed by a vote over every frame it was seen
    // whole, and the frames after the line (nearer, larger, or whole at last) often settle it.
    // A track that moves on to another vehicle (Vehicle.identity) settles what it crossed as the
    // vehicle it was, and starts over on the lines as the one it now holds.
    const pending = new Map<number, { cls: string; crossings: { line: string; direction: 'in' | 'out'; at: number }[] }>();
    const identities = new Map<number, number>();
    // Vehicles that hid behind another, for the tracks that start where they would be by now, with
    // where each stood clear of each line's band: the last foot seen can be inside the band (the
    // vehicle was going under an overtaking bus there), and a track that starts inside it has no side.
    const stitcher = new OcclusionStitcher<EndedTrack & { sides: Map<string, Point | undefined> }>();
    const settle = (id: number): void => {
      const p = pending.get(id);
      pending.delete(id);
      for (const c of p?.crossings ?? []) ctx.count({ ...c, cls: p!.cls });
    };
    return {
      async onFrame(frame: Frame) {
        if (size !== `${frame.width}x${frame.height}`) {
          size = `${frame.width}x${frame.height}`;
          lines = makeLines(ctx.geometry.lines, cfg.lines, cfg.band, frame.width, frame.height);
        }
        const live = await vehicles.update(frame);
        for (const v of live) {
          const identity = v.identity ?? 0;
          if ((identities.get(v.id) ?? 0) !== identity) {
            identities.set(v.id, identity);
            settle(v.id);
            for (const line of lines!) line.detector.forget(v.id);
          }
          const p = pending.get(v.id);
          if (p) p.cls = v.cls;
          if (!v.confirmed || v.missed > 0) continue;
          // A track is confirmed a few frames after it appears: its line state starts from where it was
          // first seen, or one confirmed on the line (or past it) is never counted; and from where the
          // vehicle it continues was last seen, when it comes out from behind another (stitch.ts).
          const fresh = !lines!.some((l) => l.detector.has(v.id));
          const first = v.history[0]!;
          const hidden = fresh && !v.identity && first.ground ? stitcher.takeOver(first.t, first.ground) : undefined;
          for (const line of lines!) {
            const side = hidden?.sides.get(line.name);
            const before = hidden ? [side ? { t: hidden.t, foot: side } : hidden] : [];
            const path = line.detector.has(v.id) ? [{ t: frame.capturedAt, foot: v.foot }] : [...before, ...v.history];
            for (const at of path) {
              const crossing = line.detector.update(v.id, at.foot);
              if (!crossing) continue;
              const forward = crossing.direction === 'forward';
              const direction = forward === (line.forward === 'in') ? 'in' : 'out';
              const entry = pending.get(v.id) ?? { cls: v.cls, crossings: [] };
              // Vehicles do not back over a counting line: a track that crosses back before its count
              // is stored had its foot jitter across the line (its blob grew and shrank), so the two cancel.
              let last = entry.crossings.length - 1;
              while (last >= 0 && entry.crossings[last]!.line !== line.name) last--;
              if (last >= 0 && entry.crossings[last]!.direction !== direction) entry.crossings.splice(last, 1);
              else entry.crossings.push({ line: line.name, direction, at: at.t });
              if (entry.crossings.length > 0) pending.set(v.id, entry);
              else pending.delete(v.id);
            }
          }
        }
        for (const [id, p] of pending) if (frame.capturedAt - p.crossings[0]!.at > cfg.classifyForMs) settle(id);
        for (const v of vehicles.removedVehicles) {
          const last = v.history.at(-1);
          if (!v.confirmed || !v.velocity || !last?.ground) continue;
          const sides = new Map(lines!.map((l) => [l.name, l.detector.sidePoint(v.id)]));
          stitcher.ended({ id: v.id, t: last.t, foot: last.foot, ground: last.ground, velocity: v.velocity, sides });
        }
        for (const id of vehicles.removed) {
          settle(id);
          identities.delete(id);
          for (const line of lines!) line.detector.forget(id);
        }
        return live
          .filter((v) => v.confirmed)
          .map((v) => ({ label: v.cls, score: 1, trackId: v.id, box: [v.box.x / frame.width, v.box.y / frame.height, v.box.w / frame.width, v.box.h / frame.height] }));
      },
      close() {
        for (const id of [...pending.keys()]) settle(id);
        vehicles.close();
      },
    };
  },
});

function makeLines(geometry: Record<string, { from: Point; to: Point }>, cfg: Record<string, { forward: 'in' | 'out' }>, band: number, width: number, height: number) {
  return Object.entries(geometry).map(([name, l]) => ({
    name,
    forward: cfg[name]?.forward ?? 'in',
    detector: new LineCrossingDetector({ from: pointToPixels(l.from, width, height), to: pointToPixels(l.to, width, height) }, { band: band * height }),
  }));
}
