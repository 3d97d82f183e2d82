/**
 * The last few seconds of one camera's video, kept so a violation can be shown with what led up to
 * it (evidence clips): a ReaderSink attached to the camera's Stream like any viewer, so it gets
 * units through its own bounded Reader queue and can never hold up the source.
 *
 *   stream ─ Reader queue ─> write(unit) ─> [K p p p | K p p p | K p p]  ─ clip(from, to) ─> writeMp4
 *                                           ^ dropped a whole GOP at a time, so it starts at a keyframe
 *
 * Bounds: time (`seconds`, measured in pts from the newest unit) and bytes (`maxBytes`). Whole GOPs
 * leave from the front: a GOP without its keyframe cannot be decoded. The time bound keeps the
 * oldest GOP until the next one alone covers `seconds`, so at least `seconds` are always held. A
 * single GOP larger than maxBytes is dropped whole and the history waits for the next keyframe.
 *
 * All units held share one set of parameter sets (what MP4 needs, see codecs/mp4/writer.ts): a
 * keyframe with a different SPS, a reconnect (onTracks) or pts going backwards starts over.
 */
import type { Track, Unit, VideoCodec, VideoUnit } from '../../codecs/access-unit.js';
import { H264Nal, h264NalType } from '../../codecs/h264/nal.js';
import { H265Nal, h265NalType } from '../../codecs/h265/nal.js';
import { writeMp4, type Mp4Track } from '../../codecs/mp4/writer.js';
import { CaptureClock } from '../decode/capture-clock.js';
import { unitByteLength } from './gop-cache.js';
import type { Reader, ReaderSink } from './reader.js';
import type { Stream } from './stream.js';
import { sameBytes } from './video-info.js';

/** Default span of history, in seconds. */
export const DEFAULT_HISTORY_SECONDS = 30;
/** Default bound on held bytes (64 MiB: 30 s of a 16 Mbit/s camera). */
export const DEFAULT_HISTORY_MAX_BYTES = 64 * 1024 * 1024;
/** Ticks per second of video pts (RTP video clock). */
const PTS_HZ = 90000;
/** How far before the oldest held unit a time may be and still map to it (a frame interval at 10 fps). */
const FRAME_SLACK_MS = 100;

/** Options for a UnitHistory. */
export interface UnitHistoryOptions {
  /** Seconds of video to keep (default 30). */
  seconds?: number;
  /** Bound on held NAL bytes (default 64 MiB). */
  maxBytes?: number;
}

/** Counters of a UnitHistory; a plain object, safe to serialise. */
export interface UnitHistoryStats {
  units: number;
  bytes: number;
  gops: number;
  /** pts of the oldest and newest held units. */
  firstPts?: number;
  lastPts?: number;
  /** Units dropped to keep within maxBytes (whole GOPs, plus units skipped waiting for a keyframe after). */
  droppedForBytes: number;
  /** Times the history started over (reconnect, new SPS, pts going backwards). */
  resets: number;
}

/** A cut of the history ready for writeMp4: the track's parameter sets and the units, keyframe first. */
export interface HistoryClip {
  track: Mp4Track;
  samples: readonly VideoUnit[];
  /** pts of the first and last unit of the clip. */
  firstPts: number;
  lastPts: number;
  /** Capture times (epoch ms) of the first and last unit, on the clock the decoder stamps frames with. */
  firstAt: number;
  lastAt: number;
}

/** Parameter sets of one codec session. */
interface ParamSets {
  vps?: Uint8Array;
  sps?: Uint8Array;
  pps?: Uint8Array;
}

interface Waiter {
  pts: number;
  resolve: (reached: boolean) => void;
  timer: NodeJS.Timeout;
}

/** The parameter sets a keyframe carries in band (depacketizers put them before every IDR/IRAP). */
function paramSetsOf(unit: VideoUnit): ParamSets {
  const out: ParamSets = {};
  for (const n of unit.nalus) {
    if (unit.codec === 'H264') {
      const t = h264NalType(n);
      if (t === H264Nal.SPS) out.sps = n;
      else if (t === H264Nal.PPS) out.pps = n;
    } else {
      const t = h265NalType(n);
      if (t === H265Nal.VPS) out.vps = n;
      else if (t === H265Nal.SPS) out.sps = n;
      else if (t === H265Nal.PPS) out.pps = n;
    }
  }
  return out;
}

