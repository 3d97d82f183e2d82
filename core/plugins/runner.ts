/**
 * One camera × plugin: the worker thread, the single-slot frame queue in front of it, its latency
 * bookkeeping and its restarts. PluginHost owns the runners; a runner owns its worker.
 *
 * Queue discipline (Frigate's "skip when behind"): frames pass a rate limiter at the plugin's fps; at
 * most one frame is in the worker; a newer frame replaces the one waiting (counted in `skipped`), so
 * the plugin always gets the latest frame and never a backlog.
 *
 * The runner, not the worker, holds the FrameRing pin of the frame in flight: it pins before posting
 * the FrameRef and unpins on the result or once the worker is dead. A worker killed mid-frame
 * (terminate() on a hang, process.exit) runs no finally block, so a pin it held itself would leak and
 * take a ring slot away from the decoder for good.
 *
 * Hang limit: 4 × the latency budget, at least 1 s, except for a worker's first frame (after a start
 * or a new ring), which builds a plugin's per-size state (lane cuts, calibration) and may take as
 * long as a start: on a starved machine that frame alone can pass 1 s, and killing it would only
 * start the same setup over, for ever.
 */
import type { MessagePort, Worker } from 'node:worker_threads';
import { Backoff } from '../camera/backoff.js';
import type { FrameRef, FrameRing } from '../decode/frame-ring.js';
import type { Crossing, Sighting } from '../events/counts.js';
import type { EventInput } from '../events/model.js';
import { createLogger, RateLimitedLog, type Logger } from '../log.js';
import { startWorker } from '../worker-url.js';
import type { Detection, EvidenceImage, Geometry, PluginDefinition } from '../../plugins/sdk/index.js';
import { checkEvidence, evidenceFrameBytes, renderEvidence } from './evidence.js';
import type { FromWorker, SnapshotFrame, ToWorker } from './protocol.js';
import type { Shedding } from './shedder.js';
import { LatencyHistogram, RateMeter, type HistogramSnapshot, type Percentiles } from './stats.js';

const WORKER_URL = new URL('./worker.ts', import.meta.url);

/** Where plugin events go (core/events EventStore fits). */
export interface EventSink {
  append(e: EventInput): Promise<unknown>;
}

/** Where ctx.count crossings go (core/events CountStore fits). */
export interface CountSink {
  add(c: Crossing): Promise<unknown>;
}

/** Where ctx.observe objects go (core/events CountStore fits). */
export interface ObjectSink {
  observe(o: Sighting): Promise<unknown>;
}

/** Turns a snapshot frame's raw planes into JPEG bytes (core/events JpegEncoder fits). */
export type SnapshotEncoder = (planes: SnapshotFrame['planes'], width: number, height: number, format: SnapshotFrame['format']) => Promise<Uint8Array>;

/** Detections of one frame, as sent to live viewers over the WebSocket. */
export interface DetectionsMessage {
  camera: string;
  plugin: string;
  pts: number;
  seq: number;
  capturedAt: number;
  detections: Detection[];
}

/** Lifecycle of a runner's worker. */
export type RunnerState = 'starting' | 'running' | 'restarting' | 'closed';

/** Numbers of one camera × plugin for the API and /metrics. Latencies in ms over the recent window. */
export interface PluginStats {
  camera: string;
  plugin: string;
  state: RunnerState;
  /** Frames processed per second (measured). */
  fps: number;
  /** The fps the host feeds at most. */
  targetFps: number;
  /** End-to-end latency, capturedAt → result. */
  p50: number;
  p95: number;
  p99: number;
  /** Time a frame waited in the host for the worker. */
  queue: Percentiles;
  /** Time inside onFrame, measured in the worker. */
  process: Percentiles;
  budgetMs: number;
  /** Results that came later than latencyBudgetMs after the host received the frame. */
  misses: number;
  processed: number;
  /** Frames replaced while waiting (the plugin was busy). */
  skipped: number;
  /** Frames overwritten in the ring before they could be sent (pin failed). */
  stale: number;
  /** The plugin's priority: under overload, lower priorities are paused first. */
  priority: number;
  /** Load shedding now: the factor on its fps, and whether it is paused. */
  fpsScale: number;
  paused: boolean;
  /** Frames not given to the plugin because of load shedding (fps scaled down, or paused). */
  shed: number;
  restarts: number;
  /** Worker terminations for being stuck longer than the hang limit. */
  hangs: number;
  events: number;
  /** Events not stored: the sink failed or too many were pending. */
  eventsDropped: number;
  /** Line crossings (ctx.count) and objects (ctx.observe) the plugin reported, and those the count store refused. */
  counted: number;
  countsRejected: number;
  lastError?: string;
}

