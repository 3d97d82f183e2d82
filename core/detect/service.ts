/**
 * The detector service: one neural model for every camera, run in a piscina pool in this process.
 *
 * Plugin workers ask for detections over a MessagePort (connect(camera)): `{ id, sab, slot, seq }`,
 * a frame of the camera's FrameRing, which the asking plugin holds pinned until it has the answer;
 * the pool thread reads the pixels in place (shared memory) and pins them itself for the read.
 *
 * - The pool has one thread per core (`workers`, 0: the machine's count) and each session one
 *   intra-op thread, so the pool does not oversubscribe the cores.
 * - Requests that arrive within `batchWindowMs` of each other (several cameras due at once) go to
 *   the pool together: in one batched run of up to `maxBatch` frames when the model's batch
 *   dimension is dynamic, else one task per frame, in parallel across the pool.
 * - Two plugins of one camera asking for the same frame share one run.
 * - Motion gating (gate.ts), per camera: only the region around motion and the objects found last
 *   time goes to the model, the whole frame every `fullEveryS`; nothing when nothing moves and
 *   nothing was found.
 * - At most `maxPending` frames wait; beyond that a request is answered at once with an error (the
 *   plugin sees no detections for that frame), counted as dropped.
 *
 * The model is opened and validated here at start, so a wrong path, shape or format fails the
 * server's start with a clear message (ConfigError), not a worker later.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Box } from '../../plugins/sdk/vision/types.js';
import { createLogger } from '../log.js';
import { fromSource } from '../worker-url.js';
import { FrameRing } from '../decode/frame-ring.js';
import { MotionGate, type GateOptions } from './gate.js';
import type { Detection } from './models/decoders.js';
import { openModelSession, validateModel, type ModelLayout, type ModelSpec } from './models/spec.js';
import type { DetectFrame, DetectResult, DetectTask } from './pool-worker.js';

const log = createLogger('detector');

/** A plugin worker's request (see the file comment). */
export interface DetectRequestMessage {
  type: 'detect';
  id: number;
  sab: SharedArrayBuffer;
  slot: number;
  seq: number;
  /** The frame's capture time, epoch ms (the gate's clock). */
  capturedAt: number;
}

/** The service's answer to one request. */
export type DetectReplyMessage =
  | { type: 'detections'; id: number; detections: Detection[] }
  | { type: 'error'; id: number; message: string };

/** How the service runs. */
export interface DetectorServiceOptions {
  /** The model (path, format, thresholds, …). */
  spec: ModelSpec;
  /** Where the model sits in the config, for error messages. */
  configPath?: string;
  /** Pool threads; 0 or absent: one per core. */
  workers?: number;
  /** Most frames in one batched run (dynamic-batch models). Default 4. */
  maxBatch?: number;
  /** How long a request waits for others to batch with, ms. Default 2. */
  batchWindowMs?: number;
  /** Most frames waiting or running before requests are refused. Default 32. */
  maxPending?: number;
  /** Motion gating settings, or false to send every frame whole. Default on. */
  gate?: Partial<GateOptions> | false;
}

/** Counters for the API and the bench. */
export interface DetectorStats {
  requests: number;
  /** Frames the model ran on (requests for a frame already asked for share one). */
  frames: number;
  /** Pool tasks: a batched run counts once. */
  runs: number;
  /** Frames the gate sent whole, as a region, or not at all. */
  full: number;
  regions: number;
  skipped: number;
  /** Share of the frames' pixels sent to the model. */
  pixelShare: number;
  dropped: number;
  errors: number;
  /** Mean ms from request to answer. */
  meanLatencyMs: number;
}

/** One frame waiting for the pool, and everyone who asked for it. */
interface Waiting {
  key: string;
  frame: DetectFrame;
  camera: CameraState;
  askers: { port: MessagePort; id: number; at: number }[];
}

/** Per camera: its gate, what was found last, and its frames waiting or running by `slot:seq:bytes`. */
interface CameraState {
  gate: MotionGate | undefined;
  last: Box[];
  inFlight: Map<string, Waiting>;
}

