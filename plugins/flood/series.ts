/**
 * Time series of a plugin's readings: a median over a time window (one reading hidden by a passer-by
 * or a splash cannot move it), and the rate of change over a longer window, fitted by least squares
 * so that one noisy reading at either end does not decide it. Both keep their samples in fixed
 * ring buffers: nothing is allocated per reading.
 */

/** Timed samples in a ring, the oldest dropped once older than the window or when full. */
class TimedRing {
  readonly t: Float64Array;
  readonly v: Float64Array;
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    this.t = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a sample at `atMs` and drops those older than `windowMs` before it. */
  push(atMs: number, value: number, windowMs: number): void {
    const cap = this.t.length;
    if (this.#size === cap) this.#drop();
    const i = (this.#head + this.#size) % cap;
    this.t[i] = atMs;
    this.v[i] = value;
    this.#size++;
    while (this.#size > 0 && this.t[this.#head]! < atMs - windowMs) this.#drop();
  }

  /** Calls f(t, v) for every sample, oldest first. */
  each(f: (t: number, v: number) => void): void {
    const cap = this.t.length;
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#head + k) % cap;
      f(this.t[i]!, this.v[i]!);
    }
  }

  /** Time of the oldest sample (NaN when empty). */
  get oldest(): number {
    return this.#size ? this.t[this.#head]! : NaN;
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }

  #drop(): void {
    this.#head = (this.#head + 1) % this.t.length;
    this.#size--;
  }
}

/** Median of the readings of the last `windowMs`; see the file comment. */
export class TimedMedian {
  readonly #ring: TimedRing;
  readonly #sorted: Float64Array;
  readonly #windowMs: number;

  /** `capacity`: the most readings the window can hold (fps × seconds, with a margin). */
  constructor(windowMs: number, capacity: number) {
    this.#windowMs = windowMs;
    this.#ring = new TimedRing(capacity);
    this.#sorted = new Float64Array(capacity);
  }

  /** Readings in the window. */
  get size(): number {
    return this.#ring.size;
  }

  /** Adds a reading taken at `atMs`. */
  push(atMs: number, value: number): void {
    this.#ring.push(atMs, value, this.#windowMs);
  }

  /** The median of the readings in the window (NaN when there are none). */
  get value(): number {
    const n = this.#ring.size;
    if (n === 0) return NaN;
    let k = 0;
    this.#ring.each((_, v) => (this.#sorted[k++] = v));
    const s = this.#sorted.subarray(0, n).sort();
    return n % 2 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
  }

  clear(): void {
    this.#ring.clear();
  }
}

/** Least-squares slope of the readings of the last `windowMs`, per second; see the file comment. */
export class RiseRate {
  readonly #ring: TimedRing;
  readonly #windowMs: number;
  /** Whether the samples start from a `restart` point rather than from a fresh start. */
  #anchored = false;

  constructor(windowMs: number, capacity: number) {
    this.#windowMs = windowMs;
    this.#ring = new TimedRing(capacity);
  }

  push(atMs: number, value: number): void {
    this.#ring.push(atMs, value, this.#windowMs);
  }

  /**
   * Starts the samples again from one known point: `value` at `atMs`. For a reading that is only a
   * bound (the water was somewhere below the lowest level the gauge shows, and has come out of it
   * since), the bound is the one point of what went before that is worth fitting: the levels under
   * it were never seen, and fitting them as if they were would make a step of the first sighting.
   */
  restart(atMs: number, value: number): void {
    this.#ring.clear();
    this.#ring.push(atMs, value, this.#windowMs);
    this.#anchored = true;
  }

  /**
   * The slope in units per second, or NaN until the readings span at least `minShare` of the window
   * (a slope over a few seconds of a fresh start says little about the water), or `anchoredShare`
   * of it after a `restart`: the known point pins the start, so a shorter run of readings already
   * says how fast they leave it.
   */
  perSecond(nowMs: number, minShare = 0.8, anchoredShare = minShare): number {
    const n = this.#ring.size;
    if (n < 3 || nowMs - this.#ring.oldest < (this.#anchored ? anchoredShare : minShare) * this.#windowMs) return NaN;
    let st = 0;
    let sv = 0;
    this.#ring.each((t, v) => {
      st += t;
      sv += v;
    });
    const mt = st / n;
    const mv = sv / n;
    let num = 0;
    let den = 0;
    this.#ring.each((t, v) => {
      num += (t - mt) * (v - mv);
      den += (t - mt) * (t - mt);
    });
    return den > 0 ? (num / den) * 1000 : NaN;
  }

  clear(): void {
    this.#ring.clear();
    this.#anchored = false;
  }
}
