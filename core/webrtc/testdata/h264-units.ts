/**
 * Real H.264 access units for the WebRTC tests: ffmpeg encodes testsrc2 (640x360, 25 fps, GOP 25,
 * no B-frames) to Annex-B, which is split into NAL units (codecs/h264/annexb.ts) and grouped into
 * access units. Generated at test time by the same ffmpeg the product uses, so nothing binary is
 * committed; the command line below is the recipe.
 */
import { spawnSync } from 'node:child_process';
import type { Track, VideoUnit } from '../../../codecs/access-unit.js';
import { groupAccessUnits } from '../../../codecs/access-unit-group.js';
import { splitAnnexB } from '../../../codecs/h264/annexb.js';
import { isH264Keyframe } from '../../../codecs/h264/nal.js';
import { ffmpegPath } from '../../ffmpeg.js';
import type { Stream } from '../../stream/index.js';

/** 90 kHz ticks per frame at 25 fps. */
export const FRAME_TICKS = 3600;

/** Encodes `frames` frames of testsrc2 and returns the Annex-B elementary stream. */
export function encodeTestH264(frames: number, profile: 'baseline' | 'main' | 'high' = 'high'): Buffer {
  const res = spawnSync(
    ffmpegPath(),
    [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-frames:v', String(frames), '-c:v', 'libx264',
      // ultrafast disables CABAC and 8x8 transforms, which x264 then signals as constrained baseline.
      '-preset', profile === 'baseline' ? 'ultrafast' : 'veryfast', '-profile:v', profile,
      '-pix_fmt', 'yuv420p', '-bf', '0', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-f', 'h264', '-',
    ],
    { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
  );
  if (res.status !== 0) throw new Error(`ffmpeg failed: ${res.stderr?.toString() ?? res.error}`);
  return res.stdout;
}

/** `frames` video units with pts 0, 3600, 7200 … (keyframe every 25). */
export function testVideoUnits(frames: number, profile: 'baseline' | 'main' | 'high' = 'high'): VideoUnit[] {
  const aus = groupAccessUnits('H264', splitAnnexB(encodeTestH264(frames, profile)));
  return aus.map((nalus, i) => ({
    kind: 'video',
    codec: 'H264',
    pts: i * FRAME_TICKS,
    keyframe: isH264Keyframe(nalus),
    nalus,
    receivedAt: 0,
  }));
}

/** The H.264 track of `units` (their first NAL unit is the SPS), for stream.setTracks. */
export function videoTrack(units: readonly VideoUnit[]): Track {
  return { kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, sps: units[0]!.nalus[0]! };
}

/**
 * Pushes `units` into `stream` round and round at 25 fps, as a live camera would, with pts
 * continuing from unit number `first`. `pushed` counts the units pushed so far; `stop()` ends it.
 */
export function feedLoop(stream: Stream, units: readonly VideoUnit[], first = 0): { readonly pushed: number; stop(): void } {
  let n = first;
  const timer = setInterval(() => {
    stream.push({ ...units[n % units.length]!, pts: n * FRAME_TICKS });
    n++;
  }, 40);
  return { get pushed() { return n; }, stop: () => clearInterval(timer) };
}
