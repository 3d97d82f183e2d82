/**
 * H.265 NAL unit header, ITU-T H.265 §7.3.1.2 / RFC 7798 §1.1.4 (types 48..50 are RTP-only).
 *
 *   +---------------+---------------+
 *   |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |F|   Type    |  LayerId  | TID |
 *   +-------------+-----------------+
 */

/** NAL unit types used by streamsight. */
export const H265Nal = {
  TRAIL_N: 0,
  TRAIL_R: 1,
  BLA_W_LP: 16,
  BLA_W_RADL: 17,
  BLA_N_LP: 18,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA_NUT: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
  AP: 48,
  FU: 49,
  PACI: 50,
} as const;

/** The NAL unit type (bits 1..6 of the first byte). */
export function h265NalType(nal: Uint8Array): number {
  return (nal[0]! >> 1) & 0x3f;
}

/** True for VCL NAL unit types (0..31). */
export function isH265Vcl(type: number): boolean {
  return type < 32;
}

/** True for IRAP pictures (BLA, IDR, CRA and reserved IRAP types 16..23): a decoder can start here. */
export function isH265Irap(type: number): boolean {
  return type >= 16 && type <= 23;
}

/** True when the NAL units contain an IRAP slice. */
export function isH265Keyframe(nalus: readonly Uint8Array[]): boolean {
  for (const n of nalus) if (isH265Irap(h265NalType(n))) return true;
  return false;
}
