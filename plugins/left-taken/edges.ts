/**
 * Left or taken: the edge energy along a changed region's contour, in the picture of what stands
 * there now (DualBackground.still) against the long-term background (after the contour test of
 * Porikli et al. and of Tian, Feris & Hampapur, "Real-time detection of abandoned and removed
 * objects in complex environments", 2008). An object has an outline: where one has been put down,
 * its outline is in the frame now and was not in the background; where one has been taken away, the
 * background has the outline and the frame now shows the plain ground that was under it. A change
 * with no outline on either side — a patch of light, a shadow edge that slid, a wet spot — is neither
 * and is not reported.
 *
 * The contour is a band two cells wide: the region's cells that touch a cell outside it and the
 * outside cells that touch the region (4-neighbours), so the step between object and ground is
 * measured whichever side of it the mask boundary fell. Gradients are Sobel on the grid (the cells'
 * spacing), magnitude divided by 4 so that a step of H levels between two cells reads H.
 */
import type { Box } from '../sdk/index.js';

/** Mean gradient magnitude along a contour, now and in the long-term background, and the band's size. */
export interface ContourEdges {
  current: number;
  background: number;
  cells: number;
}

/** What a static region is: an object left, or one taken away. */
export type StaticChange = 'left' | 'removed';

/** Sobel magnitude / 4 of a gw × gh image at interior cell (x, y). */
function gradient(img: ArrayLike<number>, gw: number, x: number, y: number): number {
  const p = y * gw + x;
  const a = img[p - gw - 1]!;
  const b = img[p - gw]!;
  const c = img[p - gw + 1]!;
  const d = img[p - 1]!;
  const f = img[p + 1]!;
  const g = img[p + gw - 1]!;
  const h = img[p + gw]!;
  const i = img[p + gw + 1]!;
  const gx = c + 2 * f + i - a - 2 * d - g;
  const gy = g + 2 * h + i - a - 2 * b - c;
  return Math.sqrt(gx * gx + gy * gy) / 4;
}

/**
 * Edge energy along the contour of component `label` of `labels` (gw × gh grid) whose box in cells is
 * `box`, in `current` and `background` (gw × gh images); see the file comment. Cells on the grid's
 * border have no Sobel neighbourhood and are left out.
 */
export function contourEdges(current: ArrayLike<number>, background: ArrayLike<number>, labels: Int32Array, gw: number, gh: number, label: number, box: Box): ContourEdges {
  const x0 = Math.max(1, box.x - 1);
  const y0 = Math.max(1, box.y - 1);
  const x1 = Math.min(gw - 2, box.x + box.w);
  const y1 = Math.min(gh - 2, box.y + box.h);
  let now = 0;
  let before = 0;
  let cells = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = y * gw + x;
      const inside = labels[p] === label;
      const touches = (labels[p - 1] === label) !== inside || (labels[p + 1] === label) !== inside ||
        (labels[p - gw] === label) !== inside || (labels[p + gw] === label) !== inside;
      if (!touches) continue;
      now += gradient(current, gw, x, y);
      before += gradient(background, gw, x, y);
      cells++;
    }
  }
  return cells === 0 ? { current: 0, background: 0, cells } : { current: now / cells, background: before / cells, cells };
}

/**
 * 'left' when the contour is at least `ratio` times and `minEdge` levels stronger now than in the
 * background, 'removed' the other way round, undefined when neither side has an outline to speak of.
 */
export function decideChange(e: ContourEdges, ratio: number, minEdge: number): StaticChange | undefined {
  if (e.current >= ratio * e.background && e.current - e.background >= minEdge) return 'left';
  if (e.background >= ratio * e.current && e.background - e.current >= minEdge) return 'removed';
  return undefined;
}
