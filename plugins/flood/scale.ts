/**
 * From an image row to a water level: the gauge's reference marks (at least two painted marks whose
 * rows were read off a snapshot) define a piecewise-linear map, row → metres on the gauge. Between
 * two marks the map is linear; beyond the outermost marks it carries on the nearest segment's slope,
 * but only for `maxExtrapolationM`: further out a level is clamped and flagged, because a reading
 * far outside the surveyed marks is a guess about where the camera's lens and the post are.
 */

/** One reference mark: its image row (0..1 from the top) and its level on the gauge, metres. */
export interface GaugeMark {
  y: number;
  level: number;
}

/** A level read off the gauge, and whether it lay beyond the extrapolation limit and was clamped. */
export interface GaugeLevel {
  level: number;
  clamped: boolean;
}

/** Piecewise-linear map from normalised image rows to gauge levels; see the file comment. */
export class LevelScale {
  readonly #marks: GaugeMark[];
  readonly #limit: number;

  /** `marks`: at least 2, levels higher for rows higher in the image (checked by the config schema too). */
  constructor(marks: readonly GaugeMark[], maxExtrapolationM: number) {
    if (marks.length < 2) throw new RangeError('LevelScale needs at least 2 marks');
    this.#marks = [...marks].sort((a, b) => a.y - b.y);
    for (let i = 1; i < this.#marks.length; i++) {
      const [a, b] = [this.#marks[i - 1]!, this.#marks[i]!];
      if (!(b.y > a.y && b.level < a.level)) throw new RangeError('LevelScale: marks lower in the image must have lower levels, at distinct rows');
    }
    this.#limit = maxExtrapolationM;
  }

  /** The highest and lowest levels a reading can take (the marks' range widened by the extrapolation limit). */
  get range(): [number, number] {
    return [this.#marks.at(-1)!.level - this.#limit, this.#marks[0]!.level + this.#limit];
  }

  /** Image rows per metre of level near normalised row y (times the frame height gives pixels per metre). */
  rowsPerMetre(y: number): number {
    const [a, b] = this.#segment(y);
    return (b.y - a.y) / (a.level - b.level);
  }

  /** The level at normalised row y. */
  level(y: number): GaugeLevel {
    const [a, b] = this.#segment(y);
    const raw = a.level + ((y - a.y) / (b.y - a.y)) * (b.level - a.level);
    const [lo, hi] = this.range;
    return { level: Math.min(hi, Math.max(lo, raw)), clamped: raw < lo || raw > hi };
  }

  /** The normalised row of a level (the inverse map, extrapolating the end segments). */
  row(level: number): number {
    const m = this.#marks;
    let i = 1;
    while (i < m.length - 1 && level < m[i]!.level) i++;
    const [a, b] = [m[i - 1]!, m[i]!];
    return a.y + ((level - a.level) / (b.level - a.level)) * (b.y - a.y);
  }

  /** The two marks whose segment applies at row y (the end segments beyond the marks). */
  #segment(y: number): [GaugeMark, GaugeMark] {
    const m = this.#marks;
    let i = 1;
    while (i < m.length - 1 && y > m[i]!.y) i++;
    return [m[i - 1]!, m[i]!];
  }
}
