/**
 * TF op → ONNX node mappings for the tfjs converter (tfjs.ts explains the layout handling).
 *
 * Covers the ops of @vladmandic/human's centernet.json (listed by `listTfjsOps`) plus the
 * elementwise, pooling and shape ops common in the same family of MobileNet detectors. Semantics
 * follow TF's op definitions (tensorflow/core/ops/*.cc) and ONNX's Operators.md at opset 18.
 */
import { UnsupportedError } from '../../errors.js';
import type { AttributeValue } from './writer.js';
import { ONNX_TYPE, type TfjsConverter, type Value } from './tfjs.js';
import { attrBool, attrFloat, attrInt, attrInts, attrString, attrStrings, permute, tfDtype, type TfNode } from './tfjs-model.js';

/** Converts one TF node, defining its outputs on the converter. */
export type OpHandler = (c: TfjsConverter, node: TfNode) => void;

/** NHWC axis k sits at NCHW axis NHWC_TO_NCHW_AXIS[k]. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function rankOf(value: Value): number | undefined {
  return value.constant ? value.constant.shape.length : value.rank;
}

/** ONNX names for elementwise operands, in NCHW when a runtime operand already is and all fit. */
function operands(c: TfjsConverter, values: Value[]): { names: string[]; nchw: boolean; rank?: number } {
  const nchw = values.some((v) => v.nchw && !v.constant) && values.every((v) => c.fitsNchw(v));
  const ranks = values.map(rankOf);
  const rank = ranks.every((r) => r !== undefined) ? Math.max(...(ranks as number[])) : undefined;
  return { names: values.map((v) => (nchw ? c.nchwOperand(v) : c.nhwc(v))), nchw, rank };
}

/** A runtime value in the same layout as `like`. */
function runtime(like: { nchw: boolean; rank?: number }, dtype: Value['dtype'], name: string): Value {
  return { dtype, rank: like.rank, name, nchw: like.nchw };
}

function elementwise(onnxOp: string, outDtype?: Value['dtype']): OpHandler {
  return (c, node) => {
    const inputs = c.inputs(node);
    const ops = operands(c, inputs);
    const [out] = c.emit(onnxOp, ops.names, node.name);
    c.define(node, runtime(ops, outDtype ?? inputs[0].dtype, out));
  };
}

/** Ops built from several ONNX nodes over the same two operands. */
function composite(build: (c: TfjsConverter, a: string, b: string, node: TfNode, dtype: Value['dtype']) => string, outDtype?: Value['dtype']): OpHandler {
  return (c, node) => {
    const inputs = c.inputs(node);
    const ops = operands(c, inputs);
    c.define(node, runtime(ops, outDtype ?? inputs[0].dtype, build(c, ops.names[0], ops.names[1], node, inputs[0].dtype)));
  };
}

function unary(build: (c: TfjsConverter, x: string, node: TfNode) => string, outDtype?: (node: TfNode) => Value['dtype']): OpHandler {
  return (c, node) => {
    const [x] = c.inputs(node);
    const nchw = !x.constant && x.nchw === true;
    const out = build(c, x.constant ? c.nhwc(x) : (x.name as string), node);
    c.define(node, { dtype: outDtype ? outDtype(node) : x.dtype, rank: rankOf(x), name: out, nchw });
  };
}

const simple = (onnxOp: string, attributes: Record<string, AttributeValue> = {}) =>
  unary((c, x, node) => c.emit(onnxOp, [x], node.name, attributes)[0]);

/** A fused activation (TF `fused_ops` names) applied to `x`. */
function activation(c: TfjsConverter, node: TfNode, op: string, x: string): string {
  const base = `${node.name}/${op}`;
  switch (op) {
    case 'Relu':
      return c.emit('Relu', [x], base)[0];
    case 'Relu6':
      return c.emit('Clip', [x, c.scalar('float32', 0), c.scalar('float32', 6)], base)[0];
    case 'Elu':
      return c.emit('Elu', [x], base)[0];
    case 'Sigmoid':
      return c.emit('Sigmoid', [x], base)[0];
    case 'Tanh':
      return c.emit('Tanh', [x], base)[0];
    case 'LeakyRelu':
      return c.emit('LeakyRelu', [x], base, { alpha: { float: attrFloat(node, 'leakyrelu_alpha', 0.2) } })[0];
    default:
      throw new UnsupportedError(`tfjs graph: ${node.op} ${node.name} fuses ${op}, which has no ONNX mapping`);
  }
}

