/**
 * Where the water meets a staff gauge, from the marks' texture. Above the water a gauge is all
 * edges: painted bands, ticks and numbers, every few centimetres, so every stretch of its rows one
 * marking period long holds strong luma steps between neighbouring rows. Below the waterline the
 * board is hidden by water: a smooth surface whose ripples and weak, broken reflection of the board
 * carry a small share of that texture. So:
 *
 * 1. texture per row: the mean |I(r+1, x) − I(r, x)| over the gauge's columns in row r (the step
 *    between row r and the next), divided by the region's mean luma so that an exposure change
 *    scales nothing;
 * 2. the texture smoothed over one marking period (a band and a gap), which turns the painted
 *    pattern into a steady level whatever the phase of the bands;
 * 3. scanning up from the bottom, the lowest row that ends a full period of rows all above
 *    `wetShare` of the dry gauge's texture: the marks nearest the water. A ripple highlight or a
 *    fragment of reflection is shorter than a period and is passed over;
 * 4. the exact line near that row: the split between a period of rows above and one below with the
 *    largest drop of mean texture, refined to a fraction of a row by a parabola through the drop at
 *    the best split and its neighbours.
 *
 * The dry gauge's texture (the reference) is learnt from the rows above the line in readings with
 * a long enough dry stretch; before the first, the frame's own upper decile stands in, which
 * assumes a part of the gauge is dry when the camera starts.
 */
import { pointInPolygon, type Point } from '../sdk/index.js';

/** What one frame shows of the gauge. */
export interface WaterlineReading {
  /**
   * 'line': the waterline is at `row`; 'dry': marks down to the region's bottom (the water is lower,
   * `row` is the bottom); 'hidden': no marks anywhere (submerged, covered, or too dark to tell).
   */
  state: 'line' | 'dry' | 'hidden';
  /** The waterline, in frame pixel rows (a row boundary: r is the top edge of row r). NaN when hidden. */
  row: number;
}

/** Smallest luma the texture is normalised by (a black frame is not infinitely textured). */
const MIN_MEAN_LUMA = 16;
/** Upper decile of the smoothed texture: the reference before one has been learnt. */
const BOOT_QUANTILE = 0.9;
/** Weight of one reading in the learnt reference (a slow mean over tens of readings). */
const REFERENCE_RATE = 0.05;

/** Finds the waterline on one gauge region of frames of one size; see the file comment. */
export class WaterlineFinder {
  /** First and last (inclusive) frame rows of the region. */
  readonly top: number;
  readonly bottom: number;
  /** The region's columns [x0, x1) per row, indexed by row − top. */
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  /** Rows per marking period (a band and a gap, odd). */
  readonly period: number;
  /** Texture per row (row − top), and the same smoothed over one period. */
  readonly texture: Float64Array;
  readonly smooth: Float64Array;
  readonly #sorted: Float64Array;
  readonly #wetShare: number;
  #reference = NaN;

  /**
   * `polygon`: the gauge region, normalised; `periodRows`: pixel rows per marking period (from the
   * marks' scale); `wetShare`: share of the dry texture under which a row is water.
   */
  constructor(polygon: readonly Point[], width: number, height: number, periodRows: number, wetShare: number) {
    let minY = Infinity;
    let maxY = -Infinity;
    let minX = Infinity;
    let maxX = -Infinity;
    for (const p of polygon) {
      minY = Math.min(minY, p[1]);
      maxY = Math.max(maxY, p[1]);
      minX = Math.min(minX, p[0]);
      maxX = Math.max(maxX, p[0]);
    }
    this.top = Math.max(0, Math.floor(minY * height));
    this.bottom = Math.min(height - 1, Math.ceil(maxY * height) - 1);
    const rows = Math.max(0, this.bottom - this.top + 1);
    this.x0 = new Int32Array(rows);
    this.x1 = new Int32Array(rows);
    // The polygon's columns per row, tested at pixel centres once per frame size.
    for (let r = 0; r < rows; r++) {
      const v = (this.top + r + 0.5) / height;
      let first = -1;
      let last = -1;
      for (let x = Math.max(0, Math.floor(minX * width)); x < Math.min(width, Math.ceil(maxX * width)); x++) {
        if (!pointInPolygon([(x + 0.5) / width, v], polygon)) continue;
        if (first < 0) first = x;
        last = x;
      }
      this.x0[r] = first < 0 ? 0 : first;
      this.x1[r] = first < 0 ? 0 : last + 1;
    }
    this.period = Math.max(3, Math.round(periodRows) | 1);
    this.texture = new Float64Array(rows);
    this.smooth = new Float64Array(rows);
    this.#sorted = new Float64Array(rows);
    this.#wetShare = wetShare;
  }

  /**
   * The highest frame row (a row boundary) a 'dry' reading can hide the waterline at: one marking
   * period above the region's bottom. The smoothing over a period carries the marks' texture half a
   * period down into the water, and a run of marks ending within half a period of the bottom counts
   * as dry, so water up to about a period deep at the bottom still reads as 'dry'.
   */
  get floorRow(): number {
    return this.bottom + 1 - this.period;
  }

  /** The dry gauge's texture learnt so far (NaN before the first reading with a dry stretch). */
  get reference(): number {
    return this.#reference;
  }

