/**
 * Does the view still line up with the reference, and if not, by how much has it moved?
 *
 * Both images are cut into the same grid of tiles and each tile is compared by zero-mean normalised
 * cross-correlation (ZNCC): a tile's score is 1 when the picture there is the reference's, whatever
 * the light (gain and offset cancel), and near 0 when it shows something else. The view matches
 * when the median over the tiles with structure is high, so a bus over a third of them does not
 * count as a moved camera.
 *
 * The shift is found by block matching the whole grid at once: for each candidate (dx, dy) the
 * tiles' scores are averaged, and the best average wins. Averaging over tiles is what makes it work
 * on a road scene, where most tiles hold a single straight edge that only fixes the shift across it
 * (the aperture problem): edges of different directions in different tiles pin it down together.
 * Coarse to fine: every shift within ±COARSE_RANGE on the thumbnail halved, then ±2 around the
 * winner at full thumbnail size. Nothing is allocated per call.
 *
 * Medians and averages say how much of the view has changed, not where: a bus close to the camera
 * can hide most of the tiles for seconds, and then the median in place is low whether the camera
 * moved or not. What tells them apart is the rest of the view. A camera that moves takes all of its
 * picture with it, so hardly a tile still lines up in place (only those whose structure runs along
 * the shift, and they line up as well at the shift); a vehicle hides a region, and the tiles around
 * it still line up in place exactly, better than at any shift. `steady` counts those tiles. It
 * compares the tiles' detail (detailZncc: shading taken out), because a smooth ramp of light, such
 * as the glow leaking past a hand over the lens or the sky's gradient, lines up with any other ramp.
 */
import { downscalePlane } from '../sdk/vision/scale.js';
import { GRID_COLS, GRID_ROWS } from './measure.js';

/** Search range on the halved thumbnail: ±8 there is ±64 pixels of a 640-wide frame (10 % of its width). */
export const COARSE_RANGE = 8;
/** Tiles whose scores are averaged must be at least this many, and half the textured ones. */
const MIN_TILES = 3;
/** A tile is steady when its detail lines up in place this well: the same structure, give or take noise and passers-by. */
export const STEADY_MATCH = 0.8;
/** ...and, against a shift, lines up in place better than at the shift by this much (not an edge running along the shift). */
export const STEADY_MARGIN = 0.2;

/** The best shift: the current picture shows the reference moved by (dx, dy) thumbnail pixels. */
export interface ShiftMatch {
  dx: number;
  dy: number;
  /** Median tile ZNCC at that shift. */
  match: number;
  /** Tiles steady in place (see `steady`) that also line up in place better than at this shift by STEADY_MARGIN. */
  steady: number;
}

