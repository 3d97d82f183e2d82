/**
 * Every output decoder, end to end: a tiny ONNX model (test-models.ts) outputs one known scene
 * encoded the way its format encodes it; OnnxDetector runs it on a 1280×720 frame through
 * onnxruntime-node, and the detections must come back exactly, in frame pixels, after the
 * letterbox undo, the thresholds, class-aware NMS and the class names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gridAnchors, iou, nonMaxSuppression, type Detection } from './decoders.js';
import { OnnxDetector } from './detector.js';
import type { ModelFormat, RgbImage } from './preprocess.js';
import { modelSchema } from './spec.js';
import { writeTestModel } from './test-models.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-decoders-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CLASSES = ['person', 'car', 'dog'];
const frame: RgbImage = { format: 'rgb24', width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3) };

/** One object of the scene, in frame pixels; `obj` is the objectness where the format has one. */
interface SceneObject {
  name: string;
  box: [number, number, number, number];
  classId: number;
  score: number;
  obj?: number;
}

const SCENE: SceneObject[] = [
  { name: 'A', box: [160, 120, 320, 280], classId: 0, score: 0.75 },
  // B overlaps A (IoU 0.82), same class, lower score: suppressed.
  { name: 'B', box: [168, 128, 328, 288], classId: 0, score: 0.625 },
  // C is A's box as a car: kept, NMS is per class.
  { name: 'C', box: [160, 120, 320, 280], classId: 1, score: 0.5, obj: 0.625 },
  // D: objectness 0.25 under the 0.3 default threshold, though its class score is 1.
  { name: 'D', box: [800, 400, 900, 600], classId: 0, score: 0.25, obj: 0.25 },
  // E: a dog at 0.5, under the dog threshold of 0.6.
  { name: 'E', box: [1000, 100, 1100, 200], classId: 2, score: 0.5 },
  { name: 'F', box: [600, 300, 700, 400], classId: 2, score: 0.6875 },
  // G reaches past the frame's bottom right corner: clipped.
  { name: 'G', box: [1200, 600, 1340, 760], classId: 1, score: 0.875 },
];

const EXPECTED = [
  { label: 'car', classId: 1, score: 0.875, box: { x: 1200, y: 600, w: 80, h: 120 } },
  { label: 'person', classId: 0, score: 0.75, box: { x: 160, y: 120, w: 160, h: 160 } },
  { label: 'dog', classId: 2, score: 0.6875, box: { x: 600, y: 300, w: 100, h: 100 } },
  { label: 'car', classId: 1, score: 0.5, box: { x: 160, y: 120, w: 160, h: 160 } },
];

/** Frame → input pixels for the 1280×720 frame: scale per axis and padding. */
interface Transform {
  sx: number;
  sy: number;
  px: number;
  py: number;
}
const LETTERBOX_640: Transform = { sx: 0.5, sy: 0.5, px: 0, py: 140 };
const TOPLEFT_640: Transform = { sx: 0.5, sy: 0.5, px: 0, py: 0 };
const STRETCH_640: Transform = { sx: 0.5, sy: 640 / 720, px: 0, py: 0 };
const STRETCH_512: Transform = { sx: 0.4, sy: 512 / 720, px: 0, py: 0 };

/** The object's box in input pixels as cx, cy, w, h. */
function inputBox(o: SceneObject, t: Transform): [number, number, number, number] {
  const [x1, y1, x2, y2] = o.box;
  return [((x1 + x2) / 2) * t.sx + t.px, ((y1 + y2) / 2) * t.sy + t.py, (x2 - x1) * t.sx, (y2 - y1) * t.sy];
}

/** Class scores: the object's class gets score / obj, the others a little noise. */
function classScores(o: SceneObject): number[] {
  const obj = o.obj ?? 1;
  return CLASSES.map((_, c) => (c === o.classId ? o.score / obj : 0.0625));
}

