/**
 * The crowd plugin's decisions on a zone's count over time: a short moving mean (a person hidden for a
 * frame, or a bus passing, should not move an alert), a threshold with hysteresis, and the gathering
 * rule. bench/scenes/crowd.ts derives the expected events from the true counts by the same rules.
 */

/** Most samples a window holds: 10 s at 25 fps; older samples drop out first. */
const WINDOW_CAPACITY = 256;

/** The mean of the samples of the last `windowMs`, in a ring allocated once. */
export class WindowMean {
  readonly #t = new Float64Array(WINDOW_CAPACITY);
  readonly #v = new Float64Array(WINDOW_CAPACITY);
  #start = 0;
  #size = 0;
  #sum = 0;

  constructor(readonly windowMs: number) {}

  /** Adds the value at `tMs` and returns the mean over (tMs − windowMs, tMs]. */
  push(tMs: number, value: number): number {
    while (this.#size > 0 && (this.#size === WINDOW_CAPACITY || this.#t[this.#start]! <= tMs - this.windowMs)) {
      this.#sum -= this.#v[this.#start]!;
      this.#start = (this.#start + 1) % WINDOW_CAPACITY;
      this.#size--;
    }
    const end = (this.#start + this.#size) % WINDOW_CAPACITY;
    this.#t[end] = tMs;
    this.#v[end] = value;
    this.#size++;
    this.#sum += value;
    return this.#sum / this.#size;
  }
}

/** A change of a ThresholdAlert's state. */
export type AlertChange = 'raised' | 'cleared';

/** Raised when the value reaches `threshold`; cleared when it falls below threshold − hysteresis. */
export class ThresholdAlert {
  #active = false;
  #sinceMs = 0;

  constructor(readonly threshold: number, readonly hysteresis: number) {}

  /** Whether the alert stands. */
  get active(): boolean {
    return this.#active;
  }

  /** When it was last raised, ms. */
  get sinceMs(): number {
    return this.#sinceMs;
  }

  /** Feeds one value; returns the change it caused, if any. */
  push(tMs: number, value: number): AlertChange | undefined {
    if (!this.#active && value >= this.threshold) {
      this.#active = true;
      this.#sinceMs = tMs;
      return 'raised';
    }
    if (this.#active && value < this.threshold - this.hysteresis) {
      this.#active = false;
      return 'cleared';
    }
    return undefined;
  }
}

/** How a gathering is recognised (people per m²). */
export interface GatheringRule {
  /** The density must first be below this (the place was not already crowded)... */
  fromDensity: number;
  /** ...then rise to at least this... */
  density: number;
  /** ...and stay there this long, seconds. */
  holdS: number;
}

/**
 * Density rising from below `fromDensity` to at least `density` and staying there for holdS: one
 * gathering, then none until the density has fallen below `fromDensity` again (the group dispersed).
 * Any dip below `density` restarts the hold.
 */
export class GatheringWatch {
  #armed = false;
  #highSinceMs: number | undefined;

  constructor(readonly rule: GatheringRule) {}

  /** Since when the density has stood at or above the rule's density (undefined when below). */
  get highSinceMs(): number | undefined {
    return this.#highSinceMs;
  }

  /** Feeds one density; true when this sample completes a gathering. */
  push(tMs: number, density: number): boolean {
    const r = this.rule;
    if (density < r.fromDensity) {
      this.#armed = true;
      this.#highSinceMs = undefined;
      return false;
    }
    if (density < r.density) {
      this.#highSinceMs = undefined;
      return false;
    }
    this.#highSinceMs ??= tMs;
    if (this.#armed && tMs - this.#highSinceMs >= r.holdS * 1000) {
      this.#armed = false;
      return true;
    }
    return false;
  }
}
