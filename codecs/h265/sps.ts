/**
 * H.265 sequence parameter set, ITU-T H.265 §7.3.2.2.1 (profile_tier_level §7.3.3).
 *
 *   | NAL hdr (16) | vps_id (4) | max_sub_layers_minus1 (3) | temporal_id_nesting (1) |
 *   | profile_tier_level: profile_space(2) tier(1) profile_idc(5) compat(32) flags(48) level_idc(8)
 *   |                     [sub-layer flags and profiles] |
 *   | sps_id ue | chroma_format_idc ue [separate_colour_plane u1] | pic_width_in_luma_samples ue
 *   | pic_height_in_luma_samples ue | conformance_window_flag u1 [left right top bottom ue] | ...
 */
import { BitReader, unescapeRbsp } from '../h264/bitreader.js';

/** What streamsight needs from an H.265 SPS. */
export interface H265SpsInfo {
  /** Displayed size, after the conformance window. */
  width: number;
  height: number;
  profileIdc: number;
  /** general_level_idc: 30 x level number (93 = level 3.1). */
  levelIdc: number;
  tierFlag: number;
  chromaFormatIdc: number;
}

/** Parses an SPS NAL unit (with its 2-byte header); null when it is not a valid SPS. */
export function parseH265Sps(nal: Uint8Array): H265SpsInfo | null {
  if (nal.length < 15 || ((nal[0]! >> 1) & 0x3f) !== 33) return null;
  try {
    const r = new BitReader(unescapeRbsp(nal), 2);
    r.skip(4); // sps_video_parameter_set_id
    const maxSubLayersMinus1 = r.u(3);
    if (maxSubLayersMinus1 > 6) return null;
    r.skip(1); // sps_temporal_id_nesting_flag
    r.skip(2); // general_profile_space
    const tierFlag = r.u1();
    const profileIdc = r.u(5);
    r.skip(32 + 48); // compatibility flags, progressive/interlaced/... constraint flags
    const levelIdc = r.u(8);
    const subProfile: boolean[] = [];
    const subLevel: boolean[] = [];
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      subProfile.push(r.u1() === 1);
      subLevel.push(r.u1() === 1);
    }
    if (maxSubLayersMinus1 > 0) r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
    for (let i = 0; i < maxSubLayersMinus1; i++) {
      if (subProfile[i]) r.skip(88);
      if (subLevel[i]) r.skip(8);
    }
    if (r.ue() > 15) return null; // sps_seq_parameter_set_id
    const chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) return null;
    const separateColourPlane = chromaFormatIdc === 3 && r.u1() === 1;
    let width = r.ue();
    let height = r.ue();
    if (r.u1()) {
      const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
      // Table 6-1: the window is in chroma sample units
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      width -= subWidthC * (left + right);
      height -= subHeightC * (top + bottom);
    }
    if (width <= 0 || height <= 0) return null;
    return { width, height, profileIdc, levelIdc, tierFlag, chromaFormatIdc };
  } catch {
    return null;
  }
}