const nc = CLASSES.length;

function encodeYolov5(): { output: number[]; values: Float32Array } {
  const rows = 3 * gridAnchors(640, 640);
  const values = new Float32Array(rows * (5 + nc));
  SCENE.forEach((o, i) => values.set([...inputBox(o, LETTERBOX_640), o.obj ?? 1, ...classScores(o)], i * 997 * (5 + nc)));
  return { output: [rows, 5 + nc], values };
}

function encodeYolov8(): { output: number[]; values: Float32Array } {
  const n = gridAnchors(640, 640);
  const values = new Float32Array((4 + nc) * n);
  SCENE.forEach((o, i) => {
    const column = [...inputBox(o, LETTERBOX_640), ...classScores(o).map((s) => s * (o.obj ?? 1))];
    column.forEach((v, r) => (values[r * n + i * 1201] = v));
  });
  return { output: [4 + nc, n], values };
}

/** YOLOX: each object in the grid cell of its centre at the stride given, raw offsets and log sizes. */
function encodeYolox(): { output: number[]; values: Float32Array } {
  const strides = { A: 8, B: 16, C: 32, D: 8, E: 16, F: 32, G: 8 } as Record<string, number>;
  const firstRow = { 8: 0, 16: 80 * 80, 32: 80 * 80 + 40 * 40 } as Record<number, number>;
  const n = gridAnchors(640, 640);
  const values = new Float32Array(n * (5 + nc));
  const used = new Set<number>();
  for (const o of SCENE) {
    const s = strides[o.name];
    const [cx, cy, w, h] = inputBox(o, TOPLEFT_640);
    const gx = Math.floor(cx / s);
    const gy = Math.floor(cy / s);
    const row = firstRow[s] + gy * (640 / s) + gx;
    assert.ok(!used.has(row), 'one object per cell');
    used.add(row);
    values.set([cx / s - gx, cy / s - gy, Math.log(w / s), Math.log(h / s), o.obj ?? 1, ...classScores(o)], row * (5 + nc));
  }
  return { output: [n, 5 + nc], values };
}

/** Rows x1, y1, x2, y2, score, class in input pixels. */
function encodeRows(rows: number, t: Transform): { output: number[]; values: Float32Array } {
  const values = new Float32Array(rows * 6);
  SCENE.forEach((o, i) => {
    const [cx, cy, w, h] = inputBox(o, t);
    values.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, o.score, o.classId], i * 6);
  });
  return { output: [rows, 6], values };
}

function encodeRtdetr(): { output: number[]; values: Float32Array } {
  const values = new Float32Array(300 * (4 + nc));
  SCENE.forEach((o, i) => {
    const [cx, cy, w, h] = inputBox(o, STRETCH_640);
    values.set([cx / 640, cy / 640, w / 640, h / 640, ...classScores(o).map((s) => s * (o.obj ?? 1))], (i * 41) * (4 + nc));
  });
  return { output: [300, 4 + nc], values };
}

const CASES: { format: ModelFormat; input: number[]; encode: () => { output: number[]; values: Float32Array } }[] = [
  { format: 'yolov5', input: [1, 3, 640, 640], encode: encodeYolov5 },
  { format: 'yolov8', input: [1, 3, 640, 640], encode: encodeYolov8 },
  { format: 'yolox', input: [1, 3, 640, 640], encode: encodeYolox },
  { format: 'nms', input: [1, 3, 640, 640], encode: () => encodeRows(300, LETTERBOX_640) },
  { format: 'rtdetr', input: [1, 3, 640, 640], encode: encodeRtdetr },
  { format: 'centernet', input: [1, 512, 512, 3], encode: () => encodeRows(100, STRETCH_512) },
];

function spec(format: ModelFormat, path: string, extra: Record<string, unknown> = {}) {
  return modelSchema.parse({ path, format, classes: CLASSES, classThresholds: { dog: 0.6 }, ...extra });
}

