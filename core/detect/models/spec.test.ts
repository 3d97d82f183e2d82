/**
 * The model config and validateModel: each rejection's message (the setting, what was found, the
 * format the model looks like), class names from files, and a missing or broken model file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { ConfigError } from '../../errors.js';
import { COCO_CLASSES, loadClassNames } from './classes.js';
import { OnnxDetector } from './detector.js';
import { modelSchema, openModelSession, validateModel, type SessionInfo } from './spec.js';
import { testModelBytes, writeTestModel } from './test-models.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A session stand-in with one input and one output of the given shapes. */
function fake(input: (number | string)[], output: (number | string)[]): SessionInfo {
  return {
    inputNames: ['images'],
    outputNames: ['output0'],
    inputMetadata: [{ name: 'images', isTensor: true, type: 'float32', shape: input }],
    outputMetadata: [{ name: 'output0', isTensor: true, type: 'float32', shape: output }],
  };
}

const NCHW = [1, 3, 640, 640];
const spec = (format: string, extra: Record<string, unknown> = {}) => modelSchema.parse({ path: '/models/model.onnx', format, ...extra });

/** The ConfigError validateModel throws, checked for its path and message. */
function rejects(session: SessionInfo, format: string, path: string, message: string | RegExp, extra: Record<string, unknown> = {}): void {
  assert.throws(() => validateModel(session, spec(format, extra)), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.path, path);
    if (typeof message === 'string') assert.equal(err.message, `${path}: ${message}`);
    else assert.match(err.message, message);
    return true;
  });
}

describe('modelSchema', () => {
  it('fills the defaults', () => {
    assert.deepEqual(modelSchema.parse({ path: 'm.onnx', format: 'yolov8' }), { path: 'm.onnx', format: 'yolov8', scoreThreshold: 0.3, iouThreshold: 0.45, maxDetections: 100, threads: 1 });
  });

  it('rejects an unknown format name, listing the known ones', () => {
    const result = modelSchema.safeParse({ path: 'm.onnx', format: 'yolov9' });
    assert.equal(result.success, false);
    assert.match(result.error!.issues[0].message, /"yolov5"\|"yolov8"\|"yolox"\|"nms"\|"rtdetr"\|"centernet"/);
    assert.deepEqual(result.error!.issues[0].path, ['format']);
  });

  it('rejects unknown keys and thresholds outside 0..1', () => {
    assert.equal(modelSchema.safeParse({ path: 'm.onnx', format: 'nms', threshold: 0.5 }).success, false);
    assert.equal(modelSchema.safeParse({ path: 'm.onnx', format: 'nms', classThresholds: { person: 1.5 } }).success, false);
  });
});

