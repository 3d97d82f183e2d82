/**
 * The ffmpeg command line of a camera's decoder and the bytes it is fed.
 *
 *   stdin:  Annex-B access units, each followed by an access unit delimiter
 *   output: rawvideo frames (yuv420p or gray) at the detect size, exactly one per decoded picture,
 *           written to a FIFO (see frame-reader.ts)
 */
import type { VideoCodec, VideoUnit } from '../../codecs/access-unit.js';
import { H264Nal, h264NalType } from '../../codecs/h264/nal.js';
import { H265Nal, h265NalType } from '../../codecs/h265/nal.js';
import { passthroughArgs } from '../ffmpeg.js';
import type { PixelFormat } from './frame-ring.js';

/** What one decoder process is started for. */
export interface DecodeProcessConfig {
  codec: VideoCodec;
  /** Output (detect) size. */
  width: number;
  height: number;
  format: PixelFormat;
  keyframesOnly: boolean;
  /** Decoder threads, 0 for one per core (default 1). */
  threads?: number;
}

/** ffmpeg arguments (without the binary) for one decoder process. */
export function decoderArgs(c: DecodeProcessConfig, output = 'pipe:1'): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // Without these ffmpeg reads megabytes of input to probe a stream whose format we already
    // know, which delays the first frame by seconds.
    '-probesize', '32', '-analyzeduration', '0',
    // Frame threading holds back one decoded picture per thread; slice threading stalled on paced
    // input (ffmpeg 5.1) and cameras send one slice per picture anyway. One thread: lowest latency.
    '-threads', String(c.threads ?? 1),
    // Where the CPU saving of keyframe-only mode is: the decoder itself skips non-key frames.
    ...(c.keyframesOnly ? ['-skip_frame', 'nokey'] : []),
    '-f', c.codec === 'H264' ? 'h264' : 'hevc', '-i', 'pipe:0',
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `scale=${c.width}:${c.height}:flags=bilinear`,
    '-pix_fmt', c.format === 'gray' ? 'gray' : 'yuv420p',
    // One output frame per decoded picture: no duplication or dropping by timestamp.
    ...passthroughArgs(),
    // Output side: the rawvideo encoder's frame threads hold each picture back until the next one
    // is decoded: one frame interval late, and with keyframes alone one whole GOP late (measured
    // with ffmpeg 5.1: 1.0 s at a 25-frame GOP; 3-65 ms with one thread).
    '-threads', '1',
    // -y: the output is an existing FIFO, which ffmpeg would otherwise ask about overwriting.
    '-y', '-f', 'rawvideo', output,
  ];
}

const H264_AUD = new Uint8Array([0x09, 0xf0]); // primary_pic_type 7 (any), rbsp stop bit
const H265_AUD = new Uint8Array([0x46, 0x01, 0x50]); // type 35, TID 1, pic_type 2 (any), stop bit

/**
 * One access unit as Annex B with an access unit delimiter appended (the unit's own delimiters
 * removed). ffmpeg's parser closes a picture only when it sees the start of the next one; the
 * trailing delimiter is that start, so the picture is decoded now instead of one unit later.
 */
export function unitToAnnexB(unit: VideoUnit): Uint8Array {
  const h264 = unit.codec === 'H264';
  const aud = h264 ? H264_AUD : H265_AUD;
  const isAud = (nal: Uint8Array) => (h264 ? h264NalType(nal) === H264Nal.AUD : h265NalType(nal) === H265Nal.AUD);
  let size = 4 + aud.length;
  for (const nal of unit.nalus) if (!isAud(nal)) size += 4 + nal.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const nal of unit.nalus) {
    if (isAud(nal)) continue;
    out[o + 3] = 1;
    out.set(nal, o + 4);
    o += 4 + nal.length;
  }
  out[o + 3] = 1;
  out.set(aud, o + 4);
  return out;
}
