/**
 * The current video GOP — every video unit since the last keyframe — so a new
 * reader can start decoding at once instead of waiting up to a GOP length for
 * the next keyframe (mediamtx's and go2rtc's "instant start").
 *
 * Bounded in units and bytes: a camera with a very long GOP (or one that never
 * sends a keyframe again) would otherwise grow this without limit. When a bound
 * is exceeded the cache is dropped and stays empty until the next keyframe.
 * Audio is not cached: a viewer can start audio at any unit.
 */
import type { Unit, VideoUnit } from '../../codecs/access-unit.js';

/** Default bound on cached units (about 10 s at 30 fps). */
export const DEFAULT_GOP_MAX_UNITS = 300;
/** Default bound on cached bytes (8 MiB). */
export const DEFAULT_GOP_MAX_BYTES = 8 * 1024 * 1024;

/** Bytes carried by a unit (NAL payloads for video, RTP payload for audio). */
export function unitByteLength(unit: Unit): number {
  if (unit.kind === 'audio') return unit.payload.byteLength;
  let n = 0;
  const nalus = unit.nalus;
  for (let i = 0; i < nalus.length; i++) n += nalus[i]!.byteLength;
  return n;
}

/** Holds the video units since the last keyframe, within unit and byte bounds. */
export class GopCache {
  readonly maxUnits: number;
  readonly maxBytes: number;
  #units: VideoUnit[] = [];
  #bytes = 0;
  /** True after a bound was exceeded, until the next keyframe. */
  #overflowed = false;
  #overflows = 0;

  constructor(maxUnits = DEFAULT_GOP_MAX_UNITS, maxBytes = DEFAULT_GOP_MAX_BYTES) {
    this.maxUnits = Math.max(1, maxUnits);
    this.maxBytes = Math.max(1, maxBytes);
  }

  /** Feeds one video unit of size `bytes` (the caller has measured it already). */
  push(unit: VideoUnit, bytes: number): void {
    if (unit.keyframe) {
      // A fresh array per GOP: arrays handed out by units() stay valid snapshots.
      this.#units = [unit];
      this.#bytes = bytes;
      this.#overflowed = false;
      if (bytes > this.maxBytes) this.#overflow();
      return;
    }
    if (this.#overflowed || this.#units.length === 0) return; // no keyframe to hang this on
    if (this.#units.length + 1 > this.maxUnits || this.#bytes + bytes > this.maxBytes) {
      this.#overflow();
      return;
    }
    this.#units.push(unit);
    this.#bytes += bytes;
  }

  #overflow(): void {
    this.#units = [];
    this.#bytes = 0;
    this.#overflowed = true;
    this.#overflows++;
  }

  /** Forgets the cached GOP (source reconnected or went offline). */
  reset(): void {
    this.#units = [];
    this.#bytes = 0;
    this.#overflowed = false;
  }

  /**
   * The cached units, keyframe first, or an empty array. The array is never
   * appended to after a later keyframe or reset, but it may still grow while it
   * is the current GOP, so callers iterate it at once or copy it.
   */
  units(): readonly VideoUnit[] {
    return this.#units;
  }

  /** Number of cached units. */
  get size(): number {
    return this.#units.length;
  }

  /** Number of cached bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** How often a bound was exceeded and the GOP dropped. */
  get overflows(): number {
    return this.#overflows;
  }

  /** True while the cache is dropped, waiting for the next keyframe. */
  get overflowed(): boolean {
    return this.#overflowed;
  }
}
