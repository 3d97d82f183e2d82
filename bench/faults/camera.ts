/**
 * The camera the fault harness breaks: an RTSP camera on 127.0.0.1 that streams real x264 clips
 * (encoded once by ffmpeg, SPS/PPS repeated before every IDR, one IDR a second), over TCP
 * interleaved or UDP, and lets a fault module do what real cameras do:
 *
 *   stall()       the current sessions go silent (TCP open, RTSP still answered, no RTP);
 *                 a new session streams again (an encoder pipeline hung for one client)
 *   use(clip)     switch to another clip at the next IDR: a new SPS (another size) mid-stream,
 *                 same SSRC, sequence numbers and timestamps running on
 *   impair        over UDP, RTP goes through a LossyUdpProxy (core/testing/lossy-proxy.ts)
 *
 * Requests are parsed with the project's RTSP parser (core/rtsp/testdata/fake-camera.ts), so the
 * harness sees every method a server sent (TEARDOWN on shutdown).
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { splitAnnexB } from '../../codecs/h264/annexb.js';
import { H264Nal, h264NalType, isH264Vcl } from '../../codecs/h264/nal.js';
import { H264Packetizer } from '../../codecs/h264/packetizer.js';
import { serializeRtp } from '../../codecs/rtp/packet.js';
import { parseTransport } from '../../codecs/rtsp/transport.js';
import { ffmpegPath } from '../../core/ffmpeg.js';
import { FakeCamera, type FakeConnection, h264Sdp } from '../../core/rtsp/testdata/fake-camera.js';
import { LossyUdpProxy, type LossyProxyOptions } from '../../core/testing/lossy-proxy.js';
import { ROOT } from '../lib.js';

/** One encoded frame: its NAL units and whether it is an IDR. */
export interface ClipFrame {
  nalus: Uint8Array[];
  keyframe: boolean;
}

/** A clip: frames in decoding order (no B-frames), the first one an IDR with SPS and PPS. */
export interface Clip {
  width: number;
  height: number;
  frames: ClipFrame[];
}

/** What a clip shows: a moving test pattern, or noise flashing black and white every frame (big JPEGs, many events). */
export type ClipPattern = 'testsrc' | 'flash';

const SOURCES: Record<ClipPattern, (w: number, h: number, fps: number) => string> = {
  testsrc: (w, h, fps) => `testsrc2=size=${w}x${h}:rate=${fps}`,
  flash: (w, h, fps) => `color=c=black:s=${w}x${h}:r=${fps},drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(n,2),1)',noise=alls=40:allf=t`,
};

/**
 * Encodes (once, cached in bench/.cache) `seconds` of `pattern` at `width`x`height`, `fps` frames
 * a second, an IDR every second with SPS/PPS before it, and splits it into frames.
 */
export function loadClip(width: number, height: number, fps = 15, seconds = 4, pattern: ClipPattern = 'testsrc'): Clip {
  const dir = join(ROOT, 'bench', '.cache');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `faults-${pattern}-${width}x${height}-${fps}fps-${seconds}s.h264`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    const r = spawnSync(ffmpegPath(), [
      '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', SOURCES[pattern](width, height, fps),
      '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
      '-pix_fmt', 'yuv420p', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-bf', '0',
      '-x264-params', 'repeat-headers=1:sliced-threads=0:threads=1', '-f', 'h264', tmp,
    ], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    if (r.status !== 0) throw new Error(`encoding the ${width}x${height} fault clip failed: ${r.stderr?.toString()}`);
    renameSync(tmp, file); // atomic: parallel runs never read half a file
  }
  const frames: ClipFrame[] = [];
  let pending: Uint8Array[] = [];
  for (const nal of splitAnnexB(readFileSync(file))) {
    const type = h264NalType(nal);
    if (type === H264Nal.AUD) continue;
    pending.push(nal);
    // x264 writes one slice per frame (sliced threads off), so a slice ends the frame.
    if (isH264Vcl(type)) {
      frames.push({ nalus: pending, keyframe: type === H264Nal.IDR });
      pending = [];
    }
  }
  if (!frames[0]?.keyframe) throw new Error(`fault clip ${file} does not start with an IDR`);
  return { width, height, frames };
}

/** The base64 sprop-parameter-sets of a clip's first SPS and PPS (RFC 6184 §8.1). */
function sprop(clip: Clip): string {
  const first = clip.frames[0]!.nalus;
  const sps = first.find((n) => h264NalType(n) === H264Nal.SPS)!;
  const pps = first.find((n) => h264NalType(n) === H264Nal.PPS)!;
  return `${Buffer.from(sps).toString('base64')},${Buffer.from(pps).toString('base64')}`;
}

/** Options of a {@link ClipCamera}. */
export interface ClipCameraOptions {
  clips: Record<string, Clip>;
  /** The clip streamed first. */
  initial: string;
  fps?: number;
  /** Over UDP, RTP goes through a lossy proxy with these settings (none: sent straight). */
  impair?: Omit<LossyProxyOptions, 'target'>;
}

/** One PLAYing client. */
interface Session {
  conn: FakeConnection;
  /** Over UDP: where RTP goes (the proxy's in port, or the client's port). */
  udp?: { socket: dgram.Socket; port: number };
  stalled: boolean;
}

