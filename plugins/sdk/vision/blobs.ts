/**
 * The blob detector: moving objects as connected regions of foreground, for the tracker until a
 * neural detector takes over (both are DetectionSources).
 *
 *   frame → BackgroundModel → foreground (255 only; shadows and background dropped) → opening
 *   (specks) → closing (holes, a vehicle split by its windscreen) → ConnectedComponents → size
 *   filters → ObjectDetection[]
 *
 * Boxes are in pixels of the frame; on a subsampled grid (`step` > 1) a cell stands for a
 * step × step block, so boxes are scaled and clipped to the frame and areas are cells × step².
 * Frames wider than `analysisWidth` are first averaged down by a whole factor f (scale.ts); a cell
 * then stands for an (f·step)² block of the frame, which is the grid `gridFor` reports, so holds,
 * cuts, boxes and areas stay in the frame's pixels.
 * Score: the fill ratio, component area / box area, in (0, 1]. A solid vehicle fills most of its
 * box (≈ 0.7–1); a ragged cluster of noise or a thin diagonal streak fills little, so the tracker's
 * high/low confidence split (ByteTrack) treats it as the low-confidence kind. Blobs carry no label.
 * Buffers are allocated for the first frame's size and again only when the size changes.
 */
import type { Frame } from '../types.js';
import { BackgroundModel, type BackgroundModelOptions } from './background.js';
import { ConnectedComponents } from './components.js';
import { Morphology, type StructuringElement } from './morphology.js';
import { capOf, ownTop } from './profile.js';
import { analysisFactor, FrameScaler } from './scale.js';
import type { Box, DetectionSource, ObjectDetection } from './types.js';

/** Options of a BlobDetector; sizes are in frame pixels. */
export interface BlobDetectorOptions {
  /** Background model options other than the size (taken from the frames). `step` also sets the blob grid. */
  background?: Omit<BackgroundModelOptions, 'width' | 'height'>;
  /** Learning rate passed to the background model each frame (< 0: automatic). Default -1. */
  learningRate?: number;
  /** Opening radius in grid cells (0 = none). Default 1. */
  openRadius?: number;
  /** Closing radius in grid cells (0 = none). Default 2. */
  closeRadius?: number;
  /** Structuring element for both. Default 'square'. */
  shape?: StructuringElement;
  /** Area bounds in pixels (inclusive). Defaults 64 and unbounded. */
  minArea?: number;
  maxArea?: number;
  /** Box width and height bounds in pixels (inclusive). Defaults 0 and unbounded. */
  minWidth?: number;
  maxWidth?: number;
  minHeight?: number;
  maxHeight?: number;
  /** Box aspect (w / h) bounds (inclusive). Defaults 0 and unbounded. */
  minAspect?: number;
  maxAspect?: number;
  /** Frames to learn the background before reporting anything. Default 10. */
  warmupFrames?: number;
  /** Frames wider than this many pixels are averaged down by a whole factor until they fit, before anything else. Default: no limit. */
  analysisWidth?: number;
}

/**
 * binary = 255 where the background mask says foreground (shadows and background 0). This and
 * clearCuts are module functions rather than loops inside detect: V8 compiles a hot loop on entry
 * (OSR) with the feedback it has so far, and detect's later code, not yet run when its first loop
 * got hot, then deoptimised it on every frame.
 */
function foregroundOnly(mask: Uint8Array, binary: Uint8Array): void {
  for (let i = 0; i < mask.length; i++) binary[i] = mask[i] === 255 ? 255 : 0;
}

/**
 * A piece standing on a lane cut has a bottom edge of its own where its width (cells per row) grows
 * by at least this share of its widest row within two rows, going up: a leaning slice widens
 * gradually from its tip at the cut (rejoinAcrossCuts).
 */
const OWN_BOTTOM_JUMP = 0.25;

/**
 * A cap (splitCaps) is reported on its own only when it is at most this share of the body's height
 * (higher, it is the upper part of a vehicle cut by a lane line, whose slice narrows upwards) and at
 * least this share of its own width high (a flat strip is the roof edge or windscreen of a vehicle,
 * not a vehicle). Measured on the gate scenes: without the two, caps added false cars.
 */
const CAP_BODY_HEIGHT = 0.5;
const CAP_MIN_ASPECT = 0.5;

/** Foreground cells per row of one piece (rejoinAcrossCuts), reused between calls. */
let rowWidth = new Int32Array(256);

/** Clears the cells of `binary` that `cuts` marks. */
function clearCuts(binary: Uint8Array, cuts: Uint8Array): void {
  for (let i = 0; i < binary.length; i++) if (cuts[i] !== 0) binary[i] = 0;
}