/** The parts of a PluginHost a runner needs. */
export interface RunnerDeps {
  events?: EventSink;
  counts?: CountSink;
  objects?: ObjectSink;
  snapshotEncoder?: SnapshotEncoder;
  backoff: { initialMs: number; maxMs: number };
  /** A worker that stays up this long has its backoff reset. */
  healthyMs: number;
  /** Longest wait for a worker's create() before it counts as hung. */
  startTimeoutMs: number;
  onDetections(m: DetectionsMessage): void;
  /** A port to the detector service for each (re)started worker, or undefined when the camera's frames do not go to the neural detector. */
  detector?: () => MessagePort | undefined;
}

/** Resolved settings of one camera × plugin. */
export interface RunnerSettings {
  camera: string;
  plugin: PluginDefinition;
  pluginUrl: string;
  fps: number;
  latencyBudgetMs: number;
  geometry: Geometry;
  config: unknown;
  /** The gate the camera belongs to (counts are reported per gate). */
  gate?: string;
  /** Under overload, lower priorities are paused first (default 50). */
  priority?: number;
}

/**
 * When an event began: the `startedAt` its plugin gave (dating it back to when its condition
 * began), else, or when that is no finite time or lies ahead of it, the capture time of the frame
 * it was raised on (`frameAt`), epoch ms.
 */
export function eventStart(startedAt: unknown, frameAt: number): number {
  return typeof startedAt === 'number' && Number.isFinite(startedAt) && startedAt <= frameAt ? startedAt : frameAt;
}

/** A plugin's priority when its settings give none. */
export const DEFAULT_PRIORITY = 50;

/** Most events waiting for the sink (or the snapshot encoder) per runner; beyond it events are dropped and counted. */
const MAX_PENDING_EVENTS = 64;
/**
 * Most raw evidence frame bytes waiting to be encoded per runner (eight 1080p i420 frames are 25 MB);
 * an event that would pass it is dropped and counted, like one beyond MAX_PENDING_EVENTS.
 */
const MAX_PENDING_EVIDENCE_BYTES = 256 * 1024 * 1024;

/** Runs one plugin for one camera in a worker thread; see the file comment. */
export class PluginRunner {
  readonly camera: string;
  readonly plugin: string;
  readonly #s: RunnerSettings;
  readonly #deps: RunnerDeps;
  readonly #log: Logger;
  readonly #rl: RateLimitedLog;
  readonly #backoff: Backoff;
  readonly #intervalMs: number;
  readonly #hangMs: number;

  #state: RunnerState = 'starting';
  #worker: Worker | undefined;
  #generation = 0;
  #stateSince = performance.now();
  #restartTimer: NodeJS.Timeout | undefined;
  #ring: FrameRing | undefined;

  #nextDue = -Infinity;
  #shedding: Shedding = { fpsScale: 1, paused: false };
  /** Accumulates fpsScale per frame past the rate limiter; a frame goes on when it reaches 1. */
  #shedPhase = 0;
  #shed = 0;
  #waiting: { ref: FrameRef; receivedAt: number } | undefined;
  #inFlight: { ref: FrameRef; ring: FrameRing; receivedAt: number; sentAt: number; setup: boolean } | undefined;
  /** The next frame sent is the worker's first on its ring (see the hang limit in the file comment). */
  #setupNext = true;

  readonly #e2e = new LatencyHistogram();
  readonly #queue = new LatencyHistogram();
  readonly #process = new LatencyHistogram();
  readonly #rate = new RateMeter();
  #processed = 0;
  #skipped = 0;
  #stale = 0;
  #misses = 0;
  #restarts = 0;
  #hangs = 0;
  #events = 0;
  #counted = 0;
  #countsRejected = 0;
  #eventsDropped = 0;
  #pendingEvents = 0;
  #pendingEvidenceBytes = 0;
  #eventChain: Promise<void> = Promise.resolve();
  #lastError: string | undefined;