/** A scripted RTSP camera streaming real H.264 clips, with faults on demand. */
export class ClipCamera {
  readonly #opts: Required<Omit<ClipCameraOptions, 'impair'>> & Pick<ClipCameraOptions, 'impair'>;
  readonly #fake: FakeCamera;
  readonly #sessions = new Set<Session>();
  readonly #proxies: LossyUdpProxy[] = [];
  /** Where a connection's UDP SETUP said RTP goes, until its PLAY. */
  readonly #udpTargets = new WeakMap<FakeConnection, Session['udp']>();
  readonly #packetizer = new H264Packetizer(1200);
  /** One clock for every session: frames are sent to all at once. */
  #timer?: NodeJS.Timeout;
  #clip: string;
  #next?: string;
  #index = 0;
  #seq = Math.floor(Math.random() * 0x10000);
  #ts = Math.floor(Math.random() * 0x7fffffff);
  /** RTP packets sent to every client so far. */
  packetsSent = 0;
  /** RTCP datagrams (receiver reports) that UDP clients sent back. */
  receiverReports = 0;

  constructor(opts: ClipCameraOptions) {
    this.#opts = { fps: 15, ...opts };
    this.#clip = opts.initial;
    this.#fake = new FakeCamera((req, conn) => {
      switch (req.method) {
        case 'OPTIONS':
          return conn.reply(req, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
        case 'DESCRIBE':
          return conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` },
            h264Sdp(sprop(this.#opts.clips[this.#clip]!)));
        case 'SETUP':
          this.#setup(req.headers.get('transport') ?? '', conn).then(
            (transport) => conn.reply(req, 200, { Session: `fault${conn.index};timeout=60`, Transport: transport }),
            () => conn.reply(req, 500));
          return;
        case 'PLAY':
          conn.reply(req, 200, { Session: `fault${conn.index}` });
          this.#play(conn);
          return;
        default:
          return conn.reply(req, 200, { Session: `fault${conn.index}` });
      }
    });
  }

  /** Listens on an ephemeral port of 127.0.0.1. */
  async start(): Promise<void> {
    await this.#fake.listen();
  }

  /** The camera's rtsp:// URL. */
  url(): string {
    return this.#fake.url('/cam');
  }

  /** RTSP methods received, in order. */
  methods(): string[] {
    return this.#fake.methods();
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#fake.connections;
  }

  /** The lossy proxies in front of UDP sessions, oldest first. */
  get proxies(): readonly LossyUdpProxy[] {
    return this.#proxies;
  }

  /** Name of the clip being streamed. */
  get clip(): string {
    return this.#clip;
  }

  /** Switches to another clip at the next IDR. */
  use(clip: string): void {
    if (!this.#opts.clips[clip]) throw new Error(`no clip ${clip}`);
    this.#next = clip;
  }

  /** The sessions playing now go silent; their TCP connections stay open and RTSP is still answered. */
  stall(): void {
    for (const s of this.#sessions) s.stalled = true;
  }

  async #setup(header: string, conn: FakeConnection): Promise<string> {
    const spec = parseTransport(header)[0];
    if (spec?.protocol !== 'udp' || !spec.clientPort) return header;
    const [rtpPort, rtcpPort] = spec.clientPort;
    const bind = async (): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
      conn.socket.once('close', () => s.close());
      return s;
    };
    const socket = await bind();
    // Receiver reports land here (and are counted), not on whatever owns the port after RTP's.
    const rtcp = await bind();
    rtcp.on('message', () => this.receiverReports++);
    let port = rtpPort;
    let serverPort = socket.address().port;
    if (this.#opts.impair) {
      const proxy = new LossyUdpProxy({ ...this.#opts.impair, target: { port: rtpPort } });
      const ports = await proxy.listen();
      this.#proxies.push(proxy);
      conn.socket.once('close', () => proxy.close());
      port = ports.inPort;
      serverPort = ports.outPort;
    }
    this.#udpTargets.set(conn, { socket, port });
    return `RTP/AVP;unicast;client_port=${rtpPort}-${rtcpPort};server_port=${serverPort}-${rtcp.address().port}`;
  }

  #play(conn: FakeConnection): void {
    const session: Session = { conn, stalled: false, udp: this.#udpTargets.get(conn) };
    this.#sessions.add(session);
    // A new client starts at an IDR, as a camera does (the others just see an early one).
    this.#index = 0;
    this.#timer ??= setInterval(() => this.#tick(), 1000 / this.#opts.fps);
    conn.socket.once('close', () => {
      this.#sessions.delete(session);
      if (this.#sessions.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    });
  }

  /** Sends the next frame to every live session. */
  #tick(): void {
    let clip = this.#opts.clips[this.#clip]!;
    if (this.#index >= clip.frames.length) this.#index = 0;
    if (this.#next && clip.frames[this.#index]!.keyframe) {
      this.#clip = this.#next;
      this.#next = undefined;
      this.#index = 0;
      clip = this.#opts.clips[this.#clip]!;
    }
    const frame = clip.frames[this.#index++]!;
    const payloads = this.#packetizer.packetize(frame.nalus);
    this.#ts = (this.#ts + 90_000 / this.#opts.fps) >>> 0;
    for (let i = 0; i < payloads.length; i++) {
      const rtp = serializeRtp({
        marker: i === payloads.length - 1, payloadType: 96, sequenceNumber: this.#seq, timestamp: this.#ts,
        ssrc: 0x5151, csrcs: [], padding: false, payload: payloads[i]!,
      });
      this.#seq = (this.#seq + 1) & 0xffff;
      for (const s of this.#sessions) {
        if (s.stalled) continue;
        this.packetsSent++;
        if (s.udp) s.udp.socket.send(rtp, s.udp.port, '127.0.0.1');
        else s.conn.interleaved(0, rtp);
      }
    }
  }

  /** Drops every connection and proxy and stops listening. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sessions.clear();
    for (const p of this.#proxies) p.close();
    await this.#fake.close();
  }
}
