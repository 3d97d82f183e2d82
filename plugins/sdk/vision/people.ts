/**
 * People walking together make one foreground blob: two side by side, a family, a group crossing a
 * plaza. The blob detector cannot tell, and a track that holds two people loses one of them (never
 * reported, or reported twice when they part under new ids). Seen from above head height, people
 * side by side still show as separate heads: the top edge of the blob dips between two heads to
 * shoulder height or lower, where a vehicle's roof line is convex (no dip with higher ground on both
 * sides). `splitPeople` cuts a blob wider than a person at those dips, with the size a person has
 * where the blob stands (through the calibrated camera), so that each piece is one person.
 *
 * Only blobs that could be people are looked at: their top edge stands at most `maxHeightM` above
 * where they stand (a car's or a bus's measured height, which takes in its far end, is more), and
 * each piece must reach `minPeak` of a person's height in the image (the bag or the arm beside a
 * person is no one).
 */
import type { Point } from '../types.js';
import type { RoadCamera } from './calibration.js';
import { cellsOf, type MaskGrid } from './profile.js';
import type { Box } from './types.js';

/** What splitPeople needs of the camera: projection and the ground under an image point. */
export interface PeopleCamera {
  cam: RoadCamera;
  toGround: (p: Point) => [number, number] | undefined;
}

/** Settings of splitPeople; the defaults are those of an adult seen from a pole or a building. */
export interface SplitOptions {
  /** A person's height, metres: their size in the image where the blob stands. Default 1.7. */
  personHeightM: number;
  /** Width of one person's box on the ground, metres (shoulders, arms swinging). Default 0.6. */
  personWidthM: number;
  /** Blobs whose top stands higher than this above their foot (metres) are not people. Default 2.4. */
  maxHeightM: number;
  /** Blobs narrower than this many person widths are one person. Default 1.5. */
  minWidths: number;
  /** A cut needs the top edge to dip by this share of a person's image height below the lower of the peaks either side. Default 0.15. */
  minDip: number;
  /** Each piece's highest column reaches this share of a person's image height. Default 0.6. */
  minPeak: number;
}

/** Default split settings (see SplitOptions). */
export const DEFAULT_SPLIT: Readonly<SplitOptions> = Object.freeze({
  personHeightM: 1.7,
  personWidthM: 0.6,
  maxHeightM: 2.4,
  minWidths: 1.5,
  minDip: 0.15,
  minPeak: 0.6,
});

/** Foreground cells per grid column of a box, reused between calls. */
let columnHeight = new Int32Array(256);

/**
 * The boxes of the people in a blob (pixels): the blob's own box when it is one person, not a
 * person-sized blob at all, or shows no head-to-head dips; otherwise one box per piece, each spanning
 * its columns' foreground. `mask` is the background model's mask (255 foreground) and `fg` the blob
 * detector's cleaned foreground, both on `grid`: the dips are measured on the mask, since the
 * closing that makes a person one blob also fills the gap between two heads.
 */
export function splitPeople(box: Box, mask: Uint8Array, fg: Uint8Array, grid: MaskGrid, camera: PeopleCamera, opts: Readonly<SplitOptions> = DEFAULT_SPLIT): Box[] {
  const { cam, toGround } = camera;
  const footY = box.y + box.h;
  const footX = box.x + box.w / 2;
  const g = toGround([footX, footY]);
  if (!g) return [box];
  const head = cam.project(g[0], g[1], opts.personHeightM);
  const top = cam.project(g[0], g[1], opts.maxHeightM);
  if (!head || !top || box.y < top[1]) return [box];
  // Pixels per metre across the image at the foot row: the ground distance of a short horizontal step.
  const side = toGround([footX + 10, footY]);
  if (!side) return [box];
  const pxPerM = 10 / Math.hypot(side[0] - g[0], side[1] - g[1]);
  const personPx = opts.personWidthM * pxPerM;
  if (box.w < opts.minWidths * personPx) return [box];
  const { x0, x1, y0, y1 } = cellsOf(box, grid);
  const n = x1 - x0 + 1;
  if (n < 3) return [box];
  if (columnHeight.length < n) columnHeight = new Int32Array(2 * n);
  const gw = grid.width;
  for (let c = 0; c < n; c++) {
    let h = 0;
    for (let gy = y0, k = y0 * gw + x0 + c; gy <= y1; gy++, k += gw) if (mask[k] === 255) h++;
    columnHeight[c] = h;
  }
  const personCells = (footY - head[1]) / grid.step;
  const widthCells = personPx / grid.step;
  const cuts: number[] = [];
  splitRange(0, n - 1, personCells, widthCells, opts, cuts);
  if (cuts.length === 0) return [box];
  cuts.sort((a, b) => a - b);
  const out: Box[] = [];
  let from = 0;
  for (const cut of [...cuts, n]) {
    const piece = pieceBox(fg, grid, x0 + from, x0 + cut - 1, y0, y1);
    if (piece) out.push(piece);
    from = cut + 1;
  }
  return out.length > 1 ? out : [box];
}

/**
 * Cuts columns lo..hi (of columnHeight) at the deepest dip of the top edge between two person-high
 * peaks, then each side again; `cuts` collects the cut columns (each cut column belongs to neither side).
 */
