/**
 * The ONNX writer's models load and run in onnxruntime-node with exactly the values put in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { constantModel, DataType, identityModel, OnnxGraphBuilder } from './writer.js';

describe('ONNX writer', () => {
  it('constantModel outputs its tensor bit for bit', async () => {
    const values = Float32Array.from([0, -1.5, 3.25, 1e-7, -0, 65504, Math.PI, 42]);
    const session = await ort.InferenceSession.create(constantModel('detections', [1, 2, 4], values));
    const { detections } = await session.run({});
    assert.deepEqual(detections.dims, [1, 2, 4]);
    assert.deepEqual(detections.data, values);
  });

  it('identityModel returns its input, with a symbolic batch dimension', async () => {
    const session = await ort.InferenceSession.create(identityModel(['batch', 3]));
    const input = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const { output } = await session.run({ input });
    assert.deepEqual(output.dims, [2, 3]);
    assert.deepEqual(output.data, input.data);
  });

  it('writes int, float, ints attributes and int64 initializers that the runtime reads back', async () => {
    // y = Transpose(Reshape(x, [3, 2]), perm [1, 0]) * 0.5 + LeakyRelu(alpha 1.0) path: exercises
    // INTS, INT64 raw_data, and a whole-number FLOAT attribute that must not be written as INT.
    const graph = new OnnxGraphBuilder();
    graph.input('x', DataType.FLOAT, [6]);
    const shape = graph.initializer('shape', DataType.INT64, [2], BigInt64Array.from([3n, 2n]));
    const half = graph.initializer('half', DataType.FLOAT, [], Float32Array.from([0.5]));
    const [reshaped] = graph.node('Reshape', ['x', shape], ['reshaped']);
    const [transposed] = graph.node('Transpose', [reshaped], ['transposed'], { perm: [1, 0] });
    const [scaled] = graph.node('Mul', [transposed, half], ['scaled']);
    graph.node('LeakyRelu', [scaled], ['y'], { alpha: { float: 1 } });
    graph.output('y', DataType.FLOAT, [2, 3]);
    const session = await ort.InferenceSession.create(graph.toBytes());
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, -6]), [6]) });
    assert.deepEqual(y.dims, [2, 3]);
    assert.deepEqual(Array.from(y.data as Float32Array), [0.5, 1.5, 2.5, 1, 2, -3]);
  });

  it('rejects a tensor whose values do not fill its dims', () => {
    assert.throws(() => constantModel('bad', [2, 2], new Float32Array(3)), /dims \[2,2\] hold 4 values, got 3/);
  });
});