describe('validateModel', () => {
  it('accepts each format on its own shape', () => {
    assert.equal(validateModel(fake(NCHW, [1, 25200, 85]), spec('yolov5')).numClasses, 80);
    assert.equal(validateModel(fake(NCHW, [1, 84, 8400]), spec('yolov8')).numClasses, 80);
    assert.equal(validateModel(fake(NCHW, [1, 8400, 85]), spec('yolox')).numClasses, 80);
    assert.equal(validateModel(fake(NCHW, [1, 300, 6]), spec('nms')).labels, COCO_CLASSES);
    assert.equal(validateModel(fake(NCHW, [1, 300, 84]), spec('rtdetr')).numClasses, 80);
    const centernet = validateModel(fake([1, 512, 512, 3], [1, 100, 6]), spec('centernet'));
    assert.deepEqual([centernet.inputWidth, centernet.inputHeight, centernet.dynamicBatch], [512, 512, false]);
  });

  it('names the format an NMS-exported model looks like when told yolov8 (real session)', async () => {
    const session = await ort.InferenceSession.create(testModelBytes({ input: NCHW, output: [300, 6], values: new Float32Array(1800) }));
    rejects(session, 'yolov8', 'model.format', "format 'yolov8' expects one output [1, 4+nc, N]; model.onnx has [1, 300, 6] — this looks like an NMS-exported model (format: nms)");
    await session.release();
  });

  it('tells the YOLO layouts apart', () => {
    rejects(fake(NCHW, [1, 84, 8400]), 'yolov5', 'model.format', /has \[1, 84, 8400\] — this looks like a YOLOv8\/YOLO11 model \(format: yolov8\)$/);
    rejects(fake(NCHW, [1, 8400, 85]), 'yolov5', 'model.format', /has \[1, 8400, 85\] — this looks like a YOLOX model \(format: yolox\)$/);
    rejects(fake(NCHW, [1, 25200, 85]), 'yolox', 'model.format', /expects one output \[1, N, 5\+nc\] with N the stride-8\/16\/32 grid cells; model.onnx has \[1, 25200, 85\] — this looks like a YOLOv5 model \(format: yolov5\)$/);
    rejects(fake(NCHW, [1, 25200, 85]), 'yolov8', 'model.format', /this looks like a YOLOv5 model \(format: yolov5\)$/);
    rejects(fake(NCHW, [1, 300, 84]), 'nms', 'model.format', /this looks like an RT-DETR model \(format: rtdetr\)$/);
  });

  it('checks the input layout and names the other one', () => {
    rejects(fake([1, 512, 512, 3], [1, 100, 6]), 'nms', 'model.format', "format 'nms' expects an input [1, 3, H, W] (NCHW); model.onnx has [1, 512, 512, 3] — this looks like an NHWC model (format: centernet)");
    rejects(fake(NCHW, [1, 100, 6]), 'centernet', 'model.format', /expects an input \[1, H, W, 3\] \(NHWC\); model.onnx has \[1, 3, 640, 640\] — this looks like an NCHW model/);
    rejects(fake([1, 640, 640], [1, 300, 6]), 'nms', 'model.format', /expects an input \[1, 3, H, W\] \(NCHW\); model.onnx has \[1, 640, 640\]$/);
    rejects(fake([4, 3, 640, 640], [4, 300, 6]), 'nms', 'model.format', /expects a batch of 1 or a dynamic batch/);
  });

  it('takes the size from the model, else inputSize, else 640; a dynamic batch allows batching', () => {
    const dynamic = validateModel(fake(['batch', 3, 'height', 'width'], ['batch', 84, 'anchors']), spec('yolov8', { inputSize: [960, 544] }));
    assert.deepEqual([dynamic.inputWidth, dynamic.inputHeight, dynamic.dynamicBatch], [960, 544, true]);
    const fallback = validateModel(fake([1, 3, -1, -1], [1, 84, -1]), spec('yolov8'));
    assert.deepEqual([fallback.inputWidth, fallback.inputHeight], [640, 640]);
    rejects(fake(NCHW, [1, 84, 8400]), 'yolov8', 'model.inputSize', 'model.onnx takes a fixed 640x640 input, not 320x320', { inputSize: 320 });
  });

  it('matches the class names to the classes the output scores', () => {
    rejects(fake(NCHW, [1, 7, 8400]), 'yolov8', 'model.classes', "model.onnx scores 3 classes, not COCO's 80: list their names in classes");
    rejects(fake(NCHW, [1, 7, 8400]), 'yolov8', 'model.classes', 'model.onnx scores 3 classes, but 2 names are given', { classes: ['a', 'b'] });
    const layout = validateModel(fake(NCHW, [1, 7, 8400]), spec('yolov8', { classes: ['forklift', 'person', 'pallet'], classThresholds: { person: 0.6 } }));
    assert.deepEqual([layout.thresholds.of(0), layout.thresholds.of(1), layout.thresholds.of(2), layout.thresholds.min], [0.3, 0.6, 0.3, 0.3]);
    rejects(fake(NCHW, [1, 84, 8400]), 'yolov8', 'model.classThresholds.forklift', "'forklift' is not one of the model's classes", { classThresholds: { forklift: 0.5 } });
  });

  it('wants one input and float32 tensors', () => {
    const two = { ...fake(NCHW, [1, 300, 84]), inputNames: ['images', 'orig_target_sizes'] };
    rejects(two, 'rtdetr', 'model.format', "format 'rtdetr' expects one image input; model.onnx has 2: images, orig_target_sizes");
    const half = { ...fake(NCHW, [1, 84, 8400]), inputMetadata: [{ name: 'images', isTensor: true as const, type: 'float16' as const, shape: NCHW }] };
    rejects(half, 'yolov8', 'model.format', /expects a float32 input; model.onnx's images is float16/);
  });
});

describe('class name files', () => {
  it('reads .txt, .json and an Ultralytics .yaml', () => {
    writeFileSync(join(dir, 'a.names'), 'forklift\n\nperson\r\npallet\n');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ 0: 'forklift', 2: 'pallet', 1: 'person' }));
    writeFileSync(join(dir, 'c.yaml'), 'path: ../datasets\nnames:\n  0: forklift\n  1: person\n  2: pallet\n');
    for (const file of ['a.names', 'b.json', 'c.yaml']) assert.deepEqual(loadClassNames(join(dir, file)), ['forklift', 'person', 'pallet']);
  });

  it('rejects a missing file and one without names', () => {
    assert.throws(() => loadClassNames(join(dir, 'none.txt'), 'model.classes'), /^ConfigError: model.classes: cannot read the class names file/);
    writeFileSync(join(dir, 'bad.json'), '{"a": 1}');
    assert.throws(() => loadClassNames(join(dir, 'bad.json')), /holds no list of class names/);
  });

  it('validateModel loads classes given as a path', () => {
    writeFileSync(join(dir, 'three.txt'), 'forklift\nperson\npallet\n');
    assert.deepEqual(validateModel(fake(NCHW, [1, 7, 8400]), spec('yolov8', { classes: join(dir, 'three.txt') })).labels, ['forklift', 'person', 'pallet']);
  });
});

describe('opening the model file', () => {
  it('a missing file is a ConfigError on path', async () => {
    await assert.rejects(OnnxDetector.create(modelSchema.parse({ path: join(dir, 'missing.onnx'), format: 'yolov8' }), { configPath: 'cameras.gate.detect.model' }), {
      name: 'ConfigError',
      message: `cameras.gate.detect.model.path: no model file at ${join(dir, 'missing.onnx')}`,
    });
  });

  it('a file onnxruntime cannot read is a ConfigError on path', async () => {
    writeFileSync(join(dir, 'junk.onnx'), 'not a model');
    await assert.rejects(openModelSession(modelSchema.parse({ path: join(dir, 'junk.onnx'), format: 'nms' })), /^ConfigError: model.path: onnxruntime cannot load .*junk.onnx/);
  });

  it('OnnxDetector.create releases the session and throws when the shape is wrong', async () => {
    const path = writeTestModel(dir, 'e2e.onnx', { input: NCHW, output: [300, 6], values: new Float32Array(1800) });
    await assert.rejects(OnnxDetector.create(modelSchema.parse({ path, format: 'yolox' })), /^ConfigError: model.format: format 'yolox' expects .* — this looks like an NMS-exported model \(format: nms\)$/);
  });
});
