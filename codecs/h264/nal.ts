/**
 * H.264 NAL unit header, ITU-T H.264 §7.3.1 / RFC 6184 §1.3 (payload types 24..29 are RTP-only).
 *
 *   +---------------+
 *   |0|1|2|3|4|5|6|7|
 *   +-+-+-+-+-+-+-+-+
 *   |F|NRI|  Type   |
 *   +---------------+
 */

/** NAL unit types used by streamsight. */
export const H264Nal = {
  SLICE: 1,
  DPA: 2,
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  AUD: 9,
  END_SEQUENCE: 10,
  END_STREAM: 11,
  FILLER: 12,
  STAP_A: 24,
  STAP_B: 25,
  MTAP16: 26,
  MTAP24: 27,
  FU_A: 28,
  FU_B: 29,
} as const;

/** The NAL unit type (low 5 bits of the first byte). */
export function h264NalType(nal: Uint8Array): number {
  return nal[0]! & 0x1f;
}

/** True for coded slice NAL units (types 1..5). */
export function isH264Vcl(type: number): boolean {
  return type >= 1 && type <= 5;
}

/** True when the NAL units contain an IDR slice. */
export function isH264Keyframe(nalus: readonly Uint8Array[]): boolean {
  for (const n of nalus) if ((n[0]! & 0x1f) === H264Nal.IDR) return true;
  return false;
}
