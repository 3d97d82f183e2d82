/**
 * The config of an ONNX detector model (the `detector.model` setting), apart from spec.ts so that
 * reading a config does not load onnxruntime.
 */
import { z } from 'zod';
import { MODEL_FORMATS } from './preprocess.js';

/** Default minimum score: between Ultralytics' 0.25 and the 0.4 of alerting setups. */
export const DEFAULT_SCORE_THRESHOLD = 0.3;
/** Default NMS IoU threshold (YOLOv5's and YOLOX's demo value). */
export const DEFAULT_IOU_THRESHOLD = 0.45;
/** Input size used when the model's own is dynamic and the config gives none. */
export const DEFAULT_INPUT_SIZE = 640;

/** Config fields of one ONNX detector model; spread into a detector's strict config object. */
export const modelShape = {
  path: z.string().min(1).describe('Path of the .onnx model file.'),
  format: z.enum(MODEL_FORMATS).describe(
    "Output layout and pre-processing: 'yolov5' [1, N, 5+nc] with objectness; 'yolov8' [1, 4+nc, N] (also YOLO11, YOLOv5u); " +
      "'yolox' raw grid output [1, N, 5+nc]; 'nms' end-to-end [1, K, 6] x1, y1, x2, y2, score, class; " +
      "'rtdetr' [1, K, 4+nc] normalised boxes (Ultralytics export); 'centernet' the bundled CenterNet layout.",
  ),
  inputSize: z.union([z.number().int().min(32).max(4096), z.tuple([z.number().int().min(32).max(4096), z.number().int().min(32).max(4096)])])
    .optional()
    .describe('Input width and height in pixels (one number for a square), for models exported with a dynamic size; must match a fixed size. Default: the model\'s, else 640 (512 for centernet).'),
  classes: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)])
    .optional()
    .describe('Class names in model index order, or the path of a file holding them (.txt one per line, .json, or an Ultralytics .yaml with names:). Default: the 80 COCO names.'),
  scoreThreshold: z.number().min(0).max(1).default(DEFAULT_SCORE_THRESHOLD).describe('Minimum score of a detection, for classes without their own threshold.'),
  classThresholds: z.record(z.string().min(1), z.number().min(0).max(1))
    .optional()
    .describe('Minimum score by class name, e.g. { person: 0.5 }; each name must be one of the model\'s classes.'),
  iouThreshold: z.number().min(0).max(1).default(DEFAULT_IOU_THRESHOLD).describe('Non-maximum suppression: a box overlapping a better one of its class by more than this IoU is dropped.'),
  maxDetections: z.number().int().min(1).max(1000).default(100).describe('Most detections kept per image, best first.'),
  threads: z.number().int().min(1).max(64).default(1).describe('onnxruntime intra-op threads per model (one keeps a camera\'s detector on one core).'),
};

/** A whole model config. */
export const modelSchema = z.strictObject(modelShape);

/** A parsed model config. */
export type ModelSpec = z.output<typeof modelSchema>;