/** Rows below a piece's own bottom edge over which trimSliceBand measures how fast the slice widens. */
const WIDEN_ROWS = 6;

/**
 * Above a piece's own bottom edge (rejoinAcrossCuts), the leaning slice goes on up along the cut,
 * joined to the vehicle whose bottom edge it is: a motorbike beside a truck's leaning roof became a
 * car-sized box, or none (gate scenes: most motorbike errors). Going up from the edge row, the cells
 * of each row's run that ends at the cut, as many as the slice is wide just below the edge widened at
 * the rate it widens there, are relabelled to `r`. The piece keeps the rows from the edge up to the
 * first row the band leaves empty; returns that row + 1 as `top`, and the relabelled cells' count,
 * columns and top row.
 */
function trimSliceBand(cc: ConnectedComponents, cuts: Uint8Array, l: number, r: number, row: number): { top: number; n: number; x0: number; x1: number; minY: number } {
  const { labels, width: gw } = cc;
  const lx0 = cc.minX[l]!;
  const lx1 = cc.maxX[l]!;
  const out = { top: cc.minY[l]!, n: 0, x0: gw, x1: -1, minY: row + 1 };
  // The cut lies on the side of the vehicle the slice leans from.
  const dir = cc.minX[r]! + cc.maxX[r]! > lx0 + lx1 ? 1 : -1;
  // The slice's width just below the edge, and how fast it widens going up there (rows below the
  // edge, down to the tip): the band above is that width carried on up at that rate.
  const rowCells = (gy: number): number => {
    let w = 0;
    for (let gx = lx0; gx <= lx1; gx++) if (labels[gy * gw + gx] === l) w++;
    return w;
  };
  const below = Math.min(cc.maxY[l]! - row, WIDEN_ROWS);
  const under = rowCells(row + 1);
  const rate = below > 1 ? Math.max(0, (under - rowCells(row + below)) / (below - 1)) : 0;
  // Above the first row the band empties, the band still goes to `r` (the leaning roof goes on up).
  let stopped = false;
  for (let gy = row; gy >= cc.minY[l]!; gy--) {
    const base = gy * gw;
    let end = -1;
    for (let gx = dir > 0 ? lx1 : lx0; gx >= lx0 && gx <= lx1; gx -= dir) {
      if (labels[base + gx] === l) {
        end = gx;
        break;
      }
    }
    if (end < 0) {
      if (!stopped) out.top = gy + 1;
      stopped = true;
      continue;
    }
    const c1 = end + dir;
    const c2 = end + 2 * dir;
    const atCut = (c1 >= 0 && c1 < gw && cuts[base + c1] !== 0) || (c2 >= 0 && c2 < gw && cuts[base + c2] !== 0);
    if (!atCut) continue;
    let left = false;
    const width = under + rate * (row + 1 - gy);
    for (let k = 0, gx = end; k < width && gx >= lx0 && gx <= lx1 && labels[base + gx] === l; k++, gx -= dir) {
      labels[base + gx] = r;
      out.n++;
      if (gx < out.x0) out.x0 = gx;
      if (gx > out.x1) out.x1 = gx;
      out.minY = Math.min(out.minY, gy);
    }
    for (let gx = lx0; gx <= lx1 && !left; gx++) if (labels[base + gx] === l) left = true;
    if (!left && !stopped) out.top = gy + 1;
    if (!left) stopped = true;
  }
  return out;
}

/** Sets to 1 the cells of a grid mask (see BlobDetector.gridFor) that a pixel box covers, clipped to the grid: e.g. a hold under a vehicle. */
export function markBox(mask: Uint8Array, grid: { step: number; width: number; height: number }, box: Box): void {
  const x0 = Math.max(0, Math.floor(box.x / grid.step));
  const y0 = Math.max(0, Math.floor(box.y / grid.step));
  const x1 = Math.min(grid.width - 1, Math.ceil((box.x + box.w) / grid.step));
  const y1 = Math.min(grid.height - 1, Math.ceil((box.y + box.h) / grid.step));
  for (let gy = y0; gy <= y1 && x1 >= x0; gy++) mask.fill(1, gy * grid.width + x0, gy * grid.width + x1 + 1);
}

