/**
 * H.264 sequence parameter set, ITU-T H.264 §7.3.2.1.1 (VUI: Annex E.1.1).
 *
 *   | NAL hdr (8) | profile_idc (8) | constraint_set0..5 + reserved (8) | level_idc (8) |
 *   | seq_parameter_set_id ue | [high profiles: chroma_format_idc ue, bit depths, scaling lists]
 *   | log2_max_frame_num ue | pic_order_cnt_type ue ... | max_num_ref_frames ue | gaps u1
 *   | pic_width_in_mbs_minus1 ue | pic_height_in_map_units_minus1 ue | frame_mbs_only u1
 *   | [mb_adaptive u1] | direct_8x8 u1 | frame_cropping u1 [l r t b ue] | vui u1 [...]
 */
import { BitReader, unescapeRbsp } from './bitreader.js';

/** What streamsight needs from an SPS. */
export interface H264SpsInfo {
  profileIdc: number;
  constraintFlags: number;
  levelIdc: number;
  /** Displayed size, after frame cropping. */
  width: number;
  height: number;
  chromaFormatIdc: number;
  bitDepth: number;
  frameMbsOnly: boolean;
  /** From VUI timing info (time_scale / (2 * num_units_in_tick)) when present. */
  frameRate?: number;
}

/** Profiles whose SPS carries chroma format, bit depth and scaling lists (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (with its 1-byte header); null when it is not a valid SPS. */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo | null {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) return null;
  try {
    const r = new BitReader(unescapeRbsp(nal), 1);
    const profileIdc = r.u(8);
    const constraintFlags = r.u(8);
    const levelIdc = r.u(8);
    if (r.ue() > 31) return null; // seq_parameter_set_id
    let chromaFormatIdc = 1;
    let separateColourPlane = false;
    let bitDepth = 8;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc > 3) return null;
      if (chromaFormatIdc === 3) separateColourPlane = r.u1() === 1;
      bitDepth = r.ue() + 8;
      r.ue(); // bit_depth_chroma_minus8
      r.u1(); // qpprime_y_zero_transform_bypass_flag
      if (r.u1()) {
        const lists = chromaFormatIdc !== 3 ? 8 : 12;
        for (let i = 0; i < lists; i++) if (r.u1()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.u1();
      r.se();
      r.se();
      const cycle = r.ue();
      if (cycle > 255) return null;
      for (let i = 0; i < cycle; i++) r.se();
    } else if (pocType !== 2) return null;
    r.ue(); // max_num_ref_frames
    r.u1(); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.u1() === 1;
    if (!frameMbsOnly) r.u1(); // mb_adaptive_frame_field_flag
    r.u1(); // direct_8x8_inference_flag
    let width = widthMbs * 16;
    let height = (frameMbsOnly ? 1 : 2) * heightMapUnits * 16;
    if (r.u1()) {
      const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
      // §7.4.2.1.1: crop units depend on ChromaArrayType and field coding
      const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
      const subWidthC = chromaArrayType === 3 ? 1 : 2;
      const subHeightC = chromaArrayType === 1 ? 2 : 1;
      const cropX = chromaArrayType === 0 ? 1 : subWidthC;
      const cropY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
      width -= cropX * (left + right);
      height -= cropY * (top + bottom);
    }
    if (width <= 0 || height <= 0) return null;
    const info: H264SpsInfo = { profileIdc, constraintFlags, levelIdc, width, height, chromaFormatIdc, bitDepth, frameMbsOnly };
    if (r.u1()) {
      const fps = vuiFrameRate(r);
      if (fps !== undefined) info.frameRate = fps;
    }
    return info;
  } catch {
    return null;
  }
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Reads VUI up to timing_info (Annex E.1.1); a truncated VUI just yields no frame rate. */
function vuiFrameRate(r: BitReader): number | undefined {
  try {
    if (r.u1() && r.u(8) === 255) r.skip(32); // aspect_ratio_idc == Extended_SAR: sar_width, sar_height
    if (r.u1()) r.u1(); // overscan
    if (r.u1()) {
      r.skip(4); // video_format, video_full_range_flag
      if (r.u1()) r.skip(24); // colour description
    }
    if (r.u1()) { r.ue(); r.ue(); } // chroma sample loc
    if (!r.u1()) return undefined;
    const unitsInTick = r.u(32);
    const timeScale = r.u(32);
    if (unitsInTick === 0 || timeScale === 0) return undefined;
    const fps = Math.round((timeScale / (2 * unitsInTick)) * 1000) / 1000;
    return fps > 0 ? fps : undefined; // a tiny time_scale over a huge tick rounds to 0: no usable rate
  } catch {
    return undefined;
  }
}

/** The profile-level-id of an SPS as SDP/WebRTC spell it: profile, constraints, level in hex ('64001f'). */
export function profileLevelId(sps: Uint8Array): string {
  let s = '';
  for (let i = 1; i < 4; i++) s += (sps[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}
