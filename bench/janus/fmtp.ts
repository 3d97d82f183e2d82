/**
 * What Janus's mountpoint must announce for the bench clip. The feed itself is
 * bench/relay/feed.ts (one packetization for both relays).
 */
import { spawnSync } from 'node:child_process';
import { ffmpegPath } from '../../core/ffmpeg.js';

/**
 * The H.264 fmtp a relay should offer for `clip` (`profile-level-id` as ffmpeg's RTP muxer derives
 * it from the SPS), e.g. `profile-level-id=4d401f;packetization-mode=1` for the 720p bench clip.
 * ffmpeg writes the SDP after muxing one frame, which goes to the discard port on loopback.
 */
export function clipFmtp(clip: string): string {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-i', clip, '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb',
    '-frames:v', '1', '-f', 'rtp', 'rtp://127.0.0.1:9'], { encoding: 'utf8' });
  const m = /profile-level-id=([0-9a-f]{6})/i.exec(r.stdout);
  if (!m) throw new Error(`no H.264 profile-level-id in ffmpeg's SDP for ${clip}: ${r.stderr || r.stdout}`);
  return `profile-level-id=${m[1]!.toLowerCase()};packetization-mode=1`;
}