/** Finds moving objects as foreground blobs; see the file comment for the pipeline and the score. */
export class BlobDetector implements DetectionSource {
  private readonly opts: Required<Omit<BlobDetectorOptions, 'background'>>;
  private readonly bgOptions: Omit<BackgroundModelOptions, 'width' | 'height'>;
  private state: {
    width: number;
    height: number;
    /** Averages frames down to the analysis width; undefined when they fit. */
    scaler: FrameScaler | undefined;
    /** Frame pixels per mask cell, each way: the model's step × the scaler's factor. */
    step: number;
    model: BackgroundModel;
    morph: Morphology;
    cc: ConnectedComponents;
    mask: Uint8Array;
    binary: Uint8Array;
    into: Int32Array;
  } | undefined;

  constructor(opts: BlobDetectorOptions = {}) {
    this.bgOptions = opts.background ?? {};
    this.opts = {
      learningRate: opts.learningRate ?? -1,
      openRadius: opts.openRadius ?? 1,
      closeRadius: opts.closeRadius ?? 2,
      shape: opts.shape ?? 'square',
      minArea: opts.minArea ?? 64,
      maxArea: opts.maxArea ?? Infinity,
      minWidth: opts.minWidth ?? 0,
      maxWidth: opts.maxWidth ?? Infinity,
      minHeight: opts.minHeight ?? 0,
      maxHeight: opts.maxHeight ?? Infinity,
      minAspect: opts.minAspect ?? 0,
      maxAspect: opts.maxAspect ?? Infinity,
      warmupFrames: opts.warmupFrames ?? 10,
      analysisWidth: opts.analysisWidth ?? Infinity,
    };
  }

  /**
   * Grid cells (maskWidth × maskHeight, see gridFor) the background must not learn from in the next
   * detects, non-zero = hold: e.g. under tracked objects that have stopped. Undefined: learn everywhere.
   */
  hold: Uint8Array | undefined;
  /**
   * Grid cells cleared from the foreground before the components are found, non-zero = cut: the
   * boundaries between lanes, so that vehicles side by side in two lanes are never one blob.
   */
  cuts: Uint8Array | undefined;

  /**
   * Whether a piece standing on a cut keeps its own box when it has a bottom edge of its own (a
   * vehicle of the next lane that a leaning slice touches), handing only the slice below that edge to
   * the vehicle it leans from (rejoinAcrossCuts). Off: every such piece is folded whole.
   */
  splitSlices = false;

  /**
   * Whether a blob whose top is a narrower cap over a vehicle's roof (profile.ts: a farther vehicle
   * showing above a nearer one, or beside its roof in the next lane) is reported as two boxes, the
   * body and the cap, rather than one box that holds both. Off: one box.
   */
  splitCaps = false;

  /** Smallest blob in pixels (the minArea option), changeable when the frame size becomes known. */
  get minArea(): number {
    return this.opts.minArea;
  }

  set minArea(px: number) {
    this.opts.minArea = px;
  }

  /** The mask grid for frames of this size: a cell per `step` × `step` frame pixels, `width` × `height` cells. */
  gridFor(width: number, height: number): { step: number; width: number; height: number } {
    const step = Math.max(1, Math.floor(this.bgOptions.step ?? 1)) * analysisFactor(width, this.opts.analysisWidth);
    return { step, width: Math.ceil(width / step), height: Math.ceil(height / step) };
  }

  /** The background model (after the first frame), for its statistics. */
  get background(): BackgroundModel | undefined {
    return this.state?.model;
  }

  /** The last background mask (0 / 127 / 255, maskWidth × maskHeight of the model). */
  get mask(): Uint8Array | undefined {
    return this.state?.mask;
  }

  /** The last cleaned binary foreground (0 / 255) the components came from. */
  get foreground(): Uint8Array | undefined {
    return this.state?.binary;
  }

