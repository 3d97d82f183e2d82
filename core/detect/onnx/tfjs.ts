/**
 * Converts a TensorFlow.js graph model (model.json + weights) into an ONNX model.
 *
 * TF graphs are NHWC; ONNX Conv, pooling and Resize are NCHW. Instead of wrapping every conv in
 * two Transposes, each 4-D value remembers whether it is held as NCHW: convs, pools and resizes
 * produce NCHW, elementwise ops and activations keep whatever layout they get (constants they
 * broadcast against are permuted at conversion time), and a Transpose back to NHWC is inserted
 * only where a layout-sensitive op (Reshape, TopK, Gather, a graph output...) needs TF's layout.
 * For MobileNet-style networks that leaves one Transpose at the input and one per NHWC consumer.
 *
 * The op handlers live in tfjs-ops.ts; this file holds the value bookkeeping they share.
 */
import { UnsupportedError } from '../../errors.js';
import { DataType, OnnxGraphBuilder, type AttributeValue, type ValueInfo } from './writer.js';
import { decodeWeights, permute, tfDtype, type TfConstant, type TfDtype, type TfjsGraphModel, type TfNode } from './tfjs-model.js';
import { OP_HANDLERS } from './tfjs-ops.js';

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

/** A TF tensor as the converter tracks it. */
export interface Value {
  dtype: TfDtype;
  /** Known rank, if any. */
  rank?: number;
  /** Set for `Const` outputs: materialized lazily, in whichever layout a consumer needs. */
  constant?: TfConstant;
  /** The ONNX value name for runtime tensors. */
  name?: string;
  /** True when `name` holds a 4-D NHWC tensor transposed to NCHW. */
  nchw?: boolean;
  /** Cached Transpose of `name` into the other layout. */
  transposed?: string;
}

/** The result of a conversion. */
export interface ConvertedModel {
  /** The serialized ONNX model. */
  bytes: Uint8Array;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** How many nodes of each TF op were converted (after pruning nodes no output depends on). */
  ops: Record<string, number>;
}

/** Conversion options. */
export interface ConvertOptions {
  /** TF node names to export (default: the model signature's outputs). */
  outputs?: string[];
  /** Written into the model's doc_string (e.g. the source files' hash). */
  docString?: string;
}

/** The ONNX element type of each TF dtype. */
export const ONNX_TYPE: Record<TfDtype, DataType> = { float32: DataType.FLOAT, int32: DataType.INT32, int64: DataType.INT64, bool: DataType.BOOL };

/** Converts `model` (with its weight shards concatenated in `weights`) to ONNX. */
export function convertTfjsGraph(model: TfjsGraphModel, weights: Uint8Array, options: ConvertOptions = {}): ConvertedModel {
  return new TfjsConverter(model, weights).convert(options);
}

/** The distinct TF ops of a graph with their counts (before pruning). */
export function listTfjsOps(model: TfjsGraphModel): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const node of model.modelTopology.node) ops[node.op] = (ops[node.op] ?? 0) + 1;
  return ops;
}

/** The shared state of one conversion; op handlers call its helpers. */
export class TfjsConverter {
  readonly graph = new OnnxGraphBuilder('tfjs');
  private readonly nodes = new Map<string, TfNode>();
  private readonly values = new Map<string, Value>();
  private readonly weights: Map<string, TfConstant>;
  private readonly materialized = new Map<string, string>();

  constructor(private readonly model: TfjsGraphModel, weightData: Uint8Array) {
    for (const node of model.modelTopology.node) this.nodes.set(node.name, node);
    this.weights = decodeWeights(model, weightData);
  }