/** Conv attributes from TF's NHWC strides/dilations/padding. */
function windowAttributes(node: TfNode, kernel: [number, number]): Record<string, AttributeValue> {
  if (attrString(node, 'data_format', 'NHWC') !== 'NHWC') throw new UnsupportedError(`tfjs graph: ${node.name} is not NHWC`);
  const strides = attrInts(node, 'strides', [1, 1, 1, 1]);
  const attributes: Record<string, AttributeValue> = { kernel_shape: kernel, strides: strides.slice(1, 3) };
  const padding = attrString(node, 'padding', 'VALID');
  // TF SAME puts the odd padding pixel at the end, which is ONNX's SAME_UPPER.
  if (padding === 'SAME') attributes.auto_pad = 'SAME_UPPER';
  else if (padding === 'VALID') attributes.auto_pad = 'VALID';
  else if (padding === 'EXPLICIT') {
    const p = attrInts(node, 'explicit_paddings'); // [0,0, top,bottom, left,right, 0,0]
    attributes.pads = [p[2], p[4], p[3], p[5]];
  } else throw new UnsupportedError(`tfjs graph: ${node.name} has padding ${padding}`);
  return attributes;
}

function conv(depthwise: boolean): OpHandler {
  return (c, node) => {
    const [x, filterValue, ...args] = c.inputs(node);
    const filter = c.constant(filterValue, `${node.name}'s filter`);
    const [kh, kw, cin, cout] = filter.shape;
    // TF filters are [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier], output channel
    // in * multiplier + m); ONNX wants [out, in/group, kh, kw].
    const p = permute(filter.values, filter.shape, depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1]);
    const dims = depthwise ? [cin * cout, 1, kh, kw] : p.dims;
    const attributes = windowAttributes(node, [kh, kw]);
    attributes.dilations = attrInts(node, 'dilations', [1, 1, 1, 1]).slice(1, 3);
    if (depthwise) attributes.group = cin;
    const inputs = [c.nchw(x), c.materialize({ ...filter, values: p.values, shape: dims }, `${node.name}/filter`)];
    let fused = attrStrings(node, 'fused_ops');
    if (fused[0] === 'BiasAdd') {
      inputs.push(c.materialize(c.constant(args[0], `${node.name}'s bias`), `${node.name}/bias`));
      fused = fused.slice(1);
    }
    let [out] = c.emit('Conv', inputs, node.name, attributes);
    for (const op of fused) out = activation(c, node, op, out);
    c.define(node, { dtype: 'float32', rank: 4, name: out, nchw: true });
  };
}

function pool(onnxOp: 'MaxPool' | 'AveragePool'): OpHandler {
  return (c, node) => {
    const [x] = c.inputs(node);
    const ksize = attrInts(node, 'ksize');
    // AveragePool's default count_include_pad=0 matches TF, which averages real pixels only.
    const [out] = c.emit(onnxOp, [c.nchw(x)], node.name, windowAttributes(node, [ksize[1], ksize[2]]));
    c.define(node, { dtype: x.dtype, rank: 4, name: out, nchw: true });
  };
}

function resize(mode: 'linear' | 'nearest'): OpHandler {
  return (c, node) => {
    const [x, size] = c.inputs(node);
    const alignCorners = attrBool(node, 'align_corners');
    const halfPixel = attrBool(node, 'half_pixel_centers');
    // TF without either flag samples at dst * in / out: ONNX 'asymmetric' (and 'floor' for nearest).
    // TF's half-pixel nearest takes floor((dst + 0.5) * in / out); ONNX half_pixel subtracts 0.5
    // first and round_prefer_ceil adds it back, which is the same floor without the deprecated
    // tf_half_pixel_for_nn mode.
    const attributes: Record<string, AttributeValue> = {
      mode,
      axes: [2, 3],
      coordinate_transformation_mode: alignCorners ? 'align_corners' : halfPixel ? 'half_pixel' : 'asymmetric',
    };
    if (mode === 'nearest') attributes.nearest_mode = alignCorners || halfPixel ? 'round_prefer_ceil' : 'floor';
    const sizes = c.materialize(c.constant(size, `${node.name}'s size`), 'sizes', 'int64');
    const [out] = c.emit('Resize', [c.nchw(x), '', '', sizes], node.name, attributes);
    c.define(node, { dtype: x.dtype, rank: 4, name: out, nchw: true });
  };
}

