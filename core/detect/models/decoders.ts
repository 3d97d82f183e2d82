/**
 * Model output → detections in frame pixels, one decoder per format, then class-aware NMS.
 *
 *   yolov5     [B, N, 5+nc]  cx, cy, w, h (input px), objectness, class scores; score = obj · cls
 *   yolov8     [B, 4+nc, N]  cx, cy, w, h (input px), class scores (YOLOv8, YOLO11, YOLOv5u)
 *   yolox      [B, N, 5+nc]  raw grid output (decode_in_inference=False): cx = (x + gx) · s,
 *              w = exp(w) · s over strides 8, 16, 32, grids row by row; obj and cls are already
 *              sigmoids (yolox/models/yolo_head.py), score = obj · cls
 *   nms        [B, K, 6]     x1, y1, x2, y2 (input px), score, class (end-to-end exports)
 *   rtdetr     [B, K, 4+nc]  cx, cy, w, h normalised to the input, class sigmoids (Ultralytics export)
 *   centernet  [B, K, 6]     as nms (core/detect/onnx/model.ts)
 *
 * Each anchor keeps its best class only (Ultralytics' multi_label=False), which must reach that
 * class's threshold. Only survivors allocate: the loops over thousands of anchors do not.
 */
import type { Box, ObjectDetection } from '../../../plugins/sdk/vision/types.js';
import type { Letterbox, ModelFormat } from './preprocess.js';

/** One detected object: the box in frame pixels, its score, class index and name. */
export interface Detection extends ObjectDetection {
  box: Box;
  score: number;
  classId: number;
  label: string;
}

/** A float output tensor as onnxruntime returns it. */
export interface OutputTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Score thresholds by class index, with a default for the rest. */
export class ScoreThresholds {
  /** The lowest threshold of all: anchors below it are skipped before looking at classes. */
  readonly min: number;
  private readonly byClass: Float64Array;

  constructor(
    readonly defaultThreshold: number,
    byClass: ReadonlyMap<number, number> = new Map(),
  ) {
    const size = Math.max(0, ...byClass.keys()) + 1;
    this.byClass = new Float64Array(size).fill(defaultThreshold);
    for (const [id, threshold] of byClass) this.byClass[id] = threshold;
    this.min = Math.min(defaultThreshold, ...byClass.values());
  }

  /** The threshold of class `classId`. */
  of(classId: number): number {
    return classId < this.byClass.length ? this.byClass[classId] : this.defaultThreshold;
  }
}

/** What a decoder needs besides the tensor. */
export interface DecodeContext {
  thresholds: ScoreThresholds;
  labels: readonly string[];
  inputWidth: number;
  inputHeight: number;
}

/** Decodes image `batch` of an output into thresholded detections (before NMS). */
export type Decoder = (output: OutputTensor, batch: number, box: Letterbox, ctx: DecodeContext) => Detection[];

/** Strides of YOLOX's three heads (P3, P4, P5). */
export const YOLOX_STRIDES = [8, 16, 32] as const;

/** Anchor points of a stride-8/16/32 grid over the input: 8400 for 640×640. */
export function gridAnchors(inputWidth: number, inputHeight: number, strides: readonly number[] = YOLOX_STRIDES): number {
  let n = 0;
  for (const s of strides) n += Math.ceil(inputWidth / s) * Math.ceil(inputHeight / s);
  return n;
}

/** The label of class `id`: its name, else `class<id>`. */
export function labelOf(labels: readonly string[], id: number): string {
  return labels[id] ?? `class${id}`;
}

/**
 * Adds a detection for the input-pixel box (x1, y1, x2, y2) mapped to frame pixels and clipped to
 * the letterbox's region; boxes that clip to nothing are dropped.
 */
function push(out: Detection[], box: Letterbox, ctx: DecodeContext, x1: number, y1: number, x2: number, y2: number, score: number, classId: number): void {
  const left = clip((x1 - box.padX) / box.scaleX, box.width) + box.offsetX;
  const top = clip((y1 - box.padY) / box.scaleY, box.height) + box.offsetY;
  const right = clip((x2 - box.padX) / box.scaleX, box.width) + box.offsetX;
  const bottom = clip((y2 - box.padY) / box.scaleY, box.height) + box.offsetY;
  if (!(right > left && bottom > top)) return;
  out.push({ box: { x: left, y: top, w: right - left, h: bottom - top }, score, classId, label: labelOf(ctx.labels, classId) });
}