  /** Runs the conversion for `options.outputs` (or the signature's outputs). */
  convert(options: ConvertOptions): ConvertedModel {
    const outputs = options.outputs ?? Object.values(this.model.signature?.outputs ?? {}).map((o) => o.name);
    if (outputs.length === 0) throw new UnsupportedError('tfjs graph: no outputs given and the model has no signature');
    for (const name of outputs) this.graph.uniqueName(name); // keep the exported names free
    const order = this.topologicalOrder(outputs);
    const unsupported = order.filter((n) => !OP_HANDLERS[n.op]).map((n) => `${n.op} (${n.name})`);
    if (unsupported.length) throw new UnsupportedError(`tfjs graph: no ONNX mapping for ${[...new Set(unsupported)].slice(0, 10).join(', ')}`);
    const ops: Record<string, number> = {};
    for (const node of order) {
      ops[node.op] = (ops[node.op] ?? 0) + 1;
      OP_HANDLERS[node.op](this, node);
    }
    for (const name of outputs) {
      const value = this.value(name);
      this.graph.node('Identity', [this.nhwc(value)], [name], {}, true);
      this.graph.output(name, ONNX_TYPE[value.dtype], this.signatureDims(name, value));
    }
    const bytes = this.graph.toBytes({ producer: 'streamsight tfjs converter', docString: options.docString });
    return { bytes, inputs: this.graph.inputs, outputs: this.graph.outputs, ops };
  }

  /** The value a TF input reference (`node`, `node:1`) names. */
  value(ref: string): Value {
    const key = ref.endsWith(':0') ? ref.slice(0, -2) : ref;
    const value = this.values.get(key);
    if (!value) throw new UnsupportedError(`tfjs graph: ${ref} is used before it is defined`);
    return value;
  }

  /** The non-control inputs of `node` as values. */
  inputs(node: TfNode): Value[] {
    return (node.input ?? []).filter((ref) => !ref.startsWith('^')).map((ref) => this.value(ref));
  }

  /** Records the value of output `index` of `node`. */
  define(node: TfNode, value: Value, index = 0): void {
    this.values.set(index === 0 ? node.name : `${node.name}:${index}`, value);
  }

  /** The weight behind a `Const` node. */
  weight(node: TfNode): TfConstant {
    const constant = this.weights.get(node.name);
    if (!constant) throw new UnsupportedError(`tfjs graph: Const ${node.name} has no entry in the weights manifest`);
    return constant;
  }

  /** The constant behind a value, or an error naming what needed it. */
  constant(value: Value, what: string): TfConstant {
    if (!value.constant) throw new UnsupportedError(`tfjs graph: ${what} must be a constant`);
    return value.constant;
  }

  /** The value's ONNX name in TF's NHWC layout. */
  nhwc(value: Value): string {
    if (value.constant) return this.materialize(value.constant);
    if (!value.name) throw new Error('value has neither a name nor a constant');
    if (!value.nchw) return value.name;
    value.transposed ??= this.graph.node('Transpose', [value.name], [`${value.name}/nhwc`], { perm: TO_NHWC })[0];
    return value.transposed;
  }

  /** The value's ONNX name as NCHW (it must be 4-D). */
  nchw(value: Value): string {
    if (value.constant) {
      const { values, dims } = permute(value.constant.values, value.constant.shape, TO_NCHW);
      return this.materialize({ ...value.constant, values, shape: dims }, 'const/nchw');
    }
    if (!value.name) throw new Error('value has neither a name nor a constant');
    if (value.nchw) return value.name;
    if (value.rank !== 4) throw new UnsupportedError(`tfjs graph: ${value.name} must be 4-D for an NCHW op`);
    value.transposed ??= this.graph.node('Transpose', [value.name], [`${value.name}/nchw`], { perm: TO_NCHW })[0];
    return value.transposed;
  }

  /** The value as an operand broadcast against an NCHW tensor (TF broadcasts from the last axis). */
  nchwOperand(value: Value): string {
    const c = value.constant;
    if (c && c.shape.length < 4 && c.shape.reduce((a, b) => a * b, 1) === 1) return this.materialize(c);
    if (c) {
      const padded = [...new Array<number>(4 - c.shape.length).fill(1), ...c.shape];
      const { values, dims } = permute(c.values, padded, TO_NCHW);
      return this.materialize({ ...c, values, shape: dims }, 'const/nchw');
    }
    return this.nchw(value);
  }

