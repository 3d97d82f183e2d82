/**
 * PluginHost: runs every configured camera × plugin in its own worker thread, fed from the camera's
 * decoder (FrameRing + FrameRef events). Owns its runners (core/plugins/runner.ts); a slow, hung or
 * crashing plugin only ever costs itself frames: the others on the same camera keep their latest frame.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import { Emitter } from '../emitter.js';
import type { FrameRef, FrameRing } from '../decode/frame-ring.js';
import { ConfigError, InvalidStateError } from '../errors.js';
import type { Geometry, Point } from '../../plugins/sdk/index.js';
import type { PluginRegistry } from './registry.js';
import {
  PluginRunner,
  type CountSink,
  type DetectionsMessage,
  type EventSink,
  type ObjectSink,
  type PluginStats,
  type SnapshotEncoder,
} from './runner.js';
import { LoadShedder, type ShedPolicy, type ShedState } from './shedder.js';
import type { HistogramSnapshot } from './stats.js';
import { createLogger } from '../log.js';

const log = createLogger('plugins');

export type { DetectionsMessage, EventSink, ObjectSink, PluginStats, SnapshotEncoder } from './runner.js';

/** What the host needs of a camera's decoder: its current ring, and 'ring' / 'frame' events (Decoder fits). */
export interface RingSource {
  readonly ring?: FrameRing | undefined;
  on(event: 'ring', listener: (ring: FrameRing) => void): () => void;
  on(event: 'frame', listener: (ref: FrameRef) => void): () => void;
}

/** A camera's settings for one plugin (the YAML block `cameras.<id>.plugins.<name>`). */
export interface PluginSettings {
  /** Default: the plugin's defaults.fps. */
  fps?: number | undefined;
  /** Default: the plugin's defaults.latencyBudgetMs. */
  latencyBudgetMs?: number | undefined;
  zones?: Record<string, Point[]> | undefined;
  lines?: Record<string, { from: Point; to: Point }> | undefined;
  /** The plugin's own keys, validated against its configSchema. */
  config?: unknown;
  /** Under overload, lower priorities are paused first (default 50). */
  priority?: number | undefined;
}

/** Options of a {@link PluginHost}. */
export interface PluginHostOptions {
  registry: PluginRegistry;
  /** Where ctx.emit events go; without it events are only counted. */
  events?: EventSink;
  /** Where ctx.count crossings go; without it they are dropped. */
  counts?: CountSink;
  /** Where ctx.observe objects go; without it they are dropped. */
  objects?: ObjectSink;
  /** The gate of each camera that belongs to one. */
  gates?: Record<string, string>;
  /** Encodes snapshot frames to JPEG; without it events are stored without snapshots. */
  snapshotEncoder?: SnapshotEncoder;
  /** Restart backoff of a crashed or hung worker. Default 500 ms doubling to 30 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** A worker up this long has its restart backoff reset. Default 30 s. */
  healthyMs?: number;
  /** Longest wait for a worker's create(). Default 15 s. */
  startTimeoutMs?: number;
  /**
   * A port to the neural detector service for a plugin worker of `camera` (core/detect/service.ts),
   * or undefined when that camera's plugins keep to the blob detector. Called at each worker start.
   */
  detector?: (camera: string) => MessagePort | undefined;
  /**
   * Load shedding (core/plugins/shedder.ts): thresholds on the main loop's delay; false turns it off.
   * Default: on, with DEFAULT_SHED_POLICY.
   */
  overload?: Partial<ShedPolicy> | false;
  /** The main loop's p99 delay over the last second, ms; default: perf_hooks' event-loop delay histogram. */
  loopDelayP99?: () => number;
}

/** How often the shedder samples the main loop's delay. */
const SHED_SAMPLE_MS = 1000;

/** How often the hang watchdog looks at in-flight frames (the hang limit is at least 1 s). */
const WATCHDOG_MS = 100;

/** Runs plugins for cameras; see the file comment. */
export class PluginHost extends Emitter<{ detections: [DetectionsMessage]; close: [] }> {
  readonly #opts: PluginHostOptions;
  readonly #runners = new Map<string, { runner: PluginRunner; unsubscribe: () => void }>();
  #watchdog: NodeJS.Timeout | undefined;
  #lastCheck = performance.now();
  #closed = false;
  readonly #shedder: LoadShedder | undefined;
  #shedTimer: NodeJS.Timeout | undefined;
  #loopDelay: IntervalHistogram | undefined;

  constructor(opts: PluginHostOptions) {
    super();
    this.#opts = opts;
    if (opts.overload !== false) this.#shedder = new LoadShedder(opts.overload ?? {});
  }

  /** The load shedder's state, when shedding is on. */
  load(): ShedState | undefined {
    return this.#shedder?.state;
  }

