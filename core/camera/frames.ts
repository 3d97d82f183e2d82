import type { FrameRef, FrameRing, PixelFormat } from '../decode/frame-ring.js';
import { Decoder, type DecoderStats } from '../decode/decoder.js';
import { Emitter } from '../emitter.js';
import { createLogger } from '../log.js';
import type { Stream } from '../stream/stream.js';

const log = createLogger('frames');

/** What a camera's plugins need decoded. */
export interface DecodePlan {
  width?: number;
  height?: number;
  /** The highest fps any plugin on the camera asks for. */
  fps: number;
  /** gray when every plugin wants only luma, else i420. */
  format: PixelFormat;
  /** ffmpeg decoder threads (0: one per core); default 1. */
  threads?: number;
}

/** What one plugin on a camera asks of the decoder (its settings over its defaults). */
export interface DecodeRequest {
  fps?: number;
  format?: PixelFormat;
  width?: number;
  height?: number;
}

/** A camera's `detect` settings, as config/schema.ts validates them. */
export interface DetectSettings {
  width?: number;
  height?: number;
  fps: number;
  format?: PixelFormat;
  threads?: number;
}

/**
 * What to decode for a camera's plugins: the highest fps any of them asks for (capped at
 * detect.fps); gray only when every one wants luma only; the configured size, else the largest
 * any plugin asks for, else the source's.
 */
export function decodePlan(detect: DetectSettings, requests: readonly DecodeRequest[]): DecodePlan {
  const fps = Math.max(0, ...requests.map((r) => Math.min(r.fps ?? detect.fps, detect.fps)));
  const formats = requests.map((r) => detect.format ?? r.format ?? 'i420');
  const format = formats.length > 0 && formats.every((f) => f === 'gray') ? 'gray' : 'i420';
  const configured = detect.width !== undefined || detect.height !== undefined;
  const largest = (side: 'width' | 'height') => {
    const asked = requests.map((r) => r[side]).filter((n): n is number => n !== undefined);
    return asked.length > 0 ? Math.max(...asked) : undefined;
  };
  return {
    width: configured ? detect.width : largest('width'),
    height: configured ? detect.height : largest('height'),
    fps,
    format,
    threads: detect.threads,
  };
}

/** How often the keyframe rate is measured to choose keyframe-only decoding. */
const KEYFRAME_CHECK_MS = 5000;
/** Keyframes seen before the rate is trusted. */
const MIN_KEYFRAMES = 3;

/**
 * A camera's decoded frames, as one stable source for the plugin host (its 'ring' and 'frame'
 * events and `ring`), in front of the Decoder that currently feeds them.
 *
 * Keyframe-only decoding (`-skip_frame nokey`) is chosen by itself: every KEYFRAME_CHECK_MS the
 * stream's keyframe rate is measured, and when no plugin asks for more frames per second than the
 * camera sends keyframes, the decoder is replaced by one that decodes keyframes only (and back
 * when the camera's GOP grows). The plugins only see a new ring.
 */
export class CameraFrames extends Emitter<{ ring: [FrameRing]; frame: [FrameRef] }> {
  #decoder?: Decoder;
  #keyframesOnly = false;
  #timer?: NodeJS.Timeout;
  #lastKeyframes = 0;
  #lastCheck = 0;
  #closed = false;
  /** Stats of decoders replaced so far, so counters stay cumulative. */
  #previous: DecoderStats = { decoded: 0, rateSkipped: 0, dropped: 0, late: 0, restarts: 0, fpsOut: 0 };
  /** Times the decoding mode switched between all frames and keyframes only. */
  modeSwitches = 0;

  constructor(
    private readonly stream: Stream,
    readonly plan: DecodePlan,
  ) {
    super();
  }

  /** The ring plugins read from now. */
  get ring(): FrameRing | undefined {
    return this.#decoder?.ring;
  }

  /** True while only keyframes are decoded. */
  get keyframesOnly(): boolean {
    return this.#keyframesOnly;
  }

  /** The newest decoded frame, for snapshots. */
  latest(): { ring: FrameRing; ref: FrameRef } | undefined {
    return this.#decoder?.latest();
  }

  /** Cumulative decoder counters. */
  get stats(): DecoderStats & { keyframesOnly: boolean } {
    const s = this.#decoder?.stats;
    const p = this.#previous;
    return {
      decoded: p.decoded + (s?.decoded ?? 0),
      rateSkipped: p.rateSkipped + (s?.rateSkipped ?? 0),
      dropped: p.dropped + (s?.dropped ?? 0),
      late: p.late + (s?.late ?? 0),
      restarts: p.restarts + (s?.restarts ?? 0),
      fpsOut: s?.fpsOut ?? 0,
      keyframesOnly: this.#keyframesOnly,
    };
  }

  /** Starts decoding (all frames until the keyframe rate is known). */
  start(): void {
    if (this.#closed || this.#decoder) return;
    this.#startDecoder(false);
    this.#lastCheck = Date.now();
    this.#lastKeyframes = this.stream.stats.keyframes;
    this.#timer = setInterval(() => this.#checkKeyframeRate(), KEYFRAME_CHECK_MS);
    this.#timer.unref();
  }

  #startDecoder(keyframesOnly: boolean): void {
    const old = this.#decoder;
    if (old) {
      const s = old.stats;
      const p = this.#previous;
      this.#previous = { decoded: p.decoded + s.decoded, rateSkipped: p.rateSkipped + s.rateSkipped,
        dropped: p.dropped + s.dropped, late: p.late + s.late, restarts: p.restarts + s.restarts, fpsOut: 0 };
      old.close();
    }
    this.#keyframesOnly = keyframesOnly;
    const decoder = new Decoder(this.stream, { ...this.plan, keyframesOnly });
    decoder.on('ring', (ring) => this.emit('ring', ring));
    decoder.on('frame', (ref) => this.emit('frame', ref));
    this.#decoder = decoder;
    decoder.start();
  }

  #checkKeyframeRate(): void {
    if (this.stream.state !== 'online') {
      // Measure afresh once the camera is back: its GOP may have changed.
      this.#lastCheck = Date.now();
      this.#lastKeyframes = this.stream.stats.keyframes;
      return;
    }
    // Cumulative since the last reset: a single 5 s window of a 2 s GOP reads 0.4-0.6 keyframes/s,
    // which would flip a 0.5 fps plugin between modes.
    const keyframes = this.stream.stats.keyframes - this.#lastKeyframes;
    if (keyframes < MIN_KEYFRAMES) return;
    const rate = keyframes / ((Date.now() - this.#lastCheck) / 1000);
    const wantKeyframesOnly = this.plan.fps <= rate * 1.05;
    if (wantKeyframesOnly === this.#keyframesOnly) return;
    log.info(`${this.stream.id}: plugins want ${this.plan.fps} fps, camera sends ${rate.toFixed(2)} keyframes/s: ` +
      `decoding ${wantKeyframesOnly ? 'keyframes only' : 'every frame'}`);
    this.modeSwitches++;
    this.#startDecoder(wantKeyframesOnly);
    this.#lastCheck = Date.now();
    this.#lastKeyframes = this.stream.stats.keyframes;
  }

  /** Stops decoding; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#decoder?.close();
  }
}
