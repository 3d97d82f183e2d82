/**
 * From candidate cells to sites: the connected regions of static-region evidence (DualBackground
 * candidates, closed by one cell so an object's pieces join), measured, and followed from frame to
 * frame as sites, each the place of one object left or taken.
 *
 * A region's age is the median onset of its cells: robust to the few cells a passer-by or the
 * owner's own legs darkened a moment before the object was put down. A site keeps what must survive
 * the region changing shape from frame to frame: its 'before' evidence frame, and whether it has
 * been reported, so an object reported once is not reported again while it stays, whether it
 * breaks into pieces as the long-term background learns it or a passer-by splits it for a moment.
 * Regions and sites are paired one to one, best IoU first, among pairs whose boxes overlap by at
 * least MATCH_SHARE of the smaller box; a region left over that overlaps a site is another piece of
 * it (it keeps the site alive but does not start one of its own), as is one within PIECE_GAP cells
 * of a site's box (before or after this frame's update).
 */
import { iou, type Box, type ConnectedComponents, type FrameCopy } from '../sdk/index.js';
import type { StaticChange } from './edges.js';

/** A region's box must overlap a site's by this share of the smaller of the two to be that site. */
const MATCH_SHARE = 0.3;
/** Most sites followed at once (each may hold a frame copy). */
export const MAX_SITES = 24;

/** One connected region of candidate cells in one frame; box in grid cells. */
export interface Region {
  /** Its label in the components' labels. */
  label: number;
  /** Cells. */
  area: number;
  box: Box;
  /** Median onset of its cells, epoch ms. */
  onsetMs: number;
  /** Share of its cells that are candidates in view now (not covered by someone moving). */
  visibleShare: number;
  /** Share of its cells whose change has been reported already (DualBackground.spent). */
  spentShare: number;
}

/** One place where something was left or taken, followed over frames. */
export interface Site {
  readonly id: number;
  /** The region that is this site in the current frame, or undefined when none was. */
  region: Region | undefined;
  /** Box in grid cells where it was last seen; once reported, where it was reported. */
  box: Box;
  /** When it changed (its region's median onset when last seen), epoch ms. */
  onsetMs: number;
  lastSeenMs: number;
  /** What it was reported as, once reported. */
  reported: StaticChange | undefined;
  /** The frame from just before it changed, taken when the site was found (moved to the host when reported). */
  before: FrameCopy | undefined;
}

/**
 * The regions of the components labelled in `cc` with at least `minArea` cells: box, median onset
 * of the cells with one (`onset` 0 = none: a cell the closing added), shares of visible and spent cells.
 * `scratch` holds one onset per cell (grid size) and is overwritten.
 */
export function measureRegions(cc: ConnectedComponents, onset: Float64Array, visible: Uint8Array, spent: Uint8Array, minArea: number, scratch: Float64Array): Region[] {
  const out: Region[] = [];
  const gw = cc.width;
  for (let l = 1; l <= cc.count; l++) {
    const area = cc.area[l]!;
    if (area < minArea) continue;
    const x0 = cc.minX[l]!;
    const y0 = cc.minY[l]!;
    const x1 = cc.maxX[l]!;
    const y1 = cc.maxY[l]!;
    let n = 0;
    let seen = 0;
    let used = 0;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0, p = y * gw + x0; x <= x1; x++, p++) {
        if (cc.labels[p] !== l) continue;
        if (onset[p]! > 0) scratch[n++] = onset[p]!;
        if (visible[p] !== 0) seen++;
        if (spent[p] !== 0) used++;
      }
    }
    if (n === 0) continue;
    const sorted = scratch.subarray(0, n).sort();
    out.push({ label: l, area, box: { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, onsetMs: sorted[n >> 1]!, visibleShare: seen / area, spentShare: used / area });
  }
  return out;
}

/** Pieces of one object at most this many cells apart (an object and the patch its shadow left) belong together. */
const PIECE_GAP = 2;

