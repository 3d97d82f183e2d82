/**
 * Tiny ONNX models with known outputs, for the decoder and detector tests: the output is a
 * constant tensor, plus (optionally) the max of each input image times `shift`, so a test can tell
 * the images of a batch apart. The input is always read, so onnxruntime keeps it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, OnnxGraphBuilder } from '../onnx/writer.js';

/** Shape and content of a test model. */
export interface TestModel {
  /** Input dims, e.g. [1, 3, 640, 640] or ['batch', 3, 640, 640]. */
  input: readonly (number | string)[];
  /** Output dims after the batch, e.g. [300, 6]. */
  output: readonly number[];
  /** The output of one image (product of `output` values). */
  values: Float32Array;
  /** Added times the image's largest input value (default all zero). */
  shift?: Float32Array;
  inputName?: string;
  outputName?: string;
}

/** The serialized model. */
export function testModelBytes(m: TestModel): Uint8Array {
  const g = new OnnxGraphBuilder('test');
  const input = g.input(m.inputName ?? 'images', DataType.FLOAT, m.input);
  const dims = [1, ...m.output];
  const base = g.initializer('base', DataType.FLOAT, dims, m.values);
  const shift = g.initializer('shift', DataType.FLOAT, dims, m.shift ?? new Float32Array(m.values.length));
  const axes = g.initializer('axes', DataType.INT64, [3], new BigInt64Array([1n, 2n, 3n]));
  const [max] = g.node('ReduceMax', [input, axes], ['max'], { keepdims: 1 });
  const shape = g.initializer('shape', DataType.INT64, [3], new BigInt64Array([-1n, 1n, 1n]));
  const [perImage] = g.node('Reshape', [max, shape], ['per_image']);
  const [scaled] = g.node('Mul', [perImage, shift], ['scaled']);
  const outputName = m.outputName ?? 'output0';
  g.node('Add', [base, scaled], [outputName]);
  g.output(outputName, DataType.FLOAT, [m.input[0], ...m.output]);
  return g.toBytes();
}

/** Writes the model to `dir/name` and returns the path. */
export function writeTestModel(dir: string, name: string, m: TestModel): string {
  const path = join(dir, name);
  writeFileSync(path, testModelBytes(m));
  return path;
}
