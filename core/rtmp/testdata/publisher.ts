/**
 * Test publishers for the RTMP ingest: ffmpeg (`-f flv rtmp://...`, H.264 and AAC), and a
 * hand-built one for what Debian's ffmpeg 5.1 cannot send (its FLV muxer has no enhanced RTMP,
 * so no H.265): node-media-server's RTMP client sending FLV tag bodies from codecs/flv's testkit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import type { FlvVideoMessage } from '../../../codecs/flv/flv.testkit.js';
import { ffmpegPath } from '../../ffmpeg.js';
import '../nms.js'; // routes NMS's logger (the client logs through it too) to ours

const require = createRequire(import.meta.url);

/** The parts of NMS's RtmpClient (src/protocol/rtmp_client.js) used here. */
interface NmsRtmpClient {
  connect(url: string): Promise<void>;
  sendConnect(): Promise<unknown>;
  sendCreateStream(): Promise<number>;
  sendPublish(streamName: string): Promise<unknown>;
  sendPlay(streamName: string): Promise<unknown>;
  sendPacket(p: { codec_type: number; dts: number; pts: number; size: number; data: Buffer; flags: number; codec_id: number; duration: number; offset: number }): void;
  disconnect(): void;
  socket: unknown;
  onCloseCallback: (hadError: boolean) => void;
}
const RtmpClient = require('node-media-server/src/protocol/rtmp_client.js') as new () => NmsRtmpClient;

/** ffmpeg pushing a 25 fps test pattern (H.264; AAC or G.711 A-law audio) to `url`, in real time until killed. */
export function ffmpegPublisher(url: string, opts: { width?: number; height?: number; bframes?: number; audio?: 'aac' | 'pcma' } = {}): ChildProcess & { stderrText: () => string } {
  const { width = 640, height = 360, bframes = 0, audio = 'aac' } = opts;
  const audioArgs = audio === 'aac' ? ['-c:a', 'aac', '-b:a', '64k'] : ['-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1'];
  const child = spawn(ffmpegPath(), [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-bf', String(bframes),
    ...(bframes === 0 ? ['-tune', 'zerolatency'] : []), '-b:v', '800k', ...audioArgs, '-f', 'flv', url,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  return Object.assign(child, { stderrText: () => stderr });
}

/** Resolves with ffmpeg's exit code (or the signal's name). */
export function exited(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** A hand-built publisher: sends `messages` (sequence start first) at 25 fps, looping, until stopped. */
export class TagPublisher {
  readonly #client = new RtmpClient();
  #timer?: NodeJS.Timeout;
  #closed = false;
  /** Messages sent so far. */
  sent = 0;

  private constructor() {}

  /**
   * Connects to `rtmp://host:port/app` and publishes `streamName` (e.g. `cam?key=K`); rejects with
   * the server's onStatus description when the publish is refused.
   */
  static async publish(url: string, streamName: string): Promise<TagPublisher> {
    const p = new TagPublisher();
    await p.#client.connect(`${url}/${streamName.split('?')[0]}`);
    await p.#client.sendConnect();
    await p.#client.sendCreateStream();
    try {
      await p.#client.sendPublish(streamName);
    } catch (err) {
      p.close();
      throw err;
    }
    return p;
  }

  /** Sends one video message (an FLV tag body) with timestamp `dts` ms. */
  send(dts: number, body: Uint8Array): void {
    const data = Buffer.from(body);
    try {
      this.#client.sendPacket({ codec_type: 9, dts, pts: dts, size: data.length, data, flags: 0, codec_id: 0, duration: 0, offset: 0 });
      this.sent++;
    } catch {
      this.close(); // the server closed the connection
    }
  }

  /** Sends the sequence start, then the pictures in a loop, one every 40 ms, timestamps going on. */
  start(messages: readonly FlvVideoMessage[]): void {
    const [seq, ...frames] = messages;
    let i = 0;
    this.send(0, seq!.body);
    this.#timer = setInterval(() => {
      if (this.#closed) return;
      this.send(i * 40, frames[i % frames.length]!.body);
      i++;
    }, 40);
  }

  /** Asks to play `streamName` instead (servers that only ingest refuse it). */
  static async play(url: string, streamName: string): Promise<void> {
    const p = new TagPublisher();
    try {
      await p.#client.connect(`${url}/${streamName}`);
      await p.#client.sendConnect();
      await p.#client.sendCreateStream();
      await p.#client.sendPlay(streamName);
    } finally {
      p.close();
    }
  }

  /** Stops sending and closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#client.disconnect();
  }
}
