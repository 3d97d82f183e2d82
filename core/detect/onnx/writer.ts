/**
 * Builds ONNX models in memory and serializes them (onnx/onnx.proto, IR version 8).
 *
 * The converter (tfjs.ts) uses it for whole networks; tests use `constantModel` and `identityModel`
 * to make tiny models with known outputs. Field numbers below are onnx.proto's.
 */
import { ProtoWriter } from './protobuf.js';

/** ONNX `TensorProto.DataType` values for the element types streamsight uses. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** One of the `DataType` values. */
export type DataType = (typeof DataType)[keyof typeof DataType];

/** Element storage matching a `DataType` (BOOL is one byte per element, 0 or 1). */
export type TensorValues = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** A named constant tensor: an initializer, or the value of a `tensor` attribute. */
export interface OnnxTensor {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  values: TensorValues;
}

/** A float attribute that happens to be integral (`1.0`) and must not be written as INT. */
export interface FloatAttribute {
  float: number;
}

/**
 * An attribute value: integers become INT/INTS, other numbers FLOAT/FLOATS, strings STRING,
 * tensors TENSOR. Wrap a whole-number float with `floatAttr()`.
 */
export type AttributeValue = number | readonly number[] | string | OnnxTensor | FloatAttribute;

/** Forces a FLOAT attribute for values like `1.0` that would otherwise be written as INT. */
export function floatAttr(value: number): FloatAttribute {
  return { float: value };
}

/** One graph node; `inputs` may hold '' for an omitted optional input. */
export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: name, element type and shape (a string dim is symbolic). */
export interface ValueInfo {
  name: string;
  dataType: DataType;
  dims: readonly (number | string)[];
}

/** The default opset: 18 is the first with `Resize(axes=...)` and `ReduceMean` axes as input. */
export const DEFAULT_OPSET = 18;
/** IR version 8 pairs with opsets 14–18 (onnx/docs/Versioning.md). */
const IR_VERSION = 8;

/** Collects nodes, initializers, inputs and outputs of one graph, then encodes the model. */
export class OnnxGraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();

  constructor(readonly name = 'graph') {}

  /** A value name not used yet, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Declares a graph input. */
  input(name: string, dataType: DataType, dims: readonly (number | string)[]): string {
    this.used.add(name);
    this.inputs.push({ name, dataType, dims });
    return name;
  }

  /** Declares a graph output (the value must be produced by some node or be an initializer). */
  output(name: string, dataType: DataType, dims: readonly (number | string)[]): void {
    this.outputs.push({ name, dataType, dims });
  }

  /** Adds an initializer under a fresh name derived from `base`; returns the name. */
  initializer(base: string, dataType: DataType, dims: readonly number[], values: TensorValues): string {
    const name = this.uniqueName(base);
    this.initializers.push({ name, dataType, dims: [...dims], values });
    return name;
  }

  /**
   * Adds a node; each output keeps its name unless taken, then gets a suffix (with `exact`, names
   * are used as given, for outputs reserved earlier with `uniqueName`). Returns the names.
   */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, AttributeValue> = {}, exact = false): string[] {
    const names = exact ? [...outputs] : outputs.map((output) => this.uniqueName(output));
    this.nodes.push({ opType, inputs: [...inputs], outputs: names, name: this.uniqueName(`${names[0]}/${opType}`), attributes });
    return names;
  }

  /** The serialized `ModelProto`. */
  toBytes(options: { opset?: number; producer?: string; docString?: string } = {}): Uint8Array {
    const model = new ProtoWriter()
      .varint(1, IR_VERSION) // ir_version
      .string(2, options.producer ?? 'streamsight') // producer_name
      .message(7, this.encodeGraph()) // graph
      .message(8, new ProtoWriter().string(1, '').varint(2, options.opset ?? DEFAULT_OPSET)); // opset_import
    if (options.docString) model.string(6, options.docString);
    return model.finish();
  }

  private encodeGraph(): ProtoWriter {
    const graph = new ProtoWriter();
    for (const node of this.nodes) graph.message(1, encodeNode(node));
    graph.string(2, this.name);
    for (const tensor of this.initializers) graph.message(5, encodeTensor(tensor));
    for (const input of this.inputs) graph.message(11, encodeValueInfo(input));
    for (const output of this.outputs) graph.message(12, encodeValueInfo(output));
    return graph;
  }
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const out = new ProtoWriter();
  for (const input of node.inputs) out.string(1, input);
  for (const output of node.outputs) out.string(2, output);
  out.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) out.message(5, encodeAttribute(name, value));
  return out;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_FLOATS = 6;
const ATTR_INTS = 7;

function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const out = new ProtoWriter().string(1, name);
  if (typeof value === 'string') return out.bytes(4, new TextEncoder().encode(value)).varint(20, ATTR_STRING);
  if (typeof value === 'number') {
    return Number.isInteger(value) ? out.varint(3, value).varint(20, ATTR_INT) : out.float(2, value).varint(20, ATTR_FLOAT);
  }
  if (isNumberList(value)) {
    return value.every(Number.isInteger) ? out.packedVarints(8, value).varint(20, ATTR_INTS) : out.packedFloats(7, value).varint(20, ATTR_FLOATS);
  }
  if ('float' in value) return out.float(2, value.float).varint(20, ATTR_FLOAT);
  return out.message(5, encodeTensor(value)).varint(20, ATTR_TENSOR);
}

function isNumberList(value: AttributeValue): value is readonly number[] {
  return Array.isArray(value);
}

function encodeTensor(tensor: OnnxTensor): ProtoWriter {
  const { values } = tensor;
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (values.length !== count) throw new RangeError(`tensor ${tensor.name}: dims [${tensor.dims}] hold ${count} values, got ${values.length}`);
  // raw_data is little-endian by the spec; typed arrays are host-endian, and every platform
  // onnxruntime-node ships for (x64, arm64) is little-endian.
  const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return new ProtoWriter()
    .packedVarints(1, tensor.dims) // dims
    .varint(2, tensor.dataType) // data_type
    .string(8, tensor.name) // name
    .bytes(9, raw); // raw_data
}

function encodeValueInfo(info: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.dims) {
    shape.message(1, typeof dim === 'number' ? new ProtoWriter().varint(1, dim) : new ProtoWriter().string(2, dim));
  }
  const tensorType = new ProtoWriter().varint(1, info.dataType).message(2, shape);
  return new ProtoWriter().string(1, info.name).message(2, new ProtoWriter().message(1, tensorType));
}

/** A model with no inputs whose single output `name` is always `values` (for decoder tests). */
export function constantModel(name: string, dims: readonly number[], values: Float32Array): Uint8Array {
  const graph = new OnnxGraphBuilder('constant');
  const source = graph.initializer(`${name}/value`, DataType.FLOAT, dims, values);
  graph.node('Identity', [source], [name]);
  graph.output(name, DataType.FLOAT, dims);
  return graph.toBytes();
}

/** A model that returns its float input `input` unchanged as `output`. */
export function identityModel(dims: readonly (number | string)[], input = 'input', output = 'output'): Uint8Array {
  const graph = new OnnxGraphBuilder('identity');
  graph.input(input, DataType.FLOAT, dims);
  graph.node('Identity', [input], [output]);
  graph.output(output, DataType.FLOAT, dims);
  return graph.toBytes();
}
