/**
 * Frame → model input tensor, the way each model family was trained to see images.
 *
 *   ultralytics (yolov5, yolov8/YOLO11, nms)  centred letterbox, pad 114, RGB / 255, NCHW
 *     (ultralytics/data/augment.py LetterBox: new size round(w·r), pad round(d/2 ∓ 0.1))
 *   yolox                                     top-left paste, pad 114, BGR 0..255, NCHW
 *     (yolox/data/data_augment.py preproc: int(w·r), cv2 images are BGR, no mean/std since 0.2)
 *   rtdetr                                    stretch, RGB / 255, NCHW
 *     (ultralytics RTDETRPredictor: LetterBox(auto=False, scale_fill=True))
 *   centernet                                 stretch, RGB 0..255, NHWC (onnx/preprocess.ts)
 *
 * Resampling is bilinear straight from the I420 planes (or packed RGB) into the float tensor, with
 * no intermediate image: cv2's INTER_LINEAR sampling (half-pixel centres) for the exported PyTorch
 * models, tf.image.resizeBilinear's (corner-aligned source = dst · in / out) for CenterNet. Y, U and V
 * are interpolated first and converted after; the conversion is affine, so that equals converting
 * the taps except where a colour clips. YUV → RGB is BT.601 limited range, what ffmpeg's default
 * yuv420p decode of an H.264 camera gives; a 'gray' frame is already full range (ffmpeg expands
 * 16..235 when it outputs gray), so it is used as R = G = B = Y.
 */
import type { Frame } from '../../../plugins/sdk/types.js';
import type { Box } from '../../../plugins/sdk/vision/types.js';

/** The model families streamsight decodes (spec.ts describes each). */
export const MODEL_FORMATS = ['yolov5', 'yolov8', 'yolox', 'nms', 'rtdetr', 'centernet'] as const;

/** One of MODEL_FORMATS. */
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** How a format's model wants its input prepared. */
export interface InputRecipe {
  layout: 'nchw' | 'nhwc';
  /** letterbox: scale to fit, centred; topleft: scale to fit, pasted at (0, 0); stretch: both axes to the input. */
  fit: 'letterbox' | 'topleft' | 'stretch';
  order: 'rgb' | 'bgr';
  /** Multiplier from 0..255 to the model's range. */
  scale: number;
  /** Pad value in 0..255 (before `scale`). */
  pad: number;
  /** cv2 / PyTorch half-pixel sampling; false is TF.js's corner-aligned one. */
  halfPixel: boolean;
}

const ULTRALYTICS: InputRecipe = { layout: 'nchw', fit: 'letterbox', order: 'rgb', scale: 1 / 255, pad: 114, halfPixel: true };

/** The input recipe of each format. */
export const INPUT_RECIPES: Readonly<Record<ModelFormat, InputRecipe>> = {
  yolov5: ULTRALYTICS,
  yolov8: ULTRALYTICS,
  nms: ULTRALYTICS,
  yolox: { layout: 'nchw', fit: 'topleft', order: 'bgr', scale: 1, pad: 114, halfPixel: true },
  rtdetr: { layout: 'nchw', fit: 'stretch', order: 'rgb', scale: 1 / 255, pad: 0, halfPixel: true },
  centernet: { layout: 'nhwc', fit: 'stretch', order: 'rgb', scale: 1, pad: 0, halfPixel: false },
};

/** Packed 8-bit RGB, `stride` bytes per row (default width · 3). */
export interface RgbImage {
  format: 'rgb24';
  width: number;
  height: number;
  data: Uint8Array;
  stride?: number;
}

/** The planes of a FrameRing frame (i420 or gray). */
export type PlanarImage = Pick<Frame, 'format' | 'width' | 'height' | 'y' | 'u' | 'v' | 'strideY' | 'strideUV'>;

/** What a detector reads: a frame's planes or an RGB buffer. */
export type DetectorImage = PlanarImage | RgbImage;

/**
 * Where the input came from: input pixel = (frame pixel − offset) · scale + pad. `width` and
 * `height` are the region's, so decoded boxes can be clipped to it.
 */
export interface Letterbox {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  offsetX: number;
  offsetY: number;
  width: number;
  height: number;
}

// BT.601 limited range: Y 16..235, Cb/Cr 16..240 around 128 (ITU-R BT.601-7, 2.5.3).
const KY = 255 / 219;
const KRV = (1.402 * 255) / 224;
const KGU = (0.344136 * 255) / 224;
const KGV = (0.714136 * 255) / 224;
const KBU = (1.772 * 255) / 224;