/** Matches thumbnails of one size against a reference thumbnail; see the file comment. */
export class ViewMatcher {
  readonly width: number;
  readonly height: number;
  readonly #cw: number;
  readonly #ch: number;
  readonly #curHalf: Uint8Array;
  readonly #refHalf: Uint8Array;
  readonly #scores: Float64Array;
  /** Each textured tile's detail score in place (NaN when flat), from the last matchInPlace. */
  readonly #detail: Float64Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.#cw = Math.ceil(width / 2);
    this.#ch = Math.ceil(height / 2);
    this.#curHalf = new Uint8Array(this.#cw * this.#ch);
    this.#refHalf = new Uint8Array(this.#cw * this.#ch);
    this.#scores = new Float64Array(GRID_COLS * GRID_ROWS);
    this.#detail = new Float64Array(GRID_COLS * GRID_ROWS);
  }

  /** Median ZNCC of the textured tiles (mask non-zero) with the current picture in place; NaN when none can be scored. */
  matchInPlace(cur: Uint8Array, ref: Uint8Array, textured: Uint8Array): number {
    const { width: w, height: h } = this;
    for (let r = 0; r < GRID_ROWS; r++) {
      const y0 = tileEdge(r, h, GRID_ROWS);
      const y1 = tileEdge(r + 1, h, GRID_ROWS);
      for (let c = 0; c < GRID_COLS; c++) {
        const t = r * GRID_COLS + c;
        this.#detail[t] = textured[t] ? detailZncc(cur, ref, w, tileEdge(c, w, GRID_COLS), tileEdge(c + 1, w, GRID_COLS), y0, y1, 0, 0) : NaN;
      }
    }
    return this.#median(cur, ref, w, h, 0, 0, textured);
  }

  /** After matchInPlace: how many of the textured tiles are steady, their detail lining up in place (score ≥ STEADY_MATCH). */
  steady(): number {
    let n = 0;
    for (let t = 0; t < this.#detail.length; t++) if (this.#detail[t]! >= STEADY_MATCH) n++;
    return n;
  }

  /** After matchInPlace on the same pictures: the shift within the search range that best lines the current picture up with the reference, or undefined. */
  findShift(cur: Uint8Array, ref: Uint8Array, textured: Uint8Array): ShiftMatch | undefined {
    downscalePlane(cur, this.width, this.height, this.width, 2, this.#curHalf);
    downscalePlane(ref, this.width, this.height, this.width, 2, this.#refHalf);
    let best = -Infinity;
    let bx = 0;
    let by = 0;
    for (let dy = -COARSE_RANGE; dy <= COARSE_RANGE; dy++) {
      for (let dx = -COARSE_RANGE; dx <= COARSE_RANGE; dx++) {
        const s = this.#mean(this.#curHalf, this.#refHalf, this.#cw, this.#ch, dx, dy, textured);
        if (s > best) [best, bx, by] = [s, dx, dy];
      }
    }
    if (best === -Infinity) return undefined;
    best = -Infinity;
    let fx = 0;
    let fy = 0;
    for (let dy = 2 * by - 2; dy <= 2 * by + 2; dy++) {
      for (let dx = 2 * bx - 2; dx <= 2 * bx + 2; dx++) {
        const s = this.#mean(cur, ref, this.width, this.height, dx, dy, textured);
        if (s > best) [best, fx, fy] = [s, dx, dy];
      }
    }
    if (best === -Infinity) return undefined;
    const match = this.#median(cur, ref, this.width, this.height, fx, fy, textured);
    return { dx: fx, dy: fy, match, steady: this.#steadyAgainst(cur, ref, fx, fy) };
  }

  /** How many steady tiles line up in place better than at (dx, dy) by STEADY_MARGIN; one that leaves the frame there does not count. */
  #steadyAgainst(cur: Uint8Array, ref: Uint8Array, dx: number, dy: number): number {
    const { width: w, height: h } = this;
    let n = 0;
    for (let r = 0; r < GRID_ROWS; r++) {
      for (let c = 0; c < GRID_COLS; c++) {
        const here = this.#detail[r * GRID_COLS + c]!;
        if (!(here >= STEADY_MATCH)) continue;
        const x0 = tileEdge(c, w, GRID_COLS);
        const x1 = tileEdge(c + 1, w, GRID_COLS);
        const y0 = tileEdge(r, h, GRID_ROWS);
        const y1 = tileEdge(r + 1, h, GRID_ROWS);
        if (x0 + dx < 0 || x1 + dx > w || y0 + dy < 0 || y1 + dy > h) continue;
        const there = detailZncc(cur, ref, w, x0, x1, y0, y1, dx, dy);
        // No detail at all at the shift (NaN) explains the tile no better.
        if (Number.isNaN(there) || here - there >= STEADY_MARGIN) n++;
      }
    }
    return n;
  }

  /** Mean tile score at (dx, dy), -Infinity when too few tiles stay inside the frame. */
  #mean(cur: Uint8Array, ref: Uint8Array, w: number, h: number, dx: number, dy: number, textured: Uint8Array): number {
    const n = this.#scoreTiles(cur, ref, w, h, dx, dy, textured);
    if (n === 0) return -Infinity;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.#scores[i]!;
    return sum / n;
  }

  #median(cur: Uint8Array, ref: Uint8Array, w: number, h: number, dx: number, dy: number, textured: Uint8Array): number {
    const n = this.#scoreTiles(cur, ref, w, h, dx, dy, textured);
    if (n === 0) return NaN;
    return median(this.#scores, n);
  }

  /** Scores the textured tiles that stay inside the frame at (dx, dy) into #scores; returns how many, 0 if too few. */
  #scoreTiles(cur: Uint8Array, ref: Uint8Array, w: number, h: number, dx: number, dy: number, textured: Uint8Array): number {
    let n = 0;
    let wanted = 0;
    for (let r = 0; r < GRID_ROWS; r++) {
      const y0 = tileEdge(r, h, GRID_ROWS);
      const y1 = tileEdge(r + 1, h, GRID_ROWS);
      for (let c = 0; c < GRID_COLS; c++) {
        if (!textured[r * GRID_COLS + c]) continue;
        wanted++;
        const x0 = tileEdge(c, w, GRID_COLS);
        const x1 = tileEdge(c + 1, w, GRID_COLS);
        if (x0 + dx < 0 || x1 + dx > w || y0 + dy < 0 || y1 + dy > h) continue;
        const s = zncc(cur, ref, w, x0, x1, y0, y1, dx, dy);
        // A tile flat in the current picture (a cover, a blank wall moved into it) matches nothing.
        this.#scores[n++] = Number.isNaN(s) ? 0 : s;
      }
    }
    return n >= MIN_TILES && 2 * n >= wanted ? n : 0;
  }
}

