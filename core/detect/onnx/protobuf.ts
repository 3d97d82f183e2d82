/**
 * A protobuf encoder for the few ONNX messages streamsight writes (writer.ts).
 *
 * Hand-written rather than protobufjs + onnx.proto: we only ever encode, never decode, and the
 * subset is six messages of scalar, string, packed and nested fields. That is four wire types and
 * about sixty lines, with no schema file to vendor and no dependency to keep current.
 *
 * Wire format (protobuf encoding guide): every field is a varint key `(field << 3) | wireType`
 * followed by its value; wire type 0 = varint, 2 = length-delimited (strings, bytes, nested
 * messages, packed repeated scalars), 5 = 32-bit little-endian (float).
 */

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

const utf8 = new TextEncoder();

/** Appends protobuf fields to a growing list of byte chunks; `finish()` joins them. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** An int32/int64/enum/bool field. Negative numbers take ten bytes, as protobuf specifies. */
  varint(field: number, value: number | bigint): this {
    this.key(field, VARINT);
    this.rawVarint(value);
    return this;
  }

  /** A `float` field (fixed 32-bit). */
  float(field: number, value: number): this {
    this.key(field, FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A `string` field, UTF-8 encoded. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A `bytes` field (or an already-encoded nested message). */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  /** A nested message field. */
  message(field: number, nested: ProtoWriter): this {
    return this.bytes(field, nested.finish());
  }

  /** A packed `repeated int64` field. */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const value of values) inner.rawVarint(value);
    return this.bytes(field, inner.finish());
  }

  /** A packed `repeated float` field. */
  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((value, i) => view.setFloat32(i * 4, value, true));
    return this.bytes(field, bytes);
  }

  /** The encoded message. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  private key(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  private rawVarint(value: number | bigint): void {
    // Two's complement over 64 bits, so int64 -1 encodes as ten bytes like every protobuf library.
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(bytes));
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
}