function reduce(onnxOp: string): OpHandler {
  return (c, node) => {
    const [x, axesValue] = c.inputs(node);
    const keep = attrBool(node, 'keep_dims');
    const rank = rankOf(x);
    let axes = Array.from(c.constant(axesValue, `${node.name}'s axes`).values, Number);
    if (axes.some((a) => a < 0)) {
      if (rank === undefined) throw new UnsupportedError(`tfjs graph: ${node.name} has negative axes on a tensor of unknown rank`);
      axes = axes.map((a) => (a < 0 ? a + rank : a));
    }
    const nchw = keep && !x.constant && x.nchw === true;
    if (nchw) axes = axes.map((a) => NHWC_TO_NCHW_AXIS[a]);
    const [out] = c.emit(onnxOp, [nchw ? (x.name as string) : c.nhwc(x), c.int64s(axes)], node.name, { keepdims: keep ? 1 : 0 });
    c.define(node, { dtype: x.dtype, rank: rank === undefined ? undefined : keep ? rank : rank - axes.length, name: out, nchw });
  };
}

const concat: OpHandler = (c, node) => {
  const values = c.inputs(node);
  const axisValue = values.pop() as Value;
  const rank = values.map(rankOf).find((r) => r !== undefined);
  let axis = Number(c.constant(axisValue, `${node.name}'s axis`).values[0]);
  if (axis < 0) {
    if (rank === undefined) throw new UnsupportedError(`tfjs graph: ${node.name} has a negative axis on tensors of unknown rank`);
    axis += rank;
  }
  const nchw = rank === 4 && values.some((v) => v.nchw && !v.constant) && values.every((v) => c.fitsNchw(v));
  const names = values.map((v) => (nchw ? c.nchw(v) : c.nhwc(v)));
  const [out] = c.emit('Concat', names, node.name, { axis: nchw ? NHWC_TO_NCHW_AXIS[axis] : axis });
  c.define(node, { dtype: values[0].dtype, rank, name: out, nchw });
};

const pad: OpHandler = (c, node) => {
  const [x, paddingsValue, constantValue] = c.inputs(node);
  const paddings = Array.from(c.constant(paddingsValue, `${node.name}'s paddings`).values, Number);
  const rank = paddings.length / 2;
  const nchw = !x.constant && x.nchw === true;
  const order = nchw ? [0, 3, 1, 2] : Array.from({ length: rank }, (_, i) => i);
  const pads = [...order.map((k) => paddings[2 * k]), ...order.map((k) => paddings[2 * k + 1])];
  let mode = 'constant';
  if (node.op === 'MirrorPad') {
    const tfMode = attrString(node, 'mode');
    if (tfMode !== 'REFLECT') throw new UnsupportedError(`tfjs graph: ${node.name} uses MirrorPad mode ${tfMode}`);
    mode = 'reflect';
  }
  const fill = constantValue ? c.nhwc(constantValue) : c.scalar(x.dtype, 0);
  const inputs = [nchw ? (x.name as string) : c.nhwc(x), c.int64s(pads), ...(mode === 'constant' ? [fill] : [])];
  const [out] = c.emit('Pad', inputs, node.name, { mode });
  c.define(node, { dtype: x.dtype, rank, name: out, nchw });
};

const reshape: OpHandler = (c, node) => {
  const [x, shape] = c.inputs(node);
  const shapeName = shape.constant ? c.materialize(shape.constant, 'shape', 'int64') : c.emit('Cast', [c.nhwc(shape)], `${node.name}/shape`, { to: ONNX_TYPE.int64 })[0];
  const [out] = c.emit('Reshape', [c.nhwc(x), shapeName], node.name);
  c.define(node, { dtype: x.dtype, rank: shape.constant?.shape[0], name: out });
};

const expandDims: OpHandler = (c, node) => {
  const [x, dim] = c.inputs(node);
  const axis = Number(c.constant(dim, `${node.name}'s dim`).values[0]);
  const [out] = c.emit('Unsqueeze', [c.nhwc(x), c.int64s([axis])], node.name);
  const rank = rankOf(x);
  c.define(node, { dtype: x.dtype, rank: rank === undefined ? undefined : rank + 1, name: out });
};

const squeeze: OpHandler = (c, node) => {
  const [x] = c.inputs(node);
  const axes = attrInts(node, 'squeeze_dims');
  const inputs = [c.nhwc(x), ...(axes.length ? [c.int64s(axes)] : [])];
  const [out] = c.emit('Squeeze', inputs, node.name);
  const rank = rankOf(x);
  c.define(node, { dtype: x.dtype, rank: axes.length && rank !== undefined ? rank - axes.length : undefined, name: out });
};

