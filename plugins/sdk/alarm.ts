/**
 * Alarms on a region's area over time, for detectors that judge a grid of blocks (smoke, fire):
 * per-block evidence held over time (HeldBlocks), one alarm per configured zone or for the whole
 * frame with the region that counts in each (ZoneAlarms), and the alarm itself (AreaAlarm):
 * - it is raised when the area has stayed at or above `minArea` for `persistS` and has grown by
 *   `growth` (area now / area when it first reached minArea) — smoke spreads and a fire grows from
 *   where it started, where something parked or laid down appears at its full size and stays so;
 * - once raised it clears only when the area has stayed below `clearShare × minArea` for `clearS`,
 *   so a plume thinning for a moment or a flame dying down for a second does not end it (and raise
 *   it again a moment later).
 * Times are epoch ms (frame.capturedAt).
 */
import type { Point } from './types.js';
import { ConnectedComponents } from './vision/components.js';
import { pointInPolygon } from './vision/geometry.js';

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

/** One alarm region: a configured zone (or the whole frame), its blocks and its alarm. */
export interface ZoneRegion {
  /** The zone's name; undefined for the whole frame. */
  zone: string | undefined;
  /** 1 for each block whose centre is inside the zone. */
  inside: Uint8Array;
  alarm: AreaAlarm;
}

/**
 * One region per zone of `zones` (normalised polygons), or one for the whole frame when there are
 * none, over a grid of cols × rows blocks each blockW × blockH of the frame (normalised; the last
 * column or row may be cut by the frame's edge).
 */
export function zoneRegions(zones: Record<string, Point[]>, cols: number, rows: number, blockW: number, blockH: number, alarm: AreaAlarmOptions): ZoneRegion[] {
  const named = Object.entries(zones);
  return (named.length ? named : [[undefined, undefined] as const]).map(([zone, poly]) => {
    const inside = new Uint8Array(cols * rows);
    for (let by = 0; by < rows; by++) {
      for (let bx = 0; bx < cols; bx++) {
        const centre: Point = [Math.min(1, (bx + 0.5) * blockW), Math.min(1, (by + 0.5) * blockH)];
        inside[by * cols + bx] = !poly || pointInPolygon(centre, poly) ? 1 : 0;
      }
    }
    return { zone, inside, alarm: new AreaAlarm(alarm) };
  });
}

/** The region that counts: its label, box in blocks and weight (blocks, or the sum of `weights` over them). */
export interface WeightedRegion {
  label: number;
  x: number;
  y: number;
  w: number;
  h: number;
  weight: number;
}

/**
 * Labels `mask` with `cc` and returns the component of greatest weight — its block count, or the
 * sum of `weights` over its blocks when given — or undefined when the mask is empty.
 */
export function largestRegion(cc: ConnectedComponents, mask: Uint8Array, weights?: ArrayLike<number>): WeightedRegion | undefined {
  const n = cc.label(mask);
  if (n === 0) return undefined;
  let best = 0;
  let bestWeight = -1;
  for (let l = 1; l <= n; l++) {
    let weight = cc.area[l]!;
    if (weights) {
      weight = 0;
      for (let i = 0; i < cc.labels.length; i++) if (cc.labels[i] === l) weight += weights[i]!;
    }
    if (weight > bestWeight) {
      best = l;
      bestWeight = weight;
    }
  }
  const c = cc.component(best);
  return { label: best, x: c.x, y: c.y, w: c.w, h: c.h, weight: bestWeight };
}

/** What a ZoneAlarms judged of one region in one frame. */
export interface RegionJudgement {
  /** The region's largest component (its blocks are labelled in `components` until the next judge). */
  region: WeightedRegion | undefined;
  /** Its area: weight × areaPerWeight. */
  area: number;
  /** Its box, normalised [x, y, w, h] and clipped to the frame. */
  box: [number, number, number, number] | undefined;
  change: AlarmChange;
}

/**
 * The alarms of a grid of cols × rows blocks, each blockW × blockH of the frame (normalised), one
 * per zone or one for the whole frame: each frame, the active blocks inside a zone, their largest
 * connected group (by block count or by weight) and its area feed that zone's AreaAlarm.
 */
export class ZoneAlarms {
  readonly regions: ZoneRegion[];
  /** Labels of the last judged region's blocks. */
  readonly components: ConnectedComponents;
  readonly #mask: Uint8Array;
  readonly #blockW: number;
  readonly #blockH: number;

  constructor(zones: Record<string, Point[]>, cols: number, rows: number, blockW: number, blockH: number, alarm: AreaAlarmOptions) {
    this.regions = zoneRegions(zones, cols, rows, blockW, blockH, alarm);
    this.components = new ConnectedComponents(cols, rows);
    this.#mask = new Uint8Array(cols * rows);
    this.#blockW = blockW;
    this.#blockH = blockH;
  }

  /** Judges region `r` at `tMs` from the blocks that are `active` (weighted by `weights` when given). */
  judge(r: ZoneRegion, tMs: number, active: Uint8Array, areaPerWeight: number, weights?: ArrayLike<number>): RegionJudgement {
    for (let i = 0; i < this.#mask.length; i++) this.#mask[i] = active[i]! & r.inside[i]!;
    const region = largestRegion(this.components, this.#mask, weights);
    const area = region ? region.weight * areaPerWeight : 0;
    let box: RegionJudgement['box'];
    if (region) {
      const x = region.x * this.#blockW;
      const y = region.y * this.#blockH;
      box = [x, y, Math.min(1 - x, region.w * this.#blockW), Math.min(1 - y, region.h * this.#blockH)];
    }
    return { region, area, box, change: r.alarm.update(tMs, area) };
  }
}
