/**
 * One consumer of a Stream (a WebRTC viewer, an RTSP restream session) with its
 * own bounded queue (mediamtx's reader model): Stream.push only enqueues and
 * schedules one drain per reader on setImmediate, so a slow reader never holds
 * up the source or the other readers. A reader that falls behind by more than
 * `maxQueue` units loses its queue (counted and logged at a limited rate) and
 * resynchronises at the next keyframe, since a decoder cannot continue after a
 * gap in a GOP.
 */
import type { Track, Unit } from '../../codecs/access-unit.js';
import { Emitter } from '../emitter.js';
import { RateLimitedLog, createLogger } from '../log.js';

const log = createLogger('stream');
const lossLog = new RateLimitedLog(log);

/** Default bound on a reader's queue, in units. */
export const DEFAULT_READER_MAX_QUEUE = 256;

/** What a protocol session implements to receive a stream's units. */
export interface ReaderSink {
  /** Identifies the sink in logs and stats, e.g. 'webrtc:ab12', 'rtsp:127.0.0.1:51000'. */
  readonly name: string;
  /** Receives one unit; catchUp is true for units replayed from the GOP cache. Must not modify the unit. */
  write(unit: Unit, catchUp: boolean): void;
  /** True while the sink cannot take more (socket backpressure); it then calls Reader.resume() when drained. */
  congested?(): boolean;
  /** The source (re)connected with these tracks; queued units of the old session were discarded. */
  onTracks?(tracks: readonly Track[]): void;
}

/** Options for Stream.addReader. */
export interface ReaderOptions {
  /** Bound on queued units before the reader resyncs (default 256). */
  maxQueue?: number;
  /** Start from the cached GOP when there is one (default true). */
  gop?: boolean;
}

/** Delivery counters of one reader. */
export interface ReaderStats {
  /** Units handed to sink.write. */
  delivered: number;
  /** Units lost to queue overflow, including video skipped while resyncing. */
  dropped: number;
  /** Times the queue overflowed and the reader waited for a keyframe. */
  resyncs: number;
  /** Units currently queued. */
  queued: number;
  /** Highest queue length seen. */
  maxQueued: number;
}

/** A stream's reader: a bounded ring queue drained asynchronously into a ReaderSink. */
export class Reader extends Emitter<{ close: [] }> {
  /** The sink units are delivered to. */
  readonly sink: ReaderSink;
  /** Capacity of the queue. */
  readonly maxQueue: number;
  #ring: (Unit | undefined)[];
  #catchUp: Uint8Array;
  #head = 0;
  #size = 0;
  #scheduled = false;
  #paused = false;
  #closed = false;
  /** No video until a keyframe: a decoder cannot start (or continue after a gap) on a delta frame. */
  #needKeyframe = true;
  /** Waiting for a keyframe because of an overflow (skipped video then counts as dropped). */
  #resyncing = false;
  #delivered = 0;
  #dropped = 0;
  #resyncs = 0;
  #maxQueued = 0;
  readonly #streamId: string;
  readonly #onClose: (r: Reader) => void;
  readonly #drainBound = (): void => this.#drain();

