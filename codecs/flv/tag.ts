/**
 * FLV tag bodies as RTMP carries them (one RTMP message = one FLV tag body): VIDEODATA and
 * AUDIODATA of the FLV spec v10.1 §E.4.2-E.4.3, and enhanced RTMP's extended video header
 * (veovera enhanced-rtmp v1, "ExVideoTagHeader").
 *
 *   legacy:    FrameType(4) CodecID(4) | AVCPacketType(8) | CompositionTime SI24 | data
 *              CodecID 7 = AVC; 12 = HEVC, the pre-standard extension of Chinese encoders
 *   enhanced:  1 FrameType(3) PacketType(4) | FourCC(32) | [CompositionTime SI24] | data
 *              PacketType 0 SequenceStart, 1 CodedFrames (with SI24), 2 SequenceEnd,
 *              3 CodedFramesX (no SI24: cts 0), 4 Metadata, 5 MPEG2TSSequenceStart
 *   audio:     SoundFormat(4) rate(2) size(1) type(1) | data      (9 = enhanced: FourCC follows)
 *
 * FrameType 1 is a keyframe, 2 an inter frame, 5 a command frame (no picture).
 * `data` is a decoder configuration record (sequence start) or length-prefixed NAL units.
 */
import type { VideoCodec } from '../access-unit.js';

/** One parsed video tag; `data` is a view into the tag body. */
export type VideoTag =
  | { readonly type: 'sequence-start'; readonly codec: VideoCodec; readonly data: Uint8Array }
  | {
    readonly type: 'frames';
    readonly codec: VideoCodec;
    /** The FLV frame type says keyframe (the NAL types decide; see FlvVideoDepacketizer). */
    readonly keyframe: boolean;
    /** Composition time offset in ms: pts = dts + cts (negative is legal, SI24). */
    readonly cts: number;
    readonly data: Uint8Array;
  }
  | { readonly type: 'sequence-end' | 'ignored' }
  | { readonly type: 'unsupported'; readonly what: string }
  | { readonly type: 'malformed'; readonly why: string };

const FRAME_KEY = 1;
const FRAME_COMMAND = 5;
const CODEC_AVC = 7;
const CODEC_HEVC_LEGACY = 12;

/** Signed 24-bit big-endian. */
function si24(b: Uint8Array, o: number): number {
  const v = (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  return v & 0x800000 ? v - 0x1000000 : v;
}

function fourCC(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
}

/** Parses one VIDEODATA body. Never throws: bad input comes back as `malformed`. */
export function parseVideoTag(body: Uint8Array): VideoTag {
  if (body.length < 1) return { type: 'malformed', why: 'empty video tag' };
  const b0 = body[0]!;
  if (b0 & 0x80) return parseExVideoTag(body);
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (frameType === FRAME_COMMAND) return { type: 'ignored' };
  if (codecId !== CODEC_AVC && codecId !== CODEC_HEVC_LEGACY) return { type: 'unsupported', what: `FLV video codec id ${codecId}` };
  if (body.length < 5) return { type: 'malformed', why: 'video tag shorter than its 5-byte header' };
  const codec: VideoCodec = codecId === CODEC_AVC ? 'H264' : 'H265';
  const data = body.subarray(5);
  switch (body[1]) {
    case 0: return { type: 'sequence-start', codec, data };
    case 1: return { type: 'frames', codec, keyframe: frameType === FRAME_KEY, cts: si24(body, 2), data };
    case 2: return { type: 'sequence-end' };
    default: return { type: 'malformed', why: `AVCPacketType ${body[1]}` };
  }
}

/** Enhanced RTMP: IsExHeader set; the FourCC names the codec. */
function parseExVideoTag(body: Uint8Array): VideoTag {
  const frameType = (body[0]! >> 4) & 0x07;
  const packetType = body[0]! & 0x0f;
  if (body.length < 5) return { type: 'malformed', why: 'enhanced video tag shorter than its 5-byte header' };
  // PacketType 6 (Multitrack) and 7 (ModEx) change the header layout (enhanced RTMP v2).
  if (packetType > 5) return { type: 'unsupported', what: `enhanced RTMP video packet type ${packetType}` };
  if (frameType === FRAME_COMMAND) return { type: 'ignored' };
  const cc = fourCC(body, 1);
  const codec: VideoCodec | undefined = cc === 'avc1' ? 'H264' : cc === 'hvc1' ? 'H265' : undefined;
  if (!codec) return { type: 'unsupported', what: `video FourCC '${cc.replace(/[^\x20-\x7e]/g, '?')}'` };
  switch (packetType) {
    case 0: return { type: 'sequence-start', codec, data: body.subarray(5) };
    case 1:
      if (body.length < 8) return { type: 'malformed', why: 'CodedFrames shorter than its composition time' };
      return { type: 'frames', codec, keyframe: frameType === FRAME_KEY, cts: si24(body, 5), data: body.subarray(8) };
    case 2: return { type: 'sequence-end' };
    case 3: return { type: 'frames', codec, keyframe: frameType === FRAME_KEY, cts: 0, data: body.subarray(5) };
    default: return { type: 'ignored' }; // 4 Metadata (HDR info), 5 MPEG2TSSequenceStart
  }
}

const SOUND_FORMATS: Record<number, string> = {
  0: 'PCM', 1: 'ADPCM', 2: 'MP3', 3: 'PCM-LE', 4: 'Nellymoser', 5: 'Nellymoser', 6: 'Nellymoser',
  7: 'PCMA', 8: 'PCMU', 10: 'AAC', 11: 'Speex', 14: 'MP3', 15: 'device-specific',
};

/** The codec of an AUDIODATA body ('AAC', 'PCMA', 'Opus'...), or undefined when it is empty. */
export function audioTagCodec(body: Uint8Array): string | undefined {
  if (body.length < 1) return undefined;
  const format = body[0]! >> 4;
  if (format === 9) return body.length >= 5 ? fourCC(body, 1).replace(/[^\x20-\x7e]/g, '?') : undefined;
  return SOUND_FORMATS[format] ?? `sound format ${format}`;
}
