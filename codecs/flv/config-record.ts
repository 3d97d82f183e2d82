/**
 * Decoder configuration records, the sequence headers an FLV/RTMP publisher sends before any
 * picture: AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1, "avcC") and
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1, "hvcC").
 *
 *   avcC:  version=1 | profile | compat | level | 111111 lenMinus1(2) | 111 numSps(5)
 *          { len(16) SPS }*numSps | numPps(8) | { len(16) PPS }*numPps | [high-profile extras]
 *   hvcC:  version=1 | 20 bytes of profile/tier/level, chroma, bit depth... | ..lenMinus1(2) @21
 *          numArrays(8) | { completeness(1) r(1) nalType(6) | numNalus(16) | { len(16) NAL }* }*
 *
 * Only the parameter sets and the NAL length size are kept: the SPS says the rest.
 */

/** What a configuration record gives a depacketizer. */
export interface DecoderConfig {
  /** Bytes of the NAL unit length prefix in coded frames (1, 2 or 4). */
  readonly lengthSize: number;
  /** Video parameter sets (H.265 only). */
  readonly vps: readonly Uint8Array[];
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
}

/** Reads `count` 16-bit-length-prefixed NAL units at `o`; undefined when they overrun the record. */
function readNalus(rec: Uint8Array, o: number, count: number): { nalus: Uint8Array[]; end: number } | undefined {
  const nalus: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (o + 2 > rec.length) return undefined;
    const len = (rec[o]! << 8) | rec[o + 1]!;
    o += 2;
    if (len === 0 || o + len > rec.length) return undefined;
    nalus.push(rec.subarray(o, o + len));
    o += len;
  }
  return { nalus, end: o };
}

/** Parses an avcC record; null when it is truncated, of another version, or has no SPS or PPS. */
export function parseAvcC(rec: Uint8Array): DecoderConfig | null {
  if (rec.length < 7 || rec[0] !== 1) return null;
  const lengthSize = (rec[4]! & 0x03) + 1;
  if (lengthSize === 3) return null;
  const sps = readNalus(rec, 6, rec[5]! & 0x1f);
  if (!sps || sps.end >= rec.length) return null;
  const pps = readNalus(rec, sps.end + 1, rec[sps.end]!);
  if (!pps || sps.nalus.length === 0 || pps.nalus.length === 0) return null;
  // NAL type 7 / 8: a record whose "SPS" is something else is not worth decoding with.
  if (sps.nalus.some((n) => (n[0]! & 0x1f) !== 7) || pps.nalus.some((n) => (n[0]! & 0x1f) !== 8)) return null;
  return { lengthSize, vps: [], sps: sps.nalus, pps: pps.nalus };
}

/** Parses an hvcC record; null when it is truncated, of another version, or lacks VPS, SPS or PPS. */
export function parseHvcC(rec: Uint8Array): DecoderConfig | null {
  if (rec.length < 23 || rec[0] !== 1) return null;
  const lengthSize = (rec[21]! & 0x03) + 1;
  if (lengthSize === 3) return null;
  const out: Record<'vps' | 'sps' | 'pps', Uint8Array[]> = { vps: [], sps: [], pps: [] };
  let o = 23;
  for (let a = 0, arrays = rec[22]!; a < arrays; a++) {
    if (o + 3 > rec.length) return null;
    const type = rec[o]! & 0x3f;
    const group = readNalus(rec, o + 3, (rec[o + 1]! << 8) | rec[o + 2]!);
    if (!group) return null;
    o = group.end;
    // H.265 §7.4.2.2: 32 VPS, 33 SPS, 34 PPS; SEI arrays and others are not needed to decode.
    const key = type === 32 ? 'vps' : type === 33 ? 'sps' : type === 34 ? 'pps' : undefined;
    if (key) out[key].push(...group.nalus.filter((n) => ((n[0]! >> 1) & 0x3f) === type));
  }
  if (out.vps.length === 0 || out.sps.length === 0 || out.pps.length === 0) return null;
  return { lengthSize, ...out };
}