  /** Created by Stream.addReader; not meant to be constructed directly. */
  constructor(streamId: string, sink: ReaderSink, opts: ReaderOptions, onClose: (r: Reader) => void) {
    super();
    this.sink = sink;
    this.maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? DEFAULT_READER_MAX_QUEUE));
    this.#ring = new Array<Unit | undefined>(this.maxQueue).fill(undefined);
    this.#catchUp = new Uint8Array(this.maxQueue);
    this.#streamId = streamId;
    this.#onClose = onClose;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A snapshot of the delivery counters. */
  get stats(): ReaderStats {
    return {
      delivered: this.#delivered,
      dropped: this.#dropped,
      resyncs: this.#resyncs,
      queued: this.#size,
      maxQueued: this.#maxQueued,
    };
  }

  /** True while video is held back until the next keyframe. */
  get waitingForKeyframe(): boolean {
    return this.#needKeyframe;
  }

  /**
   * Replays a cached GOP (keyframe first) with catchUp=true. Skipped when it would
   * not fit the queue: the reader then simply waits for the next keyframe.
   * @internal called by Stream.addReader before any live unit.
   */
  startFromGop(units: readonly Unit[]): void {
    if (units.length === 0 || units.length > this.maxQueue || this.#size !== 0) return;
    const first = units[0]!;
    if (first.kind !== 'video' || !first.keyframe) return;
    this.#needKeyframe = false;
    for (let i = 0; i < units.length; i++) this.#enqueue(units[i]!, true);
  }

  /**
   * Queues one live unit; never blocks, never throws.
   * @internal called by Stream.push.
   */
  offer(unit: Unit): void {
    if (this.#closed) return;
    if (this.#size === this.maxQueue) this.#overflow();
    if (unit.kind === 'video' && this.#needKeyframe) {
      if (!unit.keyframe) {
        if (this.#resyncing) this.#dropped++;
        return;
      }
      this.#needKeyframe = false;
      this.#resyncing = false;
    }
    this.#enqueue(unit, false);
  }

  /**
   * The source reconnected: units queued from the old session are discarded and
   * video waits for a keyframe of the new one; then the sink is told.
   * @internal called by Stream.setTracks.
   */
  tracksChanged(tracks: readonly Track[]): void {
    if (this.#closed) return;
    // Units of the old session this reader never got are lost to it: counted like an overflow's.
    this.#dropped += this.#size;
    this.#clearQueue();
    this.#needKeyframe = true;
    this.#resyncing = false;
    if (!this.sink.onTracks) return;
    try {
      this.sink.onTracks(tracks);
    } catch (err) {
      this.#sinkFailed('onTracks', err);
    }
  }

  /** The sink drained (its congestion cleared): delivery restarts. */
  resume(): void {
    this.#paused = false;
    if (!this.#closed && this.#size > 0) this.#schedule();
  }

  /** Stops delivery and detaches from the stream; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clearQueue();
    this.#onClose(this);
    this.emit('close');
  }

  #enqueue(unit: Unit, catchUp: boolean): void {
    const tail = (this.#head + this.#size) % this.maxQueue;
    this.#ring[tail] = unit;
    this.#catchUp[tail] = catchUp ? 1 : 0;
    this.#size++;
    if (this.#size > this.#maxQueued) this.#maxQueued = this.#size;
    if (!this.#paused) this.#schedule();
  }

  #overflow(): void {
    const lost = this.#size;
    this.#clearQueue();
    this.#dropped += lost;
    this.#resyncs++;
    this.#needKeyframe = true;
    this.#resyncing = true;
    // Give a sink that never calls resume() a chance to recover on its own.
    this.#paused = false;
    // Keyed per stream, not per sink: sink names are unique per viewer and the key map is never pruned.
    lossLog.warn(
      `overflow:${this.#streamId}`,
      `stream ${this.#streamId}: reader ${this.sink.name} fell ${lost} units behind; ` +
        `queue dropped, waiting for a keyframe (${this.#dropped} dropped, ${this.#resyncs} resyncs so far)`,
    );
  }

  #clearQueue(): void {
    const ring = this.#ring;
    for (let i = 0, j = this.#head; i < this.#size; i++, j = (j + 1) % this.maxQueue) ring[j] = undefined;
    this.#head = 0;
    this.#size = 0;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#drainBound);
  }

  #drain(): void {
    this.#scheduled = false;
    const sink = this.sink;
    while (this.#size > 0 && !this.#closed) {
      if (sink.congested?.()) {
        this.#paused = true;
        return;
      }
      const i = this.#head;
      const unit = this.#ring[i]!;
      const catchUp = this.#catchUp[i] === 1;
      this.#ring[i] = undefined;
      this.#head = (i + 1) % this.maxQueue;
      this.#size--;
      try {
        sink.write(unit, catchUp);
        this.#delivered++;
      } catch (err) {
        this.#sinkFailed('write', err);
        return;
      }
    }
  }

  #sinkFailed(what: string, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    lossLog.warn(`sink:${this.#streamId}`, `stream ${this.#streamId}: reader ${this.sink.name} ${what} threw (${msg}); reader closed`);
    this.close();
  }
}
