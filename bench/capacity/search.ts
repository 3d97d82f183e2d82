/**
 * The schedule of `bench capacity` (pure): which camera count to hold next, and for how long.
 *
 *   ramp     start, 2·start, 4·start, ... (short holds) until a count fails or maxCameras passes;
 *   bisect   between the last count that passed and the first that failed, each candidate held
 *            for the full hold (60 s by default);
 *   confirm  the answer must have passed a full hold: a ramp count that only passed a short hold
 *            is held again in full, and if it fails there the search goes on below it; a first
 *            ramp count that failed a short hold is held again in full before the answer is 0
 *            (and the ramp goes on if it passes).
 *
 * The answer is the largest count that passed a full hold with the next count up failed (or
 * maxCameras, when nothing failed); the limits that broke at that next count are what bound it.
 */

/** One hold to run. */
export interface Trial {
  cameras: number;
  holdS: number;
  phase: 'ramp' | 'bisect' | 'confirm';
}

/** Options of the search. */
export interface SearchOptions {
  start: number;
  maxCameras: number;
  rampHoldS: number;
  holdS: number;
}

/** What the search concluded. */
export interface SearchResult {
  /** The most cameras sustained for a full hold (0 when even `start` failed one). */
  maxCameras: number;
  /** The failing count right above it, whose broken limits bound the answer; undefined when maxCameras passed. */
  boundAt?: number;
}

/** More trials than this end the search (a safeguard against a machine too noisy to converge). */
const MAX_TRIALS = 20;

/** Ramp then bisection; feed it each trial's outcome with record(). */
export class CapacitySearch {
  readonly #o: SearchOptions;
  /** Longest hold each count has passed. */
  readonly #passed = new Map<number, number>();
  readonly #failed = new Set<number>();
  /** Counts that failed a full hold (a short ramp hold failing at `start` is held again in full). */
  readonly #failedFull = new Set<number>();
  #trials = 0;

  constructor(o: SearchOptions) {
    if (!(o.start >= 1 && o.maxCameras >= o.start)) throw new RangeError('need 1 ≤ start ≤ maxCameras');
    this.#o = o;
  }

  /** The next trial, or undefined when the search is over. */
  next(): Trial | undefined {
    const o = this.#o;
    if (this.#trials >= MAX_TRIALS) return undefined;
    const good = this.#good();
    const bad = this.#bad();
    if (bad === undefined && good < o.maxCameras) {
      return { cameras: good === 0 ? o.start : Math.min(o.maxCameras, good * 2), holdS: o.rampHoldS, phase: 'ramp' };
    }
    if (bad !== undefined && bad - good > 1) return { cameras: Math.floor((good + bad) / 2), holdS: o.holdS, phase: 'bisect' };
    // Nothing passed: do not answer 0 on a short hold alone.
    if (bad !== undefined && good === 0 && !this.#failedFull.has(bad)) return { cameras: bad, holdS: o.holdS, phase: 'confirm' };
    if (good > 0 && (this.#passed.get(good) ?? 0) < o.holdS) return { cameras: good, holdS: o.holdS, phase: 'confirm' };
    return undefined;
  }

  /** Records the outcome of a trial returned by next(). */
  record(trial: Trial, passed: boolean): void {
    this.#trials++;
    const c = trial.cameras;
    if (passed) {
      this.#passed.set(c, Math.max(this.#passed.get(c) ?? 0, trial.holdS));
      this.#failed.delete(c);
      this.#failedFull.delete(c);
      return;
    }
    this.#failed.add(c);
    if (trial.holdS >= this.#o.holdS) this.#failedFull.add(c);
    // More cameras than a failing count are taken to fail too: forget passes at or above it.
    for (const n of [...this.#passed.keys()]) if (n >= c) this.#passed.delete(n);
  }

  /** The answer so far (final once next() returns undefined). */
  result(): SearchResult {
    const good = this.#good();
    const bad = this.#bad();
    const max = good > 0 && (this.#passed.get(good) ?? 0) >= this.#o.holdS ? good : 0;
    return bad === undefined ? { maxCameras: max } : { maxCameras: max, boundAt: bad };
  }

  /** The largest count that passed (0 if none). */
  #good(): number {
    return Math.max(0, ...this.#passed.keys());
  }

  /** The smallest count that failed above the largest pass. */
  #bad(): number | undefined {
    const good = this.#good();
    const above = [...this.#failed].filter((n) => n > good);
    return above.length ? Math.min(...above) : undefined;
  }
}
