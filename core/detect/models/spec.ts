/**
 * The config of a user's ONNX detector and the check that the model fits it.
 *
 * A model whose inputs or outputs do not have the shape its format implies fails at start with a
 * ConfigError that names the setting, the shape found, and the format the shape looks like. The
 * formats' shapes tell each other apart by the number of rows against the anchor grid of the input
 * size A (8400 at 640: strides 8, 16, 32): YOLOv5 has 3 anchors per cell (≥ 3·A rows), YOLOX one
 * (A rows), YOLOv8 puts the A anchors last, and end-to-end models (nms, rtdetr, centernet) have a
 * few hundred rows, fewer than A.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { CENTERNET_DETECTIONS, CENTERNET_SIZE } from '../onnx/model.js';
import { COCO_CLASSES, loadClassNames } from './classes.js';
import { ScoreThresholds, gridAnchors } from './decoders.js';
import { INPUT_RECIPES, MODEL_FORMATS, type ModelFormat } from './preprocess.js';

export { DEFAULT_SCORE_THRESHOLD, DEFAULT_IOU_THRESHOLD, DEFAULT_INPUT_SIZE, modelShape, modelSchema, type ModelSpec } from './config.js';
import { DEFAULT_INPUT_SIZE, type ModelSpec } from './config.js';

/** The parts of an InferenceSession that validateModel reads. */
export type SessionInfo = Pick<ort.InferenceSession, 'inputNames' | 'outputNames'> & Partial<Pick<ort.InferenceSession, 'inputMetadata' | 'outputMetadata'>>;

/** What validateModel found out: which tensors to use and how to read them. */
export interface ModelLayout {
  format: ModelFormat;
  inputName: string;
  outputName: string;
  inputWidth: number;
  inputHeight: number;
  /** The batch dimension is symbolic: several images can run in one call. */
  dynamicBatch: boolean;
  /** Classes the output scores, when its shape tells (not for nms and centernet). */
  numClasses?: number;
  labels: readonly string[];
  thresholds: ScoreThresholds;
}

type Dims = readonly (number | string)[];

