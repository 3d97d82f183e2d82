import type { VideoCodec, VideoUnit } from '../../codecs/access-unit.js';
import { H264Nal, h264NalType } from '../../codecs/h264/nal.js';
import { parseH264Sps, profileLevelId } from '../../codecs/h264/sps.js';
import { H265Nal, h265NalType } from '../../codecs/h265/nal.js';
import { parseH265Sps } from '../../codecs/h265/sps.js';

/** Video properties the API reports, learned from the SPS. */
export interface VideoInfo {
  codec?: VideoCodec;
  width?: number;
  height?: number;
  /** H.264 profile-level-id as hex ('64001f'); H.265 'profile.level'. */
  profile?: string;
}

/** The SPS NAL unit of a keyframe unit, if it carries one. */
export function findSps(unit: VideoUnit): Uint8Array | undefined {
  for (const nal of unit.nalus) {
    if (unit.codec === 'H264' ? h264NalType(nal) === H264Nal.SPS : h265NalType(nal) === H265Nal.SPS) return nal;
  }
  return undefined;
}

/** Codec, size and profile from one SPS; undefined when the SPS does not parse. */
export function videoInfoFromSps(codec: VideoCodec, sps: Uint8Array): VideoInfo | undefined {
  if (codec === 'H264') {
    const info = parseH264Sps(sps);
    return info ? { codec, width: info.width, height: info.height, profile: profileLevelId(sps) } : undefined;
  }
  const info = parseH265Sps(sps);
  return info ? { codec, width: info.width, height: info.height, profile: `${info.profileIdc}.${info.levelIdc}` } : undefined;
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