/**
 * ZNCC of ref's window [x0, x1) × [y0, y1) with cur's window moved by (dx, dy), both `w` wide;
 * NaN when either window is flat.
 */
export function zncc(cur: Uint8Array, ref: Uint8Array, w: number, x0: number, x1: number, y0: number, y1: number, dx: number, dy: number): number {
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let y = y0; y < y1; y++) {
    let i = y * w + x0;
    let j = (y + dy) * w + x0 + dx;
    for (let x = x0; x < x1; x++, i++, j++) {
      const a = ref[i]!;
      const b = cur[j]!;
      sa += a;
      sb += b;
      saa += a * a;
      sbb += b * b;
      sab += a * b;
    }
  }
  const n = (x1 - x0) * (y1 - y0);
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  // Under one luma step of spread per pixel there is nothing to line up.
  if (va < n || vb < n) return NaN;
  return (sab - (sa * sb) / n) / Math.sqrt(va * vb);
}

/**
 * As zncc, but of the windows' detail: each window's best-fitting plane (its mean and its linear
 * ramps across x and y) is taken out first, so shading alone (a gradient of light, the glow leaking
 * past a hand) lines up with nothing, and only the structure within the window counts. NaN when
 * either window has under one luma step of detail per pixel.
 */
export function detailZncc(cur: Uint8Array, ref: Uint8Array, w: number, x0: number, x1: number, y0: number, y1: number, dx: number, dy: number): number {
  const nx = x1 - x0;
  const ny = y1 - y0;
  const n = nx * ny;
  // Centred coordinates: 1, x and y are then orthogonal over the window, and the plane's three
  // parts come off one at a time.
  const cx = (nx - 1) / 2;
  const cy = (ny - 1) / 2;
  let sa = 0;
  let sb = 0;
  let say = 0;
  let sby = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let sax = 0;
  let sbx = 0;
  for (let y = y0; y < y1; y++) {
    // Row by row: the means and the y ramps need only each row's sums.
    let rowA = 0;
    let rowB = 0;
    for (let x = x0, i = y * w + x0, j = (y + dy) * w + x0 + dx; x < x1; x++, i++, j++) {
      const xc = x - x0 - cx;
      const va = ref[i]!;
      const vb = cur[j]!;
      rowA += va;
      rowB += vb;
      saa += va * va;
      sbb += vb * vb;
      sab += va * vb;
      sax += va * xc;
      sbx += vb * xc;
    }
    const yc = y - y0 - cy;
    sa += rowA;
    sb += rowB;
    say += rowA * yc;
    sby += rowB * yc;
  }
  // Σ xc² and Σ yc² over the window.
  const sxx = (n * (nx * nx - 1)) / 12;
  const syy = (n * (ny * ny - 1)) / 12;
  const va = saa - (sa * sa) / n - (sax * sax) / sxx - (say * say) / syy;
  const vb = sbb - (sb * sb) / n - (sbx * sbx) / sxx - (sby * sby) / syy;
  if (va < n || vb < n) return NaN;
  return (sab - (sa * sb) / n - (sax * sbx) / sxx - (say * sby) / syy) / Math.sqrt(va * vb);
}

/** The first pixel of tile `i` of `n` across `size` pixels (i = n: the end). */
function tileEdge(i: number, size: number, n: number): number {
  return Math.floor((i * size) / n);
}

/** Median of the first n values of `a` (sorted in place). */
export function median(a: Float64Array, n: number): number {
  const s = a.subarray(0, n).sort();
  return n % 2 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
}