/** A dim's size when fixed, else undefined (symbolic names and -1). */
function fixed(dim: number | string | undefined): number | undefined {
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

function showDims(dims: Dims | undefined): string {
  return dims ? `[${dims.join(', ')}]` : '[?]';
}

function shapeOf(meta: readonly ort.InferenceSession.ValueMetadata[] | undefined, name: string): { dims?: Dims; type?: string } {
  const m = meta?.find((v) => v.name === name);
  if (!m || !m.isTensor) return {};
  return { dims: m.shape.length ? m.shape : undefined, type: m.type };
}

/** What each format's output looks like, for error messages. */
const EXPECTED_OUTPUT: Readonly<Record<ModelFormat, string>> = {
  yolov5: 'one output [1, N, 5+nc] (N ≥ 3 anchors per grid cell)',
  yolov8: 'one output [1, 4+nc, N]',
  yolox: 'one output [1, N, 5+nc] with N the stride-8/16/32 grid cells',
  nms: 'an output [1, K, 6] (x1, y1, x2, y2, score, class)',
  rtdetr: 'one output [1, K, 4+nc] (normalised cx, cy, w, h, class scores)',
  centernet: 'an output [1, K, 6] (x1, y1, x2, y2, score, class)',
};

/**
 * Which format an output of `dims` looks like, for an input of `anchors` grid cells; undefined
 * when unsure. `nhwc` tells centernet from nms.
 */
export function guessFormat(dims: Dims, anchors: number, nhwc = false): ModelFormat | undefined {
  if (dims.length !== 3) return undefined;
  const rows = fixed(dims[1]);
  const cols = fixed(dims[2]);
  if (rows === undefined || cols === undefined) return undefined;
  if (cols >= anchors && rows < cols) return 'yolov8';
  if (rows >= 3 * anchors && cols > 5) return 'yolov5';
  if (rows === anchors && cols > 5) return 'yolox';
  if (rows < anchors && cols === 6) return nhwc ? 'centernet' : 'nms';
  if (rows < anchors && cols > 4) return 'rtdetr';
  return undefined;
}

const FORMAT_NAMES: Readonly<Record<ModelFormat, string>> = {
  yolov5: 'a YOLOv5 model',
  yolov8: 'a YOLOv8/YOLO11 model',
  yolox: 'a YOLOX model',
  nms: 'an NMS-exported model',
  rtdetr: 'an RT-DETR model',
  centernet: 'a CenterNet model',
};

/** Whether `dims` (known dims only) fit `format`; `anchors` as in guessFormat. */
function outputFits(format: ModelFormat, dims: Dims, anchors: number): boolean {
  if (dims.length !== 3) return false;
  const rows = fixed(dims[1]);
  const cols = fixed(dims[2]);
  switch (format) {
    case 'yolov5':
      return (cols === undefined || cols >= 6) && (rows === undefined || rows >= 3 * anchors);
    case 'yolov8':
      return (rows === undefined || rows >= 5) && (cols === undefined || rows === undefined || cols > rows);
    case 'yolox':
      return (cols === undefined || cols >= 6) && (rows === undefined || rows === anchors);
    case 'nms':
    case 'centernet':
      return cols === 6 && (rows === undefined || rows < anchors);
    case 'rtdetr':
      return (cols === undefined || cols >= 5) && (rows === undefined || rows < anchors);
  }
}

/**
 * Checks that the session's model fits `spec` and works out how to run it. Throws a ConfigError
 * under `configPath` (`cameras.gate.detect.model`) naming what is wrong.
 */
export function validateModel(session: SessionInfo, spec: ModelSpec, configPath = 'model'): ModelLayout {
  const file = basename(spec.path);
  const format = spec.format;
  const recipe = INPUT_RECIPES[format];
  const nhwc = recipe.layout === 'nhwc';
  const formatError = (what: string) => new ConfigError(`format '${format}' ${what}`, `${configPath}.format`);

  if (session.inputNames.length !== 1) {
    throw formatError(`expects one image input; ${file} has ${session.inputNames.length}: ${session.inputNames.join(', ')}`);
  }
  const inputName = session.inputNames[0];
  const input = shapeOf(session.inputMetadata, inputName);
  if (input.type && input.type !== 'float32') throw formatError(`expects a float32 input; ${file}'s ${inputName} is ${input.type} (export in float32)`);
  const want = nhwc ? '[1, H, W, 3] (NHWC)' : '[1, 3, H, W] (NCHW)';
  let inputWidth: number | undefined;
  let inputHeight: number | undefined;
  let dynamicBatch = false;
  if (input.dims) {
    const d = input.dims;
    const channels = fixed(d[nhwc ? 3 : 1]);
    if (d.length !== 4 || (channels !== undefined && channels !== 3)) {
      const other = d.length === 4 && fixed(d[nhwc ? 1 : 3]) === 3 ? ` — this looks like an ${nhwc ? 'NCHW' : 'NHWC'} model (format: ${nhwc ? 'yolov8, yolov5, yolox, nms or rtdetr' : 'centernet'})` : '';
      throw formatError(`expects an input ${want}; ${file} has ${showDims(d)}${other}`);
    }
    const batch = fixed(d[0]);
    if (batch !== undefined && batch !== 1) throw formatError(`expects a batch of 1 or a dynamic batch; ${file} has ${showDims(d)}`);
    dynamicBatch = batch === undefined;
    inputHeight = fixed(d[nhwc ? 1 : 2]);
    inputWidth = fixed(d[nhwc ? 2 : 3]);
  }
  const configured = typeof spec.inputSize === 'number' ? [spec.inputSize, spec.inputSize] : spec.inputSize;
  if (configured) {
    const [w, h] = configured;
    if ((inputWidth !== undefined && inputWidth !== w) || (inputHeight !== undefined && inputHeight !== h)) {
      throw new ConfigError(`${file} takes a fixed ${inputWidth ?? '?'}x${inputHeight ?? '?'} input, not ${w}x${h}`, `${configPath}.inputSize`);
    }
    inputWidth = w;
    inputHeight = h;
  }
  const fallback = format === 'centernet' ? CENTERNET_SIZE : DEFAULT_INPUT_SIZE;
  inputWidth ??= fallback;
  inputHeight ??= fallback;

  const outputName = pickOutput(session, format);
  if (!outputName) throw formatError(`expects ${EXPECTED_OUTPUT[format]}; ${file} has no such output (outputs: ${session.outputNames.join(', ')})`);
  const output = shapeOf(session.outputMetadata, outputName);
  if (output.type && output.type !== 'float32') throw formatError(`expects a float32 output; ${file}'s ${outputName} is ${output.type}`);
  const anchors = gridAnchors(inputWidth, inputHeight);
  if (output.dims && !outputFits(format, output.dims, anchors)) {
    const guess = guessFormat(output.dims, anchors, nhwc);
    const hint = guess && guess !== format ? ` — this looks like ${FORMAT_NAMES[guess]} (format: ${guess})` : '';
    throw formatError(`expects ${EXPECTED_OUTPUT[format]}; ${file} has ${showDims(output.dims)}${hint}`);
  }

  const numClasses = output.dims ? classCount(format, output.dims) : undefined;
  const labels = resolveLabels(spec, numClasses, file, configPath);
  return { format, inputName, outputName, inputWidth, inputHeight, dynamicBatch, numClasses, labels, thresholds: resolveThresholds(spec, labels, configPath) };
}

/** The output to decode: CenterNet's detections (it has three), else the first (YOLO-seg's boxes). */
function pickOutput(session: SessionInfo, format: ModelFormat): string | undefined {
  if (format !== 'centernet' && format !== 'nms') return session.outputNames[0];
  if (session.outputNames.includes(CENTERNET_DETECTIONS)) return CENTERNET_DETECTIONS;
  if (session.outputNames.length === 1 || !session.outputMetadata) return session.outputNames[0];
  return session.outputNames.find((name) => {
    const dims = shapeOf(session.outputMetadata, name).dims;
    return dims?.length === 3 && dims[2] === 6;
  });
}

function classCount(format: ModelFormat, dims: Dims): number | undefined {
  const size = (at: number, less: number) => {
    const n = fixed(dims[at]);
    return n === undefined ? undefined : n - less;
  };
  switch (format) {
    case 'yolov5':
    case 'yolox':
      return size(2, 5);
    case 'yolov8':
      return size(1, 4);
    case 'rtdetr':
      return size(2, 4);
    default:
      return undefined;
  }
}

function resolveLabels(spec: ModelSpec, numClasses: number | undefined, file: string, configPath: string): readonly string[] {
  const path = `${configPath}.classes`;
  const labels = spec.classes === undefined ? COCO_CLASSES : typeof spec.classes === 'string' ? loadClassNames(spec.classes, path) : spec.classes;
  if (numClasses !== undefined && labels.length !== numClasses) {
    throw new ConfigError(
      spec.classes === undefined
        ? `${file} scores ${numClasses} classes, not COCO's 80: list their names in classes`
        : `${file} scores ${numClasses} classes, but ${labels.length} names are given`,
      path,
    );
  }
  return labels;
}

function resolveThresholds(spec: ModelSpec, labels: readonly string[], configPath: string): ScoreThresholds {
  const byClass = new Map<number, number>();
  for (const [name, threshold] of Object.entries(spec.classThresholds ?? {})) {
    const ids = labels.flatMap((label, id) => (label === name ? [id] : []));
    for (const id of ids) byClass.set(id, threshold);
    if (ids.length === 0) throw new ConfigError(`'${name}' is not one of the model's classes`, `${configPath}.classThresholds.${name}`);
  }
  return new ScoreThresholds(spec.scoreThreshold, byClass);
}

/**
 * Opens `spec.path` in onnxruntime (sequential execution, `spec.threads` intra-op threads),
 * turning a missing or unreadable file into a ConfigError under `configPath.path`.
 */
export async function openModelSession(spec: ModelSpec, configPath = 'model'): Promise<ort.InferenceSession> {
  if (!existsSync(spec.path)) throw new ConfigError(`no model file at ${spec.path}`, `${configPath}.path`);
  try {
    return await ort.InferenceSession.create(spec.path, {
      intraOpNumThreads: spec.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ConfigError(`onnxruntime cannot load ${spec.path}: ${(err as Error).message}`, `${configPath}.path`);
  }
}