/** Whether two boxes are at most PIECE_GAP cells apart. */
function near(a: Box, b: Box): boolean {
  const g = PIECE_GAP + 1;
  return a.x - g < b.x + b.w && b.x - g < a.x + a.w && a.y - g < b.y + b.h && b.y - g < a.y + a.h;
}

/** Overlap of two boxes as a share of the smaller one's area. */
function overlapShare(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.w * a.h, b.w * b.h);
}

/** Follows sites over frames; see the file comment. */
export class SiteTracker {
  readonly #sites: Site[] = [];
  readonly #forgetMs: number;
  #nextId = 1;

  /** `forgetMs`: a site not seen for longer than this is gone (the object was taken, or learnt). */
  constructor(forgetMs: number) {
    this.#forgetMs = forgetMs;
  }

  /** The sites followed now. */
  get sites(): readonly Site[] {
    return this.#sites;
  }

  /**
   * Assigns this frame's regions to sites, starting new sites for regions that overlap none, and
   * drops sites unseen for longer than forgetMs. Returns the sites started and the sites dropped.
   */
  update(regions: readonly Region[], nowMs: number): { created: Site[]; dropped: Site[] } {
    const created: Site[] = [];
    const sites = this.#sites;
    for (const s of sites) s.region = undefined;
    // One region per site, best fitting pairs first (by IoU: a piece inside a large region overlaps
    // the site entirely either way), so a site keeps its own object when a passer-by's region
    // touches it; regions left over that overlap a site are more pieces of it.
    const pairs: { r: Region; s: Site; iou: number }[] = [];
    for (const r of regions) for (const s of sites) if (overlapShare(r.box, s.box) >= MATCH_SHARE) pairs.push({ r, s, iou: iou(r.box, s.box) });
    pairs.sort((a, b) => b.iou - a.iou);
    const taken = new Set<Region>();
    const before = new Map(sites.map((s) => [s, s.box]));
    for (const { r, s } of pairs) {
      s.lastSeenMs = nowMs;
      if (s.region || taken.has(r)) continue;
      s.region = r;
      // A reported object does not move: its box stays where it was reported, so that a passer-by's
      // region crossing it cannot carry the site away from the object.
      if (!s.reported) {
        s.box = r.box;
        s.onsetMs = r.onsetMs;
      }
      taken.add(r);
    }
    // The rest, largest first: a piece of a site (one started this frame too), or a new site.
    const rest = regions.filter((r) => !taken.has(r)).sort((a, b) => b.area - a.area);
    for (const r of rest) {
      if (sites.some((s) => near(r.box, s.box) || near(r.box, before.get(s) ?? s.box))) continue;
      if (sites.length >= MAX_SITES) continue;
      const site: Site = { id: this.#nextId++, region: r, box: r.box, onsetMs: r.onsetMs, lastSeenMs: nowMs, reported: undefined, before: undefined };
      sites.push(site);
      created.push(site);
    }
    const dropped: Site[] = [];
    for (let i = this.#sites.length - 1; i >= 0; i--) {
      const s = this.#sites[i]!;
      if (nowMs - s.lastSeenMs > this.#forgetMs) {
        dropped.push(s);
        this.#sites.splice(i, 1);
      }
    }
    return { created, dropped };
  }

  /** Whether `site`'s region is near another site already reported (a piece of an object reported once). */
  overlapsReported(site: Site): boolean {
    const box = site.region?.box ?? site.box;
    return this.#sites.some((s) => s !== site && s.reported !== undefined && near(box, s.box));
  }

  /** The unreported sites whose regions are near `site`'s: pieces of the same object, reported with it. */
  piecesOf(site: Site): Site[] {
    return this.#sites.filter((s) => s !== site && !s.reported && s.region && near(s.region.box, site.box));
  }

  /** Forgets every site. */
  clear(): void {
    this.#sites.length = 0;
  }
}
