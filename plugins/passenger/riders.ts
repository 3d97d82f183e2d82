/**
 * Who rides which motorbike, from one frame's boxes (pixels). A detector boxes a seated rider from
 * head to where the legs end, on the footrests or dangling beside the wheels; the motorbike's box
 * spans the wheels and the handlebar. So a rider's box stands over the motorbike's (most of its width
 * within the motorbike's columns) and ends inside the motorbike's height, below its top part.
 *
 * Geometry alone cannot tell a rider from a pedestrian at the same depth right beside the motorbike
 * (both feet end at the wheels' row): motion does. The plugin counts only motorbikes under way, and a
 * rider must have been at the same place on the motorbike in its previous frame (`heldPlace`): seen
 * from the motorbike, its riders stand still and a passer-by slides past at the difference of speeds.
 * People are not tracked on their own: riders overlap each other by most of their width and move
 * about their own width between frames at 5 fps, so a tracker's identities hop from rider to rider.
 */
import { bottomCentre, type Box, type Point } from '../sdk/index.js';

/** Share of a person's width that must lie within the motorbike's columns. */
export const MIN_WIDTH_OVERLAP = 0.5;
/**
 * Where a rider's box may end, as shares of the motorbike's height from its top: below its top 30 %
 * (a child sitting on the tank ends near the middle; someone farther away, whose feet end above the
 * motorbike, is not on it) and at most 15 % below its bottom (box jitter, legs dangling by the wheels).
 */
export const BOTTOM_FROM = 0.3;
export const BOTTOM_TO = 1.15;
/**
 * A rider's box height against the motorbike's: a seated adult's box is 1–2 times it; a box under
 * half of it is a fragment (a helmet, a bag), one over 3 times is someone near the camera in front.
 */
export const MIN_HEIGHT_RATIO = 0.5;
export const MAX_HEIGHT_RATIO = 3;
/**
 * How far a rider may slide on the motorbike between two of its frames: a share of the distance the
 * motorbike travelled meanwhile (a pedestrian walking past, even the same way, falls behind a
 * motorbike under way by more), and at least JITTER of the motorbike's box height (a detector's boxes
 * wobble by that much from frame to frame, which matters for a slow motorbike).
 */
export const MAX_DRIFT = 0.5;
export const JITTER = 0.2;

/** How well `person` sits on `bike`: the share of its width within the motorbike's columns, or 0 when it cannot be a rider. */
export function riderOverlap(person: Box, bike: Box): number {
  const overlap = Math.min(person.x + person.w, bike.x + bike.w) - Math.max(person.x, bike.x);
  if (!(person.w > 0 && bike.h > 0) || overlap <= 0) return 0;
  const share = overlap / person.w;
  if (share < MIN_WIDTH_OVERLAP) return 0;
  const bottom = (person.y + person.h - bike.y) / bike.h;
  if (bottom < BOTTOM_FROM || bottom > BOTTOM_TO) return 0;
  const ratio = person.h / bike.h;
  if (ratio < MIN_HEIGHT_RATIO || ratio > MAX_HEIGHT_RATIO) return 0;
  return share;
}

/**
 * The riders of each motorbike: `riders[i]` lists the indices in `people` assigned to `bikes[i]`.
 * Each person goes to at most one motorbike, the one it overlaps best (the nearer centre on a tie), so
 * two motorbikes side by side do not share riders. `accepts(person, bike)` may veto a pair (motion).
 */
export function assignRiders(bikes: readonly Box[], people: readonly Box[], accepts: (person: number, bike: number) => boolean = () => true): number[][] {
  const riders: number[][] = bikes.map(() => []);
  people.forEach((p, pi) => {
    let best = -1;
    let bestShare = 0;
    let bestOffset = Infinity;
    bikes.forEach((b, bi) => {
      const share = riderOverlap(p, b);
      if (share === 0) return;
      const offset = Math.abs(p.x + p.w / 2 - (b.x + b.w / 2));
      if (share > bestShare || (share === bestShare && offset < bestOffset)) {
        best = bi;
        bestShare = share;
        bestOffset = offset;
      }
    });
    // The veto applies to the best motorbike only: a pedestrian beside one motorbike is not handed to the next.
    if (best >= 0 && accepts(pi, best)) riders[best]!.push(pi);
  });
  return riders;
}

/** A motorbike's previous frame: its box then, and every person box of that frame. */
export interface PreviousFrame {
  bike: Box;
  people: readonly Box[];
}

/**
 * Whether a person seen at `person` on a motorbike at `bike` was at the same place on it in its
 * previous frame, `travelled` pixels ago (see MAX_DRIFT, JITTER). Places are bottom-centres relative
 * to the motorbike's bottom-centre. Someone just come into view is not a rider yet: the next frame decides.
 */
export function heldPlace(person: Box, bike: Box, previous: PreviousFrame, travelled: number): boolean {
  const place = (p: Box, on: Box): Point => {
    const [a, b] = [bottomCentre(p), bottomCentre(on)];
    return [a[0] - b[0], a[1] - b[1]];
  };
  const [x, y] = place(person, bike);
  const tolerance = Math.max(MAX_DRIFT * travelled, JITTER * bike.h);
  return previous.people.some((q) => {
    const [qx, qy] = place(q, previous.bike);
    return Math.hypot(qx - x, qy - y) <= tolerance;
  });
}