/** BT.601 limited-range Y, Cb, Cr → R, G, B in 0..255 (unrounded), into `out`. */
export function yuvToRgb(y: number, u: number, v: number, out: [number, number, number] = [0, 0, 0]): [number, number, number] {
  const l = KY * (y - 16);
  out[0] = clamp255(l + KRV * (v - 128));
  out[1] = clamp255(l - KGU * (u - 128) - KGV * (v - 128));
  out[2] = clamp255(l + KBU * (u - 128));
  return out;
}

function clamp255(x: number): number {
  return x < 0 ? 0 : x > 255 ? 255 : x;
}

/** Where one output row goes: the float of its first pixel, the stride between pixels, channel offsets. */
interface RowTarget {
  out: Float32Array;
  at: number;
  step: number;
  r: number;
  g: number;
  b: number;
  scale: number;
}

/** The region a detector looks at, in whole pixels inside the image (default: all of it). */
export function clampRegion(width: number, height: number, region?: Box): Box {
  if (!region) return { x: 0, y: 0, w: width, h: height };
  const x = Math.max(0, Math.floor(region.x));
  const y = Math.max(0, Math.floor(region.y));
  const w = Math.min(width, Math.ceil(region.x + region.w)) - x;
  const h = Math.min(height, Math.ceil(region.y + region.h)) - y;
  if (!(w > 0 && h > 0)) throw new RangeError(`region ${JSON.stringify(region)} is outside the ${width}x${height} image`);
  return { x, y, w, h };
}

/** The letterbox that fits a `region` of `w × h` pixels into a `inputWidth × inputHeight` input. */
export function fitRegion(fit: InputRecipe['fit'], region: Box, inputWidth: number, inputHeight: number): Letterbox {
  const base = { offsetX: region.x, offsetY: region.y, width: region.w, height: region.h };
  if (fit === 'stretch') return { ...base, scaleX: inputWidth / region.w, scaleY: inputHeight / region.h, padX: 0, padY: 0 };
  const r = Math.min(inputWidth / region.w, inputHeight / region.h);
  const round = fit === 'letterbox' ? Math.round : Math.floor;
  const w = Math.max(1, Math.min(inputWidth, round(region.w * r)));
  const h = Math.max(1, Math.min(inputHeight, round(region.h * r)));
  // Ultralytics splits the padding as round(d/2 − 0.1) before and the rest after.
  const padX = fit === 'letterbox' ? Math.max(0, Math.round((inputWidth - w) / 2 - 0.1)) : 0;
  const padY = fit === 'letterbox' ? Math.max(0, Math.round((inputHeight - h) / 2 - 0.1)) : 0;
  return { ...base, scaleX: w / region.w, scaleY: h / region.h, padX, padY };
}

/**
 * Fills model inputs of one format and size. Holds its sampling tables, so `run` allocates nothing
 * per pixel or row: only the Letterbox it returns and a few small objects.
 */
export class InputPreprocessor {
  /** Floats per image: 3 · inputWidth · inputHeight. */
  readonly imageSize: number;
  // Per output column: the two source columns and the weight of the second.
  private readonly x0: Int32Array;
  private readonly x1: Int32Array;
  private readonly fx: Float32Array;

  constructor(
    readonly recipe: InputRecipe,
    readonly inputWidth: number,
    readonly inputHeight: number,
  ) {
    this.imageSize = 3 * inputWidth * inputHeight;
    this.x0 = new Int32Array(inputWidth);
    this.x1 = new Int32Array(inputWidth);
    this.fx = new Float32Array(inputWidth);
  }

  /**
   * Writes `region` of `image` (default: whole) as one input at `out[offset ...]`
   * (`imageSize` floats) and returns the transform back to frame pixels.
   */
  run(image: DetectorImage, out: Float32Array, offset = 0, region?: Box): Letterbox {
    if (out.length < offset + this.imageSize) throw new RangeError(`input buffer holds ${out.length} floats, needs ${offset + this.imageSize}`);
    const { recipe, inputWidth: W, inputHeight: H } = this;
    const area = clampRegion(image.width, image.height, region);
    const box = fitRegion(recipe.fit, area, W, H);
    const w = Math.round(area.w * box.scaleX);
    const h = Math.round(area.h * box.scaleY);
    if (w < W || h < H) out.fill(recipe.pad * recipe.scale, offset, offset + this.imageSize);

    this.sampleTable(w, area.x, area.w);
    const nchw = recipe.layout === 'nchw';
    const plane = W * H;
    // Where R, G and B go relative to a pixel's first float.
    const step = nchw ? plane : 1;
    const [rAt, bAt] = recipe.order === 'rgb' ? [0, 2 * step] : [2 * step, 0];
    const gAt = step;
    const target: RowTarget = { out, at: 0, step: nchw ? 1 : 3, r: rAt, g: gAt, b: bAt, scale: recipe.scale };

    for (let dy = 0; dy < h; dy++) {
      let sy = recipe.halfPixel ? ((dy + 0.5) * area.h) / h - 0.5 : (dy * area.h) / h;
      if (sy < 0) sy = 0;
      let y0 = Math.floor(sy);
      if (y0 > area.h - 1) y0 = area.h - 1;
      const y1 = Math.min(y0 + 1, area.h - 1);
      const fy = sy - y0;
      const pixel0 = (dy + box.padY) * W + box.padX;
      target.at = offset + (nchw ? pixel0 : pixel0 * 3);
      if (image.format === 'rgb24') this.rgbRow(image, area.y + y0, area.y + y1, fy, w, target);
      else this.planarRow(image, area.y + y0, area.y + y1, fy, w, target);
    }
    return box;
  }

