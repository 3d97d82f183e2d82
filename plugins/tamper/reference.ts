/**
 * The long-term reference the view is judged against, and the comparison of a frame with it.
 *
 * The reference is an exponential average of each tile's variance and edge energy, of the frame's
 * brightness and saturated share, and of the thumbnail, with a time constant of `adaptS` seconds. It
 * learns only from frames the judge calls normal, so a covered, blinded, defocused or moved view
 * never becomes the reference; while the view is normal it follows the day: dusk, clouds and weather
 * change the picture over minutes, and a reference that lags by adaptS sees ratios close to 1.
 * That is also what makes the judge care about rate: covering a lens takes a fraction of a second
 * and leaves the reference far behind, while night falling leaves it only a little behind.
 *
 * The first `learnS` seconds build the reference (a plain running mean), and nothing is judged
 * before it is ready.
 */
import { GRID_COLS, GRID_ROWS, type ViewStats } from './measure.js';
import { median, ViewMatcher, type ShiftMatch } from './shift.js';

/** A tile whose reference luma spread is under 5 steps (std) has no structure to compare: sky, a blank wall, sensor noise. */
export const TEXTURED_VARIANCE = 25;

/** How a frame compares with the reference: amplitude ratios (1 = as the reference), medians over the textured tiles. */
export interface Comparison {
  /** Tiles with structure in the reference. */
  textured: number;
  /** Mean luma now and in the reference. */
  brightness: number;
  refBrightness: number;
  /** Saturated share now and in the reference. */
  saturated: number;
  refSaturated: number;
  /** Median of √(variance / reference variance): the contrast left. */
  contrast: number;
  /** Median of √(edge energy / reference): the edges left. */
  edges: number;
  /** Median of √((energy / variance) / the reference's): sharpness left, whatever the exposure or contrast. */
  sharpness: number;
  /** Median tile ZNCC with the reference in place. */
  match: number;
  /** Textured tiles whose detail still lines up with the reference in place (shift.ts): the part of the view nothing hides. */
  steady: number;
  /** The best shift, thumbnail pixels, when the view does not match in place and one was searched. */
  shift?: ShiftMatch;
}

/** The reference of one camera at one frame size; see the file comment. */
export class Reference {
  readonly variance = new Float64Array(GRID_COLS * GRID_ROWS);
  readonly energy = new Float64Array(GRID_COLS * GRID_ROWS);
  brightness = 0;
  saturated = 0;
  readonly #thumb: Float32Array;
  readonly #thumbBytes: Uint8Array;
  readonly #textured = new Uint8Array(GRID_COLS * GRID_ROWS);
  readonly #ratios = new Float64Array(GRID_COLS * GRID_ROWS);
  readonly #matcher: ViewMatcher;
  readonly #learnMs: number;
  readonly #adaptMs: number;
  #firstAt = NaN;
  #lastAt = NaN;
  #updates = 0;

  constructor(thumbWidth: number, thumbHeight: number, learnS: number, adaptS: number) {
    this.#thumb = new Float32Array(thumbWidth * thumbHeight);
    this.#thumbBytes = new Uint8Array(thumbWidth * thumbHeight);
    this.#matcher = new ViewMatcher(thumbWidth, thumbHeight);
    this.#learnMs = learnS * 1000;
    this.#adaptMs = adaptS * 1000;
  }

  /** Whether the first learnS seconds have been learnt (as of `at`, epoch ms). */
  ready(at: number): boolean {
    return this.#updates > 0 && at - this.#firstAt >= this.#learnMs;
  }

  /** Learns from a normal frame captured at `at` (epoch ms). */
  learn(s: ViewStats, at: number): void {
    if (this.#updates === 0) this.#firstAt = at;
    const dt = this.#updates === 0 ? 0 : Math.max(0, at - this.#lastAt);
    this.#lastAt = at;
    this.#updates++;
    // A running mean while learning, then an exponential average of time constant adaptS (by the
    // time between frames, so a camera at 2 fps adapts as fast as one at 25).
    const a = Math.max(1 / this.#updates, 1 - Math.exp(-dt / this.#adaptMs));
    for (let t = 0; t < this.variance.length; t++) {
      this.variance[t]! += a * (s.variance[t]! - this.variance[t]!);
      this.energy[t]! += a * (s.energy[t]! - this.energy[t]!);
    }
    this.brightness += a * (s.brightness - this.brightness);
    this.saturated += a * (s.saturated - this.saturated);
    const th = this.#thumb;
    for (let i = 0; i < th.length; i++) th[i]! += a * (s.thumb[i]! - th[i]!);
  }

  /** Compares a frame with the reference (in place; `findShift` searches for a shift). */
  compare(s: ViewStats): Comparison {
    const tex = this.#textured;
    let textured = 0;
    for (let t = 0; t < tex.length; t++) {
      tex[t] = this.variance[t]! >= TEXTURED_VARIANCE ? 1 : 0;
      textured += tex[t]!;
    }
    const ratioMedian = (f: (t: number) => number) => {
      let n = 0;
      for (let t = 0; t < tex.length; t++) if (tex[t]) this.#ratios[n++] = f(t);
      return n ? median(this.#ratios, n) : NaN;
    };
    const contrast = ratioMedian((t) => Math.sqrt(s.variance[t]! / this.variance[t]!));
    const edges = ratioMedian((t) => Math.sqrt(s.energy[t]! / Math.max(1e-9, this.energy[t]!)));
    const sharpness = ratioMedian((t) => Math.sqrt((s.energy[t]! / Math.max(1e-9, s.variance[t]!)) / (this.energy[t]! / this.variance[t]!)));
    const bytes = this.#thumbBytes;
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.#thumb[i]! + 0.5;
    const match = this.#matcher.matchInPlace(s.thumb, bytes, tex);
    return {
      textured, brightness: s.brightness, refBrightness: this.brightness, saturated: s.saturated, refSaturated: this.saturated,
      contrast, edges, sharpness, match, steady: this.#matcher.steady(),
    };
  }

  /** After compare(s): adds to `c` (its result) the shift that best lines the view up with the reference, if any. */
  findShift(s: ViewStats, c: Comparison): void {
    const shift = this.#matcher.findShift(s.thumb, this.#thumbBytes, this.#textured);
    if (shift) c.shift = shift;
  }
}
