/**
 * A camera's decoder: one ffmpeg child fed from a reader of the camera's Stream (never a second
 * camera connection), writing raw frames into the camera's FrameRing (Frigate's model: the pixels
 * stay in shared slots, only a FrameRef travels).
 *
 *   Stream ─▶ Reader ─▶ Decoder.write ─▶ ffmpeg stdin (Annex B)
 *                                         ffmpeg ─▶ FIFO (rawvideo) ─▶ reader thread ─▶ ring slot
 *                                         slot number ─▶ Decoder: commit ─▶ 'frame' (FrameRef), or abort
 *
 * - Every unit is decoded (a P-frame needs all the frames before it); the fps cap decimates the
 *   decoded frames by pts, counted as rateSkipped. keyframesOnly is where CPU is saved: only
 *   keyframes are fed, and ffmpeg runs with `-skip_frame nokey`.
 * - Timestamps: each output frame takes the smallest pending pts of the units fed (display
 *   order), and capturedAt is that pts on the camera's clock mapped to epoch ms by CaptureClock
 *   (arrival jitter removed: plugins measure speeds and dwell times from it).
 * - A keyframe whose SPS gives another size (or codec), or a source reconnect, replaces the
 *   process; a new ring is created (and emitted) when the output layout changes.
 * - ffmpeg exiting on its own is restarted with capped backoff; the cached GOP up to the last
 *   unit received is replayed so decoding resumes at once, and its frames that were already
 *   published are not published again.
 * - Backpressure: congested() while more than 2 MiB wait on ffmpeg's stdin; the reader pauses
 *   (or overflows and resyncs at a keyframe) and resumes on 'drain'.
 */
import type { Track, Unit, VideoCodec, VideoUnit } from '../../codecs/access-unit.js';
import { Backoff } from '../camera/backoff.js';
import { Emitter } from '../emitter.js';
import { InvalidStateError } from '../errors.js';
import { RateLimitedLog, createLogger } from '../log.js';
import { RateWindow } from '../stream/rate-window.js';
import type { Reader, ReaderSink } from '../stream/reader.js';
import type { Stream } from '../stream/stream.js';
import { findSps, sameBytes, videoInfoFromSps } from '../stream/video-info.js';
import { CaptureClock } from './capture-clock.js';
import { DecodeProcess } from './decode-process.js';
import { FrameRing, type FrameRef, type FrameRingLayout, type PixelFormat } from './frame-ring.js';

const log = createLogger('decode');
const rateLog = new RateLimitedLog(log);

/** Unwritten stdin bytes above which the decoder reports congestion to its reader. */
const CONGESTED_BYTES = 2 * 1024 * 1024;
/** A frame coming out of ffmpeg longer than this after its capture counts as late. */
const LATE_MS = 1000;
const PTS_HZ = 90_000;

/** How a camera's frames are decoded. */
export interface DecoderOptions {
  /** Detect size; default the source size. With only one of them, the other keeps the aspect ratio. */
  width?: number;
  height?: number;
  /** Cap on published frames per second (0 or Infinity: no cap). */
  fps: number;
  format: PixelFormat;
  /** Decode keyframes only (far less CPU; one frame per GOP). */
  keyframesOnly: boolean;
  /** Ring slots (default 8). */
  slots?: number;
  /** ffmpeg decoder threads (0: one per core); default 1, the lowest latency. */
  threads?: number;
}

/** Counters of a decoder. */
export interface DecoderStats {
  /** Frames that came out of ffmpeg. */
  decoded: number;
  /** Decoded frames not published because of the fps cap. */
  rateSkipped: number;
  /** Frames lost: ring full (every slot pinned), units dropped by the reader or while ffmpeg restarted. */
  dropped: number;
  /** Frames that came out of ffmpeg more than 1 s after capture (GOP replays after a restart excluded). */
  late: number;
  /** Times ffmpeg exited on its own and was restarted. */
  restarts: number;
  /** Published frames per second over the last 2 s. */
  fpsOut: number;
}

interface Source {
  codec: VideoCodec;
  width: number;
  height: number;
}

/** Decodes one camera's stream into a FrameRing through an ffmpeg child. */
export class Decoder extends Emitter<{ ring: [FrameRing]; frame: [FrameRef]; close: [] }> implements ReaderSink {
  /** Reader name, in logs and stream stats. */
  readonly name: string;
  readonly #stream: Stream;
  readonly #opts: DecoderOptions & { slots: number };
  readonly #reader: Reader;
  readonly #backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  readonly #fpsOut = new RateWindow(2000);
  /** The camera's pts mapped to epoch ms without arrival jitter; survives ffmpeg restarts, reset on reconnect. */
  readonly #clock = new CaptureClock();
  readonly #offStreamClose: () => void;
  #ring?: FrameRing;
  #proc?: DecodeProcess;
  /** The source the current (or next) process decodes. */
  #source?: Source;
  #lastSps?: Uint8Array;
  #spsSource?: Source;
  /** Last video unit the reader delivered: the end of the GOP replay after a restart. */
  #lastUnit?: VideoUnit;
  #restartTimer?: NodeJS.Timeout;
  #nextDuePts?: number;
  #lastOutPts?: number;
  /** After a restart, frames up to this pts were published before and are not published again. */
  #replayUntilPts?: number;
  #started = false;
  #closed = false;
  #decoded = 0;
  #rateSkipped = 0;
  #dropped = 0;
  #oldRingDrops = 0;
  #late = 0;
  #restarts = 0;

