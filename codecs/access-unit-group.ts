/**
 * Access units from a decoding-order sequence of NAL units (an Annex B stream split by
 * splitAnnexB), for H.264 (ITU-T H.264 §7.4.1.2.3) and H.265 (ITU-T H.265 §7.4.2.4.4).
 *
 *   NAL units:  AUD SPS PPS SEI IDR(first) IDR | SEI P(first) P P | P(first) | EOS ...
 *   units:      [ ............ AU 0 ........ ] [ ..... AU 1 ..... ] [ AU 2 ......... ]
 *
 * After the last slice of a picture, the next access unit starts at the first of:
 *   H.264  AUD (9), SPS (7), PPS (8), SEI (6), types 14..18, or a slice whose first_mb_in_slice
 *          is 0 (types 1, 2, 5: ue(v) 0 is a single 1 bit right after the header);
 *   H.265  AUD (35), VPS/SPS/PPS (32..34), prefix SEI (39), types 41..44 and 48..55, or a slice
 *          segment with first_slice_segment_in_pic_flag (first bit after the 2-byte header).
 * Anything else after a slice (more slices, data partitions B/C, suffix SEI, end of sequence or
 * stream, filler) belongs to the current unit. An AUD always starts a unit.
 *
 * "First slice" stands in for the spec's comparison of slice header fields (§7.4.1.2.4), which
 * needs the SPS/PPS to parse; it is what cameras and encoders produce (no arbitrary slice order).
 */
import type { VideoCodec } from './access-unit.js';
import { H264Nal, h264NalType, isH264Vcl } from './h264/nal.js';
import { H265Nal, h265NalType, isH265Vcl } from './h265/nal.js';

/** How one NAL unit bears on access-unit boundaries. */
const Role = {
  /** Stays in the current unit (slice continuation, suffix data). */
  CONTINUE: 0,
  /** Starts a new unit when it follows a slice (parameter sets, prefix SEI...). */
  PREFIX: 1,
  /** The first slice of a picture: starts a new unit when it follows a slice. */
  FIRST_SLICE: 2,
  /** Another slice of the current picture. */
  SLICE: 3,
  /** Access unit delimiter: always starts a unit. */
  DELIMITER: 4,
} as const;
type Role = (typeof Role)[keyof typeof Role];

function h264Role(nal: Uint8Array): Role {
  const type = h264NalType(nal);
  if (type === H264Nal.AUD) return Role.DELIMITER;
  if (isH264Vcl(type)) {
    // Partitions B and C (3, 4) start with slice_id, not first_mb_in_slice.
    const hasHeader = type === H264Nal.SLICE || type === H264Nal.DPA || type === H264Nal.IDR;
    return hasHeader && nal.length > 1 && (nal[1]! & 0x80) !== 0 ? Role.FIRST_SLICE : Role.SLICE;
  }
  if (type === H264Nal.SEI || type === H264Nal.SPS || type === H264Nal.PPS || (type >= 14 && type <= 18)) return Role.PREFIX;
  return Role.CONTINUE;
}

function h265Role(nal: Uint8Array): Role {
  const type = h265NalType(nal);
  if (type === H265Nal.AUD) return Role.DELIMITER;
  if (isH265Vcl(type)) return nal.length > 2 && (nal[2]! & 0x80) !== 0 ? Role.FIRST_SLICE : Role.SLICE;
  if ((type >= H265Nal.VPS && type <= H265Nal.PPS) || type === H265Nal.PREFIX_SEI || (type >= 41 && type <= 44) || (type >= 48 && type <= 55)) {
    return Role.PREFIX;
  }
  return Role.CONTINUE;
}

/**
 * Groups NAL units (decoding order, no start codes) into access units, each a list of views of the
 * input. Empty NAL units are dropped; a stream that starts mid-picture yields that partial unit first.
 */
export function groupAccessUnits(codec: VideoCodec, nalus: readonly Uint8Array[]): Uint8Array[][] {
  const role = codec === 'H264' ? h264Role : h265Role;
  const out: Uint8Array[][] = [];
  let cur: Uint8Array[] = [];
  let sawSlice = false;
  for (const nal of nalus) {
    if (nal.length === 0) continue;
    const r = role(nal);
    const startsNew = r === Role.DELIMITER || (sawSlice && (r === Role.PREFIX || r === Role.FIRST_SLICE));
    if (startsNew && cur.length > 0) {
      out.push(cur);
      cur = [];
      sawSlice = false;
    }
    cur.push(nal);
    if (r === Role.FIRST_SLICE || r === Role.SLICE) sawSlice = true;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
