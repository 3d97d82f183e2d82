/**
 * red-light: vehicles that cross the stop line on red and drive on into the junction.
 *
 *   frame ─┬→ FrameHistory (copies of the last second or so, for evidence)
 *          ├→ SignalReader (lamp zones → red / amber / green / unknown, flicker-tolerant)   signal.ts
 *          └→ VehicleTracker (blobs → tracks → ground plane) → RedLightJudge                judge.ts
 *                → on a crossing on red: copy the 'before' and 'at' frames
 *                → on entering the junction while still red, once `afterS` has passed:
 *                  copy the 'after' frame and emit `red-light` (critical) with the three frames,
 *                  the vehicle's box, its track and the signal state drawn in              evidence.ts
 *
 * The ground point is the bottom-centre of the vehicle's box: the rear of a vehicle driving away
 * from the camera. So a vehicle is judged when it has wholly passed the line, which is the
 * conservative reading of "crossed the stop line".
 *
 * Live detections (for viewers): the confirmed vehicles, labelled with their class (violators with
 * 'red-light'), and the lit lamp's zone labelled 'signal:<state>'. The signal state is not an event:
 * it changes three times a cycle, every cycle, and would bury the violations.
 */
import { definePlugin, FrameHistory, pointToPixels, VehicleTracker, type Detection, type Frame, type FrameCopy, type Point } from '../sdk/index.js';
import { configSchema, resolveGeometry } from './config.js';
import { evidenceImage, SignalLog, TrackLog } from './evidence.js';
import { RedLightJudge, type RedCrossing } from './judge.js';
import { SignalReader, type SignalState } from './signal.js';

/** Evidence frames of a candidate, copied when it crossed. */
interface Pending {
  before?: FrameCopy;
  at: FrameCopy;
}

export default definePlugin({
  name: 'red-light',
  description: 'Vehicles crossing the stop line on red and entering the junction; evidence frames before, at and after the line.',
  configSchema,
  // Tracking dominates (≈ 5-8 ms at 640x360); lamps cost microseconds; evidence copies are rare.
  defaults: { fps: 10, latencyBudgetMs: 25, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    const cfg = ctx.config;
    const where = `cameras.${ctx.cameraId}.plugins.red-light.config`;
    const geo = resolveGeometry(cfg, ctx.geometry, where);
    const vehicles = new VehicleTracker({ config: cfg, zones: ctx.geometry.zones, where });
    const signal = new SignalReader(geo.lamps, {
      rise: cfg.lampRise, chroma: cfg.lampChroma, window: cfg.smoothing.window, minOn: cfg.smoothing.minOn, holdMs: cfg.holdS * 1000,
    });
    const lampBoxes: Partial<Record<SignalState, [number, number, number, number]>> = {};
    for (const l of geo.lamps) lampBoxes[l.colour] = bounds(l.polygon);
    lampBoxes.unknown = bounds(geo.lamps.flatMap((l) => l.polygon));
    const tracks = new TrackLog();
    const signals = new SignalLog();
    const pending = new Map<number, Pending>();
    const violators = new Set<number>();
    let judge: RedLightJudge | undefined;
    let history: FrameHistory | undefined;
    let firstAt: number | undefined;
    let size = '';
    let lastState: SignalState = 'unknown';

    /** Emits one violation with its three frames; `after` is the frame now (or the last one the vehicle was seen in). */
    function emit(c: RedCrossing, after: FrameCopy, width: number, height: number): void {
      const p = pending.get(c.trackId);
      pending.delete(c.trackId);
      violators.add(c.trackId);
      const vehicle = { id: c.trackId, cls: c.cls };
      const frames: [string, FrameCopy | undefined][] = [['before', p?.before], ['at', p?.at], ['after', history!.snapshot(after)]];
      const evidence = frames.filter((f): f is [string, FrameCopy] => f[1] !== undefined)
        .map(([label, frame]) => evidenceImage({ label, frame, vehicle, lamps: lampBoxes, tracks, signals }));
      const at = tracks.at(c.trackId, c.seenAt);
      ctx.emit({
        type: 'red-light',
        severity: 'critical',
        zone: cfg.junction,
        trackId: c.trackId,
        ...(at ? { boxes: [{ label: c.cls, score: 1, trackId: c.trackId, box: [at.box.x / width, at.box.y / height, at.box.w / width, at.box.h / height] }] } : {}),
        attributes: {
          cls: c.cls, signal: 'red', redForS: Math.round(c.redForMs / 100) / 10, trackId: c.trackId,
          ...(c.speedKmh !== undefined ? { speedKmh: Math.round(c.speedKmh) } : {}),
          crossedAt: Math.round(c.crossedAt), ...(c.junctionAt !== undefined ? { junctionAt: c.junctionAt } : {}),
        },
        evidence,
      });
    }

    return {
      async onFrame(frame: Frame) {
        const { width, height } = frame;
        if (size !== `${width}x${height}`) {
          size = `${width}x${height}`;
          const px = (p: Point) => pointToPixels(p, width, height);
          judge = new RedLightJudge({ from: px(geo.stopLine.from), to: px(geo.stopLine.to) }, geo.junction.map(px), {
            graceMs: cfg.graceS * 1000, afterMs: cfg.afterS * 1000, bandPx: cfg.band * height, height,
          });
        }
        // The history is sized to reach `beforeS` back at the rate frames actually arrive.
        if (!history && firstAt !== undefined && frame.capturedAt > firstAt) {
          history = new FrameHistory(Math.min(64, Math.max(4, Math.ceil((cfg.beforeS * 1000) / (frame.capturedAt - firstAt)) + 2)));
        }
        firstAt ??= frame.capturedAt;
        const copy = history?.push(frame);

        const state = signal.update(frame);
        signals.note(state, signal.since);
        if ((state === 'unknown') !== (lastState === 'unknown')) {
          ctx.log(state === 'unknown' ? `no lamp lit for ${cfg.holdS} s: signal state unknown, red-light checks paused` : `signal readable again: ${state}`);
        }
        lastState = state;

        const live = await vehicles.update(frame);
        tracks.record(frame.capturedAt, live);
        const r = judge!.update(frame.capturedAt, live, { state, since: signal.since });
        for (const c of r.crossed) {
          if (!history || !copy) continue;
          const before = history.at(c.crossedAt - cfg.beforeS * 1000);
          pending.set(c.trackId, { before: before && before !== copy ? history.snapshot(before) : undefined, at: history.snapshot(copy) });
        }
        for (const id of r.dropped) pending.delete(id);
        for (const c of r.due) if (copy) emit(c, copy, width, height);
        const gone = judge!.forget(vehicles.removed);
        for (const id of gone.dropped) pending.delete(id);
        for (const c of gone.due) if (copy) emit(c, copy, width, height);
        tracks.forget(vehicles.removed);
        for (const id of vehicles.removed) violators.delete(id);

        const out: Detection[] = live
          .filter((v) => v.confirmed && v.missed === 0)
          .map((v) => ({ label: violators.has(v.id) ? `${v.cls} red-light` : v.cls, score: 1, trackId: v.id, box: [v.box.x / width, v.box.y / height, v.box.w / width, v.box.h / height] }));
        out.push({ label: `signal:${state}`, score: 1, box: lampBoxes[state]! });
        return out;
      },
      close() {
        vehicles.close();
        pending.clear();
      },
    };
  },
});

/** Normalised [x, y, w, h] bounding box of points. */
function bounds(points: readonly Point[]): [number, number, number, number] {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}