  constructor(stream: Stream, opts: DecoderOptions) {
    super();
    checkOptions(opts);
    this.#stream = stream;
    this.#opts = { ...opts, slots: opts.slots ?? 8 };
    this.name = `decoder:${stream.id}`;
    // Attached now so the cached GOP is queued; congested() holds delivery until start().
    this.#reader = stream.addReader(this, { gop: true });
    this.#offStreamClose = stream.on('close', () => this.close());
  }

  /** The ring frames are written to; replaced (with a 'ring' event) when the output layout changes. */
  get ring(): FrameRing | undefined {
    return this.#ring;
  }

  /** The ffmpeg child's pid while one runs (tests, diagnostics). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The most recently published frame with its ring. */
  latest(): { ring: FrameRing; ref: FrameRef } | undefined {
    const ring = this.#ring;
    const ref = ring?.latest();
    return ring && ref ? { ring, ref } : undefined;
  }

  /** A snapshot of the counters. */
  get stats(): DecoderStats {
    return {
      decoded: this.#decoded,
      rateSkipped: this.#rateSkipped,
      dropped: this.#dropped + this.#oldRingDrops + (this.#ring?.stats.dropped ?? 0) + this.#reader.stats.dropped,
      late: this.#late,
      restarts: this.#restarts,
      fpsOut: this.#fpsOut.rates(Date.now()).perSecond,
    };
  }

