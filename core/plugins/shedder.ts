/**
 * Load shedding: when the machine carries more cameras than its CPU can, plugin work gives way so
 * the relay never does. The relay (RTSP in, WebRTC and RTSP out) runs on the main event loop; the
 * plugins run in worker threads and the decoders in ffmpeg processes, all on the same cores. When
 * they take the CPU, the main loop is scheduled late: its delay is the signal.
 *
 *   level 0          every plugin at its fps
 *   level 1..S       every plugin at fps × 2^-level (at least minFpsScale): frames skipped
 *   level S+1..      plugins paused, lowest `priority` group first (the highest group never is)
 *
 * The level rises by one when the loop's p99 delay stayed above `lagHighMs` for `escalateAfterMs`,
 * and falls by one when it stayed below `lagLowMs` for `relaxAfterMs` (hysteresis, so it settles
 * instead of flapping), after a warm-up in which nothing is judged. Decisions are pure functions of the samples given to `sample()`; the host
 * feeds it from perf_hooks' event-loop delay histogram once a second.
 */

/** Thresholds of the shedder (config `overload:`). */
export interface ShedPolicy {
  /** Main-loop p99 delay above which plugin work is shed, ms. */
  lagHighMs: number;
  /** Main-loop p99 delay below which shedding is relaxed, ms. */
  lagLowMs: number;
  /** How long the delay must stay high before the level rises, ms. */
  escalateAfterMs: number;
  /** How long the delay must stay low before the level falls, ms. */
  relaxAfterMs: number;
  /** Lowest fps scale before plugins are paused (a power of 2 between 1/64 and 1). */
  minFpsScale: number;
  /**
   * Samples in this long after the first are not judged: starting every worker, decoder and camera
   * at once delays the loop for a while on any machine, and that passes by itself.
   */
  warmupMs: number;
}

export const DEFAULT_SHED_POLICY: ShedPolicy = {
  lagHighMs: 50, lagLowMs: 25, escalateAfterMs: 3000, relaxAfterMs: 10_000, minFpsScale: 0.25, warmupMs: 20_000,
};

/** What a plugin instance is told to do at the current level. */
export interface Shedding {
  /** Factor on its fps (1: none shed). */
  fpsScale: number;
  paused: boolean;
}

/** The shedder's state for the API and /metrics. */
export interface ShedState {
  level: number;
  maxLevel: number;
  fpsScale: number;
  /** Priorities at or below which plugins are paused (absent: none). */
  pausedUpTo?: number;
  /** p99 main-loop delay of the last sample, ms. */
  lagP99Ms: number;
  /** Level changes since start. */
  changes: number;
}

/** See the file comment. */
export class LoadShedder {
  readonly policy: ShedPolicy;
  /** Distinct plugin priorities, ascending. */
  #priorities: number[] = [];
  #level = 0;
  #highSince: number | undefined;
  #lowSince: number | undefined;
  #lag = 0;
  #changes = 0;
  #firstSample: number | undefined;

  constructor(policy: Partial<ShedPolicy> = {}) {
    this.policy = { ...DEFAULT_SHED_POLICY, ...policy };
    if (!(this.policy.lagLowMs < this.policy.lagHighMs)) throw new RangeError('lagLowMs must be below lagHighMs');
  }

  /** Steps of fps scaling before pausing starts. */
  get fpsLevels(): number {
    return Math.max(0, Math.round(-Math.log2(this.policy.minFpsScale)));
  }

  /** The plugins' priorities (call when plugins are added or removed). */
  setPriorities(priorities: Iterable<number>): void {
    this.#priorities = [...new Set(priorities)].sort((a, b) => a - b);
    this.#level = Math.min(this.#level, this.maxLevel);
  }

  /** Highest level: every fps step, then every priority group paused but the highest. */
  get maxLevel(): number {
    return this.fpsLevels + Math.max(0, this.#priorities.length - 1);
  }

  get level(): number {
    return this.#level;
  }

  /** Takes one sample of the main loop's p99 delay at `now` (ms); returns true when the level changed. */
  sample(lagP99Ms: number, now: number): boolean {
    this.#lag = lagP99Ms;
    const p = this.policy;
    this.#firstSample ??= now;
    if (now - this.#firstSample < p.warmupMs) return false;
    if (lagP99Ms > p.lagHighMs) {
      this.#lowSince = undefined;
      this.#highSince ??= now;
      if (now - this.#highSince >= p.escalateAfterMs && this.#level < this.maxLevel) {
        this.#level++;
        this.#changes++;
        this.#highSince = now;
        return true;
      }
    } else if (lagP99Ms < p.lagLowMs) {
      this.#highSince = undefined;
      this.#lowSince ??= now;
      if (now - this.#lowSince >= p.relaxAfterMs && this.#level > 0) {
        this.#level--;
        this.#changes++;
        this.#lowSince = now;
        return true;
      }
    } else {
      this.#highSince = undefined;
      this.#lowSince = undefined;
    }
    return false;
  }

  /** The fps factor at the current level. */
  get fpsScale(): number {
    return 2 ** -Math.min(this.#level, this.fpsLevels);
  }

  /** Priorities at or below this are paused; undefined when none are. */
  get pausedUpTo(): number | undefined {
    const groups = this.#level - this.fpsLevels;
    return groups > 0 ? this.#priorities[groups - 1] : undefined;
  }

  /** What a plugin of `priority` does now. */
  for(priority: number): Shedding {
    const upTo = this.pausedUpTo;
    return { fpsScale: this.fpsScale, paused: upTo !== undefined && priority <= upTo };
  }

  get state(): ShedState {
    const upTo = this.pausedUpTo;
    return {
      level: this.#level, maxLevel: this.maxLevel, fpsScale: this.fpsScale, lagP99Ms: this.#lag, changes: this.#changes,
      ...(upTo !== undefined ? { pausedUpTo: upTo } : {}),
    };
  }
}
