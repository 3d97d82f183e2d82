/**
 * A blob's own vehicle when a farther vehicle pokes above it. Seen from a pole down the road, the
 * vehicle behind a truck (or the one ahead of a truck driving away) shows above the truck's roof, and
 * the lane next to it can show there too: the blob is the truck plus a narrower cap, and its box
 * grows to a bus's. The silhouette of one box-shaped vehicle is convex, so its width per image row
 * changes smoothly from its top down (a long roof seen at an angle widens gradually); a cap of other
 * vehicles is narrower than the roof edge it stands on, and the width steps up where that roof begins.
 *
 * `ownTop` finds that step in the foreground rows of a box and returns the box without the cap; a box
 * whose width has no such step comes back as it was.
 */
import type { Box } from './types.js';

/** A grid mask's cell size and dimensions (BlobDetector.gridFor). */
export interface MaskGrid {
  step: number;
  width: number;
  height: number;
}

/** The body starts at a row at least this share of the widest of the rows below it, down to twice its depth... */
const BODY_MIN = 0.5;
/** ...with every row above it at most this share of it. */
const CAP_MAX = 0.65;
/** The cap is at least this many rows and at most this share of the box's rows. */
const CAP_MIN_ROWS = 2;
const CAP_MAX_SHARE = 0.6;

/**
 * The cells of one component of a labelled grid (ConnectedComponents.labels), where `root` maps
 * labels that were merged (BlobDetector's rejoin across lane cuts) to the label kept.
 */
export interface OwnCells {
  labels: Int32Array;
  root?: Int32Array;
  label: number;
}

function owns(fg: Uint8Array, k: number, only: OwnCells | undefined): boolean {
  if (fg[k] === 0) return false;
  if (only === undefined) return true;
  const l = only.labels[k]!;
  return (only.root !== undefined && l > 0 ? only.root[l]! : l) === only.label;
}

/** The grid cells a pixel box covers, clamped to the grid: columns x0..x1 and rows y0..y1, inclusive. */
export function cellsOf(box: Box, grid: MaskGrid): { x0: number; x1: number; y0: number; y1: number } {
  const { step, width: gw, height: gh } = grid;
  return {
    x0: Math.max(0, Math.floor(box.x / step)),
    x1: Math.min(gw - 1, Math.ceil((box.x + box.w) / step) - 1),
    y0: Math.max(0, Math.floor(box.y / step)),
    y1: Math.min(gh - 1, Math.ceil((box.y + box.h) / step) - 1),
  };
}

/** Foreground cells per row, reused between calls. */
let counts = new Int32Array(256);

/**
 * `box` (pixels) with its top moved down to where the vehicle's own roof begins when the rows above
 * are a narrower cap (see the file comment); `fg` is the foreground on `grid`, non-zero = foreground.
 * With `only`, the cells of other blobs that reach into the box (a car in the next lane) are not counted.
 */
export function ownTop(fg: Uint8Array, grid: MaskGrid, box: Box, only?: OwnCells): Box {
  const { step, width: gw } = grid;
  const { x0, x1, y0, y1 } = cellsOf(box, grid);
  const rows = y1 - y0 + 1;
  if (rows < 2 * CAP_MIN_ROWS + 2 || x1 < x0) return box;
  if (counts.length < rows) counts = new Int32Array(2 * rows);
  for (let r = 0; r < rows; r++) {
    const row = (y0 + r) * gw;
    let n = 0;
    for (let x = x0; x <= x1; x++) if (owns(fg, row + x, only)) n++;
    counts[r] = n;
  }
  // The lowest row of the upper part that is body-wide while everything above it is narrow next to
  // the rows it starts: the roof's first row (a gradual widening never steps up this much). The roof
  // edge can take a row or two to reach its width, so the rows it starts are the next three.
  let top = 0;
  let above = counts[0]!;
  const last = Math.min(Math.floor(rows * CAP_MAX_SHARE), rows - 3);
  for (let r = 1; r <= last; r++) {
    const n = counts[r]!;
    const body = Math.max(n, counts[r + 1]!, counts[r + 2]!);
    // The body's width is judged next to its own nearby rows, not the box's widest: a long vehicle
    // near the camera widens a lot towards its near end, and its far roof edge is under half that.
    let near = 0;
    for (let k = r; k < rows && k <= 2 * r; k++) if (counts[k]! > near) near = counts[k]!;
    if (r >= CAP_MIN_ROWS && n > above && n >= BODY_MIN * near && above <= CAP_MAX * body) top = r;
    if (n > above) above = n;
  }
  if (top === 0) return box;
  const y = (y0 + top) * step;
  return { x: box.x, y, w: box.w, h: box.y + box.h - y };
}

/**
 * The cap that `ownTop` cut off `box` (pixels), as a box of its own: the foreground cells of `fg` in
 * the rows above `bodyTop` (pixels) and within the box's columns, with `fill` its cells' share of
 * that box and `cells` their number. Undefined when those rows hold no foreground. `only` as for ownTop.
 */
export function capOf(fg: Uint8Array, grid: MaskGrid, box: Box, bodyTop: number, only?: OwnCells): { box: Box; fill: number; cells: number } | undefined {
  const { step, width: gw, height: gh } = grid;
  const { x0, x1, y0 } = cellsOf(box, grid);
  const y1 = Math.min(gh - 1, Math.floor(bodyTop / step) - 1);
  let cx0 = gw, cx1 = -1, cy0 = gh, cy1 = -1, n = 0;
  for (let y = y0; y <= y1; y++) {
    const row = y * gw;
    for (let x = x0; x <= x1; x++) {
      if (!owns(fg, row + x, only)) continue;
      n++;
      if (x < cx0) cx0 = x;
      if (x > cx1) cx1 = x;
      if (y < cy0) cy0 = y;
      if (y > cy1) cy1 = y;
    }
  }
  if (n === 0) return undefined;
  const cells = (cx1 - cx0 + 1) * (cy1 - cy0 + 1);
  return { box: { x: cx0 * step, y: cy0 * step, w: (cx1 - cx0 + 1) * step, h: (cy1 - cy0 + 1) * step }, fill: n / cells, cells: n };
}
