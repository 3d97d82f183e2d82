/**
 * The clip every synthetic camera of `bench capacity` sends: H.264 Annex B at the profile's size,
 * frame rate, GOP and constant bitrate, no B-frames (what IP cameras send), SPS/PPS before every
 * IDR (a viewer or decoder joining mid-stream needs them), keyframes exactly every GOP frames
 * (no scene-cut keyframes). Encoded once and cached in bench/.cache.
 *
 * The picture is the demo intersection (data/demo/intersection.h264, rendered by `make demo`:
 * vehicles queueing, running the red light, parking), scaled to the profile's size, so the traffic
 * plugins work on traffic; without it, ffmpeg's testsrc2 pattern.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ffmpegPath } from '../../core/ffmpeg.js';
import { ROOT } from '../lib.js';

/** What the clip looks like on the wire. */
export interface ClipSpec {
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  gop: number;
  kbps: number;
  /** An H.264 or MP4 file to scale, or 'testsrc2'. */
  source: string;
  seconds: number;
}

/** The demo's intersection scene, the default picture. */
export const INTERSECTION = join(ROOT, 'data', 'demo', 'intersection.h264');

/** The source to use: `wanted`, else the intersection when it has been rendered, else testsrc2. */
export function pickSource(wanted: string | undefined): string {
  if (wanted) return wanted;
  return existsSync(INTERSECTION) ? INTERSECTION : 'testsrc2';
}

/** Encodes (or finds in the cache) the clip; returns the .h264 path. */
export function capacityClip(spec: ClipSpec): string {
  const dir = join(ROOT, 'bench', '.cache');
  mkdirSync(dir, { recursive: true });
  const name = spec.source === 'testsrc2' ? 'testsrc2' : basename(spec.source).replace(/\.[^.]+$/, '');
  const file = join(dir, `capacity-${name}-${spec.width}x${spec.height}-${spec.fps}fps-g${spec.gop}-${spec.kbps}k-${spec.seconds}s.h264`);
  if (existsSync(file)) return file;
  const input = spec.source === 'testsrc2'
    ? ['-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`]
    // A raw .h264 file has no frame rate of its own; the demo's are rendered at 25 fps.
    : [...(spec.source.endsWith('.h264') ? ['-r', '25'] : []), '-i', spec.source];
  const k = `${spec.kbps}k`;
  const tmp = `${file}.tmp.h264`;
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y', ...input, '-t', String(spec.seconds), '-an',
    '-vf', `scale=${spec.width}:${spec.height},fps=${spec.fps},format=yuv420p`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-bf', '0',
    '-g', String(spec.gop), '-keyint_min', String(spec.gop), '-sc_threshold', '0',
    '-b:v', k, '-minrate', k, '-maxrate', k, '-bufsize', k,
    '-x264-params', 'nal-hrd=cbr:repeat-headers=1', '-f', 'h264', tmp,
  ], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not encode the capacity clip: ${r.stderr}`);
  renameSync(tmp, file);
  return file;
}
