/**
 * Clips whose frames carry a recoverable counter, for the decoder tests and the pipeline bench.
 *
 * Frame n is mid-grey chroma with a luma plane of 8 x 2 big blocks; block b (left to right, top
 * row first) is white (235) when bit b of n is set, black (16) otherwise:
 *
 *   +----+----+----+----+----+----+----+----+
 *   | b0 | b1 | b2 | b3 | b4 | b5 | b6 | b7 |
 *   +----+----+----+----+----+----+----+----+
 *   | b8 | b9 |b10 |b11 |b12 |b13 |b14 |b15 |
 *   +----+----+----+----+----+----+----+----+
 *
 * The blocks survive lossy coding and scaling, so `readCounter` recovers n from any decoded Y
 * plane. The raw frames are made here and encoded by the same ffmpeg the product uses (nothing
 * binary is committed): `ffmpeg -f rawvideo -pix_fmt yuv420p -s WxH -r 25 -i - -c:v libx264|libx265
 * -bf 0 -g GOP -f h264|hevc -`.
 */
import { spawnSync } from 'node:child_process';
import type { VideoCodec, VideoUnit } from '../../../codecs/access-unit.js';
import { groupAccessUnits } from '../../../codecs/access-unit-group.js';
import { splitAnnexB } from '../../../codecs/h264/annexb.js';
import { isH264Keyframe } from '../../../codecs/h264/nal.js';
import { isH265Keyframe } from '../../../codecs/h265/nal.js';
import { ffmpegPath } from '../../ffmpeg.js';

/** 90 kHz ticks per frame at 25 fps. */
export const FRAME_TICKS = 3600;

const COLS = 8;
const ROWS = 2;

/** Options of a counter clip. */
export interface CounterClipOptions {
  width: number;
  height: number;
  frames: number;
  /** Keyframe interval in frames (default 25). */
  gop?: number;
  /** Counter of the first frame (default 0). */
  first?: number;
  codec?: VideoCodec;
  /** H.264 B-frames (default 0); units then come in decoding order with display-order pts. */
  bframes?: number;
}

/** The I420 frames of the clip, back to back. */
export function counterFramesI420(width: number, height: number, frames: number, first = 0): Buffer {
  const luma = width * height;
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  const frameBytes = luma + 2 * chroma;
  const out = Buffer.alloc(frameBytes * frames, 128);
  for (let f = 0; f < frames; f++) {
    const n = first + f;
    const y = out.subarray(f * frameBytes, f * frameBytes + luma);
    for (let row = 0; row < height; row++) {
      const bitRow = Math.min(ROWS - 1, Math.floor((row * ROWS) / height));
      for (let col = 0; col < width; col++) {
        const bit = bitRow * COLS + Math.min(COLS - 1, Math.floor((col * COLS) / width));
        y[row * width + col] = (n >> bit) & 1 ? 235 : 16;
      }
    }
  }
  return out;
}

/** The counter drawn in a decoded luma plane (mean of a small window at each block's centre). */
export function readCounter(y: Uint8Array, width: number, height: number): number {
  let n = 0;
  for (let bit = 0; bit < COLS * ROWS; bit++) {
    const cx = Math.floor(((bit % COLS) + 0.5) * (width / COLS));
    const cy = Math.floor((Math.floor(bit / COLS) + 0.5) * (height / ROWS));
    let sum = 0;
    let count = 0;
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        sum += y[(cy + dy) * width + cx + dx]!;
        count++;
      }
    }
    if (sum / count > 128) n |= 1 << bit;
  }
  return n;
}

/** Encodes the clip to an Annex-B elementary stream (H.264 or H.265, no B-frames). */
export function encodeCounterClip(opts: CounterClipOptions): Buffer {
  const { width, height, frames, gop = 25, first = 0, codec = 'H264' } = opts;
  const encoder = codec === 'H264'
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-f', 'h264']
    : ['-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', `log-level=error:keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=0`, '-f', 'hevc'];
  const res = spawnSync(
    ffmpegPath(),
    [
      '-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', '25',
      '-i', 'pipe:0', '-pix_fmt', 'yuv420p', '-bf', '0', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
      ...encoder, 'pipe:1',
    ],
    { input: counterFramesI420(width, height, frames, first), maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
  );
  if (res.status !== 0) throw new Error(`ffmpeg failed: ${res.stderr?.toString() ?? res.error}`);
  return res.stdout;
}

/**
 * An H.264 clip with B-frames: encoded to MPEG-TS (which keeps each picture's pts), the pts read
 * back with ffprobe, and the TS copied out as Annex B. Returns the stream and the display index
 * of each access unit, in decoding order.
 */
function encodeWithBFrames(opts: CounterClipOptions): { annexB: Buffer; counters: number[] } {
  const { width, height, frames, gop = 25, first = 0, bframes = 2 } = opts;
  const run = (cmd: string, args: string[], input?: Buffer): Buffer => {
    const r = spawnSync(cmd, args, { input, maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr?.toString() ?? r.error}`);
    return r.stdout;
  };
  const ts = run(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', '25',
    '-i', 'pipe:0', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', String(bframes), '-b_strategy', '0', '-g', String(gop),
    '-sc_threshold', '0', '-f', 'mpegts', 'pipe:1',
  ], counterFramesI420(width, height, frames, first));
  const csv = run(ffmpegPath().replace(/ffmpeg$/, 'ffprobe'), ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts', '-of', 'csv=p=0', '-i', 'pipe:0'], ts);
  const pts = csv.toString().split('\n').map((l) => l.split(',')[0]!.trim()).filter(Boolean).map(Number);
  const pts0 = Math.min(...pts);
  const annexB = run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'mpegts', '-i', 'pipe:0', '-c', 'copy', '-f', 'h264', 'pipe:1'], ts);
  return { annexB, counters: pts.map((p) => first + Math.round((p - pts0) / FRAME_TICKS)) };
}

/** The clip as video units: pts = counter × 3600, receivedAt = now (so the frames are not late). */
export function counterUnits(opts: CounterClipOptions): VideoUnit[] {
  const codec = opts.codec ?? 'H264';
  if (opts.bframes) {
    const { annexB, counters } = encodeWithBFrames(opts);
    const aus = groupAccessUnits('H264', splitAnnexB(annexB));
    if (aus.length !== counters.length) throw new Error(`expected ${counters.length} access units, got ${aus.length}`);
    return aus.map((au, i) => ({
      kind: 'video', codec, pts: counters[i]! * FRAME_TICKS, keyframe: isH264Keyframe(au), nalus: au, receivedAt: performance.now(),
    }));
  }
  const first = opts.first ?? 0;
  const nalus = splitAnnexB(encodeCounterClip(opts));
  const aus = groupAccessUnits(codec, nalus);
  if (aus.length !== opts.frames) throw new Error(`expected ${opts.frames} access units, got ${aus.length}`);
  return aus.map((au, i) => ({
    kind: 'video',
    codec,
    pts: (first + i) * FRAME_TICKS,
    keyframe: codec === 'H264' ? isH264Keyframe(au) : isH265Keyframe(au),
    nalus: au,
    receivedAt: performance.now(),
  }));
}
