/**
 * Real frames for the detector tests: OpenCV's vtest.avi (Debian package opencv-doc), a 768×576
 * pedestrian street scene, decoded by ffmpeg to packed RGB24, or encoded as the H.264 a camera sends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { InvalidStateError } from '../../errors.js';
import { ffmpegPath } from '../../ffmpeg.js';

/** Where Debian's opencv-doc puts the clip. */
export const VTEST_AVI = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
/** The clip's frame width. */
export const VTEST_WIDTH = 768;
/** The clip's frame height. */
export const VTEST_HEIGHT = 576;

/** Frame `index` (0-based, exact: decoded from the start, not seeked) as RGB24. */
export function vtestFrame(index: number): Uint8Array {
  if (!existsSync(VTEST_AVI)) throw new InvalidStateError(`${VTEST_AVI} is missing: apt-get install opencv-doc`);
  const args = ['-v', 'error', '-i', VTEST_AVI, '-vf', `select=eq(n\\,${index})`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const rgb = execFileSync(ffmpegPath(), args, { maxBuffer: 4 * VTEST_WIDTH * VTEST_HEIGHT });
  if (rgb.length !== VTEST_WIDTH * VTEST_HEIGHT * 3) throw new InvalidStateError(`vtest frame ${index}: got ${rgb.length} bytes`);
  return new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length);
}

/**
 * vtest.avi (its first `seconds`, or all of it) as H.264 Annex B, as an IP camera sends it: no
 * B-frames, a keyframe every `gop` frames. Written to `file` through a temporary sibling, so a
 * reader never sees half a clip.
 */
export function vtestH264(file: string, opts: { seconds?: number; gop: number }): void {
  if (!existsSync(VTEST_AVI)) throw new InvalidStateError(`${VTEST_AVI} is missing: apt-get install opencv-doc`);
  const args = ['-v', 'error', '-y', '-i', VTEST_AVI, ...(opts.seconds !== undefined ? ['-t', String(opts.seconds)] : []), '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-g', String(opts.gop), '-bf', '0', '-pix_fmt', 'yuv420p', '-f', 'h264', `${file}.part`];
  execFileSync(ffmpegPath(), args);
  renameSync(`${file}.part`, file);
}
