/**
 * The RTP feed of the side-by-side bench: the cached bench clip replayed at real rate as plain
 * RTP/UDP by ffmpeg, without re-encoding.
 *
 * The clip is MP4, whose SPS/PPS live in the container (avcC), not in the stream; Janus forwards
 * RTP as it comes and never inserts parameter sets, so `h264_mp4toannexb` puts them in-band before
 * every IDR. 1200-byte RTP packets leave room for the SRTP tag and header extensions a relay adds
 * under a 1500-byte MTU, so neither relay's output is IP-fragmented; streamsight must get the same
 * packets for the comparison to hold.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { ffmpegPath } from '../../core/ffmpeg.js';
import { child } from '../lib.js';
import type { Netns } from './netns.js';

/** Options of `startRtpFeed`. */
export interface RtpFeedOptions {
  /** The H.264 MP4 to replay (bench/lib.ts `benchClip`). */
  clip: string;
  /** Destination address and UDP port (the mountpoint's). */
  address: string;
  port: number;
  /** Runs ffmpeg in this namespace; omit to run it in ours. */
  netns?: Netns;
  /** RTP payload type; default 96. */
  payloadType?: number;
  /** Largest RTP packet in bytes; default 1200. */
  packetSize?: number;
}

/** Starts ffmpeg sending the clip as RTP at real rate; kill the returned process to stop it. */
export function startRtpFeed(o: RtpFeedOptions): ChildProcess {
  const ffArgs = ['-hide_banner', '-loglevel', 'error', '-re', '-i', o.clip, '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb',
    '-f', 'rtp', '-payload_type', String(o.payloadType ?? 96), `rtp://${o.address}:${o.port}?pkt_size=${o.packetSize ?? 1200}`];
  const [cmd, args] = o.netns ? o.netns.command(ffmpegPath(), ffArgs) : [ffmpegPath(), ffArgs];
  return child(cmd, args);
}

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
