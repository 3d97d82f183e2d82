/**
 * The per-camera hub (mediamtx's `stream`): one source pushes units, every
 * reader gets each of them in order through its own bounded queue, and the
 * current GOP is cached so a new reader starts at once.
 *
 * Ownership (mediasoup's tree): Camera → Stream → Reader. The stream creates
 * readers with addReader, holds them in a Set, and closes them when it closes.
 * Readers stay attached across source reconnects (setOffline → setTracks).
 */
import type { Track, Unit, VideoCodec } from '../../codecs/access-unit.js';
import { Emitter } from '../emitter.js';
import { InvalidStateError } from '../errors.js';
import { RateLimitedLog, createLogger } from '../log.js';
import { GopCache, unitByteLength } from './gop-cache.js';
import { RateWindow } from './rate-window.js';
import { Reader } from './reader.js';
import type { ReaderOptions, ReaderSink } from './reader.js';
import { findSps, sameBytes, videoInfoFromSps, type VideoInfo } from './video-info.js';

const log = createLogger('stream');
const errorLog = new RateLimitedLog(log);

/** Options for a Stream. */
export interface StreamOptions {
  /** Bound on cached GOP units (default 300). */
  gopMaxUnits?: number;
  /** Bound on cached GOP bytes (default 8 MiB). */
  gopMaxBytes?: number;
  /** Clock in ms for rates and lastUnitAt (default Date.now); injectable for tests. */
  now?: () => number;
  /** Sliding window for fps and bitrate in ms (default 2000). */
  rateWindowMs?: number;
}


/** A snapshot of a stream's counters; a plain object, safe to serialise. */
export interface StreamStats {
  state: 'online' | 'offline';
  unitsIn: number;
  bytesIn: number;
  videoUnits: number;
  audioUnits: number;
  keyframes: number;
  /** Video units per second over the sliding window. */
  fps: number;
  /** Bits per second (video + audio payload) over the sliding window. */
  bitrateBps: number;
  /** Clock time of the last pushed unit. */
  lastUnitAt?: number;
  codec?: VideoCodec;
  width?: number;
  height?: number;
  profile?: string;
  readers: number;
  gopUnits: number;
  gopBytes: number;
  /** Times the GOP cache exceeded a bound and was dropped until the next keyframe. */
  gopOverflows: number;
  /** Units lost by readers (sum over current readers plus closed ones). */
  readerDropped: number;
  /** Errors caught inside push (should stay 0). */
  pushErrors: number;
}

/** One camera's unit hub: fans every unit out to all readers and caches the current GOP. */
export class Stream extends Emitter<{ tracks: [readonly Track[]]; state: ['online' | 'offline']; readers: [number]; close: [] }> {
  /** The camera id. */
  readonly id: string;
  readonly #now: () => number;
  readonly #gop: GopCache;
  readonly #rate: RateWindow;
  readonly #readers = new Set<Reader>();
  /** Copy-on-write array of the readers: push iterates it without allocating an iterator. */
  #readerList: readonly Reader[] = [];
  #tracks: readonly Track[] = [];
  #state: 'online' | 'offline' = 'offline';
  #closed = false;
  #video: VideoInfo = {};
  /** The SPS the video info was parsed from; re-parsed only when a keyframe brings different bytes. */
  #lastSps?: Uint8Array;
  #unitsIn = 0;
  #bytesIn = 0;
  #videoUnits = 0;
  #audioUnits = 0;
  #keyframes = 0;
  #lastUnitAt: number | undefined;
  #closedReaderDropped = 0;
  #pushErrors = 0;
  readonly #removeReader = (r: Reader): void => this.#detach(r);

  constructor(id: string, opts: StreamOptions = {}) {
    super();
    this.id = id;
    this.#now = opts.now ?? Date.now;
    this.#gop = new GopCache(opts.gopMaxUnits, opts.gopMaxBytes);
    this.#rate = new RateWindow(opts.rateWindowMs ?? 2000);
  }