  constructor(settings: RunnerSettings, ring: FrameRing | undefined, deps: RunnerDeps) {
    this.#s = settings;
    this.#deps = deps;
    this.camera = settings.camera;
    this.plugin = settings.plugin.name;
    this.#ring = ring;
    this.#log = createLogger(`plugin:${this.plugin}:${this.camera}`);
    this.#rl = new RateLimitedLog(this.#log);
    this.#backoff = new Backoff(deps.backoff);
    this.#intervalMs = 1000 / settings.fps;
    this.#hangMs = Math.max(4 * settings.latencyBudgetMs, 1000);
    this.#start();
  }

  /** Current lifecycle state. */
  get state(): RunnerState {
    return this.#state;
  }

  /** The camera's ring was replaced (resolution change): the worker re-attaches, the waiting frame is dropped. */
  setRing(ring: FrameRing): void {
    this.#ring = ring;
    this.#waiting = undefined;
    this.#setupNext = true;
    this.#post({ type: 'ring', sab: ring.sab });
  }

  /** A decoded frame: rate-limited to the plugin's fps, then sent, or kept as the one waiting frame. */
  offer(ref: FrameRef): void {
    if (this.#state === 'closed') return;
    // Rate limit on capture time; a quarter interval of slack keeps a 25 fps source from landing at
    // half rate on a 25 fps plugin when arrival jitters.
    const t = ref.capturedAt;
    if (t < this.#nextDue - this.#intervalMs / 4) return;
    this.#nextDue = (t - this.#nextDue > this.#intervalMs ? t : this.#nextDue) + this.#intervalMs;
    // Load shedding: of the frames due, only the fraction fpsScale goes on; none while paused.
    if (this.#shedding.paused) {
      this.#shed++;
      return;
    }
    if (this.#shedding.fpsScale < 1) {
      this.#shedPhase += this.#shedding.fpsScale;
      if (this.#shedPhase < 1) {
        this.#shed++;
        return;
      }
      this.#shedPhase -= 1;
    }

    const now = performance.now();
    if (this.#state === 'running' && !this.#inFlight) {
      this.#send(ref, now, now);
      return;
    }
    // Busy, or the worker is (re)starting: keep only the newest. Skips count only against a live worker.
    if (this.#waiting && this.#state === 'running') this.#skipped++;
    this.#waiting = { ref, receivedAt: now };
  }

  /** The plugin's priority under overload. */
  get priority(): number {
    return this.#s.priority ?? DEFAULT_PRIORITY;
  }

  /** Applies the host's load shedding; pausing also drops the frame waiting, so the worker goes idle. */
  setShedding(s: Shedding): void {
    if (s.paused && !this.#shedding.paused && this.#waiting) {
      this.#waiting = undefined;
      this.#shed++;
    }
    if (s.fpsScale === 1) this.#shedPhase = 0;
    this.#shedding = s;
  }

  /** Terminates the worker if it has held a frame (or its start) longer than the hang limit. */
  checkHang(now: number): void {
    const limit = this.#inFlight?.setup ? Math.max(this.#hangMs, this.#deps.startTimeoutMs) : this.#hangMs;
    if (this.#state === 'running' && this.#inFlight && now - this.#inFlight.sentAt > limit) {
      this.#hangs++;
      this.#kill(`hung: no result for ${Math.round(now - this.#inFlight.sentAt)} ms (limit ${limit} ms)`);
    } else if (this.#state === 'starting' && now - this.#stateSince > this.#deps.startTimeoutMs) {
      this.#hangs++;
      this.#kill(`did not start within ${this.#deps.startTimeoutMs} ms`);
    }
  }

  /** Snapshot of the counters and recent latencies. */
  stats(): PluginStats {
    const e2e = this.#e2e.percentiles();
    const out: PluginStats = {
      camera: this.camera,
      plugin: this.plugin,
      state: this.#state,
      fps: this.#rate.rate(),
      targetFps: this.#s.fps,
      p50: e2e.p50,
      p95: e2e.p95,
      p99: e2e.p99,
      queue: this.#queue.percentiles(),
      process: this.#process.percentiles(),
      budgetMs: this.#s.latencyBudgetMs,
      misses: this.#misses,
      processed: this.#processed,
      skipped: this.#skipped,
      stale: this.#stale,
      priority: this.priority,
      fpsScale: this.#shedding.fpsScale,
      paused: this.#shedding.paused,
      shed: this.#shed,
      restarts: this.#restarts,
      hangs: this.#hangs,
      events: this.#events,
      eventsDropped: this.#eventsDropped,
      counted: this.#counted,
      countsRejected: this.#countsRejected,
    };
    if (this.#lastError) out.lastError = this.#lastError;
    return out;
  }

  /** Lifetime end-to-end latency histogram (Prometheus). */
  histogram(): HistogramSnapshot {
    return this.#e2e.snapshot();
  }

  /** Terminates the worker; waits (bounded) for events already handed to the sink. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#restartTimer);
    const w = this.#worker;
    this.#worker = undefined;
    this.#generation++;
    if (w) await w.terminate();
    this.#release();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#eventChain, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  // ---- worker lifecycle ----

  #start(): void {
    if (this.#state === 'closed') return;
    const gen = ++this.#generation;
    this.#setState('starting');
    this.#setupNext = true;
    const w = startWorker(WORKER_URL, { name: `plugin:${this.plugin}:${this.camera}` });
    this.#worker = w;
    w.on('message', (m: FromWorker) => {
      if (gen === this.#generation) this.#onMessage(m);
    });
    w.on('error', (err) => {
      if (gen !== this.#generation) return;
      this.#lastError = err instanceof Error ? err.message : String(err);
      this.#log.error('worker crashed', err);
    });
    w.on('exit', (code) => {
      if (gen === this.#generation) this.#onExit(code);
    });
    const ring = this.#ring;
    const detector = this.#deps.detector?.();
    this.#worker.postMessage({
      type: 'init',
      pluginUrl: this.#s.pluginUrl,
      cameraId: this.camera,
      config: this.#s.config,
      geometry: this.#s.geometry,
      ...(ring ? { sab: ring.sab } : {}),
      ...(detector ? { detector } : {}),
    } satisfies ToWorker, detector ? [detector] : []);
  }

  #onExit(code: number): void {
    this.#worker = undefined;
    this.#release(); // the frame in flight is lost with the worker
    if (this.#state === 'closed') return;
    this.#restarts++;
    const delay = this.#backoff.next();
    this.#log.warn(`worker exited (code ${code}); restart #${this.#restarts} in ${delay} ms`);
    this.#setState('restarting');
    this.#restartTimer = setTimeout(() => this.#start(), delay);
  }

  /** Ends the current worker (ignoring anything it still says) and restarts it once it is gone. */
  #kill(reason: string): void {
    this.#lastError = reason;
    this.#log.error(`terminating worker: ${reason}`);
    const w = this.#worker;
    this.#generation++;
    this.#setState('restarting');
    // terminate() stops even a busy loop (V8 TerminateExecution); the pin is released only once it has.
    void w?.terminate().then(() => this.#onExit(1));
  }

  #setState(s: RunnerState): void {
    this.#state = s;
    this.#stateSince = performance.now();
  }

  #post(m: ToWorker): void {
    this.#worker?.postMessage(m);
  }

  /** Pins and posts a frame; false (counted stale) if the ring already reused its slot. */
  #send(ref: FrameRef, receivedAt: number, now: number): boolean {
    const ring = this.#ring;
    if (!ring || !ring.pin(ref)) {
      this.#stale++;
      return false;
    }
    this.#inFlight = { ref, ring, receivedAt, sentAt: now, setup: this.#setupNext };
    this.#setupNext = false;
    this.#queue.record(now - receivedAt);
    this.#post({ type: 'frame', ref });
    return true;
  }

  #sendWaiting(): void {
    const w = this.#waiting;
    if (!w || this.#inFlight || this.#state !== 'running') return;
    this.#waiting = undefined;
    this.#send(w.ref, w.receivedAt, performance.now());
  }

  /** Drops the frame in flight and its pin (after its result, or once the worker that had it is dead). */
  #release(): void {
    const f = this.#inFlight;
    this.#inFlight = undefined;
    f?.ring.unpin(f.ref);
  }

