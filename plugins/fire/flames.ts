/**
 * Per-cell fire evidence on the chroma grid of an I420 frame: each cell is one chroma sample (Cb = U,
 * Cr = V) with the mean of its 2 × 2 luma pixels, so the colour rules need no conversion to RGB.
 *
 * Colour (Celik & Demirel, "Fire detection in video sequences using a generic color model", Fire
 * Safety Journal 44, 2009): a cell is fire-coloured when
 *   Y > Cb and Cr > Cb                  (flames are red-yellow: red over blue, bright),
 *   Y > Ymean, Cb < Cbmean, Cr > Crmean (brighter, redder and less blue than the frame on average),
 *   |Cr − Cb| ≥ τ                       (strongly chromatic; τ = 40 in the paper).
 * The means are the frame's own, so a frame-wide colour cast (a sunset, sodium lights) moves the
 * thresholds with it instead of turning the whole frame into fire.
 *
 * Flicker: flames change shape many times a second, irregularly (roughly 1–10 Hz), and they are not
 * of one colour: a flame is red-orange at its edge, orange in its body and yellow-white at its core,
 * so a point inside a fire sees those parts pass over it as the tongues leap and sink — its
 * brightness keeps jumping while it stays fire-coloured. Each cell keeps the last 32 frames as bits:
 * whether it was fire-coloured, and whether it changed — luma moved by at least `lumaStep` between
 * two frames that were both fire-coloured. A cell flickers when it was fire-coloured in at least
 * MIN_COLOURED of those frames and changed in at least `minChanges`.
 *
 * Changes count only within fire colours because a thing of one paint or cloth moving over a cell
 * toggles it between its own colour and the background's, and its own colour has one brightness:
 * a walker's orange trousers swinging over the road at every step, or the edge of a yellow truck
 * creeping away at the far end of a lane, switch a cell on and off many times a second without its
 * brightness ever changing while it is coloured (a held-out sunset scene raised a false fire on a
 * far walker's legs and a receding yellow truck that way). A red car or an orange sign standing
 * still never changes; lamps switch on and stay on; sensor noise is far below lumaStep, and a cell
 * that noise toggles across the colour threshold is coloured in only one of the two frames. A
 * vehicle driving by changes a cell at each edge of its shape that passes: a handful of changes,
 * once, where flames keep changing the cell every frame or two for as long as they burn — hence a
 * window of seconds (32 frames) and a count well above what one passing shape gives.
 */

/** Frames of history per cell (bits of a Uint32). */
export const WINDOW = 32;
/** Fire-coloured frames of the window a flickering cell needs. */
const MIN_COLOURED = 6;

/** Settings of the per-cell test. */
export interface FlameThresholds {
  /** |Cr − Cb| a fire colour needs (Celik & Demirel's τ). */
  tau: number;
  /** Luma change between two fire-coloured frames that counts as a flicker. */
  lumaStep: number;
  /** Changes in the window a flickering cell needs. */
  minChanges: number;
}

/** The planes FlameCells reads: luma and chroma at one size, with strides. */
export interface FlamePlanes {
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  strideY: number;
  strideUV: number;
}

/** Number of set bits of a 32-bit value. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Celik & Demirel's colour rules for one cell, given the frame's means. */
export function fireColoured(y: number, cb: number, cr: number, yMean: number, cbMean: number, crMean: number, tau: number): boolean {
  return y > cb && cr > cb && y > yMean && cb < cbMean && cr > crMean && Math.abs(cr - cb) >= tau;
}

/** Colour and flicker history of every cell of one frame size; see the file comment. */
export class FlameCells {
  /** Cells across and down (the chroma plane's size). */
  readonly cols: number;
  readonly rows: number;
  /** Per cell: 1 when it flickers after the last update. */
  readonly flicker: Uint8Array;
  /** Per cell: 1 when it is fire-coloured in the last frame. */
  readonly coloured: Uint8Array;
  readonly #colourBits: Uint32Array;
  readonly #changeBits: Uint32Array;
  readonly #luma: Uint8Array;
  #frames = 0;

  constructor(width: number, height: number) {
    this.cols = Math.floor(width / 2);
    this.rows = Math.floor(height / 2);
    const n = this.cols * this.rows;
    this.flicker = new Uint8Array(n);
    this.coloured = new Uint8Array(n);
    this.#colourBits = new Uint32Array(n);
    this.#changeBits = new Uint32Array(n);
    this.#luma = new Uint8Array(n);
  }

  /** Takes one frame: colour test against its means, then each cell's history and flicker. */
  update(p: FlamePlanes, th: FlameThresholds): void {
    const { cols, rows } = this;
    let sy = 0;
    let su = 0;
    let sv = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = 2 * r * p.strideY + 2 * c;
        sy += p.y[i]! + p.y[i + 1]! + p.y[i + p.strideY]! + p.y[i + p.strideY + 1]!;
        su += p.u[r * p.strideUV + c]!;
        sv += p.v[r * p.strideUV + c]!;
      }
    }
    const n = cols * rows;
    const yMean = sy / (4 * n);
    const cbMean = su / n;
    const crMean = sv / n;
    const first = this.#frames++ === 0;
    for (let r = 0, k = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, k++) {
        const i = 2 * r * p.strideY + 2 * c;
        const y = (p.y[i]! + p.y[i + 1]! + p.y[i + p.strideY]! + p.y[i + p.strideY + 1]! + 2) >> 2;
        const cb = p.u[r * p.strideUV + c]!;
        const cr = p.v[r * p.strideUV + c]!;
        const on = fireColoured(y, cb, cr, yMean, cbMean, crMean, th.tau) ? 1 : 0;
        const wasOn = this.#colourBits[k]! & 1;
        const changed = !first && (on & wasOn) === 1 && Math.abs(y - this.#luma[k]!) >= th.lumaStep ? 1 : 0;
        this.#colourBits[k] = (this.#colourBits[k]! << 1) | on;
        this.#changeBits[k] = (this.#changeBits[k]! << 1) | changed;
        this.#luma[k] = y;
        this.coloured[k] = on;
        this.flicker[k] = popcount32(this.#colourBits[k]!) >= MIN_COLOURED && popcount32(this.#changeBits[k]!) >= th.minChanges ? 1 : 0;
      }
    }
  }
}
