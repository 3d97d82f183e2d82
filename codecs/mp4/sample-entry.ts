/**
 * Video sample entries with out-of-band parameter sets: 'avc1' + 'avcC' (ISO/IEC 14496-15 §5.3.3,
 * AVCDecoderConfigurationRecord §5.3.3.1.2) and 'hvc1' + 'hvcC' (§8.3.3, HEVCDecoderConfiguration-
 * Record §8.3.3.1.2), inside VisualSampleEntry (ISO/IEC 14496-12 §12.1.3).
 *
 *   avcC: | version=1 | profile | compat | level | 111111 lenSize-1(2) | 111 numSPS(5) | len(16) SPS
 *         | numPPS | len(16) PPS | [high profiles: 111111 chroma(2) | 11111 depthY-8(3) | 11111 depthC-8(3) | 0]
 *   hvcC: | version=1 | profile_space(2) tier(1) profile_idc(5) | compat(32) | constraints(48) | level(8)
 *         | 1111 min_spatial_seg(12) | 111111 parallelism(2) | 111111 chroma(2) | 11111 depthY-8(3)
 *         | 11111 depthC-8(3) | avgFrameRate(16) | cfr(2) numTemporalLayers(3) nested(1) lenSize-1(2)
 *         | numArrays | { completeness(1) 0 type(6) | count(16) | { len(16) NAL } }
 */
import { ProtocolError } from '../../core/errors.js';
import { unescapeRbsp } from '../h264/bitreader.js';
import { parseH264Sps } from '../h264/sps.js';
import { box, concat, uints } from './box.js';

/** Bytes of a NAL length prefix in the samples (lengthSizeMinusOne + 1). */
export const NAL_LENGTH_SIZE = 4;

/** Profiles whose avcC carries the chroma / bit depth extension (§5.3.3.1.2). */
const AVCC_EXT_PROFILES = new Set([100, 110, 122, 144]);

/** One NAL unit behind a 16-bit length, as both records list parameter sets. */
function lengthPrefixed16(nal: Uint8Array): Uint8Array {
  return concat([uints([2], [nal.length]), nal]);
}

/** The avcC box for one SPS and one PPS. */
export function avcC(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  if (sps.length < 4) throw new ProtocolError('avcC: SPS shorter than 4 bytes');
  const parts = [
    uints([1, 1, 1, 1, 1, 1], [1, sps[1]!, sps[2]!, sps[3]!, 0xfc | (NAL_LENGTH_SIZE - 1), 0xe0 | 1]),
    lengthPrefixed16(sps),
    uints([1], [1]),
    lengthPrefixed16(pps),
  ];
  if (AVCC_EXT_PROFILES.has(sps[1]!)) {
    // The SPS parser reports one bit depth; chroma depth differs from luma only in exotic 4:4:4
    // streams that cameras do not send.
    const info = parseH264Sps(sps);
    const chroma = info?.chromaFormatIdc ?? 1;
    const depth = (info?.bitDepth ?? 8) - 8;
    parts.push(uints([1, 1, 1, 1], [0xfc | chroma, 0xf8 | depth, 0xf8 | depth, 0]));
  }
  return box('avcC', ...parts);
}

/** The hvcC box for one VPS, SPS and PPS; the profile/tier/level is copied from the SPS. */
export function hvcC(vps: Uint8Array, sps: Uint8Array, pps: Uint8Array): Uint8Array {
  // SPS RBSP: 2-byte NAL header, then vps_id(4) max_sub_layers_minus1(3) nesting(1), then the
  // 12-byte general profile_tier_level, which hvcC carries verbatim (§8.3.3.1.3).
  const rbsp = unescapeRbsp(sps);
  if (rbsp.length < 15) throw new ProtocolError('hvcC: SPS shorter than its profile_tier_level');
  const numTemporalLayers = ((rbsp[2]! >> 1) & 0x07) + 1;
  const nested = rbsp[2]! & 0x01;
  const profileIdc = rbsp[3]! & 0x1f;
  // Bit depths are far down the SPS; the profile fixes them for Main (8) and Main 10 (10), the
  // profiles cameras use. Decoders take the real values from the SPS itself.
  const depth = profileIdc === 2 ? 2 : 0;
  const arrays = [
    [32, vps],
    [33, sps],
    [34, pps],
  ] as const;
  return box(
    'hvcC',
    uints([1], [1]),
    rbsp.subarray(3, 15),
    uints([2, 1, 1, 1, 1, 2, 1, 1], [
      0xf000, // min_spatial_segmentation_idc 0: unknown
      0xfc, // parallelismType 0: unknown
      0xfc | 1, // chroma_format_idc 4:2:0, as for every camera stream
      0xf8 | depth,
      0xf8 | depth,
      0, // avgFrameRate 0: unspecified
      (numTemporalLayers << 3) | (nested << 2) | (NAL_LENGTH_SIZE - 1),
      arrays.length,
    ]),
    // array_completeness 1: 'hvc1' requires every parameter set to be here and none in the samples.
    ...arrays.map(([type, nal]) => concat([uints([1, 2], [0x80 | type, 1]), lengthPrefixed16(nal)])),
  );
}

/** A VisualSampleEntry ('avc1' or 'hvc1') of `width` x `height` around its configuration box. */
export function visualSampleEntry(type: 'avc1' | 'hvc1', width: number, height: number, config: Uint8Array): Uint8Array {
  const compressorName = new Uint8Array(32); // Pascal string, left empty
  return box(
    type,
    new Uint8Array(6), // reserved
    uints([2, 2, 2, 4, 4, 4], [1, 0, 0, 0, 0, 0]), // data_reference_index 1, pre_defined, reserved
    uints([2, 2, 4, 4, 4, 2], [width, height, 0x00480000, 0x00480000, 0, 1]), // 72 dpi, frame_count 1
    compressorName,
    uints([2, 2], [0x0018, 0xffff]), // depth 24, pre_defined -1
    config,
  );
}
