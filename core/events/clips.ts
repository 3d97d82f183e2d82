/**
 * Evidence clips: a short MP4 around every violation, cut without re-encoding from a rolling
 * in-memory history of each camera's access units (core/stream/unit-history.ts) and stored with
 * the event, so the video a fine mailed afterwards relies on is kept as long as the event.
 *
 *   store 'event' ─> ClipRecorder: wait until `afterS` past the event has arrived ─> history.clip()
 *                    ─> writeMp4 ─> store.attachClip(id)   (the event is already acknowledged)
 *
 * The clip runs from the keyframe at or before `startedAt − beforeS` through `(endedAt ?? startedAt) + afterS`,
 * at most `maxS` long. Times map to pts through the capture clock the decoder stamps frames with, so
 * an event's `startedAt` (a frame's capturedAt) is the same instant in the clip. What the history
 * does not hold any more (an event that began long ago, a camera that reconnected) is left out and
 * counted as `truncated`; a camera that goes away before the "after" part arrives gets what there is.
 */
import type { ClipEntry, Severity, StoredEvent } from './model.js';
import { createLogger, RateLimitedLog } from '../log.js';
import type { Stream } from '../stream/stream.js';
import { UnitHistory } from '../stream/unit-history.js';
import { writeMp4 } from '../../codecs/mp4/writer.js';

const log = createLogger('clips');
/** How far the clip's first frame may start after the asked time and still count as whole (about a frame). */
const SLACK_MS = 100;

/** Where clips go (EventStore implements it). */
export interface ClipSink {
  attachClip(id: string, mp4: Uint8Array, times: Omit<ClipEntry, 'bytes'>): Promise<StoredEvent | undefined>;
}

/** Options of a ClipRecorder (the config's `storage.clips`). */
export interface ClipOptions {
  /** Seconds of video kept before the event's start. */
  beforeS: number;
  /** Seconds of video kept after the event (its end, when it has one). */
  afterS: number;
  /** Longest clip, seconds (a long event is cut at its start plus this). */
  maxS: number;
  /** Events below this severity get no clip. */
  minSeverity: Severity;
  /** Bound on each camera's history, bytes. */
  maxBytesPerCamera: number;
}

/** Counters of a ClipRecorder. */
export interface ClipStats {
  /** Clips stored with their event. */
  stored: number;
  /** Clips that lack part of the asked span: the history no longer held it, or the camera stopped. */
  truncated: number;
  /** Events that got no clip: no history of the camera (yet), nothing held, or the store refused it (full). */
  missed: number;
  /** Clips waiting for their "after" part. */
  pending: number;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** See the file comment. */
export class ClipRecorder {
  readonly #sink: ClipSink;
  readonly #opts: ClipOptions;
  readonly #histories = new Map<string, UnitHistory>();
  readonly #pending = new Set<Promise<void>>();
  /** Resolves the pending waits at close, so they cut what is held instead of waiting on. */
  readonly #flush = new Set<() => void>();
  readonly #warn = new RateLimitedLog(log);
  #stats = { stored: 0, truncated: 0, missed: 0 };
  #closed = false;

  constructor(sink: ClipSink, opts: ClipOptions) {
    this.#sink = sink;
    this.#opts = opts;
  }

  /** Keeps a history of `stream` for `camera`'s events (a reader of the stream, like a viewer). */
  watch(camera: string, stream: Stream): void {
    if (this.#closed || this.#histories.has(camera)) return;
    // The history must reach back `beforeS` (plus a GOP, for the keyframe before) from the moment a clip is cut,
    // `afterS` past the event; UnitHistory keeps at least `seconds` and starts at a keyframe.
    const history = new UnitHistory(`clips:${camera}`, {
      seconds: this.#opts.beforeS + this.#opts.afterS + 2,
      maxBytes: this.#opts.maxBytesPerCamera,
    });
    history.attach(stream);
    this.#histories.set(camera, history);
  }

  /** The history of `camera`, when it is watched. */
  history(camera: string): UnitHistory | undefined {
    return this.#histories.get(camera);
  }

  /** A snapshot of the counters. */
  get stats(): ClipStats {
    return { ...this.#stats, pending: this.#pending.size };
  }

  /** Called for every committed event: cuts its clip once the video after it has arrived. */
  event(e: StoredEvent): void {
    if (this.#closed || SEVERITY_RANK[e.severity] < SEVERITY_RANK[this.#opts.minSeverity]) return;
    const history = this.#histories.get(e.camera);
    if (!history) return;
    const p = this.#record(e, history).catch((err: unknown) => {
      this.#stats.missed++;
      this.#warn.warn('attach', `clip of event ${e.id} (${e.camera}) not stored: ${(err as Error).message}`);
    });
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async #record(e: StoredEvent, history: UnitHistory): Promise<void> {
    const { beforeS, afterS, maxS } = this.#opts;
    const endAt = Math.min(e.endedAt ?? e.startedAt, e.startedAt + maxS * 1000 - afterS * 1000);
    const toPts0 = history.ptsAt(endAt + afterS * 1000);
    if (toPts0 === undefined) {
      this.#stats.missed++;
      return;
    }
    let flush = (): void => undefined;
    const reached = await Promise.race([
      history.whenAvailable(toPts0, (afterS + 10) * 1000),
      new Promise<boolean>((resolve) => {
        flush = () => resolve(false);
        this.#flush.add(flush);
      }),
    ]);
    this.#flush.delete(flush);
    // Map again now that the span is held: the pts of the unit captured nearest to each end.
    const fromPts = history.ptsAt(e.startedAt - beforeS * 1000) ?? history.stats.firstPts;
    const toPts = history.ptsAt(endAt + afterS * 1000) ?? toPts0;
    const cut = fromPts === undefined ? undefined : history.clip(fromPts, toPts);
    if (!cut) {
      this.#stats.missed++;
      return;
    }
    // Video from before a reconnect is gone; what came after it may not reach back to the event at all.
    if (cut.lastAt < e.startedAt - SLACK_MS || cut.firstAt > endAt + SLACK_MS) {
      this.#stats.missed++;
      return;
    }
    const startedAt = cut.firstAt;
    if (!reached || startedAt > e.startedAt - beforeS * 1000 + SLACK_MS) this.#stats.truncated++;
    const mp4 = writeMp4(cut.track, cut.samples);
    const stored = await this.#sink.attachClip(e.id, mp4, { startedAt, endedAt: cut.lastAt });
    if (stored) this.#stats.stored++;
    else this.#stats.missed++;
  }

  /** Resolves once every clip pending now is stored or given up. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /**
   * Cuts every pending clip from what is held now and stores it, then drops the histories.
   * Call before the store closes. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const f of [...this.#flush]) f();
    await this.idle();
    for (const h of this.#histories.values()) h.close();
    this.#histories.clear();
  }
}
