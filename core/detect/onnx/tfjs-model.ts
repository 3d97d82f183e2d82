/**
 * The TensorFlow.js graph-model format as the converter reads it: `model.json` (a TF GraphDef as
 * JSON in `modelTopology.node`, plus a `weightsManifest`) and the concatenated `.bin` shards.
 *
 * Every `Const` node's value lives in the weights, in manifest order; tfjs-converter may quantize
 * float weights to float16, or to uint8/uint16 with an affine `min + q * scale`
 * (tfjs-core io/io_utils.ts `decodeWeights`).
 */
import { UnsupportedError } from '../../errors.js';

/** A TF `AttrValue` as tfjs-converter writes it (int64s are decimal strings, strings base64). */
export interface TfAttr {
  i?: string;
  f?: number;
  b?: boolean;
  s?: string;
  type?: string;
  shape?: { dim?: { size: string }[]; unknownRank?: boolean };
  list?: { i?: string[]; f?: number[]; s?: string[] };
}

/** One `NodeDef`: inputs are `node`, `node:k` for output k, or `^node` for a control edge. */
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttr>;
}

/** One weight in the manifest. */
export interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; min?: number; scale?: number; original_dtype?: string };
}

/** The parts of `model.json` the converter uses. */
export interface TfjsGraphModel {
  format?: string;
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: TfWeightSpec[] }[];
  signature?: {
    inputs?: Record<string, { name: string }>;
    outputs?: Record<string, { name: string; tensorShape?: { dim?: { size: string }[] } }>;
  };
}

/** The element types the converter handles. */
export type TfDtype = 'float32' | 'int32' | 'int64' | 'bool';

/** A constant tensor in TF (NHWC) layout; int64 constants are read as int32 by tfjs. */
export interface TfConstant {
  dtype: TfDtype;
  shape: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

/** Maps `DT_FLOAT`-style names (GraphDef attrs) to tfjs dtypes. */
export function tfDtype(name: string | undefined): TfDtype {
  switch (name) {
    case 'DT_FLOAT':
      return 'float32';
    case 'DT_INT32':
      return 'int32';
    case 'DT_INT64':
      return 'int64';
    case 'DT_BOOL':
      return 'bool';
    default:
      throw new UnsupportedError(`tfjs graph: element type ${name ?? '(none)'} is not supported`);
  }
}

/** The attr's integer list (strides, ksize), or `fallback`. */
export function attrInts(node: TfNode, key: string, fallback: number[] = []): number[] {
  const list = node.attr?.[key]?.list?.i;
  return list ? list.map(Number) : fallback;
}

/** The attr's integer, or `fallback`. */
export function attrInt(node: TfNode, key: string, fallback = 0): number {
  const value = node.attr?.[key]?.i;
  return value === undefined ? fallback : Number(value);
}

/** The attr's string (base64-decoded), or `fallback`. */
export function attrString(node: TfNode, key: string, fallback = ''): string {
  const value = node.attr?.[key]?.s;
  return value === undefined ? fallback : Buffer.from(value, 'base64').toString('utf8');
}

/** The attr's string list (`fused_ops`), base64-decoded. */
export function attrStrings(node: TfNode, key: string): string[] {
  return (node.attr?.[key]?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));
}

/** The attr's boolean, or `fallback`. */
export function attrBool(node: TfNode, key: string, fallback = false): boolean {
  return node.attr?.[key]?.b ?? fallback;
}

/** The attr's float, or `fallback`. */
export function attrFloat(node: TfNode, key: string, fallback = 0): number {
  return node.attr?.[key]?.f ?? fallback;
}

/** Decodes every weight of the manifest from the shards' bytes (concatenated in manifest order). */
export function decodeWeights(model: TfjsGraphModel, data: Uint8Array): Map<string, TfConstant> {
  const out = new Map<string, TfConstant>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const group of model.weightsManifest) {
    for (const spec of group.weights) {
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const stored = spec.quantization?.dtype ?? spec.dtype;
      const size = count * bytesPerElement(stored, spec.name);
      if (offset + size > data.byteLength) throw new RangeError(`tfjs weights: ${spec.name} runs past the end of the weight data`);
      out.set(spec.name, { dtype: tfjsDtype(spec.dtype, spec.name), shape: spec.shape, values: decodeOne(spec, view, offset, count) });
      offset += size;
    }
  }
  if (offset !== data.byteLength) throw new RangeError(`tfjs weights: manifest covers ${offset} bytes, data has ${data.byteLength}`);
  return out;
}

function decodeOne(spec: TfWeightSpec, view: DataView, offset: number, count: number): TfConstant['values'] {
  const dtype = tfjsDtype(spec.dtype, spec.name);
  const q = spec.quantization;
  if (!q) {
    if (dtype === 'float32') return copy(new Float32Array(count), (i) => view.getFloat32(offset + i * 4, true));
    if (dtype === 'bool') return copy(new Uint8Array(count), (i) => view.getUint8(offset + i));
    return copy(new Int32Array(count), (i) => view.getInt32(offset + i * 4, true));
  }
  let read: (i: number) => number;
  if (q.dtype === 'float16') read = (i) => float16ToFloat32(view.getUint16(offset + i * 2, true));
  else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    const { min = 0, scale = 1 } = q;
    const wide = q.dtype === 'uint16';
    read = (i) => min + scale * (wide ? view.getUint16(offset + i * 2, true) : view.getUint8(offset + i));
  } else throw new UnsupportedError(`tfjs weights: ${spec.name} uses quantization ${q.dtype}`);
  // tfjs rounds dequantized integer weights back to integers (io_utils.ts).
  if (dtype === 'int32') return copy(new Int32Array(count), (i) => Math.round(read(i)));
  return copy(new Float32Array(count), read);
}

function copy<T extends Float32Array | Int32Array | Uint8Array>(target: T, read: (i: number) => number): T {
  for (let i = 0; i < target.length; i++) target[i] = read(i);
  return target;
}

function tfjsDtype(dtype: string, name: string): TfDtype {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new UnsupportedError(`tfjs weights: ${name} has dtype ${dtype}`);
}

function bytesPerElement(dtype: string, name: string): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'uint16':
      return 2;
    case 'uint8':
    case 'bool':
      return 1;
    default:
      throw new UnsupportedError(`tfjs weights: ${name} is stored as ${dtype}`);
  }
}

/** IEEE 754 binary16 to a JS number (subnormals, infinities and NaN included). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reorders an array laid out as `dims` so axis k of the result is axis `perm[k]` of the input. */
export function permute<T extends Float32Array | Int32Array | Uint8Array>(values: T, dims: readonly number[], perm: readonly number[]): { values: T; dims: number[] } {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]);
  const inStrides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    inStrides[k] = s;
    s *= dims[k];
  }
  const strides = perm.map((p) => inStrides[p]);
  const out = new (values.constructor as new (n: number) => T)(values.length);
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let k = 0; k < rank; k++) source += index[k] * strides[k];
    out[o] = values[source];
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k] < outDims[k]) break;
      index[k] = 0;
    }
  }
  return { values: out, dims: outDims };
}
