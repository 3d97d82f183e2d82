/**
 * One ffmpeg decoder child: units in on stdin, fixed-size raw frames out through a FIFO that a
 * reader thread (frame-reader.ts) empties straight into FrameRing slots. Each frame is paired here
 * with the timestamps of the unit it came from (PtsQueue) and handed to the owner with its slot,
 * which the owner commits or aborts. The owner (Decoder) handles restarts; a process is never
 * restarted, only replaced.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { ffmpegPath } from '../ffmpeg.js';
import { startWorker } from '../worker-url.js';
import { decoderArgs, unitToAnnexB, type DecodeProcessConfig } from './ffmpeg-args.js';
import type { FrameRing } from './frame-ring.js';
import { CTL_IN_FLIGHT, CTL_STOP, type FrameReaderData, type FrameReaderMessage } from './frame-reader.js';
import { PtsQueue } from './pts-queue.js';

const READER_URL = new URL('./frame-reader.ts', import.meta.url);
/** How long a reader thread gets to notice the stop word before it is terminated. */
const READER_STOP_MS = 2000;

/** The owner's side of a decode process. */
export interface DecodeProcessHooks {
  /**
   * A frame came out: its bytes are in ring slot `slot`, claimed with beginWrite, which the owner
   * must commit or abort; -1 when every slot was pinned and the frame was dropped (the ring counted it).
   */
  frame(slot: number, pts: number, capturedAt: number): void;
  /** stdin drained below its high-water mark after a congested write. */
  drain(): void;
  /** The child or its reader died on its own (not through stop()). */
  exit(reason: string): void;
}

/** A running ffmpeg decoder child and its reader thread. */
export class DecodeProcess {
  /** What this process decodes to. */
  readonly config: DecodeProcessConfig;
  readonly ring: FrameRing;
  /** True until the first keyframe is fed: a decoder cannot start on a delta frame. */
  needKeyframe = true;
  readonly #child: ChildProcessByStdio<Writable, null, Readable>;
  readonly #reader: Worker;
  readonly #hooks: DecodeProcessHooks;
  readonly #queue = new PtsQueue();
  readonly #dir: string;
  readonly #fifo: string;
  readonly #pokeFd: number;
  readonly #control = new Int32Array(new SharedArrayBuffer(8));
  #stopped = false;
  #lastPts = 0;
  #stderr = '';
  /** Frames that came out. */
  frames = 0;

  constructor(config: DecodeProcessConfig, ring: FrameRing, hooks: DecodeProcessHooks) {
    this.config = config;
    this.ring = ring;
    this.#hooks = hooks;
    this.#dir = mkdtempSync(join(tmpdir(), 'streamsight-decode-'));
    this.#fifo = join(this.#dir, 'frames');
    const mk = spawnSync('mkfifo', ['-m', '600', this.#fifo]);
    if (mk.status !== 0) {
      rmSync(this.#dir, { recursive: true, force: true });
      throw new Error(`mkfifo failed: ${mk.stderr?.toString().trim() || mk.error?.message}`);
    }
    // Our own handle on the FIFO, to wake the reader when stopping (the name goes away early).
    this.#pokeFd = openSync(this.#fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const data: FrameReaderData = { fifo: this.#fifo, sab: ring.sab, control: this.#control.buffer as SharedArrayBuffer };
    this.#reader = startWorker(READER_URL, { workerData: data });
    this.#reader.on('message', (slot: FrameReaderMessage) => this.#onFrame(slot));
    this.#reader.on('error', (err) => this.#died(`frame reader failed: ${err.message}`));
    this.#child = spawn(ffmpegPath(), decoderArgs(config, this.#fifo), { stdio: ['pipe', 'ignore', 'pipe'] });
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

  /** Writes one unit and remembers its pts and capture time (epoch ms); never blocks (the owner watches `backlog`). */
  feed(unit: VideoUnit, capturedAt: number): void {
    if (this.#stopped) return;
    if (unit.keyframe) this.needKeyframe = false;
    this.#queue.push(unit.pts, capturedAt);
    this.#child.stdin.write(unitToAnnexB(unit));
  }

  /** Kills the child and stops the reader; frames still in flight are aborted, no hook fires. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#child.stdin.destroy();
    this.#child.kill('SIGKILL');
    this.#stopReader();
  }

  #onFrame(slot: number): void {
    Atomics.sub(this.#control, CTL_IN_FLIGHT, 1);
    Atomics.notify(this.#control, CTL_IN_FLIGHT);
    // Both ends are open once a frame came through; the name is no longer needed, and removing it
    // now leaves nothing behind in tmp even if this process is killed.
    if (this.frames === 0) this.#removeFifo();
    if (this.#stopped) {
      if (slot >= 0) this.ring.abort(slot);
      return;
    }
    let pts = this.#queue.peekPts();
    let capturedAt: number;
    if (pts !== undefined) {
      capturedAt = this.#queue.peekCapturedAt()!;
      this.#queue.shift();
    } else {
      // More pictures than units fed: cannot happen with -fps_mode passthrough, but never stall on it.
      capturedAt = Date.now();
      pts = this.#lastPts;
    }
    this.#lastPts = pts;
    this.frames++;
    this.#hooks.frame(slot, pts, capturedAt);
  }

  /** Sets the stop word, then wakes a read blocked on the FIFO with one byte (frame-reader.ts). */
  #stopReader(): void {
    Atomics.store(this.#control, CTL_STOP, 1);
    Atomics.notify(this.#control, CTL_IN_FLIGHT);
    try {
      writeSync(this.#pokeFd, new Uint8Array(1));
    } catch {
      // EAGAIN: the FIFO is full, so the reader is not blocked and sees the stop word on its own.
    }
    closeSync(this.#pokeFd);
    // An open FIFO lives on without its name; a reader that has not opened it yet fails and exits.
    this.#removeFifo();
    const reader = this.#reader;
    const timer = setTimeout(() => void reader.terminate(), READER_STOP_MS);
    timer.unref();
    reader.once('exit', () => clearTimeout(timer));
  }

  #removeFifo(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #died(reason: string): void {
    if (this.#stopped) return;
    this.stop();
    this.#hooks.exit(reason);
  }

  #stderrTail(): string {
    const tail = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    return tail ? `: ${tail}` : '';
  }
}
