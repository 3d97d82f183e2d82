/**
 * Counts and bytes over a sliding window (default 2 s) in fixed buckets, so
 * measuring fps and bitrate costs two array writes per unit and no allocation.
 */

/** A sliding-window counter of events and bytes, read as per-second rates. */
export class RateWindow {
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #ids: Float64Array;
  readonly #counts: Float64Array;
  readonly #bytes: Float64Array;
  /** Time of the first sample since the last reset: a young window is not diluted by time before it. */
  #since = Number.NaN;

  constructor(windowMs = 2000, bucketMs = 100) {
    this.#bucketMs = bucketMs;
    this.#buckets = Math.max(1, Math.round(windowMs / bucketMs));
    this.#ids = new Float64Array(this.#buckets).fill(-1);
    this.#counts = new Float64Array(this.#buckets);
    this.#bytes = new Float64Array(this.#buckets);
  }

  /** Records one event of `bytes` at time `now` (ms). */
  add(now: number, count: number, bytes: number): void {
    if (Number.isNaN(this.#since)) this.#since = now;
    const id = Math.floor(now / this.#bucketMs);
    const slot = ((id % this.#buckets) + this.#buckets) % this.#buckets;
    if (this.#ids[slot] !== id) {
      this.#ids[slot] = id;
      this.#counts[slot] = 0;
      this.#bytes[slot] = 0;
    }
    this.#counts[slot]! += count;
    this.#bytes[slot]! += bytes;
  }

  /** Events per second and bits per second over the window ending at `now`. */
  rates(now: number): { perSecond: number; bitsPerSecond: number } {
    const id = Math.floor(now / this.#bucketMs);
    const oldest = id - this.#buckets + 1;
    let count = 0;
    let bytes = 0;
    for (let i = 0; i < this.#buckets; i++) {
      const bid = this.#ids[i]!;
      if (bid >= oldest && bid <= id) {
        count += this.#counts[i]!;
        bytes += this.#bytes[i]!;
      }
    }
    if (count === 0) return { perSecond: 0, bitsPerSecond: 0 };
    let spanMs = now - oldest * this.#bucketMs;
    if (now - this.#since < spanMs) spanMs = Math.max(now - this.#since, this.#bucketMs);
    return { perSecond: (count * 1000) / spanMs, bitsPerSecond: (bytes * 8000) / spanMs };
  }

  /** Forgets every sample. */
  reset(): void {
    this.#ids.fill(-1);
    this.#counts.fill(0);
    this.#bytes.fill(0);
    this.#since = Number.NaN;
  }
}
