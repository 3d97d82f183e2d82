/**
 * What a violation's evidence images need besides the frames: where the vehicle was at each
 * frame's time (its box, and its track up to then) and what the signal showed then. The frames
 * themselves live in a FrameHistory (plugins/sdk/evidence.ts); the 'before' and 'at' frames are
 * copied when a vehicle crosses on red, the 'after' frame when the violation is due.
 */
import type { Box, Detection, EvidenceImage, FrameCopy, Point, Vehicle } from '../sdk/index.js';
import type { SignalState } from './signal.js';

/** Samples kept per track: 12 s at the default 10 fps, more than a crossing's story needs. */
const TRACK_SAMPLES = 120;
/** Signal changes kept: enough to look back over a cycle. */
const SIGNAL_CHANGES = 8;

/** One sample of a vehicle: capture ms, box and ground point, pixels. */
interface Sample {
  t: number;
  box: Box;
  foot: Point;
}

/** Recent boxes and ground points of every live track, to draw evidence frames taken earlier. */
export class TrackLog {
  readonly #tracks = new Map<number, Sample[]>();

  /** Records the vehicles seen (matched) in the frame captured at `t`. */
  record(t: number, vehicles: readonly Vehicle[]): void {
    for (const v of vehicles) {
      if (!v.confirmed || v.missed > 0) continue;
      const list = this.#tracks.get(v.id) ?? this.#tracks.set(v.id, []).get(v.id)!;
      list.push({ t, box: { ...v.box }, foot: [v.foot[0], v.foot[1]] });
      if (list.length > TRACK_SAMPLES) list.splice(0, list.length - TRACK_SAMPLES);
    }
  }

  /** The track's sample nearest `t`, or undefined. */
  at(id: number, t: number): Sample | undefined {
    let best: Sample | undefined;
    for (const s of this.#tracks.get(id) ?? []) if (!best || Math.abs(s.t - t) < Math.abs(best.t - t)) best = s;
    return best;
  }

  /** The track's ground points up to `t`, normalised to the frame. */
  path(id: number, t: number, width: number, height: number): Point[] {
    return (this.#tracks.get(id) ?? []).filter((s) => s.t <= t).map((s) => [s.foot[0] / width, s.foot[1] / height]);
  }

  /** Drops removed tracks. */
  forget(ids: readonly number[]): void {
    for (const id of ids) this.#tracks.delete(id);
  }

  /** Tracks held (to check that removed ones are forgotten). */
  get size(): number {
    return this.#tracks.size;
  }
}

/** The last few signal states with their start times, to caption frames taken earlier. */
export class SignalLog {
  readonly #changes: { state: SignalState; since: number }[] = [];

  /** Notes the current state (a no-op unless it changed). */
  note(state: SignalState, since: number): void {
    const last = this.#changes.at(-1);
    if (last && last.state === state && last.since === since) return;
    this.#changes.push({ state, since });
    if (this.#changes.length > SIGNAL_CHANGES) this.#changes.shift();
  }

  /** The state shown at `t` and since when, or unknown before the first note. */
  at(t: number): { state: SignalState; since: number } {
    for (let i = this.#changes.length - 1; i >= 0; i--) if (this.#changes[i]!.since <= t) return this.#changes[i]!;
    return { state: 'unknown', since: t };
  }
}

/** The caption of an evidence frame: the signal then, and for red how long it had been red ('RED 2.4S'). */
export function caption(signal: { state: SignalState; since: number }, t: number): string {
  const state = signal.state.toUpperCase();
  return signal.state === 'red' ? `${state} ${((t - signal.since) / 1000).toFixed(1)}S` : state;
}

/** Everything needed to draw one evidence image of a violation. */
export interface ImageParts {
  label: string;
  frame: FrameCopy;
  vehicle: { id: number; cls: string };
  /** Each lamp zone's bounding box, normalised [x, y, w, h]: the one of the state shown is outlined. */
  lamps: Partial<Record<SignalState, [number, number, number, number]>>;
  tracks: TrackLog;
  signals: SignalLog;
}

/** An evidence image: the vehicle's box, the lit lamp outlined, the track so far, the signal in the caption. */
export function evidenceImage(p: ImageParts): EvidenceImage {
  const { frame, vehicle } = p;
  const t = frame.capturedAt;
  const signal = p.signals.at(t);
  const boxes: Detection[] = [];
  const s = p.tracks.at(vehicle.id, t);
  if (s) {
    boxes.push({ label: vehicle.cls, score: 1, trackId: vehicle.id, box: [s.box.x / frame.width, s.box.y / frame.height, s.box.w / frame.width, s.box.h / frame.height] });
  }
  const lamp = p.lamps[signal.state];
  if (lamp) boxes.push({ label: signal.state, score: 1, box: lamp });
  return { label: p.label, frame, boxes, track: p.tracks.path(vehicle.id, t, frame.width, frame.height), caption: caption(signal, t) };
}
