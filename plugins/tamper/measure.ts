/**
 * What the tamper judge looks at in one frame, measured on a grid of tiles of the luma plane averaged
 * down to at most ANALYSIS_WIDTH pixels wide:
 *
 * - per tile, the luma variance (contrast) and the mean squared gradient (edge energy: Σ dx² + dy²
 *   with neighbour differences). Squared, not absolute, gradients: blurring a step edge over w pixels
 *   leaves the sum of |gradient| unchanged but divides the sum of squares by about w, so only the
 *   energy sees defocus;
 * - over the frame, the mean luma and the share of saturated pixels;
 * - a thumbnail (the analysis plane halved again) that the view is matched against (shift.ts).
 *
 * A tampered camera changes the whole view, while the things that fool frame-wide statistics (a bus
 * filling the near lanes, a person under the camera) change part of it: the judge compares tile by
 * tile with the reference and takes medians, so anything covering less than half of the tiles that
 * have structure cannot move the verdict. Buffers are made once per frame size.
 */
import { analysisFactor, downscalePlane } from '../sdk/vision/scale.js';
import type { Frame } from '../sdk/index.js';

/** Frames are averaged down to at most this width before anything is measured. */
export const ANALYSIS_WIDTH = 320;
/** The tile grid (columns × rows): tiles of 40 × 30 analysis pixels at 16:9. */
export const GRID_COLS = 8;
export const GRID_ROWS = 6;

/** The measurements of one frame; arrays are owned by the ViewMeasure and overwritten by the next frame. */
export interface ViewStats {
  /** Mean luma of the frame (0..255). */
  brightness: number;
  /** Share of pixels at or above the saturation level. */
  saturated: number;
  /** Per tile (row-major): luma variance. */
  variance: Float64Array;
  /** Per tile: mean squared neighbour difference (dx² + dy²). */
  energy: Float64Array;
  /** The thumbnail: thumbWidth × thumbHeight luma, tight rows. */
  thumb: Uint8Array;
  thumbWidth: number;
  thumbHeight: number;
}

/** Measures frames of one size; see the file comment. */
export class ViewMeasure {
  readonly width: number;
  readonly height: number;
  /** Analysis plane size. */
  readonly aw: number;
  readonly ah: number;
  readonly #factor: number;
  readonly #plane: Uint8Array;
  readonly #sum: Float64Array;
  readonly #sum2: Float64Array;
  readonly #grad: Float64Array;
  readonly #count: Float64Array;
  /** Tile index of each analysis column and row. */
  readonly #colTile: Int32Array;
  readonly #rowTile: Int32Array;
  readonly #stats: ViewStats;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.#factor = analysisFactor(width, ANALYSIS_WIDTH);
    this.aw = Math.ceil(width / this.#factor);
    this.ah = Math.ceil(height / this.#factor);
    if (this.aw < 2 * GRID_COLS || this.ah < 2 * GRID_ROWS) throw new RangeError(`tamper: frame ${width}x${height} is too small to judge`);
    this.#plane = new Uint8Array(this.aw * this.ah);
    const tiles = GRID_COLS * GRID_ROWS;
    this.#sum = new Float64Array(tiles);
    this.#sum2 = new Float64Array(tiles);
    this.#grad = new Float64Array(tiles);
    this.#count = new Float64Array(tiles);
    this.#colTile = Int32Array.from({ length: this.aw }, (_, x) => Math.min(GRID_COLS - 1, Math.floor((x * GRID_COLS) / this.aw)));
    this.#rowTile = Int32Array.from({ length: this.ah }, (_, y) => Math.min(GRID_ROWS - 1, Math.floor((y * GRID_ROWS) / this.ah)) * GRID_COLS);
    const tw = Math.ceil(this.aw / 2);
    const th = Math.ceil(this.ah / 2);
    this.#stats = {
      brightness: 0, saturated: 0, variance: new Float64Array(tiles), energy: new Float64Array(tiles),
      thumb: new Uint8Array(tw * th), thumbWidth: tw, thumbHeight: th,
    };
  }

  /** Measures the frame's luma; `saturatedLuma` is the level counted as saturated. */
  measure(frame: Pick<Frame, 'y' | 'strideY' | 'width' | 'height'>, saturatedLuma: number): ViewStats {
    if (frame.width !== this.width || frame.height !== this.height) throw new RangeError('tamper: frame size changed');
    const { aw, ah } = this;
    const p = this.#plane;
    downscalePlane(frame.y, frame.width, frame.height, frame.strideY, this.#factor, p);
    const sum = this.#sum.fill(0);
    const sum2 = this.#sum2.fill(0);
    const grad = this.#grad.fill(0);
    const count = this.#count.fill(0);
    const colTile = this.#colTile;
    let total = 0;
    let saturated = 0;
    for (let y = 0; y < ah; y++) {
      const row = y * aw;
      const tileRow = this.#rowTile[y]!;
      const below = y + 1 < ah ? aw : 0;
      for (let x = 0; x < aw; x++) {
        const i = row + x;
        const v = p[i]!;
        const t = tileRow + colTile[x]!;
        // The last column and row difference with themselves (0): no wrap into the next row.
        const dx = x + 1 < aw ? p[i + 1]! - v : 0;
        const dy = p[i + below]! - v;
        sum[t]! += v;
        sum2[t]! += v * v;
        grad[t]! += dx * dx + dy * dy;
        count[t]!++;
        total += v;
        if (v >= saturatedLuma) saturated++;
      }
    }
    const s = this.#stats;
    for (let t = 0; t < sum.length; t++) {
      const n = count[t]!;
      const mean = sum[t]! / n;
      s.variance[t] = Math.max(0, sum2[t]! / n - mean * mean);
      s.energy[t] = grad[t]! / n;
    }
    s.brightness = total / (aw * ah);
    s.saturated = saturated / (aw * ah);
    downscalePlane(p, aw, ah, aw, 2, s.thumb);
    return s;
  }
}