  /** Reads the waterline from a luma plane (`stride` bytes per row) of the size the finder was built for. */
  find(y: Uint8Array, stride: number): WaterlineReading {
    const n = this.texture.length;
    const P = this.period;
    if (n < 2 * P + 2) return { state: 'hidden', row: NaN };
    this.#measure(y, stride);
    const reference = Number.isNaN(this.#reference) ? this.#quantile(BOOT_QUANTILE) : this.#reference;
    const wet = this.#wetShare * reference;
    const s = this.smooth;
    // 3. The lowest row ending a full period of textured rows.
    let run = 0;
    let found = -1;
    for (let r = n - 2; r >= 0 && found < 0; r--) {
      run = s[r]! >= wet ? run + 1 : 0;
      if (run >= P) found = r + P - 1;
    }
    if (found < 0 || !(reference > 0)) return { state: 'hidden', row: NaN };
    // Marks to the region's bottom: the water is below it.
    if (found >= n - 1 - (P >> 1) - 1) {
      return { state: 'dry', row: this.bottom + 1 };
    }
    // 4. The split with the largest drop of mean texture near the found row.
    const t = this.texture;
    const drop = (k: number) => {
      let above = 0;
      let below = 0;
      for (let j = 1; j <= P; j++) {
        above += t[Math.max(0, k - j)]!;
        below += t[Math.min(n - 2, k + j - 1)]!;
      }
      return (above - below) / P;
    };
    let best = found + 1;
    let bestDrop = -Infinity;
    for (let k = Math.max(1, found - P + 1); k <= Math.min(n - 2, found + P); k++) {
      const d = drop(k);
      if (d > bestDrop) {
        bestDrop = d;
        best = k;
      }
    }
    return { state: 'line', row: this.top + this.#edgeBelow(best, wet) };
  }

  /**
   * 5. Within a band either side of split k, the waterline's own edge: the lowest row whose step clearly
   * stands out from the water's texture further down (1.5 × its highest, at least twice `wet`).
   * The drop of 4. lands on the last strong band edge above the water; the board's colour meets the
   * water's somewhere in the band below it, and that meeting is an edge too. Returns the boundary
   * row (region rows), to a fraction of a row from the edge's peak.
   */
  #edgeBelow(k: number, wet: number): number {
    const t = this.texture;
    const n = t.length;
    const band = (this.period + 1) >> 1;
    let waterMax = 0;
    for (let r = k + band + 2; r <= Math.min(n - 2, k + band + 1 + this.period); r++) waterMax = Math.max(waterMax, t[r]!);
    const edge = Math.max(1.5 * waterMax, 2 * wet);
    for (let r = Math.min(n - 2, k + band); r >= Math.max(1, k - band); r--) {
      if (t[r]! < edge) continue;
      const [a, b, c] = [t[r - 1]!, t[r]!, t[r + 1]!];
      const curve = a - 2 * b + c;
      const offset = curve < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / curve)) : 0;
      return r + 1 + offset;
    }
    return k;
  }

  /** Texture per row (steps to the next row, over the row's columns) and its one-period running mean. */
  #measure(y: Uint8Array, stride: number): void {
    const n = this.texture.length;
    let lumaSum = 0;
    let lumaCount = 0;
    for (let r = 0; r < n; r++) {
      const a = (this.top + r) * stride;
      const x0 = this.x0[r]!;
      const x1 = this.x1[r]!;
      let steps = 0;
      for (let x = x0; x < x1; x++) {
        const p = y[a + x]!;
        lumaSum += p;
        if (r + 1 < n) steps += Math.abs(y[a + stride + x]! - p);
        if (x + 1 < x1) steps += Math.abs(y[a + x + 1]! - p);
      }
      lumaCount += x1 - x0;
      this.texture[r] = x1 > x0 ? steps / (x1 - x0) : 0;
    }
    const mean = Math.max(MIN_MEAN_LUMA, lumaCount ? lumaSum / lumaCount : 0);
    for (let r = 0; r < n; r++) this.texture[r]! /= mean;
    this.texture[n - 1] = this.texture[n - 2]!; // the last row has no next row
    const h = this.period >> 1;
    let sum = 0;
    for (let r = 0; r < Math.min(n, h); r++) sum += this.texture[r]!;
    for (let r = 0; r < n; r++) {
      if (r + h < n) sum += this.texture[r + h]!;
      if (r - h - 1 >= 0) sum -= this.texture[r - h - 1]!;
      this.smooth[r] = sum / (Math.min(n - 1, r + h) - Math.max(0, r - h) + 1);
    }
  }

  /**
   * Learns the dry texture from the rows above an accepted reading's line (frame rows), when they
   * span at least two periods. The caller decides which readings to trust: one taken while a
   * passer-by hid the gauge must not teach it what dry looks like.
   */
  learnDry(reading: WaterlineReading): void {
    if (reading.state === 'hidden') return;
    const line = Math.min(this.texture.length, Math.floor(reading.row) - this.top);
    if (line < 2 * this.period) return;
    let sum = 0;
    for (let r = 0; r < line; r++) sum += this.texture[r]!;
    const dry = sum / line;
    this.#reference = Number.isNaN(this.#reference) ? dry : this.#reference + REFERENCE_RATE * (dry - this.#reference);
  }

  /** The q-quantile of the smoothed texture. */
  #quantile(q: number): number {
    const n = this.smooth.length;
    this.#sorted.set(this.smooth);
    this.#sorted.sort();
    return this.#sorted[Math.min(n - 1, Math.floor(q * n))]!;
  }
}
