/**
 * The RTMP ingest server: encoders (OBS, ffmpeg, hardware boxes) publish to
 * `rtmp://host:1935/live/{camera}?key={key}` and the camera's Stream gets their video (and G.711).
 * Ownership: RtmpServer → connections. Only publishing is served; a play request is refused.
 *
 * Refused, with the connection closed and `refused` counted by reason: a wrong or missing key,
 * an app other than `live`, a camera that does not exist or is not an RTMP camera, and a second
 * publisher to a camera that already has one (the first keeps the camera).
 */
import net from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { FlvVideoStats } from '../../codecs/flv/depacketizer.js';
import { createLogger } from '../log.js';
import type { Stream } from '../stream/stream.js';
import { RtmpConnection, type PublishRefusal, type PublishRequest, type RtmpConnectionContext } from './connection.js';

const log = createLogger('rtmp');

/** The RTMP application publishers must use (`rtmp://host/live/...`). */
export const RTMP_APP = 'live';

/**
 * Most codec names `audioDropped` counts separately; more count as 'other'. An enhanced-RTMP audio
 * message names its codec with a FourCC of the publisher's choice: one new name per message would
 * grow the counters (and every stats snapshot) without bound.
 */
export const MAX_AUDIO_CODEC_NAMES = 16;

/** A camera an RTMP publisher may feed. */
export interface RtmpTarget {
  stream: Stream;
  /** The camera's publish key (a credential: compared in constant time, never logged). */
  key: string;
  /** Called when a publisher is accepted (counts republishes). */
  onPublish(): void;
  /** Called when a publisher of this camera is refused (wrong or missing key, busy). */
  onRefused?(reason: string): void;
}

/** Options of an RtmpServer. */
export interface RtmpServerOptions {
  host: string;
  /** TCP port; 0 picks a free one (listen() resolves it). */
  port: number;
  /** A connection that sends nothing for this long is closed (default 30 000 ms). */
  idleTimeoutMs?: number;
  /** Most concurrent connections (default 256). */
  maxConnections?: number;
}

/** Why publishes were refused. */
export interface RtmpRefusals {
  badKey: number;
  unknownCamera: number;
  badApp: number;
  busy: number;
  play: number;
}

/** A snapshot of the server's counters. */
export interface RtmpServerStats {
  connections: number;
  connectionsTotal: number;
  /** Connections publishing right now. */
  publishing: number;
  /** Publishes accepted since start. */
  published: number;
  refused: RtmpRefusals;
  /** Connections closed for RTMP protocol errors or silence. */
  protocolErrors: number;
  timedOut: number;
  /** Video counters summed over every publish (current and past). */
  video: Omit<FlvVideoStats, 'lastProblem'>;
  /** Audio messages dropped, by codec (at most MAX_AUDIO_CODEC_NAMES names, then 'other'). */
  audioDropped: Record<string, number>;
}

/** Accepts RTMP publishers into camera streams. */
export class RtmpServer implements RtmpConnectionContext {
  readonly #opts: RtmpServerOptions;
  readonly #target: (cameraId: string) => RtmpTarget | undefined;
  readonly #server: net.Server;
  readonly #connections = new Set<RtmpConnection>();
  /** Camera id → the connection publishing it. */
  readonly #publishers = new Map<string, RtmpConnection>();
  readonly #refused: RtmpRefusals = { badKey: 0, unknownCamera: 0, badApp: 0, busy: 0, play: 0 };
  readonly #pastVideo: Omit<FlvVideoStats, 'lastProblem'> = { tags: 0, units: 0, keyframes: 0, malformed: 0, unsupported: 0, droppedBeforeKeyframe: 0, outOfOrder: 0 };
  readonly #audioDropped: Record<string, number> = {};
  #connectionsTotal = 0;
  #published = 0;
  #protocolErrors = 0;
  #timedOut = 0;
  #sweepTimer?: NodeJS.Timeout;
  #closed = false;

  /** `target(id)`: the RTMP camera `id`, or undefined when there is none. */
  constructor(opts: RtmpServerOptions, target: (cameraId: string) => RtmpTarget | undefined) {
    this.#opts = opts;
    this.#target = target;
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#server.maxConnections = opts.maxConnections ?? 256;
  }