function clip(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

/** [B, rows, cols] of a rank-3 output, or a clear error. */
function rank3(output: OutputTensor, format: string, minCols: number): [number, number, number] {
  const { dims } = output;
  if (dims.length !== 3 || dims[2] < minCols) throw new RangeError(`${format} output must be [B, N, ${minCols}+], got [${dims.join(', ')}]`);
  return [dims[0], dims[1], dims[2]];
}

/** Index of the largest of `count` values of `data` from `from`, `step` apart (the first on a tie): a row's best class. */
function argmax(data: ArrayLike<number>, from: number, count: number, step: number): number {
  let best = 0;
  let max = data[from];
  for (let c = 1, at = from + step; c < count; c++, at += step) {
    if (data[at] > max) {
      max = data[at];
      best = c;
    }
  }
  return best;
}

/** YOLOv5 rows: objectness × best class score. */
export const decodeYolov5: Decoder = (output, batch, box, ctx) => {
  const [, n, cols] = rank3(output, 'yolov5', 6);
  const data = output.data;
  const min = ctx.thresholds.min;
  const found: Detection[] = [];
  for (let i = 0, row = batch * n * cols; i < n; i++, row += cols) {
    const obj = data[row + 4];
    if (obj < min) continue;
    const best = argmax(data, row + 5, cols - 5, 1);
    const score = obj * data[row + 5 + best];
    if (score < ctx.thresholds.of(best)) continue;
    const cx = data[row], cy = data[row + 1], hw = data[row + 2] / 2, hh = data[row + 3] / 2;
    push(found, box, ctx, cx - hw, cy - hh, cx + hw, cy + hh, score, best);
  }
  return found;
};

/** YOLOv8 / YOLO11 columns: [4+nc, N], no objectness. */
export const decodeYolov8: Decoder = (output, batch, box, ctx) => {
  const { dims, data } = output;
  if (dims.length !== 3 || dims[1] < 5) throw new RangeError(`yolov8 output must be [B, 4+nc, N], got [${dims.join(', ')}]`);
  const rows = dims[1];
  const n = dims[2];
  const base = batch * rows * n;
  const min = ctx.thresholds.min;
  const found: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const best = argmax(data, base + 4 * n + i, rows - 4, n);
    const score = data[base + (4 + best) * n + i];
    if (score < min || score < ctx.thresholds.of(best)) continue;
    const cx = data[base + i], cy = data[base + n + i], hw = data[base + 2 * n + i] / 2, hh = data[base + 3 * n + i] / 2;
    push(found, box, ctx, cx - hw, cy - hh, cx + hw, cy + hh, score, best);
  }
  return found;
};

/** YOLOX raw grid rows, decoded by stride. */
export const decodeYolox: Decoder = (output, batch, box, ctx) => {
  const [, n, cols] = rank3(output, 'yolox', 6);
  const expected = gridAnchors(ctx.inputWidth, ctx.inputHeight);
  if (n !== expected) throw new RangeError(`yolox output has ${n} rows; a ${ctx.inputWidth}x${ctx.inputHeight} input has ${expected} grid cells at strides 8/16/32`);
  const data = output.data;
  const min = ctx.thresholds.min;
  const found: Detection[] = [];
  let row = batch * n * cols;
  for (const s of YOLOX_STRIDES) {
    const gw = Math.ceil(ctx.inputWidth / s);
    const gh = Math.ceil(ctx.inputHeight / s);
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, row += cols) {
        const obj = data[row + 4];
        if (obj < min) continue;
        const best = argmax(data, row + 5, cols - 5, 1);
        const score = obj * data[row + 5 + best];
        if (score < ctx.thresholds.of(best)) continue;
        const cx = (data[row] + gx) * s, cy = (data[row + 1] + gy) * s;
        const hw = (Math.exp(data[row + 2]) * s) / 2, hh = (Math.exp(data[row + 3]) * s) / 2;
        push(found, box, ctx, cx - hw, cy - hh, cx + hw, cy + hh, score, best);
      }
    }
  }
  return found;
};

/** End-to-end rows x1, y1, x2, y2, score, class (NMS exports and CenterNet). */
export const decodeNms: Decoder = (output, batch, box, ctx) => {
  const [, k, cols] = rank3(output, 'nms', 6);
  const data = output.data;
  const found: Detection[] = [];
  for (let i = 0, row = batch * k * cols; i < k; i++, row += cols) {
    const score = data[row + 4];
    if (score < ctx.thresholds.min) continue;
    const classId = Math.round(data[row + 5]);
    if (classId < 0 || score < ctx.thresholds.of(classId)) continue;
    push(found, box, ctx, data[row], data[row + 1], data[row + 2], data[row + 3], score, classId);
  }
  return found;
};

/** RT-DETR queries: normalised cx, cy, w, h and per-class scores. */
export const decodeRtdetr: Decoder = (output, batch, box, ctx) => {
  const [, k, cols] = rank3(output, 'rtdetr', 5);
  const data = output.data;
  const W = ctx.inputWidth;
  const H = ctx.inputHeight;
  const found: Detection[] = [];
  for (let i = 0, row = batch * k * cols; i < k; i++, row += cols) {
    let best = 0;
    let score = data[row + 4];
    for (let c = 1; c < cols - 4; c++) {
      if (data[row + 4 + c] > score) {
        score = data[row + 4 + c];
        best = c;
      }
    }
    if (score < ctx.thresholds.min || score < ctx.thresholds.of(best)) continue;
    const cx = data[row] * W, cy = data[row + 1] * H, hw = (data[row + 2] * W) / 2, hh = (data[row + 3] * H) / 2;
    push(found, box, ctx, cx - hw, cy - hh, cx + hw, cy + hh, score, best);
  }
  return found;
};

/** The decoder of each format. */
export const DECODERS: Readonly<Record<ModelFormat, Decoder>> = {
  yolov5: decodeYolov5,
  yolov8: decodeYolov8,
  yolox: decodeYolox,
  nms: decodeNms,
  rtdetr: decodeRtdetr,
  centernet: decodeNms,
};

/** Intersection over union of two boxes. */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/**
 * Greedy class-aware non-maximum suppression: best score first, a box is dropped when it overlaps
 * a kept box of its class by more than `iouThreshold`. Returns at most `maxDetections`, best first.
 */
export function nonMaxSuppression(detections: Detection[], iouThreshold: number, maxDetections = Infinity): Detection[] {
  const sorted = detections.slice().sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    if (kept.length >= maxDetections) break;
    let suppressed = false;
    for (const k of kept) {
      if (k.classId === candidate.classId && iou(k.box, candidate.box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(candidate);
  }
  return kept;
}