function splitRange(lo: number, hi: number, personCells: number, widthCells: number, opts: Readonly<SplitOptions>, cuts: number[]): void {
  if (hi - lo + 1 < opts.minWidths * widthCells) return;
  // A piece is at least 0.4 of a person wide: a head and shoulders.
  const margin = Math.max(1, Math.round(0.4 * widthCells));
  let best = -1;
  let bestDip = opts.minDip * personCells;
  let runEnd = -1;
  for (let c = lo + margin; c <= hi - margin; c++) {
    const dip = dipAt(c, lo, hi, personCells, opts);
    if (dip > bestDip) [best, bestDip, runEnd] = [c, dip, c];
    else if (dip === bestDip && runEnd === c - 1) runEnd = c;
  }
  if (best < 0) return;
  // Between two people standing shoulder to shoulder the dip is a flat run (the shoulders): cut at its middle.
  best = (best + runEnd) >> 1;
  cuts.push(best);
  splitRange(lo, best - 1, personCells, widthCells, opts, cuts);
  splitRange(best + 1, hi, personCells, widthCells, opts, cuts);
}

/** How far column c's height is below the lower of the highest columns either side of it (lo..hi); -1 when either side is not person-high. */
function dipAt(c: number, lo: number, hi: number, personCells: number, opts: Readonly<SplitOptions>): number {
  let left = 0;
  let right = 0;
  for (let k = lo; k < c; k++) if (columnHeight[k]! > left) left = columnHeight[k]!;
  for (let k = c + 1; k <= hi; k++) if (columnHeight[k]! > right) right = columnHeight[k]!;
  if (Math.min(left, right) < opts.minPeak * personCells) return -1;
  return Math.min(left, right) - columnHeight[c]!;
}

/** The pixel box of the foreground in grid columns cx0..cx1 and rows y0..y1; undefined when empty. */
function pieceBox(fg: Uint8Array, grid: MaskGrid, cx0: number, cx1: number, y0: number, y1: number): Box | undefined {
  const gw = grid.width;
  let minX = Infinity, maxX = -1, minY = Infinity, maxY = -1;
  for (let gy = y0; gy <= y1; gy++) {
    for (let gx = cx0; gx <= cx1; gx++) {
      if (fg[gy * gw + gx] === 0) continue;
      if (gx < minX) minX = gx;
      if (gx > maxX) maxX = gx;
      if (gy < minY) minY = gy;
      if (gy > maxY) maxY = gy;
    }
  }
  if (maxX < 0) return undefined;
  const s = grid.step;
  return { x: minX * s, y: minY * s, w: (maxX - minX + 1) * s, h: (maxY - minY + 1) * s };
}

/** Settings of joinStacked. */
export interface JoinOptions {
  /** A blob whose top stands lower than this above its own foot (metres) is no whole person. Default 1.0. */
  shortM: number;
  /** The joined box's top stands at most this above the lower blob's foot, metres. Default 2.1. */
  maxHeightM: number;
  /** The joined box is at most this wide on the ground at the lower blob's foot, metres. Default 1.0. */
  maxWidthM: number;
}

/** Default join settings (see JoinOptions). */
export const DEFAULT_JOIN: Readonly<JoinOptions> = Object.freeze({ shortM: 1.0, maxHeightM: 2.1, maxWidthM: 1.0 });

/**
 * Detections whose blobs are pieces of one person, joined (the lower one takes the joined box). A person whose clothes match the ground behind them
 * falls apart in the foreground into a dark head above and legs below, with nothing between: the
 * head alone is a blob too short to be anyone where it stands, and read as a person it stands on
 * ground far behind (a phantom, which takes the walker over when their legs are lost). A blob too
 * short for a person (`shortM` at its own foot) sitting over another one, overlapping it by half
 * the narrower's width, is joined to it when the two together still make one person standing
 * where the lower one does (`maxHeightM`, `maxWidthM`). A far person just above a near one's head
 * is whole, not short, and stays apart; so do a car and a head beside its roof (too tall together).
 * Items `held` (a blob over a moving vehicle) are neither joined nor joined to.
 */
export function joinStacked<T extends { box: Box }>(items: readonly T[], camera: PeopleCamera, held: (item: T) => boolean = () => false, opts: Readonly<JoinOptions> = DEFAULT_JOIN): T[] {
  if (items.length < 2) return [...items];
  const { cam, toGround } = camera;
  const out = [...items];
  const gone = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) if (held(out[i]!)) gone[i] = 2;
  for (let i = 0; i < out.length; i++) {
    const a = out[i]!.box;
    if (gone[i] || !isShort(a, camera, opts.shortM)) continue;
    for (let j = 0; j < out.length; j++) {
      const b = out[j]!.box;
      if (j === i || gone[j] || b.y <= a.y || a.y + a.h > b.y + b.h / 2) continue;
      const overlap = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      if (overlap < 0.5 * Math.min(a.w, b.w)) continue;
      const x0 = Math.min(a.x, b.x);
      const x1 = Math.max(a.x + a.w, b.x + b.w);
      const footY = b.y + b.h;
      const g = toGround([(x0 + x1) / 2, footY]);
      const left = toGround([x0, footY]);
      const right = toGround([x1, footY]);
      const top = g && cam.project(g[0], g[1], opts.maxHeightM);
      if (!top || !left || !right || a.y < top[1] || Math.hypot(right[0] - left[0], right[1] - left[1]) > opts.maxWidthM) continue;
      out[j] = { ...out[j]!, box: { x: x0, y: a.y, w: x1 - x0, h: footY - a.y } };
      gone[i] = 1;
      break;
    }
  }
  return out.filter((_, k) => gone[k] !== 1);
}

/** Whether a box's top stands lower than `shortM` above the ground under its bottom centre. */
function isShort(b: Box, camera: PeopleCamera, shortM: number): boolean {
  const g = camera.toGround([b.x + b.w / 2, b.y + b.h]);
  const head = g && camera.cam.project(g[0], g[1], shortM);
  return head !== undefined && b.y > head[1];
}
