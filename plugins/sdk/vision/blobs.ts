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
 * Score: the fill ratio, component area / box area, in (0, 1]. A solid vehicle fills most of its
 * box (≈ 0.7–1); a ragged cluster of noise or a thin diagonal streak fills little, so the tracker's
 * high/low confidence split (ByteTrack) treats it as the low-confidence kind. Blobs carry no label.
 * Buffers are allocated for the first frame's size and again only when the size changes.
 */
import type { Frame } from '../types.js';
import { BackgroundModel, type BackgroundModelOptions } from './background.js';
import { ConnectedComponents } from './components.js';
import { Morphology, type StructuringElement } from './morphology.js';
import type { DetectionSource, ObjectDetection } from './types.js';

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
}

/** Finds moving objects as foreground blobs; see the file comment for the pipeline and the score. */
export class BlobDetector implements DetectionSource {
  private readonly opts: Required<Omit<BlobDetectorOptions, 'background'>>;
  private readonly bgOptions: Omit<BackgroundModelOptions, 'width' | 'height'>;
  private state: {
    model: BackgroundModel;
    morph: Morphology;
    cc: ConnectedComponents;
    mask: Uint8Array;
    binary: Uint8Array;
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
    };
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
    s.model.apply(frame, s.mask, o.learningRate);
    if (s.model.frameCount <= o.warmupFrames) return [];
    const { mask, binary, morph } = s;
    for (let i = 0; i < mask.length; i++) binary[i] = mask[i] === 255 ? 255 : 0;
    if (o.openRadius > 0) morph.open(binary, binary, o.openRadius, o.shape);
    if (o.closeRadius > 0) morph.close(binary, binary, o.closeRadius, o.shape);
    const count = s.cc.label(binary);

    const step = s.model.step;
    const cell = step * step;
    const { area, minX, minY, maxX, maxY } = s.cc;
    const out: ObjectDetection[] = [];
    for (let l = 1; l <= count; l++) {
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
      out.push({ box: { x, y, w, h }, score: area[l]! / cells });
    }
    return out;
  }

  /** Drops the buffers and the learnt background. */
  close(): void {
    this.state = undefined;
  }

  /** The per-size state, built on the first frame and again when the size changes. */
  private prepare(frame: Frame) {
    const s = this.state;
    if (s && s.model.width === frame.width && s.model.height === frame.height) return s;
    const model = new BackgroundModel({ ...this.bgOptions, width: frame.width, height: frame.height });
    const { maskWidth: mw, maskHeight: mh } = model;
    this.state = {
      model,
      morph: new Morphology(mw, mh),
      cc: new ConnectedComponents(mw, mh),
      mask: new Uint8Array(mw * mh),
      binary: new Uint8Array(mw * mh),
    };
    return this.state;
  }
}
