/**
 * Op-level parity of the tfjs → ONNX converter on small hand-built TF graphs, for mappings that
 * centernet does not exercise (or exercises only on easy shapes): SAME padding on odd sizes,
 * depthwise multipliers, pooling, every resize mode, padding an NCHW value, integer floor
 * division of negative numbers, StridedSlice masks. Each graph runs in @tensorflow/tfjs (CPU) and,
 * converted, in onnxruntime-node on the same seeded input; outputs must agree to 1e-5 (relative
 * above 1).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { UnsupportedError } from '../../errors.js';
import { prng } from '../../testing/prng.js';
import { convertTfjsGraph } from './tfjs.js';
import type { TfAttr, TfjsGraphModel, TfNode } from './tfjs-model.js';

const TOLERANCE = 1e-5;

const ints = (...values: number[]): TfAttr => ({ list: { i: values.map(String) } });
const str = (value: string): TfAttr => ({ s: Buffer.from(value).toString('base64') });
const strs = (...values: string[]): TfAttr => ({ list: { s: values.map((v) => Buffer.from(v).toString('base64')) } });
const bool = (b: boolean): TfAttr => ({ b });
const int = (i: number): TfAttr => ({ i: String(i) });
const FLOAT: TfAttr = { type: 'DT_FLOAT' };
const INT32: TfAttr = { type: 'DT_INT32' };

type Feed = { name: string; dtype: 'float32' | 'int32'; shape: number[]; values: number[] };

/** A tiny TF graph: placeholders, consts (written as weights), and op nodes. */
class TestGraph {
  readonly nodes: TfNode[] = [];
  readonly consts: { name: string; dtype: 'float32' | 'int32'; shape: number[]; values: number[] }[] = [];
  readonly feeds: Feed[] = [];
  private readonly random = prng(7);

  input(name: string, shape: number[], dtype: 'float32' | 'int32' = 'float32', values?: number[]): string {
    const count = shape.reduce((a, b) => a * b, 1);
    const data = values ?? Array.from({ length: count }, () => Math.round((this.random() * 4 - 2) * 1000) / 1000);
    this.feeds.push({ name, dtype, shape, values: data });
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: dtype === 'float32' ? FLOAT : INT32, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  constant(name: string, shape: number[], values?: number[], dtype: 'float32' | 'int32' = 'float32'): string {
    const count = shape.reduce((a, b) => a * b, 1);
    this.consts.push({ name, dtype, shape, values: values ?? Array.from({ length: count }, () => this.random() - 0.5) });
    this.nodes.push({ name, op: 'Const', attr: { dtype: dtype === 'float32' ? FLOAT : INT32 } });
    return name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, TfAttr> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: FLOAT, ...attr } });
    return name;
  }

  model(): { json: TfjsGraphModel; weights: Uint8Array } {
    const buffers = this.consts.map((c) => Buffer.from((c.dtype === 'float32' ? Float32Array.from(c.values) : Int32Array.from(c.values)).buffer));
    const weights = this.consts.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
    return { json: { format: 'graph-model', modelTopology: { node: this.nodes }, weightsManifest: [{ paths: ['w.bin'], weights }] }, weights: Buffer.concat(buffers) };
  }
}

/** Runs `outputs` of the graph in tfjs and in onnxruntime and compares them. */
async function assertParity(graph: TestGraph, outputs: string[]): Promise<void> {
  const { json, weights } = graph.model();
  const converted = convertTfjsGraph(json, weights, { outputs });
  const session = await ort.InferenceSession.create(converted.bytes);
  const feeds = Object.fromEntries(graph.feeds.map((f) => [f.name, new ort.Tensor(f.dtype, f.dtype === 'float32' ? Float32Array.from(f.values) : Int32Array.from(f.values), f.shape)]));
  const actual = await session.run(feeds);
  await session.release();

  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: { ...json.modelTopology, versions: {} }, weightSpecs: json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[], weightData, format: 'graph-model' }));
  const inputs = Object.fromEntries(graph.feeds.map((f) => [f.name, tf.tensor(f.values, f.shape, f.dtype)]));
  const expected = model.execute(inputs, outputs) as tf.Tensor | tf.Tensor[];
  const tensors = Array.isArray(expected) ? expected : [expected];
  outputs.forEach((name, i) => {
    const want = tensors[i].dataSync();
    const got = actual[name];
    assert.deepEqual(got.dims, tensors[i].shape, `${name} shape`);
    const values = got.data as ArrayLike<number>;
    for (let k = 0; k < want.length; k++) {
      const diff = Math.abs(Number(values[k]) - want[k]) / Math.max(1, Math.abs(want[k]));
      assert.ok(diff <= TOLERANCE, `${name}[${k}]: onnx ${values[k]} vs tfjs ${want[k]}`);
    }
  });
  tf.dispose([...Object.values(inputs), ...tensors]);
  model.dispose();
}