  /** True after close(). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts `pluginName` for `cameraId`, fed by `source`. Throws ConfigError (unknown plugin, bad settings
   * or config, each named by its YAML path) or InvalidStateError (closed, already added).
   */
  add(cameraId: string, pluginName: string, settings: PluginSettings, source: RingSource): void {
    if (this.#closed) throw new InvalidStateError('plugin host is closed');
    const key = keyOf(cameraId, pluginName);
    if (this.#runners.has(key)) throw new InvalidStateError(`plugin ${pluginName} already runs for camera ${cameraId}`);
    const path = `cameras.${cameraId}.plugins.${pluginName}`;
    this.#opts.registry.validatePluginConfig(pluginName, settings.config, `${path}.config`);
    const entry = this.#opts.registry.get(pluginName)!;
    const def = entry.definition;
    const fps = settings.fps ?? def.defaults.fps;
    const latencyBudgetMs = settings.latencyBudgetMs ?? def.defaults.latencyBudgetMs;
    if (!(fps > 0 && fps <= 120)) throw new ConfigError('expected a number in (0, 120]', `${path}.fps`);
    if (!(latencyBudgetMs > 0)) throw new ConfigError('expected a positive number', `${path}.latencyBudgetMs`);
    const geometry: Geometry = { zones: settings.zones ?? {}, lines: settings.lines ?? {} };

    const runner = new PluginRunner(
      {
        camera: cameraId, plugin: def, pluginUrl: entry.url, fps, latencyBudgetMs, geometry, config: settings.config, gate: this.#opts.gates?.[cameraId],
        ...(settings.priority !== undefined ? { priority: settings.priority } : {}),
      },
      source.ring,
      {
        events: this.#opts.events,
        counts: this.#opts.counts,
        objects: this.#opts.objects,
        snapshotEncoder: this.#opts.snapshotEncoder,
        backoff: this.#opts.backoff ?? { initialMs: 500, maxMs: 30_000 },
        healthyMs: this.#opts.healthyMs ?? 30_000,
        startTimeoutMs: this.#opts.startTimeoutMs ?? 15_000,
        onDetections: (m) => this.emit('detections', m),
        ...(this.#opts.detector ? { detector: () => this.#opts.detector!(cameraId) } : {}),
      },
    );
    const offRing = source.on('ring', (ring) => runner.setRing(ring));
    const offFrame = source.on('frame', (ref) => runner.offer(ref));
    this.#runners.set(key, { runner, unsubscribe: () => (offRing(), offFrame()) });
    if (!this.#watchdog) {
      this.#lastCheck = performance.now();
      this.#watchdog = setInterval(() => this.#checkHangs(), WATCHDOG_MS).unref();
    }
    this.#priorities();
    if (this.#shedder && !this.#shedTimer) this.#startShedding();
  }

  #startShedding(): void {
    let probe = this.#opts.loopDelayP99;
    if (!probe) {
      const h = (this.#loopDelay = monitorEventLoopDelay({ resolution: 10 }));
      h.enable();
      probe = () => {
        const p99 = h.percentile(99) / 1e6;
        h.reset();
        return p99;
      };
    }
    const sample = probe;
    this.#shedTimer = setInterval(() => this.#shed(sample()), SHED_SAMPLE_MS).unref();
  }

  /** One shedder sample; on a level change every runner is told what to do now. */
  #shed(lagP99Ms: number): void {
    const shedder = this.#shedder!;
    if (!shedder.sample(lagP99Ms, performance.now())) return;
    const s = shedder.state;
    const what = s.pausedUpTo !== undefined ? `plugins of priority ≤ ${s.pausedUpTo} paused, the rest at ${s.fpsScale}× fps` : `plugins at ${s.fpsScale}× fps`;
    log.warn(`overload level ${s.level}/${s.maxLevel} (main loop p99 delay ${Math.round(lagP99Ms)} ms): ${what}`);
    for (const { runner } of this.#runners.values()) runner.setShedding(shedder.for(runner.priority));
  }

  /** Tells the shedder the priorities present (a removed group may lower the level) and every runner the result. */
  #priorities(): void {
    const shedder = this.#shedder;
    if (!shedder) return;
    shedder.setPriorities([...this.#runners.values()].map((r) => r.runner.priority));
    for (const { runner } of this.#runners.values()) runner.setShedding(shedder.for(runner.priority));
  }

  /** Stops one camera × plugin, or every plugin of the camera when pluginName is omitted. */
  async remove(cameraId: string, pluginName?: string): Promise<void> {
    const gone: Promise<void>[] = [];
    for (const [key, r] of this.#runners) {
      if (r.runner.camera !== cameraId || (pluginName !== undefined && r.runner.plugin !== pluginName)) continue;
      this.#runners.delete(key);
      r.unsubscribe();
      gone.push(r.runner.close());
    }
    this.#priorities();
    await Promise.all(gone);
  }

  /** One entry per camera × plugin. */
  stats(): PluginStats[] {
    return [...this.#runners.values()].map((r) => r.runner.stats());
  }

  /** Lifetime end-to-end latency histograms per camera × plugin (for /metrics). */
  histograms(): { camera: string; plugin: string; histogram: HistogramSnapshot }[] {
    return [...this.#runners.values()].map(({ runner }) => ({ camera: runner.camera, plugin: runner.plugin, histogram: runner.histogram() }));
  }

  /** Terminates every worker. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    clearInterval(this.#shedTimer);
    this.#loopDelay?.disable();
    const all = [...this.#runners.values()];
    this.#runners.clear();
    for (const r of all) r.unsubscribe();
    await Promise.all(all.map((r) => r.runner.close()));
    this.emit('close');
  }

  #checkHangs(): void {
    const now = performance.now();
    const late = now - this.#lastCheck > 2 * WATCHDOG_MS;
    this.#lastCheck = now;
    // A late tick means this thread was stalled (GC, a sync job): results the workers sent meanwhile
    // are still queued behind this timer, so judge at the next tick, once they have been read.
    if (late) return;
    for (const { runner } of this.#runners.values()) runner.checkHang(now);
  }
}

function keyOf(camera: string, plugin: string): string {
  return `${camera}\u0000${plugin}`;
}
