/**
 * ISO base media file format boxes, ISO/IEC 14496-12 §4.2 (Box, FullBox).
 *
 *   Box:      | size (32) | type (4 chars) | [largesize (64) when size == 1] | payload ...
 *   FullBox:  | size (32) | type (4 chars) | version (8) | flags (24) | payload ...
 *
 * Builders return finished byte arrays: a clip is written once, so nesting by concatenation is
 * simpler than back-patching sizes and costs one copy per level (a handful of levels).
 */

/** A box found by parseBoxes: its type, where it starts, its total size and, for containers, its children. */
export interface ParsedBox {
  type: string;
  /** Offset of the box header in the parsed buffer. */
  start: number;
  /** Total size including the header. */
  size: number;
  /** Offset of the payload (after size, type and largesize). */
  payload: number;
  /** Child boxes, for the container types listed in CONTAINERS. */
  children?: ParsedBox[];
}

/** Boxes whose payload is only child boxes (§8: moov, trak, mdia, minf, dinf, stbl, edts). */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'dinf', 'stbl', 'edts']);

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Big-endian unsigned integers of the given byte widths, e.g. uints([2, 4], [1, 90000]). */
export function uints(widths: readonly number[], values: readonly number[]): Uint8Array {
  let size = 0;
  for (const w of widths) size += w;
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < widths.length; i++) {
    const w = widths[i]!;
    // Division instead of shifts: 8-byte fields (co64, v1 durations) exceed 32 bits.
    let v = values[i]!;
    for (let b = w - 1; b >= 0; b--) {
      out[o + b] = v % 256;
      v = Math.floor(v / 256);
    }
    o += w;
  }
  return out;
}

/** A run of 32-bit big-endian values (table rows). */
export function u32s(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i]! >>> 0);
  return out;
}

/** Four ASCII characters (a box type, a brand, a handler type). */
export function fourcc(s: string): Uint8Array {
  if (s.length !== 4) throw new RangeError(`fourcc must be 4 characters: '${s}'`);
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A box of `type` around `parts`; uses a 64-bit largesize only when the box exceeds 32 bits. */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  let payload = 0;
  for (const p of parts) payload += p.length;
  const large = payload + 8 > 0xffffffff;
  const header = large ? concat([uints([4], [1]), fourcc(type), uints([8], [payload + 16])]) : concat([uints([4], [payload + 8]), fourcc(type)]);
  return concat([header, ...parts]);
}

/** A FullBox: version and 24-bit flags precede the payload. */
export function fullBox(type: string, version: number, flags: number, ...parts: Uint8Array[]): Uint8Array {
  return box(type, uints([1, 3], [version, flags]), ...parts);
}

/** Parses the boxes of `buf[start, end)`, descending into container boxes; stops at a truncated box. */
export function parseBoxes(buf: Uint8Array, start = 0, end = buf.length): ParsedBox[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ParsedBox[] = [];
  let o = start;
  while (o + 8 <= end) {
    let size = view.getUint32(o);
    const type = String.fromCharCode(buf[o + 4]!, buf[o + 5]!, buf[o + 6]!, buf[o + 7]!);
    let payload = o + 8;
    if (size === 1) {
      if (o + 16 > end) break;
      size = Number(view.getBigUint64(o + 8));
      payload = o + 16;
    } else if (size === 0) size = end - o; // §4.2: box extends to the end of the file
    if (size < payload - o || o + size > end) break;
    const b: ParsedBox = { type, start: o, size, payload };
    if (CONTAINERS.has(type)) b.children = parseBoxes(buf, payload, o + size);
    out.push(b);
    o += size;
  }
  return out;
}

/** The first box along a path of types, e.g. findBox(boxes, 'moov', 'trak', 'mdia'). */
export function findBox(boxes: readonly ParsedBox[] | undefined, ...path: string[]): ParsedBox | undefined {
  let found: ParsedBox | undefined;
  for (const type of path) {
    found = boxes?.find((b) => b.type === type);
    if (!found) return undefined;
    boxes = found.children;
  }
  return found;
}
