/**
 * One ffmpeg decoder child: units in on stdin, fixed-size raw frames out on stdout. It cuts the
 * stdout byte stream into frames and pairs each with the timestamps of the unit it came from
 * (PtsQueue); where the bytes go is the owner's decision (a ring slot, or nowhere). The owner
 * (Decoder) handles restarts; a process is never restarted, only replaced.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { ffmpegPath } from '../ffmpeg.js';
import { decoderArgs, unitToAnnexB, type DecodeProcessConfig } from './ffmpeg-args.js';
import { PtsQueue } from './pts-queue.js';

/** The owner's side of a decode process. */
export interface DecodeProcessHooks {
  /** A frame's bytes start arriving: the array to fill (frameBytes long), or undefined to discard them. */
  frameStart(pts: number, capturedAt: number): Uint8Array | undefined;
  /** The last byte of the frame arrived. */
  frameEnd(pts: number, capturedAt: number): void;
  /** stdin drained below its high-water mark after a congested write. */
  drain(): void;
  /** The child exited on its own (not through stop()). */
  exit(reason: string): void;
}

/** A running ffmpeg decoder child. */
export class DecodeProcess {
  /** What this process decodes to. */
  readonly config: DecodeProcessConfig;
  /** Bytes of one output frame. */
  readonly frameBytes: number;
  /** True until the first keyframe is fed: a decoder cannot start on a delta frame. */
  needKeyframe = true;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #hooks: DecodeProcessHooks;
  readonly #queue = new PtsQueue();
  #stopped = false;
  #target: Uint8Array | undefined;
  #inFrame = false;
  #filled = 0;
  #pts = 0;
  #capturedAt = 0;
  #lastPts = 0;
  #stderr = '';
  /** Frames that came out. */
  frames = 0;

  constructor(config: DecodeProcessConfig, frameBytes: number, hooks: DecodeProcessHooks) {
    this.config = config;
    this.frameBytes = frameBytes;
    this.#hooks = hooks;
    this.#child = spawn(ffmpegPath(), decoderArgs(config), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stdout.on('data', (chunk: Buffer) => {
      if (!this.#stopped) this.#onData(chunk);
    });
    this.#child.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-2000);
    });
    // EPIPE when ffmpeg dies while we write: the 'close' handler below deals with the death.
    this.#child.stdin.on('error', () => {});
    this.#child.stdin.on('drain', () => {
      if (!this.#stopped) hooks.drain();
    });
    this.#child.on('error', (err) => this.#died(`could not run ffmpeg: ${err.message}`));
    this.#child.on('close', (code, signal) => this.#died(`ffmpeg exited (${signal ?? `code ${code}`})${this.#stderrTail()}`));
  }

  /** The child's pid (undefined when it could not be spawned). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Bytes written to stdin that ffmpeg has not read yet. */
  get backlog(): number {
    return this.#child.stdin.writableLength;
  }

  /** True once stopped or exited. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Writes one unit and remembers its timestamps; never blocks (the owner watches `backlog`). */
  feed(unit: VideoUnit): void {
    if (this.#stopped) return;
    if (unit.keyframe) this.needKeyframe = false;
    this.#queue.push(unit.pts, performance.timeOrigin + unit.receivedAt);
    this.#child.stdin.write(unitToAnnexB(unit));
  }

  /** Kills the child; its remaining output is ignored and no exit hook fires. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#child.stdin.destroy();
    this.#child.kill('SIGKILL');
  }

  #onData(chunk: Buffer): void {
    let o = 0;
    while (o < chunk.length) {
      if (!this.#inFrame) this.#beginFrame();
      const n = Math.min(chunk.length - o, this.frameBytes - this.#filled);
      if (this.#target) this.#target.set(chunk.subarray(o, o + n), this.#filled);
      this.#filled += n;
      o += n;
      if (this.#filled === this.frameBytes) {
        this.#inFrame = false;
        this.#target = undefined;
        this.frames++;
        this.#hooks.frameEnd(this.#pts, this.#capturedAt);
        if (this.#stopped) return; // the hook replaced this process
      }
    }
  }

  #beginFrame(): void {
    const pts = this.#queue.peekPts();
    if (pts !== undefined) {
      this.#pts = pts;
      this.#capturedAt = this.#queue.peekCapturedAt()!;
      this.#queue.shift();
    } else {
      // More pictures than units fed: cannot happen with -fps_mode passthrough, but never stall on it.
      this.#capturedAt = Date.now();
      this.#pts = this.#lastPts;
    }
    this.#lastPts = this.#pts;
    this.#inFrame = true;
    this.#filled = 0;
    this.#target = this.#hooks.frameStart(this.#pts, this.#capturedAt);
  }

  #died(reason: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#child.stdin.destroy();
    this.#child.kill('SIGKILL');
    this.#hooks.exit(reason);
  }

  #stderrTail(): string {
    const tail = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    return tail ? `: ${tail}` : '';
  }
}