  /** Starts delivery: ffmpeg is spawned at the first keyframe. */
  start(): void {
    if (this.#closed) throw new InvalidStateError(`decoder of ${this.#stream.id} is closed`);
    if (this.#started) return;
    this.#started = true;
    this.#reader.resume();
  }

  /** Kills ffmpeg and detaches from the stream; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#stopProcess();
    this.#offStreamClose();
    this.#reader.close();
    this.emit('close');
  }

  // ---- ReaderSink ----

  /** @internal called by the reader. */
  congested(): boolean {
    return !this.#started || (this.#proc !== undefined && this.#proc.backlog > CONGESTED_BYTES);
  }

  /** @internal called by the reader: one unit, in decoding order. */
  write(unit: Unit): void {
    if (this.#closed || unit.kind !== 'video') return;
    this.#lastUnit = unit;
    if (unit.keyframe) {
      const source = this.#sourceOf(unit);
      if (!source) {
        this.#dropped++;
        rateLog.warn(`size:${this.#stream.id}`, `decoder ${this.#stream.id}: keyframe without a parsable SPS and no known size; not decoding`);
        return;
      }
      const changed = !this.#source || !sameSource(this.#source, source);
      this.#source = source;
      // During a restart backoff the timer respawns (with this source); spawning now would defeat it.
      if (this.#restartTimer === undefined && (changed || !this.#proc)) this.#spawn();
    }
    if (this.#opts.keyframesOnly && !unit.keyframe) return;
    const proc = this.#proc;
    if (!proc || (proc.needKeyframe && !unit.keyframe)) {
      this.#dropped++;
      return;
    }
    proc.feed(unit, this.#captured(unit));
  }

  /** The unit's capture time in epoch ms, from its pts and its arrival. */
  #captured(unit: VideoUnit): number {
    return this.#clock.map(unit.pts, performance.timeOrigin + unit.receivedAt);
  }

  /** @internal the source reconnected: a new session may bring another size and another pts origin. */
  onTracks(_tracks: readonly Track[]): void {
    this.#stopProcess();
    this.#clock.reset();
    this.#source = undefined;
    this.#lastUnit = undefined;
    this.#lastOutPts = undefined;
    this.#replayUntilPts = undefined;
  }

  // ---- process lifecycle ----

  #sourceOf(unit: VideoUnit): Source | undefined {
    const sps = findSps(unit);
    if (sps && !(this.#spsSource?.codec === unit.codec && sameBytes(this.#lastSps, sps))) {
      const info = videoInfoFromSps(unit.codec, sps);
      if (info?.width && info.height) {
        this.#lastSps = sps;
        this.#spsSource = { codec: unit.codec, width: info.width, height: info.height };
      }
    }
    if (this.#spsSource?.codec === unit.codec) return this.#spsSource;
    const { width, height } = this.#stream.stats;
    return width && height ? { codec: unit.codec, width, height } : undefined;
  }

  #outputSize(src: Source): { width: number; height: number } {
    const { width, height } = this.#opts;
    if (width && height) return { width, height };
    if (width) return { width, height: even((src.height * width) / src.width) };
    if (height) return { width: even((src.width * height) / src.height), height };
    return { width: src.width, height: src.height };
  }

  /** Replaces the process with one for #source, and the ring when the layout changed. */
  #spawn(): DecodeProcess {
    this.#stopProcess();
    const src = this.#source!;
    const { format, keyframesOnly, slots } = this.#opts;
    const size = this.#outputSize(src);
    const layout: FrameRingLayout = { slots, width: size.width, height: size.height, format };
    let newRing = false;
    if (!this.#ring || !sameLayout(this.#ring.layout, layout)) {
      if (this.#ring) this.#oldRingDrops += this.#ring.stats.dropped;
      this.#ring = FrameRing.create(layout);
      newRing = true;
    }
    const ring = this.#ring;
    this.#nextDuePts = undefined;
    const proc: DecodeProcess = new DecodeProcess(
      { codec: src.codec, width: size.width, height: size.height, format, keyframesOnly, threads: this.#opts.threads ?? 1 },
      ring,
      {
        frame: (slot, pts, capturedAt) => this.#frame(ring, slot, pts, capturedAt),
        drain: () => this.#reader.resume(),
        exit: (reason) => this.#exited(proc, reason),
      },
    );
    this.#proc = proc;
    log.debug(`decoder ${this.#stream.id}: ffmpeg ${proc.pid} for ${src.codec} ${src.width}x${src.height} → ${size.width}x${size.height} ${format}`);
    if (newRing) this.emit('ring', ring);
    return proc;
  }

  #stopProcess(): void {
    this.#proc?.stop();
    this.#proc = undefined;
  }

  #exited(proc: DecodeProcess, reason: string): void {
    if (proc !== this.#proc || this.#closed) return;
    this.#proc = undefined;
    this.#restarts++;
    const delay = this.#backoff.next();
    log.warn(`decoder ${this.#stream.id}: ${reason}; restarting in ${delay} ms`);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#restart();
    }, delay);
    // Units keep flowing (and are counted as dropped) instead of piling up behind a dead process.
    this.#reader.resume();
  }

  /** Respawns and replays the cached GOP up to the last unit received, so decoding resumes now. */
  #restart(): void {
    if (this.#closed || !this.#source) return;
    const proc = this.#spawn();
    this.#replayUntilPts = this.#lastOutPts;
    const gop = this.#stream.gopUnits();
    const end = this.#lastUnit ? gop.indexOf(this.#lastUnit) : -1;
    for (let i = 0; i <= end; i++) {
      const u = gop[i]!;
      if (u.kind === 'video' && (u.keyframe || !this.#opts.keyframesOnly)) proc.feed(u, this.#captured(u));
    }
  }

  // ---- frames ----

  /** A frame out of ffmpeg, in ring slot `slot` (claimed for us; -1: dropped, ring full): publish or abort it. */
  #frame(ring: FrameRing, slot: number, pts: number, capturedAt: number): void {
    this.#decoded++;
    this.#backoff.reset();
    let publish = true;
    if (this.#replayUntilPts !== undefined) {
      if (pts <= this.#replayUntilPts) publish = false;
      else this.#replayUntilPts = undefined;
    }
    if (publish && Date.now() - capturedAt > LATE_MS) this.#late++;
    if (publish && !this.#due(pts)) {
      this.#rateSkipped++;
      publish = false;
    }
    if (slot < 0) return;
    if (!publish) {
      ring.abort(slot);
      return;
    }
    const ref = ring.commit(slot, pts, capturedAt);
    this.#lastOutPts = pts;
    this.#fpsOut.add(Date.now(), 1, 0);
    this.emit('frame', ref);
  }

  /** The fps cap, by pts: publish a frame when it is at least one interval after the last published. */
  #due(pts: number): boolean {
    const fps = this.#opts.fps;
    if (!(fps > 0) || !Number.isFinite(fps)) return true;
    const interval = PTS_HZ / fps;
    // Camera clocks jitter by a few ticks around the nominal spacing.
    const tolerance = interval / 8;
    const due = this.#nextDuePts;
    // A pts far behind the schedule is a new timeline (source restart): start over.
    if (due !== undefined && pts < due - tolerance && pts >= due - 2 * interval) return false;
    this.#nextDuePts = due !== undefined && pts >= due - tolerance && pts - due < interval ? due + interval : pts + interval;
    return true;
  }
}

function checkOptions(o: DecoderOptions): void {
  const positiveInt = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new RangeError(`decoder ${name} must be a positive integer, got ${v}`);
  };
  positiveInt(o.width, 'width');
  positiveInt(o.height, 'height');
  positiveInt(o.slots, 'slots');
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 0)) throw new RangeError(`decoder threads must be an integer >= 0, got ${o.threads}`);
  if (typeof o.fps !== 'number' || Number.isNaN(o.fps) || o.fps < 0) throw new RangeError(`decoder fps must be >= 0, got ${o.fps}`);
  if (o.format !== 'i420' && o.format !== 'gray') throw new RangeError(`decoder format must be i420 or gray, got ${String(o.format)}`);
}

function sameSource(a: Source, b: Source): boolean {
  return a.codec === b.codec && a.width === b.width && a.height === b.height;
}

function sameLayout(a: FrameRingLayout, b: FrameRingLayout): boolean {
  return a.slots === b.slots && a.width === b.width && a.height === b.height && a.format === b.format;
}

/** Rounds to an even size (4:2:0 chroma), at least 2. */
function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}