  /** Whether `value` can be an operand of an NCHW elementwise op without leaving that layout. */
  fitsNchw(value: Value): boolean {
    if (value.constant) return value.constant.shape.length <= 4;
    return value.nchw === true || value.rank === 4;
  }

  /** An initializer for a constant (small ones deduplicated), converting int32 to int64 when asked. */
  materialize(constant: TfConstant, base = 'const', as?: TfDtype): string {
    const dtype = as ?? constant.dtype;
    const small = constantKey(constant.values);
    const key = small === undefined ? undefined : `${dtype}:${constant.shape.join('x')}:${small}`;
    const known = key === undefined ? undefined : this.materialized.get(key);
    if (known) return known;
    let values: TfConstant['values'] | BigInt64Array = constant.values;
    if (dtype === 'int64') values = BigInt64Array.from(constant.values, (v) => BigInt(v));
    else if (dtype !== constant.dtype) throw new UnsupportedError(`tfjs graph: cannot use a ${constant.dtype} constant as ${dtype}`);
    const name = this.graph.initializer(base, ONNX_TYPE[dtype], constant.shape, values);
    if (key !== undefined) this.materialized.set(key, name);
    return name;
  }

  /** An int64 1-D initializer (shapes, axes, slice bounds). */
  int64s(values: readonly (number | bigint)[]): string {
    const key = `int64s:${values.join(',')}`;
    const known = this.materialized.get(key);
    if (known) return known;
    const name = this.graph.initializer('int64s', DataType.INT64, [values.length], BigInt64Array.from(values, (v) => BigInt(v)));
    this.materialized.set(key, name);
    return name;
  }

  /** A scalar initializer of `dtype`. */
  scalar(dtype: TfDtype, value: number): string {
    const values = dtype === 'float32' ? Float32Array.of(value) : Int32Array.of(value);
    return this.materialize({ dtype, shape: [], values });
  }

  /** Adds an ONNX node named after the TF node; returns its outputs. */
  emit(opType: string, inputs: string[], base: string, attributes: Record<string, AttributeValue> = {}, outputCount = 1): string[] {
    const outputs = Array.from({ length: outputCount }, (_, i) => (i === 0 ? base : `${base}:${i}`));
    return this.graph.node(opType, inputs, outputs, attributes);
  }

  /** The TF element type of `node` from its `T` (or `dtype`) attr. */
  dtypeOf(node: TfNode, key = 'T'): TfDtype {
    return tfDtype(node.attr?.[key]?.type);
  }

  private signatureDims(name: string, value: Value): (number | string)[] {
    const dims = Object.values(this.model.signature?.outputs ?? {}).find((o) => o.name === name)?.tensorShape?.dim;
    if (dims) return dims.map((d, i) => (Number(d.size) >= 0 ? Number(d.size) : `${name}_dim${i}`));
    return Array.from({ length: value.rank ?? 0 }, (_, i) => `${name}_dim${i}`);
  }

  /** The nodes the outputs depend on, each after its inputs. */
  private topologicalOrder(outputs: string[]): TfNode[] {
    const order: TfNode[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (ref: string): void => {
      const name = ref.replace(/^\^/, '').replace(/:\d+$/, '');
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') throw new UnsupportedError(`tfjs graph: cycle through ${name} (control flow is not supported)`);
      const node = this.nodes.get(name);
      if (!node) throw new UnsupportedError(`tfjs graph: no node named ${name}`);
      state.set(name, 'visiting');
      // Recursive: MobileNet-sized graphs are a few hundred nodes deep, far inside the stack limit.
      for (const input of node.input ?? []) if (!input.startsWith('^')) visit(input);
      state.set(name, 'done');
      order.push(node);
    };
    for (const output of outputs) visit(output);
    return order;
  }
}

function constantKey(values: ArrayLike<number>): string | undefined {
  // Only small constants (scalars, axes, shapes) are deduplicated, and only on exact equality.
  return values.length <= 16 ? Array.from(values).join(',') : undefined;
}
