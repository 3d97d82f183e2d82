/**
 * One RTMP connection: node-media-server's protocol engine (handshake, chunks, AMF commands)
 * with its publish, play and media hooks replaced by ours. A publisher names its camera and key
 * in the stream name (`publish("cam1?key=K")`); the server decides, then media messages go
 * through RtmpToStream (to-stream.ts) into the camera's Stream.
 *
 *   socket ─▶ NMS Rtmp.parserData ─▶ onPublish ─▶ context.publish (key, busy) ─▶ Publish.Start
 *                                  └▶ dataHandler ─▶ RtmpToStream ─▶ Stream.setTracks/push
 *
 * rtmp.js answers `publish` with Publish.Start before asking anyone; here the answer waits for
 * the decision, and a refusal is an onStatus error followed by the connection's end.
 */
import type net from 'node:net';
import type { FlvVideoStats } from '../../codecs/flv/depacketizer.js';
import { ProtocolError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Stream } from '../stream/stream.js';
import { NmsAmf, NmsRtmpProtocol, type NmsInvokeMessage } from './nms.js';
import { RtmpToStream } from './to-stream.js';

const log = createLogger('rtmp');

/** RTMP message types (RTMP spec §7.1): audio, video and AMF0 data (onMetaData). */
const MSG_AUDIO = 8;
const MSG_VIDEO = 9;
const MSG_DATA_AMF0 = 18;
/** Protocol control message: Set Chunk Size (RTMP spec §5.4.1). */
const MSG_SET_CHUNK_SIZE = 1;
/** Largest RTMP message accepted (a chunk stream's buffer holds at most this + 1024 bytes); rtmp.js would allocate whatever a 24-bit length says (16 MiB). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest message accepted before a publish is accepted (connect, createStream, publish, metadata). */
export const MAX_COMMAND_BYTES = 64 * 1024;
/** Most chunk streams a peer may open; each holds a message buffer. */
export const MAX_CHUNK_STREAMS = 32;

/** What a publisher asked for: `rtmp://host/{app}/{name}?key={key}`. */
export interface PublishRequest {
  app: string;
  name: string;
  key: string | undefined;
}

/** A refused publish: the onStatus code sent back and the reason logged. */
export interface PublishRefusal {
  code: 'NetStream.Publish.BadName' | 'NetStream.Publish.Rejected';
  reason: string;
}

/** What a connection needs from its server. */
export interface RtmpConnectionContext {
  /** Decides a publish: the camera's stream, or a refusal. */
  publish(conn: RtmpConnection, req: PublishRequest): Stream | PublishRefusal;
  /** The publisher of a stream stopped (deleteStream, disconnect, timeout). */
  unpublish(conn: RtmpConnection): void;
  /** A viewer asked to play: refused, this server only ingests. */
  refusedPlay(conn: RtmpConnection): void;
  /** The peer broke the protocol; the connection closes. */
  protocolError(conn: RtmpConnection, message: string): void;
  /** Audio messages dropped (the hub carries only Opus and G.711 for WebRTC), by codec. */
  audioDropped(codec: string): void;
}

/** One accepted TCP connection speaking RTMP. */
export class RtmpConnection extends NmsRtmpProtocol {
  readonly remote: string;
  /** Date.now() of the last bytes received. */
  lastData = Date.now();
  /** The camera this connection publishes, once accepted. */
  cameraId?: string;
  readonly #socket: net.Socket;
  readonly #ctx: RtmpConnectionContext;
  #media?: RtmpToStream;
  /** Video counters of the last publish, kept after it ends. */
  #lastVideoStats?: FlvVideoStats;
  #closed = false;
  #onClose: (() => void)[] = [];
  #bytesIn = 0;
  #ackedAt = 0;