const pack: OpHandler = (c, node) => {
  const values = c.inputs(node);
  const axis = attrInt(node, 'axis');
  const axes = c.int64s([axis]);
  const parts = values.map((v, i) => c.emit('Unsqueeze', [c.nhwc(v), axes], `${node.name}/${i}`)[0]);
  const [out] = c.emit('Concat', parts, node.name, { axis });
  const rank = rankOf(values[0]);
  c.define(node, { dtype: values[0].dtype, rank: rank === undefined ? undefined : rank + 1, name: out });
};

const topK: OpHandler = (c, node) => {
  const [x, k] = c.inputs(node);
  if (!attrBool(node, 'sorted', true)) throw new UnsupportedError(`tfjs graph: ${node.name} asks for unsorted TopK`);
  const kName = c.int64s([Number(c.constant(k, `${node.name}'s k`).values[0])]);
  const [values, indices] = c.emit('TopK', [c.nhwc(x), kName], node.name, { axis: -1, largest: 1, sorted: 1 }, 2);
  // TF's TopKV2 indices are int32; ONNX's are int64.
  const [indices32] = c.emit('Cast', [indices], `${node.name}:1/int32`, { to: ONNX_TYPE.int32 });
  c.define(node, { dtype: x.dtype, rank: rankOf(x), name: values });
  c.define(node, { dtype: 'int32', rank: rankOf(x), name: indices32 }, 1);
};

const gather: OpHandler = (c, node) => {
  const [params, indices, axisValue] = c.inputs(node);
  if (attrInt(node, 'batch_dims') !== 0) throw new UnsupportedError(`tfjs graph: ${node.name} uses GatherV2 batch_dims`);
  const axis = Number(c.constant(axisValue, `${node.name}'s axis`).values[0]);
  const [out] = c.emit('Gather', [c.nhwc(params), c.nhwc(indices)], node.name, { axis });
  const [pr, ir] = [rankOf(params), rankOf(indices)];
  c.define(node, { dtype: params.dtype, rank: pr === undefined || ir === undefined ? undefined : pr + ir - 1, name: out });
};

const stridedSlice: OpHandler = (c, node) => {
  const [x, beginValue, endValue, stridesValue] = c.inputs(node);
  if (attrInt(node, 'ellipsis_mask') || attrInt(node, 'new_axis_mask')) throw new UnsupportedError(`tfjs graph: ${node.name} uses StridedSlice ellipsis/new-axis masks`);
  const [begin, end, strides] = [beginValue, endValue, stridesValue].map((v) => Array.from(c.constant(v, `${node.name}'s slice bounds`).values, Number));
  const [beginMask, endMask, shrinkMask] = ['begin_mask', 'end_mask', 'shrink_axis_mask'].map((k) => attrInt(node, k));
  const starts: bigint[] = [];
  const ends: bigint[] = [];
  const steps: bigint[] = [];
  const shrunk: number[] = [];
  begin.forEach((b, i) => {
    const step = strides[i];
    if (shrinkMask & (1 << i)) {
      // A shrunk axis takes element b; b = -1 needs an open end, not 0.
      starts.push(BigInt(b));
      ends.push(b === -1 ? INT64_MAX : BigInt(b + 1));
      steps.push(1n);
      shrunk.push(i);
      return;
    }
    starts.push(beginMask & (1 << i) ? (step > 0 ? 0n : INT64_MAX) : BigInt(b));
    ends.push(endMask & (1 << i) ? (step > 0 ? INT64_MAX : INT64_MIN) : BigInt(end[i]));
    steps.push(BigInt(step));
  });
  const axes = begin.map((_, i) => i);
  let [out] = c.emit('Slice', [c.nhwc(x), c.int64s(starts), c.int64s(ends), c.int64s(axes), c.int64s(steps)], node.name);
  if (shrunk.length) [out] = c.emit('Squeeze', [out, c.int64s(shrunk)], `${node.name}/squeeze`);
  const rank = rankOf(x);
  c.define(node, { dtype: x.dtype, rank: rank === undefined ? undefined : rank - shrunk.length, name: out });
};

const placeholder: OpHandler = (c, node) => {
  const dims = (node.attr?.shape?.shape?.dim ?? []).map((d, i) => (Number(d.size) >= 0 ? Number(d.size) : `${node.name}_dim${i}`));
  const dtype = c.dtypeOf(node, 'dtype');
  c.graph.input(node.name, ONNX_TYPE[dtype], dims);
  c.define(node, { dtype, rank: dims.length, name: node.name });
};

const cast = unary(
  (c, x, node) => c.emit('Cast', [x], node.name, { to: ONNX_TYPE[tfDtype(node.attr?.DstT?.type)] })[0],
  (node) => tfDtype(node.attr?.DstT?.type),
);

