/**
 * Conversion proof: on real vtest.avi frames, the ONNX model made by tfjs.ts (run by
 * onnxruntime-node) matches @tensorflow/tfjs's CPU execution of the original centernet graph.
 *
 * Tolerances cover float32 summation-order differences only (measured maxima on frames 100 and
 * 500 in parentheses, onnxruntime-node 1.30 vs tfjs 4.22 on x64):
 *   keypoints (sigmoid heatmap, 0..1)              |Δ| ≤ 1e-5       (9.2e-7)
 *   wh (box edge distances, 512-px input, ≤ ~225)  |Δ| ≤ 1e-2 px    (2.9e-3)
 *   detections, all 100 rows: x1..y2              |Δ| ≤ 1e-2 px    (3.1e-5)
 *                             score               |Δ| ≤ 1e-5       (9.2e-7), class exact
 * The input itself is identical: centernetInput() equals tf.image.resizeBilinear bit for bit.
 * Rows are matched by (class, box) rather than by position, because two candidates whose scores
 * differ by less than the tolerance may legitimately swap places in TopK.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { CENTERNET_DETECTIONS, CENTERNET_INPUT, CENTERNET_KEYPOINTS, CENTERNET_SIZE, CENTERNET_WH, centernetSource, readDetections } from './model.js';
import { centernetInput } from './preprocess.js';
import { convertTfjsGraph, listTfjsOps } from './tfjs.js';
import type { TfjsGraphModel } from './tfjs-model.js';
import { VTEST_HEIGHT, VTEST_WIDTH, vtestFrame } from './vtest.js';

const OUTPUTS = [CENTERNET_DETECTIONS, CENTERNET_KEYPOINTS, CENTERNET_WH];
const KEYPOINT_TOLERANCE = 1e-5;
const PIXEL_TOLERANCE = 1e-2;
const SCORE_TOLERANCE = 1e-5;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('tfjs → ONNX conversion of centernet', () => {
  let reference: tf.GraphModel;
  let session: ort.InferenceSession;

  before(async () => {
    const source = centernetSource();
    const json = JSON.parse(readFileSync(source.json, 'utf8')) as TfjsGraphModel & Record<string, unknown>;
    const weights = Buffer.concat(source.shards.map((path) => readFileSync(path)));
    const converted = convertTfjsGraph(json, weights);
    // Every node of the graph feeds an output, so every op in the file was mapped.
    assert.deepEqual(converted.ops, listTfjsOps(json));
    session = await ort.InferenceSession.create(converted.bytes);
    // One untimed run, so the reported time is steady state rather than first-run allocation.
    await session.run({ [CENTERNET_INPUT]: new ort.Tensor('float32', new Float32Array(CENTERNET_SIZE * CENTERNET_SIZE * 3), [1, CENTERNET_SIZE, CENTERNET_SIZE, 3]) });
    await tf.setBackend('cpu');
    const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    const weightSpecs = json.weightsManifest.flatMap((group) => group.weights) as tf.io.WeightsManifestEntry[];
    reference = await tf.loadGraphModel(tf.io.fromMemory({ ...json, weightSpecs, weightData } as tf.io.ModelArtifacts));
  });
  after(async () => {
    reference?.dispose();
    await session?.release();
  });

  for (const frame of [100, 500]) {
    it(`matches tfjs on vtest.avi frame ${frame}`, async (t) => {
      const rgb = vtestFrame(frame);
      const input = centernetInput(rgb, VTEST_WIDTH, VTEST_HEIGHT);

      // Our preprocessing is human's: tf.image.resizeBilinear of the float frame to 512×512.
      const resized = tf.tidy(() => tf.image.resizeBilinear(tf.tensor(rgb, [1, VTEST_HEIGHT, VTEST_WIDTH, 3], 'float32') as tf.Tensor4D, [CENTERNET_SIZE, CENTERNET_SIZE]));
      assert.equal(maxAbsDiff(resized.dataSync(), input), 0, 'centernetInput equals tf.image.resizeBilinear exactly');
      resized.dispose();

      const startOnnx = performance.now();
      const onnx = await session.run({ [CENTERNET_INPUT]: new ort.Tensor('float32', input, [1, CENTERNET_SIZE, CENTERNET_SIZE, 3]) });
      const onnxMs = performance.now() - startOnnx;

      const startTfjs = performance.now();
      const tfInput = tf.tensor(input, [1, CENTERNET_SIZE, CENTERNET_SIZE, 3]);
      const tfOutputs = reference.execute(tfInput, OUTPUTS) as tf.Tensor[];
      const expected = tfOutputs.map((tensor) => tensor.dataSync() as Float32Array);
      const tfjsMs = performance.now() - startTfjs;
      tf.dispose([tfInput, ...tfOutputs]);

      OUTPUTS.forEach((name, i) => assert.deepEqual(onnx[name].dims, tfOutputs[i].shape, `${name} shape`));
      const keypointDiff = maxAbsDiff(onnx[CENTERNET_KEYPOINTS].data as Float32Array, expected[1]);
      const whDiff = maxAbsDiff(onnx[CENTERNET_WH].data as Float32Array, expected[2]);
      assert.ok(keypointDiff <= KEYPOINT_TOLERANCE, `keypoints differ by ${keypointDiff}`);
      assert.ok(whDiff <= PIXEL_TOLERANCE, `wh differs by ${whDiff}`);

      const ours = readDetections(onnx[CENTERNET_DETECTIONS].data as Float32Array);
      const theirs = readDetections(expected[0]);
      let boxDiff = 0;
      let scoreDiff = 0;
      const unmatched = new Set(theirs.keys());
      for (const row of ours) {
        const match = [...unmatched].find((j) => {
          const other = theirs[j];
          const box = Math.max(Math.abs(row.x1 - other.x1), Math.abs(row.y1 - other.y1), Math.abs(row.x2 - other.x2), Math.abs(row.y2 - other.y2));
          return other.classIndex === row.classIndex && box <= PIXEL_TOLERANCE && Math.abs(row.score - other.score) <= SCORE_TOLERANCE;
        });
        assert.ok(match !== undefined, `ONNX detection ${JSON.stringify(row)} has no tfjs counterpart`);
        unmatched.delete(match);
        const other = theirs[match];
        boxDiff = Math.max(boxDiff, Math.abs(row.x1 - other.x1), Math.abs(row.y1 - other.y1), Math.abs(row.x2 - other.x2), Math.abs(row.y2 - other.y2));
        scoreDiff = Math.max(scoreDiff, Math.abs(row.score - other.score));
      }
      assert.ok(theirs[0].score > 0.5, 'the frame has a confident detection, so the comparison is not all noise');
      t.diagnostic(`max |Δ| keypoints ${keypointDiff.toExponential(2)}, wh ${whDiff.toExponential(2)} px, boxes ${boxDiff.toExponential(2)} px, scores ${scoreDiff.toExponential(2)}`);
      t.diagnostic(`one inference: onnxruntime ${onnxMs.toFixed(0)} ms, tfjs cpu ${tfjsMs.toFixed(0)} ms`);
    });
  }
});