  #onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        this.#setState('running');
        this.#sendWaiting();
        break;
      case 'result':
        this.#onResult(m);
        break;
      case 'event':
        this.#onEvent(m);
        break;
      case 'count':
        this.#onCount(m);
        break;
      case 'observe':
        this.#onObserve(m);
        break;
      case 'log':
        this.#log.info(m.msg);
        break;
    }
  }

  #onResult(m: Extract<FromWorker, { type: 'result' }>): void {
    const f = this.#inFlight;
    if (!f || f.ref.seq !== m.seq) return;
    this.#release();
    const now = performance.now();
    this.#processed++;
    this.#rate.mark();
    this.#process.record(m.processMs);
    this.#e2e.record(Math.max(0, Date.now() - f.ref.capturedAt));
    if (now - f.receivedAt > this.#s.latencyBudgetMs) this.#misses++;
    if (now - this.#stateSince > this.#deps.healthyMs) this.#backoff.reset();
    if (m.detections) {
      const { pts, seq, capturedAt } = f.ref;
      this.#deps.onDetections({ camera: this.camera, plugin: this.plugin, pts, seq, capturedAt, detections: m.detections });
    }
    this.#sendWaiting();
  }

  #onCount(m: Extract<FromWorker, { type: 'count' }>): void {
    this.#counted++;
    const sink = this.#deps.counts;
    if (!sink) return;
    const { line, cls, direction } = m.count;
    const crossing: Crossing = { camera: this.camera, line, cls, direction, at: m.at, ...(this.#s.gate ? { gate: this.#s.gate } : {}) };
    sink.add(crossing).catch((err: Error) => {
      this.#countsRejected++;
      this.#rl.warn('count', `count refused: ${err.message}`);
    });
  }

  #onObserve(m: Extract<FromWorker, { type: 'observe' }>): void {
    this.#counted++;
    const sink = this.#deps.objects;
    if (!sink) return;
    // The store checks cls (untrusted: the worker runs plugin code); the track id is not kept.
    sink.observe({ camera: this.camera, cls: m.object.cls, at: m.at }).catch((err: Error) => {
      this.#countsRejected++;
      this.#rl.warn('observe', `object refused: ${err.message}`);
    });
  }

  #onEvent(m: Extract<FromWorker, { type: 'event' }>): void {
    const sink = this.#deps.events;
    this.#events++;
    if (!sink) return;
    if (this.#pendingEvents >= MAX_PENDING_EVENTS) {
      this.#eventsDropped++;
      this.#rl.warn('events-full', `${MAX_PENDING_EVENTS} events pending: dropping ${m.event.type}`);
      return;
    }
    const e = m.event;
    let evidence: EvidenceImage[] | undefined;
    if (m.evidence !== undefined) {
      try {
        evidence = checkEvidence(m.evidence);
      } catch (err) {
        this.#eventsDropped++;
        this.#rl.warn('invalid', `event ${e.type} dropped: ${(err as Error).message}`);
        return;
      }
    }
    const evidenceBytes = evidence ? evidenceFrameBytes(evidence) : 0;
    if (this.#pendingEvidenceBytes + evidenceBytes > MAX_PENDING_EVIDENCE_BYTES) {
      this.#eventsDropped++;
      this.#rl.warn('evidence-full', `${this.#pendingEvidenceBytes} bytes of evidence frames pending: dropping ${e.type}`);
      return;
    }
    const input: EventInput = {
      camera: this.camera,
      plugin: this.plugin,
      type: e.type,
      severity: e.severity ?? 'info',
      startedAt: eventStart(e.startedAt, m.at),
    };
    if (e.endedAt !== undefined) input.endedAt = e.endedAt;
    if (e.trackId !== undefined) input.trackId = e.trackId;
    if (e.zone !== undefined) input.zone = e.zone;
    if (e.boxes !== undefined) input.boxes = e.boxes;
    if (e.attributes !== undefined) input.attributes = e.attributes;
    const encoder = this.#deps.snapshotEncoder;
    const frame = m.frame;
    this.#pendingEvents++;
    this.#pendingEvidenceBytes += evidenceBytes;
    // Chained so events reach the sink in emit order even when one waits for its JPEG.
    this.#eventChain = this.#eventChain.then(async () => {
      try {
        if (frame && encoder) {
          try {
            input.snapshot = await encoder(frame.planes, frame.width, frame.height, frame.format);
          } catch (err) {
            this.#rl.warn('snapshot', `snapshot for ${e.type} failed, storing the event without it: ${String(err)}`);
          }
        }
        if (evidence && encoder) {
          const images = await renderEvidence(evidence, encoder, (label, err) =>
            this.#rl.warn('evidence', `evidence '${label}' for ${e.type} failed, storing the event without it: ${String(err)}`));
          if (images.length > 0) input.evidence = images;
        }
        await sink.append(input);
      } catch (err) {
        this.#eventsDropped++;
        this.#rl.warn('append', `event ${e.type} not stored: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.#pendingEvents--;
        this.#pendingEvidenceBytes -= evidenceBytes;
      }
    });
  }
}
