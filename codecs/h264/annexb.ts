/**
 * H.264/H.265 byte stream formats: Annex B start codes (H.264 Annex B) and AVCC length prefixes
 * (ISO/IEC 14496-15 §5.3.4.2).
 *
 *   Annex B:  00 00 00 01 | NAL | 00 00 01 | NAL | ...
 *   AVCC:     len(lengthSize bytes, big-endian) | NAL | len | NAL | ...
 */

/** Splits an Annex B byte stream into NAL units (views into `buf`, trailing zero bytes dropped). */
export function splitAnnexB(buf: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const len = buf.length;
  let start = -1;
  let i = 0;
  while (i + 2 < len) {
    if (buf[i + 2]! > 1) { i += 3; continue; }
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) pushTrimmed(out, buf, start, i);
      start = i + 3;
      i += 3;
      continue;
    }
    i++;
  }
  if (start >= 0) pushTrimmed(out, buf, start, len);
  return out;
}

function pushTrimmed(out: Uint8Array[], buf: Uint8Array, start: number, end: number): void {
  while (end > start && buf[end - 1] === 0) end--; // zero_byte of a 4-byte start code, trailing_zero_8bits
  if (end > start) out.push(buf.subarray(start, end));
}

/** Joins NAL units into an Annex B byte stream with 4-byte start codes. */
export function joinAnnexB(nalus: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nalus) size += 4 + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nalus) {
    out[o + 3] = 1;
    out.set(n, o + 4);
    o += 4 + n.length;
  }
  return out;
}

/** Splits length-prefixed (AVCC/HVCC) data into NAL units (views); a truncated tail is ignored. */
export function avccToNalus(buf: Uint8Array, lengthSize = 4): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o + lengthSize <= buf.length) {
    let n = 0;
    for (let i = 0; i < lengthSize; i++) n = n * 256 + buf[o + i]!;
    o += lengthSize;
    if (o + n > buf.length) break;
    out.push(buf.subarray(o, o + n));
    o += n;
  }
  return out;
}

/** Joins NAL units into length-prefixed (AVCC/HVCC) data. */
export function nalusToAvcc(nalus: readonly Uint8Array[], lengthSize = 4): Uint8Array {
  let size = 0;
  for (const n of nalus) size += lengthSize + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nalus) {
    let len = n.length;
    for (let i = lengthSize - 1; i >= 0; i--) { out[o + i] = len & 0xff; len = Math.floor(len / 256); }
    out.set(n, o + lengthSize);
    o += lengthSize + n.length;
  }
  return out;
}
