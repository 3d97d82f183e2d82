/**
 * An alarm on a region's area over time, with persistence and hysteresis (and, below, the held
 * per-block evidence and frame step that the smoke and fire plugins both feed it with):
 * - it is raised when the area has stayed at or above `minArea` for `persistS` and has grown by
 *   `growth` (area now / area when it first reached minArea) — smoke spreads and a fire grows from
 *   where it started, where something parked or laid down appears at its full size and stays so;
 * - once raised it clears only when the area has stayed below `clearShare × minArea` for `clearS`,
 *   so a plume thinning for a moment or a flame dying down for a second does not end it (and raise
 *   it again a moment later).
 * Times are epoch ms (frame.capturedAt).
 */

/** Settings of an AreaAlarm. */
export interface AreaAlarmOptions {
  /** Area (any unit, the same as `update` gets) at which a region counts. */
  minArea: number;
  /** Seconds the area must stay at or above minArea before the alarm. */
  persistS: number;
  /** Required ratio of the area at the alarm to the area when it first reached minArea (1: none). */
  growth: number;
  /** Seconds the area must stay below clearShare × minArea before the alarm clears. */
  clearS: number;
  /** Share of minArea under which an alarm starts to clear. */
  clearShare: number;
}

/** What one update did: raised the alarm, cleared it, or nothing. */
export type AlarmChange = 'raised' | 'cleared' | undefined;

/** The alarm state of one region (a zone, or the whole frame); see the file comment. */
export class AreaAlarm {
  readonly #o: AreaAlarmOptions;
  /** When the area last reached minArea (while pending), and the area then. */
  #since = NaN;
  #startArea = 0;
  /** Raised, and since when the area has been below the clear level (NaN: it is not). */
  #raised = false;
  #raisedAt = NaN;
  #lowSince = NaN;

  constructor(o: AreaAlarmOptions) {
    this.#o = o;
  }

  /** Whether the alarm is raised. */
  get raised(): boolean {
    return this.#raised;
  }

  /** Epoch ms the alarm was raised (NaN when it is not). */
  get raisedAt(): number {
    return this.#raisedAt;
  }

  /** Area when the region first reached minArea in its current run (0 when it has not). */
  get startArea(): number {
    return this.#startArea;
  }

  /** Feeds the area at time `tMs`; returns what changed. */
  update(tMs: number, area: number): AlarmChange {
    const o = this.#o;
    if (this.#raised) {
      if (area >= o.clearShare * o.minArea) {
        this.#lowSince = NaN;
        return undefined;
      }
      if (Number.isNaN(this.#lowSince)) this.#lowSince = tMs;
      if (tMs - this.#lowSince < o.clearS * 1000) return undefined;
      this.#raised = false;
      this.#raisedAt = NaN;
      this.#lowSince = NaN;
      this.#since = NaN;
      this.#startArea = 0;
      return 'cleared';
    }
    if (area < o.minArea) {
      this.#since = NaN;
      this.#startArea = 0;
      return undefined;
    }
    if (Number.isNaN(this.#since)) {
      this.#since = tMs;
      this.#startArea = area;
    }
    if (tMs - this.#since >= o.persistS * 1000 && area >= o.growth * this.#startArea) {
      this.#raised = true;
      this.#raisedAt = tMs;
      this.#lowSince = NaN;
      return 'raised';
    }
    return undefined;
  }
}

/** A block starts counting when its held evidence rises above ON, and stops when it falls below OFF. */
const ON = 0.6;
const OFF = 0.3;
/** Longest gap between frames bridged as one step (a stalled stream that resumes). */
const MAX_STEP_S = 5;

/** Seconds from the frame at `lastAt` to the one at `at` (epoch ms), 0 on the first, capped at MAX_STEP_S. */
export function frameStepS(lastAt: number, at: number): number {
  return Number.isNaN(lastAt) ? 0 : Math.min(MAX_STEP_S, Math.max(0, (at - lastAt) / 1000));
}

/**
 * Per-block evidence held over time: a leaky average (time constant `timeS`) of each block's
 * per-frame cue, with hysteresis — a block is active once the average rises above 0.6 and until it
 * falls below 0.3. What crosses a block quickly (a person, a vehicle) never holds it long enough.
 */
export class HeldBlocks {
  /** 1 for each active block. */
  readonly active: Uint8Array;
  readonly #evidence: Float32Array;
  readonly #timeS: number;

  constructor(blocks: number, timeS: number) {
    this.active = new Uint8Array(blocks);
    this.#evidence = new Float32Array(blocks);
    this.#timeS = timeS;
  }

  /** Feeds one frame, `dtS` after the last: block i's cue is on when cue[i] ≥ `atLeast`. */
  update(cue: ArrayLike<number>, dtS: number, atLeast = 1): void {
    const k = 1 - Math.exp(-dtS / this.#timeS);
    const ev = this.#evidence;
    for (let i = 0; i < ev.length; i++) {
      const e = ev[i]! + k * ((cue[i]! >= atLeast ? 1 : 0) - ev[i]!);
      ev[i] = e;
      this.active[i] = e > ON || (this.active[i] === 1 && e > OFF) ? 1 : 0;
    }
  }
}