function assertDetections(actual: Detection[], expected: typeof EXPECTED): void {
  assert.deepEqual(actual.map((d) => d.label), expected.map((d) => d.label));
  actual.forEach((d, i) => {
    const e = expected[i];
    assert.equal(d.classId, e.classId);
    assert.ok(Math.abs(d.score - e.score) < 1e-6, `score ${d.score} ≠ ${e.score}`);
    for (const k of ['x', 'y', 'w', 'h'] as const) assert.ok(Math.abs(d.box[k] - e.box[k]) < 1e-3, `${e.label} box.${k} ${d.box[k]} ≠ ${e.box[k]}`);
  });
}

describe('decoders through OnnxDetector', () => {
  for (const c of CASES) {
    it(`${c.format}: boxes in frame pixels, thresholds, class-aware NMS, names`, async () => {
      const path = writeTestModel(dir, `${c.format}.onnx`, { input: c.input, ...c.encode() });
      const detector = await OnnxDetector.create(spec(c.format, path));
      try {
        assertDetections(await detector.detect(frame), EXPECTED);
      } finally {
        await detector.close();
      }
    });
  }

  it('nms: a looser IoU threshold keeps the overlapping person; maxDetections caps the list', async () => {
    const path = writeTestModel(dir, 'nms-iou.onnx', { input: [1, 3, 640, 640], ...encodeRows(300, LETTERBOX_640) });
    const loose = await OnnxDetector.create(spec('nms', path, { iouThreshold: 0.9 }));
    const labels = (await loose.detect(frame)).map((d) => `${d.label}@${d.score}`);
    assert.deepEqual(labels, ['car@0.875', 'person@0.75', 'dog@0.6875', 'person@0.625', 'car@0.5']);
    await loose.close();
    const capped = await OnnxDetector.create(spec('nms', path, { maxDetections: 2 }));
    assertDetections(await capped.detect(frame), EXPECTED.slice(0, 2));
    await capped.close();
  });

  it('nms: a region of the frame maps back with its offset and clips to it', async () => {
    // The same output read as a 640×640 crop at (320, 40): scale 1, no padding.
    const path = writeTestModel(dir, 'nms-crop.onnx', { input: [1, 3, 640, 640], ...encodeRows(300, LETTERBOX_640) });
    const detector = await OnnxDetector.create(spec('nms', path));
    const found = await detector.detect(frame, { x: 320, y: 40, w: 640, h: 640 });
    const person = found.find((d) => d.label === 'person');
    // A is [80, 200, 160, 280] in input pixels.
    assert.deepEqual(person?.box, { x: 400, y: 240, w: 80, h: 80 });
    // G is [600, 440, 670, 520]: clipped at the crop's right edge, x 960.
    const car = found.find((d) => d.score === 0.875);
    assert.deepEqual(car?.box, { x: 920, y: 480, w: 40, h: 80 });
    await detector.close();
  });
});

describe('nonMaxSuppression', () => {
  const det = (x: number, score: number, classId = 0): Detection => ({ box: { x, y: 0, w: 10, h: 10 }, score, classId, label: String(classId) });

  it('keeps the best of overlapping boxes of a class, and any class apart', () => {
    const kept = nonMaxSuppression([det(1, 0.5), det(0, 0.9), det(0, 0.8, 1), det(30, 0.4)], 0.45);
    assert.deepEqual(kept.map((d) => [d.box.x, d.score, d.classId]), [[0, 0.9, 0], [0, 0.8, 1], [30, 0.4, 0]]);
  });

  it('iou of identical, disjoint and half-overlapping boxes', () => {
    assert.equal(iou(det(0, 1).box, det(0, 1).box), 1);
    assert.equal(iou(det(0, 1).box, det(10, 1).box), 0);
    assert.equal(iou(det(0, 1).box, det(5, 1).box), 50 / 150);
  });
});