/**
 * A frame's key within its camera. Each message brings its own SharedArrayBuffer object for the same
 * memory, so the ring is told by its size; slot and seq tell the frame.
 */
const frameKey = (sab: SharedArrayBuffer, slot: number, seq: number) => `${slot}:${seq}:${sab.byteLength}`;

export class DetectorService {
  /** What validation found: input size, batch, labels. */
  readonly layout: ModelLayout;
  readonly #pool: Piscina<DetectTask, DetectResult[]>;
  readonly #opts: Required<Omit<DetectorServiceOptions, 'gate' | 'configPath'>> & { gate: Partial<GateOptions> | false };
  readonly #cameras = new Map<string, CameraState>();
  readonly #ports = new Set<MessagePort>();
  #queue: Waiting[] = [];
  #pending = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stats = { requests: 0, frames: 0, runs: 0, full: 0, regions: 0, skipped: 0, sentPixels: 0, framePixels: 0, dropped: 0, errors: 0, latencyMs: 0, answered: 0 };

  private constructor(layout: ModelLayout, opts: DetectorServiceOptions) {
    this.layout = layout;
    const workers = opts.workers && opts.workers > 0 ? opts.workers : availableParallelism();
    this.#opts = {
      spec: opts.spec,
      workers,
      maxBatch: opts.maxBatch ?? 4,
      batchWindowMs: opts.batchWindowMs ?? 2,
      maxPending: opts.maxPending ?? 32,
      gate: opts.gate ?? {},
    };
    // As snapshots.ts: piscina imports its task file by path from its own (plain JS) worker, so from
    // source `--import tsx` in execArgv loads the .ts.
    this.#pool = new Piscina({
      filename: new URL(fromSource ? './pool-worker.ts' : './pool-worker.js', import.meta.url).href,
      execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [],
      workerData: { spec: opts.spec, maxBatch: this.#opts.maxBatch },
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
    });
    this.#pool.on('error', (err: Error) => log.warn(`detector worker failed: ${err.message}`));
  }

  /** Opens and validates the model (a ConfigError names what is wrong), then starts the pool. */
  static async start(opts: DetectorServiceOptions): Promise<DetectorService> {
    const session = await openModelSession(opts.spec, opts.configPath);
    let layout: ModelLayout;
    try {
      layout = validateModel(session, opts.spec, opts.configPath);
    } finally {
      await session.release();
    }
    return new DetectorService(layout, opts);
  }

  /** A port for one plugin worker of `camera` (pass it to the worker; this end is served here). */
  connect(camera: string): MessagePort {
    const { port1, port2 } = new MessageChannel();
    let state = this.#cameras.get(camera);
    if (!state) {
      state = { gate: this.#opts.gate === false ? undefined : new MotionGate(this.#opts.gate), last: [], inFlight: new Map() };
      this.#cameras.set(camera, state);
    }
    const cam = state;
    this.#ports.add(port1);
    port1.on('message', (m: DetectRequestMessage) => this.#onRequest(port1, cam, m));
    port1.on('close', () => this.#ports.delete(port1));
    return port2;
  }

  stats(): DetectorStats {
    const s = this.#stats;
    return {
      requests: s.requests, frames: s.frames, runs: s.runs, full: s.full, regions: s.regions, skipped: s.skipped,
      pixelShare: s.framePixels > 0 ? s.sentPixels / s.framePixels : 0,
      dropped: s.dropped, errors: s.errors,
      meanLatencyMs: s.answered > 0 ? s.latencyMs / s.answered : 0,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#queue) this.#answer(w, { error: 'detector closed' });
    this.#queue = [];
    for (const p of this.#ports) p.close();
    this.#ports.clear();
    await this.#pool.destroy();
  }

  #onRequest(port: MessagePort, cam: CameraState, m: DetectRequestMessage): void {
    if (m?.type !== 'detect' || !Number.isInteger(m.id)) return;
    this.#stats.requests++;
    const at = performance.now();
    const reply = (r: DetectReplyMessage) => port.postMessage(r);
    if (this.#closed) return reply({ type: 'error', id: m.id, message: 'detector closed' });
    if (!(m.sab instanceof SharedArrayBuffer) || !Number.isInteger(m.slot) || !Number.isInteger(m.seq)) {
      this.#stats.errors++;
      return reply({ type: 'error', id: m.id, message: 'malformed request' });
    }
    // The same frame asked for by another plugin of the camera: one run answers both.
    const key = frameKey(m.sab, m.slot, m.seq);
    const same = cam.inFlight.get(key);
    if (same) {
      same.askers.push({ port, id: m.id, at });
      return;
    }
    if (this.#pending >= this.#opts.maxPending) {
      this.#stats.dropped++;
      return reply({ type: 'error', id: m.id, message: `detector busy: ${this.#pending} frames waiting` });
    }
    let region: Box | undefined;
    if (cam.gate) {
      const ring = FrameRing.attach(m.sab);
      const ref = { slot: m.slot, seq: m.seq, pts: 0, capturedAt: 0 };
      if (!ring.pin(ref)) return reply({ type: 'error', id: m.id, message: `frame ${m.seq} is no longer in its slot` });
      let decision;
      try {
        const { width, height } = ring.layout;
        const p = ring.planes(m.slot);
        decision = cam.gate.decide(p.y, p.strideY, width, height, Number.isFinite(m.capturedAt) ? m.capturedAt : Date.now(), cam.last);
        this.#stats.framePixels += width * height;
        if (decision.kind === 'full') this.#stats.sentPixels += width * height;
        if (decision.kind === 'region') this.#stats.sentPixels += decision.box.w * decision.box.h;
      } finally {
        ring.unpin(ref);
      }
      if (decision.kind === 'skip') {
        this.#stats.skipped++;
        this.#stats.answered++;
        return reply({ type: 'detections', id: m.id, detections: [] });
      }
      if (decision.kind === 'region') {
        region = decision.box;
        this.#stats.regions++;
      } else this.#stats.full++;
    } else this.#stats.full++;
    const w: Waiting = { key, frame: { sab: m.sab, slot: m.slot, seq: m.seq, ...(region ? { region } : {}) }, camera: cam, askers: [{ port, id: m.id, at }] };
    cam.inFlight.set(key, w);
    this.#pending++;
    this.#queue.push(w);
    this.#timer ??= setTimeout(() => this.#flush(), this.#opts.batchWindowMs);
  }

  /** Sends what waits to the pool: batched for a dynamic-batch model, else one task per frame. */
  #flush(): void {
    this.#timer = undefined;
    const queue = this.#queue;
    this.#queue = [];
    const size = this.layout.dynamicBatch ? this.#opts.maxBatch : 1;
    for (let i = 0; i < queue.length; i += size) {
      const group = queue.slice(i, i + size);
      this.#stats.runs++;
      this.#stats.frames += group.length;
      this.#pool.run({ frames: group.map((w) => w.frame) }).then(
        (results) => group.forEach((w, k) => this.#answer(w, results[k] ?? { error: 'no result' })),
        (err: unknown) => group.forEach((w) => this.#answer(w, { error: err instanceof Error ? err.message : String(err) })),
      );
    }
  }

  #answer(w: Waiting, r: DetectResult): void {
    if (w.camera.inFlight.get(w.key) === w) {
      w.camera.inFlight.delete(w.key);
      this.#pending--;
    }
    if ('detections' in r) w.camera.last = r.detections.map((d) => d.box);
    else this.#stats.errors++;
    const now = performance.now();
    for (const a of w.askers) {
      this.#stats.answered++;
      this.#stats.latencyMs += now - a.at;
      try {
        a.port.postMessage('detections' in r ? { type: 'detections', id: a.id, detections: r.detections } : { type: 'error', id: a.id, message: r.error });
      } catch {
        // The plugin's worker is gone (restarted): nobody to answer.
      }
    }
  }
}
