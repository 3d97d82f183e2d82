/**
 * Test helpers for the MP4 writer and its users: real clips encoded by ffmpeg in the test (nothing
 * binary is committed) and ffprobe/ffmpeg checks of a written file.
 *
 *   ffmpeg -f lavfi testsrc2=WxH:rate=25 -t S -c:v libx264|libx265 -bf 0 -g GOP -f h264|hevc -
 *     -> splitAnnexB -> groupAccessUnits -> VideoUnit[] (pts = n x 3600, keyframe from the NAL types)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VideoCodec, VideoUnit } from '../access-unit.js';
import { groupAccessUnits } from '../access-unit-group.js';
import { splitAnnexB } from '../h264/annexb.js';
import { isH264Keyframe } from '../h264/nal.js';
import { isH265Keyframe } from '../h265/nal.js';
import { ffmpegPath } from '../../core/ffmpeg.js';

/** 90 kHz ticks per frame at 25 fps. */
export const FRAME_TICKS = 3600;

/** Options of a generated clip. */
export interface ClipOptions {
  codec?: VideoCodec;
  width?: number;
  height?: number;
  seconds?: number;
  /** Keyframe interval in frames (default 50: 2 s at 25 fps). */
  gop?: number;
}

const ffprobePath = (): string => ffmpegPath().replace(/ffmpeg$/, 'ffprobe');

/** True when this ffmpeg has the encoder, e.g. 'libx265'. */
export function hasEncoder(name: string): boolean {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  return r.status === 0 && new RegExp(`\\s${name}\\s`).test(r.stdout);
}

/** Encodes a testsrc2 clip at 25 fps with no B-frames and returns its access units as video units. */
export function encodeClipUnits(opts: ClipOptions = {}): VideoUnit[] {
  const { codec = 'H264', width = 320, height = 240, seconds = 6, gop = 50 } = opts;
  const enc = codec === 'H264'
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-f', 'h264']
    : ['-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', `log-level=error:keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=0`, '-f', 'hevc'];
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-t', String(seconds),
    '-pix_fmt', 'yuv420p', '-bf', '0', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', ...enc, 'pipe:1',
  ], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr?.toString() ?? r.error}`);
  return groupAccessUnits(codec, splitAnnexB(new Uint8Array(r.stdout))).map((nalus, i) => ({
    kind: 'video',
    codec,
    pts: i * FRAME_TICKS,
    keyframe: codec === 'H264' ? isH264Keyframe(nalus) : isH265Keyframe(nalus),
    nalus,
    receivedAt: 0,
  }));
}

/** What ffprobe reports about a file's video stream and container. */
export interface ProbeResult {
  codecName: string;
  width: number;
  height: number;
  nbFrames: number;
  streamDuration: number;
  formatDuration: number;
  /** First and last packet pts in seconds. */
  firstPts: number;
  lastPts: number;
}

/** Writes `mp4` to a temporary file and runs `fn` on its path; the file is removed afterwards. */
export function withTempFile<T>(mp4: Uint8Array, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-mp4-'));
  try {
    const path = join(dir, 'clip.mp4');
    writeFileSync(path, mp4);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ffprobe's view of an MP4 (throws with ffprobe's message when it cannot read it). */
export function probeMp4(mp4: Uint8Array): ProbeResult {
  return withTempFile(mp4, (path) => {
    const r = spawnSync(ffprobePath(), [
      '-v', 'error', '-show_entries', 'stream=codec_name,width,height,nb_frames,duration:format=duration:packet=pts_time',
      '-of', 'json', path,
    ], { encoding: 'utf8' });
    if (r.status !== 0 || r.stderr.trim() !== '') throw new Error(`ffprobe: ${r.stderr || r.error}`);
    const j = JSON.parse(r.stdout) as { streams: Record<string, string | number>[]; format: { duration: string }; packets: { pts_time: string }[] };
    const s = j.streams[0]!;
    const pts = j.packets.map((p) => Number(p.pts_time));
    return {
      codecName: String(s.codec_name),
      width: Number(s.width),
      height: Number(s.height),
      nbFrames: Number(s.nb_frames),
      streamDuration: Number(s.duration),
      formatDuration: Number(j.format.duration),
      firstPts: Math.min(...pts),
      lastPts: Math.max(...pts),
    };
  });
}

/** Decodes the whole file with ffmpeg; returns its error output ('' when the decode is clean). */
export function decodeErrors(mp4: Uint8Array): string {
  return withTempFile(mp4, (path) => {
    const r = spawnSync(ffmpegPath(), ['-v', 'error', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' });
    return r.status === 0 ? r.stderr.trim() : `exit ${r.status}: ${r.stderr}`;
  });
}