  /** Binds the TCP port; resolves the port actually bound. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#opts.port, this.#opts.host, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => log.error('server socket error', err));
        const idle = this.#opts.idleTimeoutMs ?? 30_000;
        this.#sweepTimer = setInterval(() => this.#sweep(idle), Math.max(100, Math.min(5000, idle / 4)));
        this.#sweepTimer.unref();
        const address = this.#server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  /** A snapshot of the counters. */
  get stats(): RtmpServerStats {
    const video = { ...this.#pastVideo };
    for (const c of this.#connections) addVideo(video, c.videoStats);
    return {
      connections: this.#connections.size,
      connectionsTotal: this.#connectionsTotal,
      publishing: this.#publishers.size,
      published: this.#published,
      refused: { ...this.#refused },
      protocolErrors: this.#protocolErrors,
      timedOut: this.#timedOut,
      video,
      audioDropped: { ...this.#audioDropped },
    };
  }

  /** RtmpConnectionContext: checks app, camera, key and that the camera is free. */
  publish(conn: RtmpConnection, req: PublishRequest): Stream | PublishRefusal {
    const who = `RTMP publish from ${conn.remote} to ${req.app}/${req.name}`;
    const refuse = (reason: keyof RtmpRefusals, code: PublishRefusal['code'], text: string): PublishRefusal => {
      this.#refused[reason]++;
      log.warn(`${who} (key ${req.key === undefined ? 'missing' : '***'}) refused: ${text}`);
      return { code, reason: text };
    };
    if (req.app !== RTMP_APP) return refuse('badApp', 'NetStream.Publish.Rejected', `unknown application '${req.app}', use rtmp://host:port/${RTMP_APP}/{camera}`);
    const target = this.#target(req.name);
    if (!target) return refuse('unknownCamera', 'NetStream.Publish.Rejected', 'no RTMP camera by that name');
    if (req.key === undefined || !sameKey(req.key, target.key)) {
      const reason = req.key === undefined ? 'missing key' : 'wrong key';
      target.onRefused?.(reason);
      return refuse('badKey', 'NetStream.Publish.Rejected', reason);
    }
    if (this.#publishers.has(req.name)) return refuse('busy', 'NetStream.Publish.BadName', 'the camera already has a publisher');
    this.#publishers.set(req.name, conn);
    conn.cameraId = req.name;
    this.#published++;
    target.onPublish();
    log.info(`${req.name}: RTMP publisher ${conn.remote} connected`);
    return target.stream;
  }

  /** RtmpConnectionContext: the camera goes offline; readers stay for the next publisher. */
  unpublish(conn: RtmpConnection): void {
    const id = conn.cameraId;
    if (id === undefined || this.#publishers.get(id) !== conn) return;
    this.#publishers.delete(id);
    this.#target(id)?.stream.setOffline();
  }

  /** RtmpConnectionContext. */
  refusedPlay(conn: RtmpConnection): void {
    this.#refused.play++;
    log.warn(`RTMP play from ${conn.remote} refused: streamsight ingests RTMP, it plays over WebRTC and RTSP`);
  }

  /** RtmpConnectionContext. */
  audioDropped(codec: string): void {
    const known = Object.hasOwn(this.#audioDropped, codec) || Object.keys(this.#audioDropped).length < MAX_AUDIO_CODEC_NAMES;
    const name = known ? codec : 'other';
    this.#audioDropped[name] = (this.#audioDropped[name] ?? 0) + 1;
  }

  #accept(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#connectionsTotal++;
    const conn = new RtmpConnection(socket, this);
    this.#connections.add(conn);
    conn.onceClosed(() => {
      this.#connections.delete(conn);
      addVideo(this.#pastVideo, conn.videoStats);
    });
  }

  /** Closes connections silent for `idleMs` (a stalled encoder, a half-open socket). */
  #sweep(idleMs: number): void {
    const now = Date.now();
    for (const conn of [...this.#connections]) {
      if (now - conn.lastData > idleMs) {
        this.#timedOut++;
        log.info(`closing RTMP connection ${conn.remote}${conn.cameraId ? ` of ${conn.cameraId}` : ''}: no data for ${idleMs} ms`);
        conn.close(`no data for ${idleMs} ms`);
      }
    }
  }

  /** RtmpConnectionContext. */
  protocolError(conn: RtmpConnection, message: string): void {
    this.#protocolErrors++;
    log.warn(`${conn.remote}: RTMP protocol error, closing: ${message}`);
  }

  /** Closes every connection (their cameras go offline), then the listening socket; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    for (const conn of [...this.#connections]) conn.close('server closing');
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Constant-time key comparison (length leaks, content does not). */
function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function addVideo(into: Omit<FlvVideoStats, 'lastProblem'>, s: FlvVideoStats | undefined): void {
  if (!s) return;
  into.tags += s.tags;
  into.units += s.units;
  into.keyframes += s.keyframes;
  into.malformed += s.malformed;
  into.unsupported += s.unsupported;
  into.droppedBeforeKeyframe += s.droppedBeforeKeyframe;
  into.outOfOrder += s.outOfOrder;
}
