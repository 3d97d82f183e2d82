/**
 * Allocation-free latency and rate bookkeeping for the plugin host's hot path.
 *
 * LatencyHistogram: fixed log-spaced buckets (ratio 1.2 from 0.1 ms to ~2 min, ~6% width, so a
 * percentile is within ~10% of the true value). Lifetime counts feed Prometheus (`le` buckets may be
 * any subset of the bounds); percentiles come from a sliding window of two rotating halves, so they
 * follow the last 1–2 windows instead of the whole uptime.
 */

const FIRST_BOUND_MS = 0.1;
const RATIO = 1.2;
const BUCKETS = 78; // 0.1 * 1.2^77 ≈ 127 s; the last bucket is +Inf

/** Upper bounds (ms, inclusive) of the histogram buckets; the final bucket is +Inf. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze(
  Array.from({ length: BUCKETS - 1 }, (_, i) => Math.round(FIRST_BOUND_MS * RATIO ** i * 1000) / 1000),
);

function bucketOf(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  const i = Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(RATIO));
  // Rounded bounds can put a value one bucket off; fix it against the table.
  let b = Math.min(i, BUCKETS - 1);
  while (b > 0 && ms <= LATENCY_BOUNDS_MS[b - 1]!) b--;
  while (b < BUCKETS - 1 && ms > LATENCY_BOUNDS_MS[b]!) b++;
  return b;
}

/** p50/p95/p99 in ms (0 when nothing was recorded in the window). */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Lifetime histogram in Prometheus shape: per-bucket (non-cumulative) counts over LATENCY_BOUNDS_MS + Inf. */
export interface HistogramSnapshot {
  bounds: readonly number[];
  counts: number[];
  sum: number;
  count: number;
}

/** A latency histogram: record() allocates nothing. */
export class LatencyHistogram {
  readonly #total = new Float64Array(BUCKETS);
  #sum = 0;
  #count = 0;
  #current = new Uint32Array(BUCKETS);
  #previous = new Uint32Array(BUCKETS);
  #windowStart: number;

  /** `windowMs`: percentiles cover the last windowMs..2×windowMs. */
  constructor(
    readonly windowMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {
    this.#windowStart = now();
  }

  /** Adds one observation in ms. */
  record(ms: number): void {
    this.#rotate();
    const b = bucketOf(ms);
    this.#current[b]!++;
    this.#total[b]!++;
    this.#sum += ms;
    this.#count++;
  }

  /** Observations since creation. */
  get count(): number {
    return this.#count;
  }

  /** The q-quantile (0..1) of the recent window, interpolated inside its bucket. */
  quantile(q: number): number {
    this.#rotate();
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) n += this.#current[i]! + this.#previous[i]!;
    if (n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.#current[i]! + this.#previous[i]!;
      if (c === 0) continue;
      if (seen + c >= rank) {
        const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
        const hi = i < BUCKETS - 1 ? LATENCY_BOUNDS_MS[i]! : lo * RATIO;
        return lo + ((hi - lo) * (rank - seen)) / c;
      }
      seen += c;
    }
    return 0;
  }

  /** p50, p95 and p99 of the recent window, rounded to 0.1 ms. */
  percentiles(): Percentiles {
    const r = (v: number) => Math.round(v * 10) / 10;
    return { p50: r(this.quantile(0.5)), p95: r(this.quantile(0.95)), p99: r(this.quantile(0.99)) };
  }

  /** Lifetime counts for a Prometheus histogram. */
  snapshot(): HistogramSnapshot {
    return { bounds: LATENCY_BOUNDS_MS, counts: Array.from(this.#total), sum: this.#sum, count: this.#count };
  }

  #rotate(): void {
    const t = this.now();
    if (t - this.#windowStart < this.windowMs) return;
    if (t - this.#windowStart >= 2 * this.windowMs) this.#current.fill(0); // idle for a whole window: both halves are stale
    [this.#previous, this.#current] = [this.#current, this.#previous];
    this.#current.fill(0);
    this.#windowStart = t;
  }
}

/** Events per second over the last few whole seconds (a ring of per-second counters). */
export class RateMeter {
  readonly #counts = new Uint32Array(6);
  readonly #firstSecond: number;
  #second: number;

  constructor(private readonly now: () => number = Date.now) {
    this.#second = this.#firstSecond = Math.floor(now() / 1000);
  }

  /** Counts one event now. */
  mark(): void {
    this.#advance();
    this.#counts[this.#second % this.#counts.length]!++;
  }

  /** Mean rate over the last 5 complete seconds (fewer right after creation; 0 before the first one completes). */
  rate(): number {
    this.#advance();
    const n = this.#counts.length;
    const seconds = Math.min(n - 1, this.#second - this.#firstSecond);
    if (seconds <= 0) return 0;
    let sum = 0;
    for (let i = 1; i <= seconds; i++) sum += this.#counts[(this.#second - i + n * 2) % n]!;
    return Math.round((sum / seconds) * 10) / 10;
  }

  #advance(): void {
    const s = Math.floor(this.now() / 1000);
    if (s === this.#second) return;
    const n = this.#counts.length;
    const steps = Math.min(s - this.#second, n);
    for (let i = 1; i <= steps; i++) this.#counts[(this.#second + i) % n] = 0;
    this.#second = s;
  }
}