/** A rolling, GOP-aligned buffer of a stream's recent video units, cut into clips on demand. */
export class UnitHistory implements ReaderSink {
  /** Sink name in the stream's reader stats. */
  readonly name: string;
  /** Seconds of video kept. */
  readonly seconds: number;
  /** Bound on held bytes. */
  readonly maxBytes: number;
  #units: VideoUnit[] = [];
  #sizes: number[] = [];
  /** Capture time (epoch ms) of each held unit, mapped from its pts as the decoder maps frames' capturedAt. */
  #captured: number[] = [];
  readonly #clock = new CaptureClock();
  /** Indices in #units where a GOP (a keyframe) starts; #gops[0] is always 0 when units are held. */
  #gops: number[] = [];
  #bytes = 0;
  #codec: VideoCodec | undefined;
  #params: ParamSets = {};
  /** Parameter sets from the SDP, for keyframes that do not carry them. */
  #trackParams: ParamSets = {};
  #needKeyframe = true;
  /** Waiting for a keyframe because a GOP was too big for maxBytes (skipped units count as dropped). */
  #overflowed = false;
  #droppedForBytes = 0;
  #resets = 0;
  #waiters: Waiter[] = [];
  #reader: Reader | undefined;
  #closed = false;

  constructor(name: string, opts: UnitHistoryOptions = {}) {
    this.name = name;
    this.seconds = Math.max(0, opts.seconds ?? DEFAULT_HISTORY_SECONDS);
    this.maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_HISTORY_MAX_BYTES);
  }

  /** Attaches to `stream` as a reader (starting from its cached GOP); closing either side detaches. */
  attach(stream: Stream): Reader {
    if (this.#reader) return this.#reader;
    this.onTracks(stream.tracks);
    const reader = stream.addReader(this);
    reader.on('close', () => this.close());
    this.#reader = reader;
    return reader;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A snapshot of the counters. */
  get stats(): UnitHistoryStats {
    return {
      units: this.#units.length,
      bytes: this.#bytes,
      gops: this.#gops.length,
      firstPts: this.#units[0]?.pts,
      lastPts: this.#units.at(-1)?.pts,
      droppedForBytes: this.#droppedForBytes,
      resets: this.#resets,
    };
  }

  /** ReaderSink: keeps one video unit; audio is ignored (clips are video-only). */
  write(unit: Unit): void {
    if (this.#closed || unit.kind !== 'video') return;
    const last = this.#units.at(-1);
    if (last && (unit.pts < last.pts || unit.codec !== this.#codec)) this.#reset(); // camera clock jumped back
    if (unit.keyframe) {
      const inBand = paramSetsOf(unit);
      if (inBand.sps && this.#params.sps && !sameBytes(this.#params.sps, inBand.sps)) this.#reset(); // new resolution or profile
      this.#params = {
        vps: inBand.vps ?? this.#params.vps ?? this.#trackParams.vps,
        sps: inBand.sps ?? this.#params.sps ?? this.#trackParams.sps,
        pps: inBand.pps ?? this.#params.pps ?? this.#trackParams.pps,
      };
      this.#codec = unit.codec;
      this.#needKeyframe = false;
      this.#overflowed = false;
      this.#gops.push(this.#units.length);
    } else if (this.#needKeyframe) {
      if (this.#overflowed) this.#droppedForBytes++;
      return;
    }
    const size = unitByteLength(unit);
    this.#units.push(unit);
    this.#sizes.push(size);
    this.#captured.push(this.#clock.map(unit.pts, performance.timeOrigin + unit.receivedAt));
    this.#bytes += size;
    this.#trim(unit.pts);
    if (this.#waiters.length > 0) this.#wake(unit.pts);
  }

  /** ReaderSink: the source (re)connected; pts restart, so the history starts over. */
  onTracks(tracks: readonly Track[]): void {
    const video = tracks.find((t) => t.kind === 'video');
    this.#trackParams = video ? { vps: video.vps, sps: video.sps, pps: video.pps } : {};
    this.#reset();
  }

  /**
   * Resolves true once a unit with pts >= `pts` is held, false on timeout, reset or close. The
   * caller of clip() waits on this for the "after" part of a clip.
   */
  whenAvailable(pts: number, timeoutMs: number): Promise<boolean> {
    const last = this.#units.at(-1);
    if (last && last.pts >= pts) return Promise.resolve(true);
    if (this.#closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        pts,
        resolve,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /**
   * The units from the last keyframe at or before `fromPts` (or the oldest held keyframe, when the
   * history starts later) through the first unit at or after `toPts` (or the newest held), with the
   * parameter sets; undefined when nothing is held or no SPS/PPS is known.
   */
  clip(fromPts: number, toPts: number): HistoryClip | undefined {
    const units = this.#units;
    if (units.length === 0 || toPts < fromPts || this.#codec === undefined) return undefined;
    const { vps, sps, pps } = this.#params;
    if (!sps || !pps || (this.#codec === 'H265' && !vps)) return undefined;
    let start = this.#gops[0]!;
    for (const g of this.#gops) if (units[g]!.pts <= fromPts) start = g;
    let end = units.length - 1;
    for (let i = start; i < units.length; i++) {
      if (units[i]!.pts >= toPts) {
        end = i;
        break;
      }
    }
    const samples = units.slice(start, end + 1);
    const track: Mp4Track = { codec: this.#codec, sps, pps, timescale: PTS_HZ };
    if (vps) track.vps = vps;
    return {
      track, samples, firstPts: samples[0]!.pts, lastPts: samples.at(-1)!.pts, firstAt: this.#captured[start]!, lastAt: this.#captured[end]!,
    };
  }

  /**
   * The pts of the held unit captured nearest to `epochMs` (a frame's capturedAt, an event's
   * startedAt), extrapolated from the newest unit when `epochMs` is later than everything held;
   * undefined when nothing is held or `epochMs` is older than the history.
   */
  ptsAt(epochMs: number): number | undefined {
    const n = this.#units.length;
    if (n === 0 || epochMs < this.#captured[0]! - FRAME_SLACK_MS) return undefined;
    const lastAt = this.#captured[n - 1]!;
    if (epochMs >= lastAt) return this.#units[n - 1]!.pts + Math.round((epochMs - lastAt) * (PTS_HZ / 1000));
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#captured[mid]! < epochMs) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? lo - 1 : lo;
    const nearest = epochMs - this.#captured[before]! <= this.#captured[lo]! - epochMs ? before : lo;
    return this.#units[nearest]!.pts;
  }

  /** clip() written as an MP4 file; undefined when there is nothing to clip. */
  clipMp4(fromPts: number, toPts: number): Uint8Array | undefined {
    const c = this.clip(fromPts, toPts);
    return c && writeMp4(c.track, c.samples);
  }

  /** Detaches from the stream, drops the history and releases waiters; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clear();
    this.#release();
    this.#reader?.close();
  }

  /** Drops front GOPs while the next GOP still covers `seconds`, then while over maxBytes. */
  #trim(newestPts: number): void {
    const span = this.seconds * PTS_HZ;
    while (this.#gops.length > 1 && newestPts - this.#units[this.#gops[1]!]!.pts >= span) this.#dropFrontGop();
    while (this.#bytes > this.maxBytes && this.#gops.length > 1) this.#droppedForBytes += this.#dropFrontGop();
    if (this.#bytes > this.maxBytes) {
      // The current GOP alone is too big: keeping part of it would not decode, so drop it all.
      this.#droppedForBytes += this.#units.length;
      this.#clear();
      this.#overflowed = true;
    }
  }

  /** Removes the oldest GOP; returns its unit count. */
  #dropFrontGop(): number {
    const n = this.#gops[1]!;
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += this.#sizes[i]!;
    this.#units.splice(0, n);
    this.#sizes.splice(0, n);
    this.#captured.splice(0, n);
    this.#bytes -= bytes;
    this.#gops.shift();
    for (let i = 0; i < this.#gops.length; i++) this.#gops[i] -= n;
    return n;
  }

  #wake(pts: number): void {
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.pts <= pts) {
        clearTimeout(w.timer);
        w.resolve(true);
      } else still.push(w);
    }
    this.#waiters = still;
  }

  #release(): void {
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(false);
    }
    this.#waiters = [];
  }

  #clear(): void {
    this.#units = [];
    this.#sizes = [];
    this.#captured = [];
    this.#gops = [];
    this.#bytes = 0;
    this.#needKeyframe = true;
  }

  /** Starts over: pts of what comes next are not comparable with what is held. */
  #reset(): void {
    if (this.#units.length > 0) this.#resets++;
    this.#clear();
    this.#overflowed = false;
    this.#params = {};
    this.#clock.reset();
    this.#release();
  }
}