  constructor(socket: net.Socket, ctx: RtmpConnectionContext) {
    super();
    this.#socket = socket;
    this.#ctx = ctx;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.onOutputCallback = (buffer) => {
      if (!socket.destroyed) socket.write(buffer);
    };
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.#onData(data));
    socket.on('error', (err) => log.debug(`${this.remote}: socket error: ${err.message}`));
    socket.on('close', () => this.close('disconnected'));
  }

  /** True while it publishes into a camera. */
  get publishing(): boolean {
    return this.#media !== undefined;
  }

  /** The video depacketizer's counters (undefined before a publish was accepted). */
  get videoStats(): FlvVideoStats | undefined {
    return this.#media?.videoStats ?? this.#lastVideoStats;
  }

  /** Runs `fn` once, when the connection closes. */
  onceClosed(fn: () => void): void {
    this.#onClose.push(fn);
  }

  #onData(data: Buffer): void {
    if (this.#closed) return;
    this.lastData = Date.now();
    try {
      const err = this.parserData(data);
      if (err !== null) throw new ProtocolError(err);
      if (this.inPackets.size > MAX_CHUNK_STREAMS) throw new ProtocolError(`more than ${MAX_CHUNK_STREAMS} chunk streams`);
      this.#acknowledge(data.length);
    } catch (err) {
      // rtmp.js throws on some hostile input (bad AMF, a connect without tcUrl): end this peer only.
      this.#ctx.protocolError(this, err instanceof Error ? err.message : String(err));
      this.close('protocol error');
    }
  }

  /**
   * RTMP §5.4.3: after each window (the size the peer set) of received bytes, acknowledge the total.
   * rtmp.js records the window but never acknowledges; ffmpeg and OBS do not wait for it, others may.
   */
  #acknowledge(bytes: number): void {
    this.#bytesIn += bytes;
    const window = this.ackSize ?? 0;
    if (window > 0 && this.#bytesIn - this.#ackedAt >= window && !this.#closed) {
      this.#ackedAt = this.#bytesIn;
      this.sendACK(this.#bytesIn % 0x1_0000_0000);
    }
  }

  /**
   * Bounds the buffer rtmp.js allocates for a message (its length field comes from the peer), and
   * the chunk streams holding one: checked here too, not only after parserData, because a single
   * read can open thousands of chunk streams, each allocating up to MAX_MESSAGE_BYTES.
   */
  override packetAlloc(): void {
    if (this.inPackets.size > MAX_CHUNK_STREAMS) throw new ProtocolError(`more than ${MAX_CHUNK_STREAMS} chunk streams`);
    // Until a publish is accepted only commands come (a few hundred bytes): a peer that has proven
    // nothing cannot make the server hold 32 × 4 MiB.
    const most = this.#media ? MAX_MESSAGE_BYTES : MAX_COMMAND_BYTES;
    if (this.parserPacket.header.length > most) {
      throw new ProtocolError(`message of ${this.parserPacket.header.length} bytes (most ${most}${this.#media ? '' : ' before a publish is accepted'})`);
    }
    super.packetAlloc();
  }

  /** RTMP §5.4.1: a chunk size of 0 (or with the top bit set) would stall rtmp.js's parser for good. */
  override controlHandler(): void {
    const p = this.parserPacket;
    if (p.header.type === MSG_SET_CHUNK_SIZE) {
      const size = p.header.length >= 4 ? p.payload.readUInt32BE(0) : 0;
      if (size < 1 || size > 0x7fffffff) throw new ProtocolError(`chunk size ${size}`);
    }
    super.controlHandler();
  }

  /** `publish("{camera}?key={key}")`: asks the server, then answers Publish.Start or an error and closes. */
  override onPublish(msg: NmsInvokeMessage): void {
    // rtmp.js parses the rest of a read after a refusal closed the connection: a later publish in that
    // read must not be accepted, or the camera keeps a publisher nothing will ever unpublish.
    if (this.#closed) return;
    this.streamId = this.parserPacket.header.stream_id;
    const raw = typeof msg.streamName === 'string' ? msg.streamName : '';
    const q = raw.indexOf('?');
    const name = q < 0 ? raw : raw.slice(0, q);
    const key = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)).get('key') ?? undefined;
    const app = (this.streamApp ?? '').replace(/\/+$/, '');
    const result = this.#media ? { code: 'NetStream.Publish.BadName' as const, reason: 'this connection already publishes' } : this.#ctx.publish(this, { app, name, key });
    if ('code' in result) {
      this.sendStatusMessage(this.streamId, 'error', result.code, result.reason);
      this.close(`publish refused: ${result.reason}`, true);
      return;
    }
    this.#media = new RtmpToStream(name, this.remote, result, (codec) => this.#ctx.audioDropped(codec));
    this.respondPublish();
  }

  /** `play`: refused, this server only ingests. */
  override onPlay(): void {
    if (this.#closed) return;
    this.streamId = this.parserPacket.header.stream_id;
    this.#ctx.refusedPlay(this);
    this.sendStatusMessage(this.streamId, 'error', 'NetStream.Play.Failed', 'this server accepts publishers only; play over WebRTC or RTSP');
    this.close('play refused', true);
  }

  /** `deleteStream` (ffmpeg and OBS send it when they stop): the camera goes offline. */
  override onDeleteStream(): void {
    this.#unpublish('deleteStream');
  }

  /** Media messages to the stream; metadata for the audio codec. Ignored unless publishing. */
  override dataHandler(): void {
    const media = this.#media;
    if (!media) return;
    const p = this.parserPacket;
    const body = p.payload.subarray(0, p.header.length);
    if (p.header.type === MSG_VIDEO) media.video(p.clock, body, performance.now());
    else if (p.header.type === MSG_AUDIO) media.audio(p.clock, body, performance.now());
    else if (p.header.type === MSG_DATA_AMF0) {
      try {
        const data = NmsAmf.decodeAmf0Data(body);
        if (data.dataObj && typeof data.dataObj === 'object') media.metadata(data.dataObj as Record<string, unknown>);
      } catch {
        log.debug(`${this.remote}: unreadable AMF0 data message ignored`);
      }
    }
  }

  #unpublish(reason: string): void {
    if (!this.#media) return;
    this.#ctx.unpublish(this);
    this.#lastVideoStats = this.#media.videoStats;
    this.#media = undefined;
    log.info(`${this.cameraId}: RTMP publisher ${this.remote} left (${reason})`);
  }

  /** Ends the publish (if any) and the connection; `graceful` lets queued replies reach the peer first. */
  close(reason: string, graceful = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unpublish(reason);
    if (graceful && !this.#socket.destroyed) {
      this.#socket.end();
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    } else {
      this.#socket.destroy();
    }
    for (const fn of this.#onClose.splice(0)) fn();
  }
}