  /** Blobs in `frame` that pass the size filters, in raster order of their first pixel. */
  detect(frame: Frame): ObjectDetection[] {
    const s = this.prepare(frame);
    const o = this.opts;
    const hold = this.hold !== undefined && this.hold.length === s.mask.length ? this.hold : undefined;
    s.model.apply(s.scaler ? s.scaler.scale(frame) : frame, s.mask, o.learningRate, hold);
    if (s.model.frameCount <= o.warmupFrames) return [];
    const { mask, binary, morph } = s;
    foregroundOnly(mask, binary);
    if (o.openRadius > 0) morph.open(binary, binary, o.openRadius, o.shape);
    if (o.closeRadius > 0) morph.close(binary, binary, o.closeRadius, o.shape);
    const cuts = this.cuts;
    if (cuts !== undefined && cuts.length === binary.length) clearCuts(binary, cuts);
    const count = s.cc.label(binary);
    const into = cuts !== undefined && cuts.length === binary.length ? this.rejoinAcrossCuts(s, count, cuts) : undefined;

    const step = s.step;
    const cell = step * step;
    const grid = { step, width: s.cc.width, height: s.cc.height };
    const { area, minX, minY, maxX, maxY } = s.cc;
    const out: ObjectDetection[] = [];
    for (let l = 1; l <= count; l++) {
      if (into !== undefined && into[l] !== l) continue;
      const px = area[l]! * cell;
      if (px < o.minArea || px > o.maxArea) continue;
      const x = minX[l]! * step;
      const y = minY[l]! * step;
      const w = Math.min((maxX[l]! + 1) * step, frame.width) - x;
      const h = Math.min((maxY[l]! + 1) * step, frame.height) - y;
      if (w < o.minWidth || w > o.maxWidth || h < o.minHeight || h > o.maxHeight) continue;
      const aspect = w / h;
      if (aspect < o.minAspect || aspect > o.maxAspect) continue;
      const cells = (maxX[l]! - minX[l]! + 1) * (maxY[l]! - minY[l]! + 1);
      const box = { x, y, w, h };
      const only = { labels: s.cc.labels, root: into, label: l };
      const body = this.splitCaps ? ownTop(binary, grid, box, only) : box;
      const cap = body.y > y ? capOf(binary, grid, box, body.y, only) : undefined;
      if (cap && cap.cells * cell >= o.minArea && cap.box.h <= CAP_BODY_HEIGHT * body.h && cap.box.h >= CAP_MIN_ASPECT * cap.box.w) {
        out.push({ box: body, score: area[l]! / cells }, { box: cap.box, score: cap.fill });
      } else {
        out.push({ box, score: area[l]! / cells });
      }
    }
    return out;
  }