/** TF FloorDiv: exact for integers via (a - floormod(a, b)) / b, floor(a / b) for floats. */
function floorDiv(c: TfjsConverter, a: string, b: string, node: TfNode, dtype: Value['dtype']): string {
  if (dtype === 'float32') return c.emit('Floor', [c.emit('Div', [a, b], `${node.name}/div`)[0]], node.name)[0];
  const [mod] = c.emit('Mod', [a, b], `${node.name}/mod`, { fmod: 0 });
  return c.emit('Div', [c.emit('Sub', [a, mod], `${node.name}/sub`)[0], b], node.name)[0];
}

/** TF FloorMod takes the divisor's sign: ONNX Mod fmod=0 for integers, a - b*floor(a/b) for floats. */
function floorMod(c: TfjsConverter, a: string, b: string, node: TfNode, dtype: Value['dtype']): string {
  if (dtype !== 'float32') return c.emit('Mod', [a, b], node.name, { fmod: 0 })[0];
  const [quotient] = c.emit('Floor', [c.emit('Div', [a, b], `${node.name}/div`)[0]], `${node.name}/floor`);
  return c.emit('Sub', [a, c.emit('Mul', [b, quotient], `${node.name}/mul`)[0]], node.name)[0];
}

/** Every TF op the converter maps, by name. */
export const OP_HANDLERS: Record<string, OpHandler> = {
  Const: (c, node) => {
    const constant = c.weight(node);
    c.define(node, { dtype: constant.dtype, rank: constant.shape.length, constant });
  },
  Placeholder: placeholder,
  Identity: (c, node) => c.define(node, c.inputs(node)[0]),
  Conv2D: conv(false),
  _FusedConv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  FusedDepthwiseConv2dNative: conv(true),
  MaxPool: pool('MaxPool'),
  AvgPool: pool('AveragePool'),
  ResizeBilinear: resize('linear'),
  ResizeNearestNeighbor: resize('nearest'),
  Mean: reduce('ReduceMean'),
  Sum: reduce('ReduceSum'),
  Max: reduce('ReduceMax'),
  Min: reduce('ReduceMin'),
  ConcatV2: concat,
  Pad: pad,
  PadV2: pad,
  MirrorPad: pad,
  Reshape: reshape,
  ExpandDims: expandDims,
  Squeeze: squeeze,
  Pack: pack,
  TopKV2: topK,
  GatherV2: gather,
  StridedSlice: stridedSlice,
  Cast: cast,
  Add: elementwise('Add'),
  AddV2: elementwise('Add'),
  BiasAdd: elementwise('Add'),
  AddN: elementwise('Sum'),
  Sub: elementwise('Sub'),
  Mul: elementwise('Mul'),
  RealDiv: elementwise('Div'),
  Maximum: elementwise('Max'),
  Minimum: elementwise('Min'),
  Pow: elementwise('Pow'),
  Equal: elementwise('Equal', 'bool'),
  Greater: elementwise('Greater', 'bool'),
  GreaterEqual: elementwise('GreaterOrEqual', 'bool'),
  Less: elementwise('Less', 'bool'),
  LessEqual: elementwise('LessOrEqual', 'bool'),
  LogicalAnd: elementwise('And', 'bool'),
  FloorDiv: composite(floorDiv),
  FloorMod: composite(floorMod),
  SquaredDifference: composite((c, a, b, node) => {
    const [d] = c.emit('Sub', [a, b], `${node.name}/sub`);
    return c.emit('Mul', [d, d], node.name)[0];
  }),
  Relu: simple('Relu'),
  Relu6: unary((c, x, node) => c.emit('Clip', [x, c.scalar('float32', 0), c.scalar('float32', 6)], node.name)[0]),
  Elu: simple('Elu'),
  LeakyRelu: unary((c, x, node) => c.emit('LeakyRelu', [x], node.name, { alpha: { float: attrFloat(node, 'alpha', 0.2) } })[0]),
  Sigmoid: simple('Sigmoid'),
  Tanh: simple('Tanh'),
  Exp: simple('Exp'),
  Log: simple('Log'),
  Sqrt: simple('Sqrt'),
  Rsqrt: unary((c, x, node) => c.emit('Reciprocal', [c.emit('Sqrt', [x], `${node.name}/sqrt`)[0]], node.name)[0]),
  Square: unary((c, x, node) => c.emit('Mul', [x, x], node.name)[0]),
  Neg: simple('Neg'),
  Abs: simple('Abs'),
  Floor: simple('Floor'),
  Ceil: simple('Ceil'),
};
