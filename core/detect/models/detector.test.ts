/**
 * OnnxDetector: the bundled CenterNet on real vtest.avi frames (as RGB and as the I420 planes the
 * FrameRing carries), batched detectMany on a dynamic-batch model and its one-by-one fallback,
 * serialised concurrent calls, and close().
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidStateError } from '../../errors.js';
import { ffmpegPath } from '../../ffmpeg.js';
import { ensureCenternetOnnx } from '../onnx/model.js';
import { VTEST_AVI, VTEST_HEIGHT, VTEST_WIDTH, vtestFrame } from '../onnx/vtest.js';
import { OnnxDetector } from './detector.js';
import type { PlanarImage, RgbImage } from './preprocess.js';
import { modelSchema } from './spec.js';
import { writeTestModel } from './test-models.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-detector-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Frame `index` of vtest.avi as ffmpeg's yuv420p, tight strides. */
function vtestI420(index: number): PlanarImage {
  const args = ['-v', 'error', '-i', VTEST_AVI, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'];
  const bytes = new Uint8Array(execFileSync(ffmpegPath(), args, { maxBuffer: 4 * VTEST_WIDTH * VTEST_HEIGHT }));
  const luma = VTEST_WIDTH * VTEST_HEIGHT;
  const chroma = luma / 4;
  return {
    format: 'i420', width: VTEST_WIDTH, height: VTEST_HEIGHT, strideY: VTEST_WIDTH, strideUV: VTEST_WIDTH / 2,
    y: bytes.subarray(0, luma), u: bytes.subarray(luma, luma + chroma), v: bytes.subarray(luma + chroma),
  };
}

describe('OnnxDetector with the bundled CenterNet', () => {
  let detector: OnnxDetector;
  before(async () => {
    const { path } = ensureCenternetOnnx(join(dir, 'cache'));
    detector = await OnnxDetector.create(modelSchema.parse({ path, format: 'centernet', scoreThreshold: 0.5 }));
  });
  after(() => detector.close());

  // Frames 100 and 700 each show at least three walking people in clear view (onnx/model.test.ts).
  for (const index of [100, 700]) {
    it(`finds ≥ 3 people inside vtest frame ${index}, from RGB and from I420`, async () => {
      const rgb: RgbImage = { format: 'rgb24', width: VTEST_WIDTH, height: VTEST_HEIGHT, data: vtestFrame(index) };
      for (const image of [rgb, vtestI420(index)]) {
        const people = (await detector.detect(image)).filter((d) => d.label === 'person');
        assert.ok(people.length >= 3, `${image.format}: expected ≥ 3 people, got ${people.length}`);
        for (const { box } of people) {
          assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.w <= VTEST_WIDTH && box.y + box.h <= VTEST_HEIGHT, `${JSON.stringify(box)} inside the frame`);
          assert.ok(box.h > box.w, `upright person ${JSON.stringify(box)}`);
        }
      }
    });
  }

  it('times one inference (1 thread)', async (t) => {
    const frame = vtestI420(100);
    await detector.detect(frame);
    const runs = 10;
    const start = performance.now();
    for (let i = 0; i < runs; i++) await detector.detect(frame);
    t.diagnostic(`centernet 512 through OnnxDetector, 1 thread: ${((performance.now() - start) / runs).toFixed(1)} ms per frame`);
  });
});

describe('OnnxDetector batching and lifecycle', () => {
  // An nms-format model: one person at x 100..200, moved right by 100 px times the image's
  // largest input value (0 for a black image, 1 for a white one: RGB / 255).
  const values = new Float32Array(10 * 6);
  values.set([100, 100, 200, 200, 0.875, 0]);
  const shift = new Float32Array(10 * 6);
  shift.set([100, 0, 100, 0]);
  const black: RgbImage = { format: 'rgb24', width: 640, height: 640, data: new Uint8Array(640 * 640 * 3) };
  const white: RgbImage = { ...black, data: new Uint8Array(640 * 640 * 3).fill(255) };
  const xOf = (found: { box: { x: number } }[][]) => found.map((d) => d.map((x) => x.box.x));

  it('stacks images into one run when the batch is dynamic', async () => {
    const path = writeTestModel(dir, 'batch.onnx', { input: ['batch', 3, 640, 640], output: [10, 6], values, shift });
    const detector = await OnnxDetector.create(modelSchema.parse({ path, format: 'nms' }), { maxBatch: 2 });
    assert.equal(detector.layout.dynamicBatch, true);
    const found = await detector.detectMany([{ image: black }, { image: white }, { image: black }, { image: white, region: { x: 0, y: 0, w: 320, h: 320 } }]);
    // The crop is scaled ×2 into the input, so its box maps back at half size.
    assert.deepEqual(xOf(found), [[100], [200], [100], [100]]);
    await detector.close();
  });

  it('runs one by one when the batch is fixed', async () => {
    const path = writeTestModel(dir, 'single.onnx', { input: [1, 3, 640, 640], output: [10, 6], values, shift });
    const detector = await OnnxDetector.create(modelSchema.parse({ path, format: 'nms' }));
    assert.equal(detector.layout.dynamicBatch, false);
    assert.deepEqual(xOf(await detector.detectMany([{ image: white }, { image: black }])), [[200], [100]]);
    await detector.close();
  });

  it('serialises concurrent calls, each with its own input', async () => {
    const path = writeTestModel(dir, 'concurrent.onnx', { input: [1, 3, 640, 640], output: [10, 6], values, shift });
    const detector = await OnnxDetector.create(modelSchema.parse({ path, format: 'nms' }));
    const calls = [detector.detect(white), detector.detect(black), detector.detect(white)];
    assert.equal(detector.pending, 3);
    const found = await Promise.all(calls);
    assert.equal(detector.pending, 0);
    assert.deepEqual(xOf(found), [[200], [100], [200]]);
    await detector.close();
  });

  it('close() waits for the run in progress, is idempotent, and later calls fail', async () => {
    const path = writeTestModel(dir, 'close.onnx', { input: [1, 3, 640, 640], output: [10, 6], values, shift });
    const detector = await OnnxDetector.create(modelSchema.parse({ path, format: 'nms' }));
    const pending = detector.detect(white);
    const closing = detector.close();
    assert.equal(detector.closed, true);
    assert.equal(detector.close(), closing);
    assert.deepEqual(xOf([await pending]), [[200]]);
    await closing;
    await assert.rejects(detector.detect(black), InvalidStateError);
  });
});
