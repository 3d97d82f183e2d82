/**
 * Test helper: a scripted RTSP "camera" on node:net for the cases a real server will not produce
 * (garbage, wrong CSeq, silence, redirects, stale nonces, broken interleaved frames). Requests are
 * parsed with the project's RtspStreamParser; the script decides every byte of the answer.
 */
import net from 'node:net';
import { RtspHeaders, RtspStreamParser, serializeResponse } from '../../../codecs/rtsp/message.js';
import type { RtspRequest } from '../../../codecs/rtsp/message.js';

/** One accepted connection, as the script sees it. */
export interface FakeConnection {
  /** 0 for the first connection, 1 for the next… */
  readonly index: number;
  readonly socket: net.Socket;
  /** Sends a response echoing the request's CSeq unless `headers.CSeq` overrides it. */
  reply(req: RtspRequest, status: number, headers?: Record<string, string>, body?: string | Uint8Array): void;
  /** Writes raw bytes. */
  raw(bytes: string | Uint8Array): void;
  /** Writes one interleaved frame ($, channel, length, data). */
  interleaved(channel: number, data: Uint8Array): void;
}

/** Decides what the camera does with each request. */
export type FakeScript = (req: RtspRequest, conn: FakeConnection) => void;

/** A scripted RTSP server on 127.0.0.1. */
export class FakeCamera {
  readonly requests: Array<{ connection: number; method: string; uri: string; headers: RtspHeaders }> = [];
  #server: net.Server;
  #sockets = new Set<net.Socket>();
  #connections = 0;
  #port = 0;

  constructor(script: FakeScript) {
    this.#server = net.createServer((socket) => {
      const index = this.#connections++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      const parser = new RtspStreamParser();
      const conn: FakeConnection = {
        index,
        socket,
        reply(req, status, headers = {}, body = '') {
          const h = new RtspHeaders();
          h.set('CSeq', req.headers.get('cseq') ?? '0');
          for (const [k, v] of Object.entries(headers)) h.set(k, v);
          const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
          if (bytes.length && !h.has('content-length')) h.set('Content-Length', String(bytes.length));
          if (!socket.destroyed) socket.write(serializeResponse({ statusCode: status, reason: REASONS[status] ?? 'Status', headers: h, body: bytes }));
        },
        raw(bytes) {
          if (!socket.destroyed) socket.write(bytes);
        },
        interleaved(channel, data) {
          const head = Buffer.from([0x24, channel, data.length >> 8, data.length & 0xff]);
          if (!socket.destroyed) socket.write(Buffer.concat([head, data]));
        },
      };
      socket.on('data', (data) => {
        for (const chunk of parser.push(data)) {
          if (chunk.type !== 'request') continue;
          const req = chunk.message;
          this.requests.push({ connection: index, method: req.method, uri: req.uri, headers: req.headers });
          script(req, conn);
        }
      });
    });
  }

  /** Listens on an ephemeral port of 127.0.0.1. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this.#port;
  }

  /** rtsp:// URL of a path on this camera. */
  url(path = '/cam', auth = ''): string {
    return `rtsp://${auth ? `${auth}@` : ''}127.0.0.1:${this.#port}${path}`;
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Methods received, in order. */
  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  /** Drops every connection and stops listening. */
  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const REASONS: Record<number, string> = {
  200: 'OK', 301: 'Moved Permanently', 302: 'Found', 401: 'Unauthorized', 404: 'Not Found', 454: 'Session Not Found',
  461: 'Unsupported Transport', 500: 'Internal Server Error', 501: 'Not Implemented',
};

/** An SDP with one H.264 track (control trackID=0) and optional sprop parameter sets. */
export function h264Sdp(sprop = ''): string {
  return [
    'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=fake', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*',
    'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1${sprop ? `;sprop-parameter-sets=${sprop}` : ''}`, 'a=control:trackID=0', '',
  ].join('\r\n');
}

/** A script answering the whole handshake for one H.264 track; `onPlay` runs after the PLAY reply. */
export function handshakeScript(opts: {
  sessionHeader?: string;
  publicMethods?: string;
  sprop?: string;
  onPlay?: (conn: FakeConnection) => void;
  override?: (req: RtspRequest, conn: FakeConnection) => boolean;
}): FakeScript {
  return (req, conn) => {
    if (opts.override?.(req, conn)) return;
    switch (req.method) {
      case 'OPTIONS':
        return conn.reply(req, 200, { Public: opts.publicMethods ?? 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
      case 'DESCRIBE':
        return conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, h264Sdp(opts.sprop));
      case 'SETUP':
        return conn.reply(req, 200, {
          Session: opts.sessionHeader ?? 'fake1;timeout=60',
          Transport: req.headers.get('transport') ?? '',
        });
      case 'PLAY':
        conn.reply(req, 200, { Session: 'fake1' });
        opts.onPlay?.(conn);
        return;
      default:
        return conn.reply(req, 200, { Session: 'fake1' });
    }
  };
}
