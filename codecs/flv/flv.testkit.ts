/**
 * Test helpers for codecs/flv and the RTMP ingest: FLV tag bodies built from access units (the
 * way an encoder would send them over RTMP), and a reader for the FLV files ffmpeg writes.
 *
 *   units (Annex-B split, codecs/mp4/mp4.testkit.ts) ─▶ sequence start (avcC/hvcC) + coded frames
 *   legacy:   0x17 00 000000 avcC | 0x17/0x27 01 cts(24) len|NAL...   (codec id 7, or 12 for HEVC)
 *   enhanced: 0x90 'hvc1' hvcC    | 0x91/0xA1 'hvc1' cts(24) len|NAL...
 */
import type { VideoCodec, VideoUnit } from '../access-unit.js';
import { nalusToAvcc } from '../h264/annexb.js';
import { H264Nal, h264NalType } from '../h264/nal.js';
import { H265Nal, h265NalType } from '../h265/nal.js';

/** How a publisher frames HEVC: enhanced RTMP (FourCC 'hvc1') or the legacy codec id 12. */
export type FlvHevcMode = 'enhanced' | 'legacy';

/** One RTMP video message: its timestamp (dts, ms) and FLV tag body. */
export interface FlvVideoMessage {
  dtsMs: number;
  body: Uint8Array;
}

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const si24 = (n: number): number[] => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** An AVCDecoderConfigurationRecord with one SPS and one PPS, 4-byte NAL lengths. */
export function buildAvcC(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  return Uint8Array.from([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1, ...u16(sps.length), ...sps, 1, ...u16(pps.length), ...pps]);
}

/** An HEVCDecoderConfigurationRecord with one VPS, SPS and PPS, 4-byte NAL lengths. */
export function buildHvcC(vps: Uint8Array, sps: Uint8Array, pps: Uint8Array): Uint8Array {
  // Bytes 1-12: general profile/tier/level as the SPS carries them (after its 2+1 header bytes).
  const ptl = Array.from(sps.subarray(3, 15));
  const head = [1, ...ptl, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 3];
  const array = (type: number, nal: Uint8Array) => [0x80 | type, 0, 1, ...u16(nal.length), ...nal];
  return Uint8Array.from([...head, ...array(32, vps), ...array(33, sps), ...array(34, pps)]);
}

/** The sequence start tag body for these parameter sets. */
export function sequenceStartBody(codec: VideoCodec, sets: { vps?: Uint8Array; sps: Uint8Array; pps: Uint8Array }, hevc: FlvHevcMode = 'enhanced'): Uint8Array {
  if (codec === 'H264') return Uint8Array.from([0x17, 0, 0, 0, 0, ...buildAvcC(sets.sps, sets.pps)]);
  const record = buildHvcC(sets.vps!, sets.sps, sets.pps);
  if (hevc === 'legacy') return Uint8Array.from([0x1c, 0, 0, 0, 0, ...record]);
  return Uint8Array.from([0x90, ...Buffer.from('hvc1'), ...record]);
}

/** A coded-frames tag body: `nalus` with 4-byte length prefixes, composition offset `cts` ms. */
export function codedFramesBody(codec: VideoCodec, nalus: readonly Uint8Array[], keyframe: boolean, cts = 0, hevc: FlvHevcMode = 'enhanced'): Uint8Array {
  const data = nalusToAvcc(nalus, 4);
  const frameType = keyframe ? 1 : 2;
  if (codec === 'H264' || hevc === 'legacy') {
    const codecId = codec === 'H264' ? 7 : 12;
    return Uint8Array.from([(frameType << 4) | codecId, 1, ...si24(cts), ...data]);
  }
  return Uint8Array.from([0x80 | (frameType << 4) | 1, ...Buffer.from('hvc1'), ...si24(cts), ...data]);
}

/**
 * The RTMP video messages an encoder would send for `units` (no B-frames: cts 0) at 25 fps:
 * the sequence start, then each picture without its in-band parameter sets.
 */
export function messagesFromUnits(units: readonly VideoUnit[], hevc: FlvHevcMode = 'enhanced'): FlvVideoMessage[] {
  const first = units.find((u) => u.keyframe)!;
  const codec = first.codec;
  const type = codec === 'H264' ? h264NalType : h265NalType;
  const sets = codec === 'H264' ? [H264Nal.SPS, H264Nal.PPS] : [H265Nal.VPS, H265Nal.SPS, H265Nal.PPS];
  const find = (t: number) => first.nalus.find((n) => type(n) === t)!;
  const seq = codec === 'H264'
    ? sequenceStartBody(codec, { sps: find(H264Nal.SPS), pps: find(H264Nal.PPS) })
    : sequenceStartBody(codec, { vps: find(H265Nal.VPS), sps: find(H265Nal.SPS), pps: find(H265Nal.PPS) }, hevc);
  const out: FlvVideoMessage[] = [{ dtsMs: 0, body: seq }];
  for (const u of units) {
    const nalus = u.nalus.filter((n) => !(sets as readonly number[]).includes(type(n)));
    out.push({ dtsMs: Math.round(u.pts / 90), body: codedFramesBody(codec, nalus, u.keyframe, 0, hevc) });
  }
  return out;
}

/** One tag of an FLV file. */
export interface FlvFileTag {
  type: number;
  timestampMs: number;
  body: Uint8Array;
}

/** The tags of an FLV file (FLV spec §E.2-E.3: 9-byte header, then PreviousTagSize + tag, ...). */
export function readFlvFile(buf: Uint8Array): FlvFileTag[] {
  if (buf[0] !== 0x46 || buf[1] !== 0x4c || buf[2] !== 0x56) throw new Error('not an FLV file');
  const out: FlvFileTag[] = [];
  let o = ((buf[5]! << 24) | (buf[6]! << 16) | (buf[7]! << 8) | buf[8]!) + 4;
  while (o + 11 <= buf.length) {
    const size = (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
    const ts = ((buf[o + 7]! << 24) | (buf[o + 4]! << 16) | (buf[o + 5]! << 8) | buf[o + 6]!) >>> 0;
    if (o + 11 + size > buf.length) break;
    out.push({ type: buf[o]!, timestampMs: ts, body: buf.subarray(o + 11, o + 11 + size) });
    o += 11 + size + 4;
  }
  return out;
}