describe('tfjs → ONNX op mappings', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('convolutions: SAME on odd sizes, depthwise multiplier, fused bias + Relu6/Relu, EXPLICIT padding', async () => {
    const g = new TestGraph();
    g.input('x', [1, 7, 7, 3]);
    g.constant('w1', [3, 3, 3, 4]);
    g.op('conv', 'Conv2D', ['x', 'w1'], { strides: ints(1, 2, 2, 1), padding: str('SAME'), dilations: ints(1, 1, 1, 1) });
    g.constant('w2', [3, 3, 4, 2]);
    g.op('dw', 'DepthwiseConv2dNative', ['conv', 'w2'], { strides: ints(1, 1, 1, 1), padding: str('VALID'), dilations: ints(1, 1, 1, 1) });
    g.constant('w3', [1, 1, 8, 5]);
    g.constant('b3', [5], [3, -3, 0.5, 7, -0.1]);
    g.op('fused', '_FusedConv2D', ['dw', 'w3', 'b3'], { strides: ints(1, 1, 1, 1), padding: str('SAME'), dilations: ints(1, 1, 1, 1), num_args: int(1), fused_ops: strs('BiasAdd', 'Relu6') });
    g.constant('w4', [2, 2, 3, 2]);
    g.constant('b4', [6]);
    g.op('fdw', 'FusedDepthwiseConv2dNative', ['x', 'w4', 'b4'], { strides: ints(1, 2, 2, 1), padding: str('SAME'), dilations: ints(1, 1, 1, 1), num_args: int(1), fused_ops: strs('BiasAdd', 'Relu') });
    g.op('explicit', 'Conv2D', ['x', 'w1'], { strides: ints(1, 1, 1, 1), padding: str('EXPLICIT'), explicit_paddings: ints(0, 0, 2, 0, 1, 3, 0, 0), dilations: ints(1, 1, 1, 1) });
    await assertParity(g, ['conv', 'dw', 'fused', 'fdw', 'explicit']);
  });

  it('pooling and every resize mode', async () => {
    const g = new TestGraph();
    g.input('x', [1, 7, 7, 2]);
    g.op('avg', 'AvgPool', ['x'], { ksize: ints(1, 3, 3, 1), strides: ints(1, 2, 2, 1), padding: str('SAME') });
    g.op('max', 'MaxPool', ['x'], { ksize: ints(1, 2, 2, 1), strides: ints(1, 2, 2, 1), padding: str('VALID') });
    g.constant('size', [2], [10, 13], 'int32');
    const outputs = ['avg', 'max'];
    for (const op of ['ResizeBilinear', 'ResizeNearestNeighbor']) {
      for (const [flag, align, half] of [['plain', false, false], ['align', true, false], ['half', false, true]] as const) {
        outputs.push(g.op(`${op}_${flag}`, op, ['x', 'size'], { align_corners: bool(align), half_pixel_centers: bool(half) }));
      }
    }
    await assertParity(g, outputs);
  });

  it('layout-sensitive ops after an NCHW value: Pad, MirrorPad, Mean, ConcatV2, Squeeze, Pack', async () => {
    const g = new TestGraph();
    g.input('x', [1, 4, 5, 3]);
    g.constant('w', [1, 1, 3, 3]);
    g.op('conv', 'Conv2D', ['x', 'w'], { strides: ints(1, 1, 1, 1), padding: str('VALID'), dilations: ints(1, 1, 1, 1) });
    g.constant('paddings', [4, 2], [0, 0, 1, 2, 0, 1, 1, 0], 'int32');
    g.op('pad', 'Pad', ['conv', 'paddings']);
    g.constant('fill', [], [0.25]);
    g.op('padv2', 'PadV2', ['conv', 'paddings', 'fill']);
    g.op('mirror', 'MirrorPad', ['conv', 'paddings'], { mode: str('REFLECT') });
    g.constant('hw', [2], [1, 2], 'int32');
    g.op('mean', 'Mean', ['conv', 'hw'], { keep_dims: bool(false) });
    g.op('meankeep', 'Mean', ['conv', 'hw'], { keep_dims: bool(true) });
    g.constant('axis', [], [-1], 'int32');
    g.op('concat', 'ConcatV2', ['conv', 'x', 'axis'], { N: int(2) });
    g.op('scale', 'Mul', ['meankeep', 'conv']);
    g.op('squeeze', 'Squeeze', ['meankeep'], { squeeze_dims: ints(0, 1, 2) });
    g.op('pack', 'Pack', ['mean', 'mean'], { axis: int(1), N: int(2) });
    await assertParity(g, ['pad', 'padv2', 'mirror', 'mean', 'meankeep', 'concat', 'scale', 'squeeze', 'pack']);
  });

  it('integer and slicing ops: FloorDiv/FloorMod of negatives, StridedSlice masks, GatherV2, TopKV2', async () => {
    const g = new TestGraph();
    g.input('n', [2, 6], 'int32', [-7, -6, -1, 0, 5, 7, 9, -9, 13, -13, 1, -2]);
    g.constant('three', [], [3], 'int32');
    g.constant('minus4', [], [-4], 'int32');
    g.op('idiv', 'FloorDiv', ['n', 'three'], { T: INT32 });
    g.op('imod', 'FloorMod', ['n', 'minus4'], { T: INT32 });
    g.input('f', [2, 6]);
    g.constant('fdivisor', [], [0.7]);
    g.op('fdiv', 'FloorDiv', ['f', 'fdivisor']);
    g.op('fmod', 'FloorMod', ['f', 'fdivisor']);
    const sliceAttrs = (begin: number, end: number, shrink: number): Record<string, TfAttr> => ({
      Index: INT32,
      begin_mask: int(begin),
      end_mask: int(end),
      shrink_axis_mask: int(shrink),
      ellipsis_mask: int(0),
      new_axis_mask: int(0),
    });
    // The last row (begin -1, shrunk away: its end must be open, not 0).
    g.constant('b1', [2], [-1, 0], 'int32');
    g.constant('e1', [2], [0, 6], 'int32');
    g.constant('s1', [2], [1, 1], 'int32');
    g.op('lastrow', 'StridedSlice', ['f', 'b1', 'e1', 's1'], sliceAttrs(0, 0, 1));
    // All rows (begin masked), columns 5, 3, 1 (negative stride, end masked). tfjs 4.22 throws
    // when shrink and a negative stride are combined, so that case is not compared here.
    g.constant('b2', [2], [1, 5], 'int32');
    g.constant('e2', [2], [2, 0], 'int32');
    g.constant('s2', [2], [1, -2], 'int32');
    g.op('reversed', 'StridedSlice', ['f', 'b2', 'e2', 's2'], sliceAttrs(1, 2, 0));
    g.constant('idx', [3], [4, 0, 4], 'int32');
    g.constant('gaxis', [], [1], 'int32');
    g.op('gather', 'GatherV2', ['f', 'idx', 'gaxis'], { Tindices: INT32, Taxis: INT32, batch_dims: int(0) });
    g.constant('k', [], [3], 'int32');
    g.op('topk', 'TopKV2', ['f', 'k'], { sorted: bool(true) });
    g.op('topkidx', 'Identity', ['topk:1'], { T: INT32 });
    g.op('cast', 'Cast', ['topkidx'], { SrcT: INT32, DstT: FLOAT });
    await assertParity(g, ['idiv', 'imod', 'fdiv', 'fmod', 'lastrow', 'reversed', 'gather', 'topk', 'cast']);
  });

  it('names the ops it cannot map', () => {
    const g = new TestGraph();
    g.input('x', [1, 4]);
    g.op('soft', 'Softmax', ['x']);
    g.op('out', 'Erf', ['soft']);
    const { json, weights } = g.model();
    assert.throws(() => convertTfjsGraph(json, weights, { outputs: ['out'] }), (error: unknown) => {
      assert.ok(error instanceof UnsupportedError);
      assert.match(error.message, /no ONNX mapping for Softmax \(soft\), Erf \(out\)/);
      return true;
    });
  });
});