  /** One output row from packed RGB: bilinear per channel. */
  private rgbRow(image: RgbImage, row0: number, row1: number, fy: number, w: number, t: RowTarget): void {
    const { x0: X0, x1: X1, fx: FX } = this;
    const data = image.data;
    const stride = image.stride ?? image.width * 3;
    const top = row0 * stride;
    const bottom = row1 * stride;
    const { out, step, scale } = t;
    for (let dx = 0, o = t.at; dx < w; dx++, o += step) {
      const a = 3 * X0[dx];
      const b = 3 * X1[dx];
      const fx = FX[dx];
      out[o + t.r] = bilerp(data[top + a], data[top + b], data[bottom + a], data[bottom + b], fx, fy) * scale;
      out[o + t.g] = bilerp(data[top + a + 1], data[top + b + 1], data[bottom + a + 1], data[bottom + b + 1], fx, fy) * scale;
      out[o + t.b] = bilerp(data[top + a + 2], data[top + b + 2], data[bottom + a + 2], data[bottom + b + 2], fx, fy) * scale;
    }
  }

  /** One output row from I420 (Y, U, V interpolated, then converted) or gray planes. */
  private planarRow(image: PlanarImage, row0: number, row1: number, fy: number, w: number, t: RowTarget): void {
    const { x0: X0, x1: X1, fx: FX } = this;
    const { y: Y, u: U, v: V } = image;
    const top = row0 * image.strideY;
    const bottom = row1 * image.strideY;
    const { out, step, scale } = t;
    if (image.format === 'gray' || !U || !V) {
      for (let dx = 0, o = t.at; dx < w; dx++, o += step) {
        const x0 = X0[dx];
        const x1 = X1[dx];
        const luma = bilerp(Y[top + x0], Y[top + x1], Y[bottom + x0], Y[bottom + x1], FX[dx], fy) * scale;
        out[o + t.r] = luma;
        out[o + t.g] = luma;
        out[o + t.b] = luma;
      }
      return;
    }
    const chromaTop = (row0 >> 1) * image.strideUV;
    const chromaBottom = (row1 >> 1) * image.strideUV;
    for (let dx = 0, o = t.at; dx < w; dx++, o += step) {
      const x0 = X0[dx];
      const x1 = X1[dx];
      const c0 = x0 >> 1;
      const c1 = x1 >> 1;
      const fx = FX[dx];
      const l = KY * (bilerp(Y[top + x0], Y[top + x1], Y[bottom + x0], Y[bottom + x1], fx, fy) - 16);
      const u = bilerp(U[chromaTop + c0], U[chromaTop + c1], U[chromaBottom + c0], U[chromaBottom + c1], fx, fy) - 128;
      const v = bilerp(V[chromaTop + c0], V[chromaTop + c1], V[chromaBottom + c0], V[chromaBottom + c1], fx, fy) - 128;
      out[o + t.r] = clamp255(l + KRV * v) * scale;
      out[o + t.g] = clamp255(l - KGU * u - KGV * v) * scale;
      out[o + t.b] = clamp255(l + KBU * u) * scale;
    }
  }

  /** Source columns and weights for `w` output columns over `[x, x + span)`. */
  private sampleTable(w: number, x: number, span: number): void {
    for (let dx = 0; dx < w; dx++) {
      let sx = this.recipe.halfPixel ? ((dx + 0.5) * span) / w - 0.5 : (dx * span) / w;
      if (sx < 0) sx = 0;
      let x0 = Math.floor(sx);
      if (x0 > span - 1) x0 = span - 1;
      this.x0[dx] = x + x0;
      this.x1[dx] = x + Math.min(x0 + 1, span - 1);
      this.fx[dx] = sx - x0;
    }
  }
}

function bilerp(a: number, b: number, c: number, d: number, fx: number, fy: number): number {
  const top = a + (b - a) * fx;
  const bottom = c + (d - c) * fx;
  return top + (bottom - top) * fy;
}