  /** Tracks of the current (or last) source session; empty before the first setTracks. */
  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  /** 'online' between setTracks and setOffline. */
  get state(): 'online' | 'offline' {
    return this.#state;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The attached readers. */
  get readers(): ReadonlySet<Reader> {
    return this.#readers;
  }

  /** The source (re)connected with these tracks: online, GOP reset, every reader told. */
  setTracks(tracks: readonly Track[]): void {
    if (this.#closed) return;
    this.#tracks = Object.freeze([...tracks]);
    this.#gop.reset();
    const video = tracks.find((t) => t.kind === 'video');
    if (video && video.codec !== this.#video.codec) this.#video = { codec: video.codec };
    if (video?.sps) this.#learnSps(video.codec, video.sps);
    for (const r of this.#readerList) r.tracksChanged(this.#tracks);
    this.emit('tracks', this.#tracks);
    this.#setState('online');
  }

  /** The source dropped; readers stay attached and resume on the next setTracks. */
  setOffline(): void {
    if (this.#closed) return;
    this.#gop.reset();
    this.#rate.reset();
    this.#setState('offline');
  }

  /** Codec, size and profile from an SPS, parsed only when its bytes changed (resolution change). */
  #learnSps(codec: VideoCodec, sps: Uint8Array): void {
    if (sameBytes(this.#lastSps, sps)) return;
    this.#lastSps = sps;
    const info = videoInfoFromSps(codec, sps);
    if (info) this.#video = info;
  }

  /** Feeds one unit to the GOP cache and every reader. Never blocks, never throws. */
  push(unit: Unit): void {
    if (this.#closed) return;
    try {
      const bytes = unitByteLength(unit);
      const now = this.#now();
      this.#unitsIn++;
      this.#bytesIn += bytes;
      this.#lastUnitAt = now;
      if (unit.kind === 'video') {
        this.#videoUnits++;
        if (unit.keyframe) this.#keyframes++;
        if (this.#video.codec === undefined) this.#video.codec = unit.codec;
        if (unit.keyframe) {
          const sps = findSps(unit);
          if (sps) this.#learnSps(unit.codec, sps);
        }
        this.#gop.push(unit, bytes);
        this.#rate.add(now, 1, bytes);
      } else {
        this.#audioUnits++;
        this.#rate.add(now, 0, bytes);
      }
      const readers = this.#readerList;
      for (let i = 0; i < readers.length; i++) readers[i]!.offer(unit);
    } catch (err) {
      // Nothing above should throw (sinks run later, inside each reader's drain); guard the source anyway.
      this.#pushErrors++;
      errorLog.warn(`push:${this.id}`, `stream ${this.id}: push failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Attaches a reader; it starts from the cached GOP (catchUp=true) unless opts.gop is false. */
  addReader(sink: ReaderSink, opts: ReaderOptions = {}): Reader {
    if (this.#closed) throw new InvalidStateError(`stream ${this.id} is closed`);
    const reader = new Reader(this.id, sink, opts, this.#removeReader);
    if (opts.gop !== false) reader.startFromGop(this.#gop.units());
    this.#readers.add(reader);
    this.#readerList = [...this.#readers];
    this.emit('readers', this.#readers.size);
    return reader;
  }

  /** The cached video GOP, keyframe first (empty when none), e.g. to answer a PLI. */
  gopUnits(): readonly Unit[] {
    return this.#gop.units();
  }

  /** A snapshot of the counters; fps and bitrate are computed at read time. */
  get stats(): StreamStats {
    const rates = this.#rate.rates(this.#now());
    let readerDropped = this.#closedReaderDropped;
    for (const r of this.#readerList) readerDropped += r.stats.dropped;
    return {
      state: this.#state,
      unitsIn: this.#unitsIn,
      bytesIn: this.#bytesIn,
      videoUnits: this.#videoUnits,
      audioUnits: this.#audioUnits,
      keyframes: this.#keyframes,
      fps: rates.perSecond,
      bitrateBps: rates.bitsPerSecond,
      lastUnitAt: this.#lastUnitAt,
      codec: this.#video.codec,
      width: this.#video.width,
      height: this.#video.height,
      profile: this.#video.profile,
      readers: this.#readers.size,
      gopUnits: this.#gop.size,
      gopBytes: this.#gop.bytes,
      gopOverflows: this.#gop.overflows,
      readerDropped,
      pushErrors: this.#pushErrors,
    };
  }

  /** Closes every reader, then the stream; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#readerList) r.close();
    this.#gop.reset();
    this.#state = 'offline';
    this.emit('close');
  }

  #setState(state: 'online' | 'offline'): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  #detach(r: Reader): void {
    if (!this.#readers.delete(r)) return;
    this.#closedReaderDropped += r.stats.dropped;
    this.#readerList = [...this.#readers];
    this.emit('readers', this.#readers.size);
  }
}
