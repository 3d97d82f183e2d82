/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
 * and Jitter"): the n-th delay is uniform in [0, min(maxMs, initialMs * 2^n)). Full jitter
 * spreads the reconnects of many cameras that dropped together (a switch reboot) instead of
 * hammering the NVR in lock-step.
 */

/** Options of a {@link Backoff}. */
export interface BackoffOptions {
  /** Ceiling of the first delay. */
  initialMs: number;
  /** Cap of every delay. */
  maxMs: number;
  /** Uniform random in [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

/** Produces successive reconnect delays; `reset()` after a connection proves healthy. */
export class Backoff {
  #attempt = 0;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;

  constructor(opts: BackoffOptions) {
    this.#initialMs = Math.max(1, opts.initialMs);
    this.#maxMs = Math.max(this.#initialMs, opts.maxMs);
    this.#random = opts.random ?? Math.random;
  }

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The current ceiling: min(maxMs, initialMs * 2^attempt). */
  get ceilingMs(): number {
    // 2^31 already exceeds any sane cap; clamping the exponent keeps the number finite.
    return Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 31));
  }

  /** The next delay in ms (full jitter), and advances the attempt counter. */
  next(): number {
    const delay = Math.floor(this.#random() * this.ceilingMs);
    this.#attempt++;
    return delay;
  }

  /** Back to the first delay (call once a connection delivered media). */
  reset(): void {
    this.#attempt = 0;
  }
}