  /**
   * A cut splits side-by-side vehicles, but it also slices the upper body off a tall vehicle whose
   * sides lean over the next lane in perspective. Such a slice stands on the cut: its lowest cells
   * touch the cut with another part, reaching lower (nearer the ground), just across. Those slices
   * are folded back into that part (boxes and areas merged into the root label); a vehicle in its own
   * lane stands on the road, its bottom away from the lane line. Returns label → root label.
   */
  private rejoinAcrossCuts(s: NonNullable<BlobDetector['state']>, count: number, cuts: Uint8Array): Int32Array {
    const { cc } = s;
    const into = s.into.length > count ? s.into : (s.into = new Int32Array(2 * count + 2));
    for (let l = 0; l <= count; l++) into[l] = l;
    const gw = cc.width;
    const gh = cc.height;
    const labels = cc.labels;
    const R = 3;
    // A slice tapers to a point at the cut. When its piece widens abruptly higher up, that is the
    // bottom edge of a vehicle in the slice's lane that the slice touches: only the rows below it
    // are the slice. A piece whose lowest rows are that wide already has its own bottom (the slice
    // does not reach below it); at the frame's bottom edge the vehicle's bottom is out of view.
    const splits: { l: number; target: number; row: number }[] = [];
    const ownBottom = (l: number): number => {
      const top = cc.minY[l]!;
      const bottom = cc.maxY[l]!;
      const rows = bottom - top + 1;
      if (rowWidth.length < rows) rowWidth = new Int32Array(2 * rows);
      let widest = 0;
      for (let gy = top; gy <= bottom; gy++) {
        let n = 0;
        for (let gx = cc.minX[l]!; gx <= cc.maxX[l]!; gx++) if (labels[gy * gw + gx] === l) n++;
        rowWidth[gy - top] = n;
        if (n > widest) widest = n;
      }
      const below = (gy: number) => (gy <= bottom ? rowWidth[gy - top]! : bottom === gh - 1 ? rowWidth[rows - 1]! : 0);
      for (let gy = bottom; gy > top; gy--) {
        if (rowWidth[gy - top]! - Math.max(below(gy + 1), below(gy + 2)) < OWN_BOTTOM_JUMP * widest) continue;
        // Below that edge, a slice narrows to its tip at the cut; a vehicle's own lower body does not
        // (a vehicle standing at the cut, a bit of the next lane's foreground under it): whole.
        return gy >= bottom - 1 || 2 * rowWidth[rows - 1]! <= below(gy + 1) ? gy : -1;
      }
      return -1;
    };
    for (let l = 1; l <= count; l++) {
      const row = cc.maxY[l]!;
      let target = 0;
      for (let gx = cc.minX[l]!; gx <= cc.maxX[l]! && target === 0; gx++) {
        if (labels[row * gw + gx] !== l) continue;
        let cut = false;
        let other = 0;
        for (let dy = 0; dy <= R && row + dy < gh; dy++) {
          for (let dx = -R; dx <= R; dx++) {
            const x = gx + dx;
            if (x < 0 || x >= gw) continue;
            const i = (row + dy) * gw + x;
            if (cuts[i] !== 0) cut = true;
            const m = labels[i]!;
            if (m !== 0 && m !== l && cc.maxY[m]! > row + 1) other = m;
          }
        }
        if (cut && other !== 0) target = other;
      }
      if (target === 0) continue;
      const edge = this.splitSlices ? ownBottom(l) : -1;
      // The vehicle a slice leans from stands nearer the camera than the one whose bottom edge the
      // slice pokes below, so it is the taller in the image; a shorter piece across the cut is a bit
      // of this piece's own vehicle (one parked across the lane line), and the two are one.
      const nearer = cc.maxY[target]! - cc.minY[target]! >= edge - cc.minY[l]!;
      if (edge < 0 || (edge < cc.maxY[l]! - 1 && !nearer)) into[l] = target;
      else if (edge < cc.maxY[l]! - 1) splits.push({ l, target, row: edge });
    }
    // Resolve chains, then fold each slice's box and area into its root.
    const root = (l: number) => {
      let r = l;
      for (let hops = 0; into[r] !== r && hops < count; hops++) r = into[r]!;
      return r;
    };
    for (let l = 1; l <= count; l++) {
      const r = root(l);
      into[l] = r;
      if (r === l) continue;
      cc.area[r] = cc.area[r]! + cc.area[l]!;
      cc.minX[r] = Math.min(cc.minX[r]!, cc.minX[l]!);
      cc.minY[r] = Math.min(cc.minY[r]!, cc.minY[l]!);
      cc.maxX[r] = Math.max(cc.maxX[r]!, cc.maxX[l]!);
      cc.maxY[r] = Math.max(cc.maxY[r]!, cc.maxY[l]!);
    }
    // The slice under a piece's own bottom edge goes to the vehicle it leans from, and so does the
    // slice's band along the cut above that edge.
    for (const { l, target, row } of splits) {
      const r = into[target]!;
      const band = trimSliceBand(cc, cuts, l, r, row);
      let x0 = band.x0, x1 = band.x1, n = band.n;
      let k0 = gw, k1 = -1, kept = 0;
      for (let gy = cc.minY[l]!; gy <= cc.maxY[l]!; gy++) {
        for (let gx = cc.minX[l]!; gx <= cc.maxX[l]!; gx++) {
          if (labels[gy * gw + gx] !== l) continue;
          if (gy < band.top) continue;
          if (gy > row) {
            // Relabelled, so that the cells a box owns (ownTop) are its root's.
            labels[gy * gw + gx] = r;
            n++;
            if (gx < x0) x0 = gx;
            if (gx > x1) x1 = gx;
          } else {
            kept++;
            if (gx < k0) k0 = gx;
            if (gx > k1) k1 = gx;
          }
        }
      }
      cc.area[r] = cc.area[r]! + n;
      cc.minX[r] = Math.min(cc.minX[r]!, x0);
      cc.maxX[r] = Math.max(cc.maxX[r]!, x1);
      cc.minY[r] = Math.min(cc.minY[r]!, row + 1, band.minY);
      cc.maxY[r] = Math.max(cc.maxY[r]!, cc.maxY[l]!);
      // Cells of the piece above its kept rows (the next lane's upper body beyond the band, or a
      // vehicle farther on that the band joined) keep the label but fall outside the box.
      cc.area[l] = kept;
      cc.minY[l] = band.top;
      cc.minX[l] = k0;
      cc.maxX[l] = k1;
      cc.maxY[l] = row;
    }
    return into;
  }

  /** Drops the buffers and the learnt background. */
  close(): void {
    this.state = undefined;
  }

  /** The per-size state, built on the first frame and again when the size changes. */
  private prepare(frame: Frame) {
    const s = this.state;
    if (s && s.width === frame.width && s.height === frame.height) return s;
    const factor = analysisFactor(frame.width, this.opts.analysisWidth);
    const scaler = factor > 1 ? new FrameScaler(frame.width, frame.height, factor) : undefined;
    const model = new BackgroundModel({ ...this.bgOptions, width: scaler?.width ?? frame.width, height: scaler?.height ?? frame.height });
    const { maskWidth: mw, maskHeight: mh } = model;
    this.state = {
      width: frame.width,
      height: frame.height,
      scaler,
      step: model.step * factor,
      model,
      morph: new Morphology(mw, mh),
      cc: new ConnectedComponents(mw, mh),
      mask: new Uint8Array(mw * mh),
      binary: new Uint8Array(mw * mh),
      into: new Int32Array(64),
    };
    return this.state;
  }
}
