/**
 * One RTSP control connection of the server (RFC 2326 §10): parses requests and interleaved
 * frames off the socket, answers each method, and owns the sessions it set up. Requests are
 * handled strictly in order (a UDP SETUP awaits a port pair); interleaved RTP is handled at once.
 *
 *   socket ─▶ RtspStreamParser ─┬─ request ─────▶ queue ─▶ OPTIONS/DESCRIBE/ANNOUNCE/SETUP/PLAY/...
 *                               ├─ interleaved ─▶ channel map ─▶ RecordSession.onRtp / keep-alive
 *                               └─ error ───────▶ 400 (counted; too many closes the connection)
 */
import type net from 'node:net';
import type { Track } from '../../codecs/access-unit.js';
import { H264Nal, h264NalType } from '../../codecs/h264/nal.js';
import { H265Nal, h265NalType } from '../../codecs/h265/nal.js';
import { newNonce } from '../../codecs/rtsp/auth.js';
import { RtspHeaders, RtspStreamParser, serializeResponse, type RtspRequest } from '../../codecs/rtsp/message.js';
import { formatTransport, parseSession, parseTransport, type TransportSpec } from '../../codecs/rtsp/transport.js';
import { parseSdp } from '../../codecs/sdp/parse.js';
import { sdpForTracks, trackIndexFromUrl, tracksFromSdp } from '../../codecs/sdp/tracks.js';
import { Emitter } from '../emitter.js';
import { InvalidStateError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Stream } from '../stream/index.js';
import type { StreamResolver } from './server.js';
import {
  PlaySession,
  RecordSession,
  TCP_DROP_BYTES,
  TCP_CONGESTION_BYTES,
  type ServerSession,
  type SessionConnection,
  type SessionHooks,
  type TrackTransport,
} from './session.js';
import type { UdpPortAllocator } from './udp.js';

const log = createLogger('rtsp-server');

/** What a connection needs from its server. */
export interface ConnectionContext extends SessionHooks {
  readonly resolver: StreamResolver;
  readonly sessionTimeoutMs: number;
  readonly udp: UdpPortAllocator;
  readonly requestCounters: { requests: number; errorResponses: number; parseErrors: number };
  addSession(session: ServerSession): void;
  session(id: string): ServerSession | undefined;
  publisherOf(path: string): RecordSession | undefined;
  setPublisher(path: string, session: RecordSession): void;
}

/** Methods we answer, for OPTIONS. */
const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, RECORD, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
/** Requests waiting behind a slow one before the peer counts as flooding. */
const MAX_QUEUED_REQUESTS = 32;
/** Sessions one connection may hold (each UDP track binds two sockets). */
const MAX_SESSIONS_PER_CONNECTION = 16;
/** Unparseable messages tolerated on one connection before it is closed. */
const MAX_PARSE_ERRORS = 8;

const REASONS: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  415: 'Unsupported Media Type', 453: 'Not Enough Bandwidth', 454: 'Session Not Found',
  455: 'Method Not Valid in This State', 459: 'Aggregate Operation Not Allowed', 461: 'Unsupported Transport',
  500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

/** A response to write: status, an optional specific reason, headers and body. */
interface Reply {
  status: number;
  reason?: string;
  headers?: Record<string, string | readonly string[]>;
  body?: string;
  session?: ServerSession;
  /** Runs after the response is written (PLAY starts sending only then). */
  after?: () => void;
}

const fail = (status: number, reason?: string): Reply => ({ status, reason });

/** Path of a request URI without slashes or query: 'rtsp://h:8554/cam1/?x' → 'cam1'; undefined when unusable. */
export function requestPath(uri: string): string | undefined {
  let pathname: string;
  if (/^rtsps?:\/\//i.test(uri)) {
    try {
      pathname = new URL(uri).pathname;
    } catch {
      return undefined;
    }
  } else if (uri.startsWith('/')) {
    pathname = uri.replace(/[?#].*$/, '');
  } else {
    return undefined;
  }
  try {
    return decodeURIComponent(pathname).replace(/^\/+|\/+$/g, '');
  } catch {
    return undefined;
  }
}

/** The track a publisher's SETUP URL names: its last segment equals the last segment of a track's control. */
function recordTrackIndex(path: string, session: RecordSession): number | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  for (let i = 0; i < session.tracks.length; i++) {
    const control = session.tracks[i]!.control;
    if (!control || control === '*') continue;
    const segment = control.replace(/[?#].*$/, '').replace(/\/+$/, '');
    if (segment.slice(segment.lastIndexOf('/') + 1) === last) return i;
  }
  if (path === session.path && session.tracks.length === 1) return 0;
  const n = trackIndexFromUrl(path);
  return n !== undefined && n < session.tracks.length ? n : undefined;
}

/** The stream's tracks with the latest parameter sets from the cached GOP, for DESCRIBE's sprop. */
function tracksWithParameterSets(stream: Stream): Track[] {
  const first = stream.gopUnits()[0];
  return stream.tracks.map((t) => {
    if (t.kind !== 'video' || first?.kind !== 'video' || first.codec !== t.codec) return t;
    const sets: { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array } = {};
    for (const nal of first.nalus) {
      if (t.codec === 'H264') {
        const type = h264NalType(nal);
        if (type === H264Nal.SPS) sets.sps ??= nal;
        else if (type === H264Nal.PPS) sets.pps ??= nal;
      } else {
        const type = h265NalType(nal);
        if (type === H265Nal.VPS) sets.vps ??= nal;
        else if (type === H265Nal.SPS) sets.sps ??= nal;
        else if (type === H265Nal.PPS) sets.pps ??= nal;
      }
    }
    return sets.sps && sets.pps ? { ...t, ...sets } : t;
  });
}

/** The address a UDP datagram from this peer carries (IPv4-mapped IPv6 unwrapped). */
function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}

/** One client connection: RTSP requests in, responses and interleaved media out. */
export class ServerConnection extends Emitter<{ close: [] }> implements SessionConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Date.now() of the last byte received. */
  lastData = Date.now();
  readonly #socket: net.Socket;
  readonly #ctx: ConnectionContext;
  readonly #hooks: SessionHooks;
  readonly #parser = new RtspStreamParser();
  readonly #sessions = new Set<ServerSession>();
  /** Interleaved channel → the session track it carries. */
  readonly #channels = new Map<number, { session: ServerSession; trackIndex: number; rtcp: boolean }>();
  /** The session an ANNOUNCE created, adopted by the first record SETUP without a Session header. */
  #announced: RecordSession | undefined;
  /** `mode:path` this connection was allowed (resolver.authorize), so SETUP after DESCRIBE is not asked again. */
  readonly #allowed = new Set<string>();
  /** The Digest nonce of this connection's challenges. */
  readonly #nonce = newNonce();
  readonly #queue: RtspRequest[] = [];
  #busy = false;
  #parseErrors = 0;
  #closed = false;

  constructor(socket: net.Socket, ctx: ConnectionContext) {
    super();
    this.#socket = socket;
    this.#ctx = ctx;
    this.remoteAddress = plainAddress(socket.remoteAddress);
    this.remotePort = socket.remotePort ?? 0;
    this.#hooks = {
      counters: ctx.counters,
      onClose: (session, reason) => {
        this.#forget(session);
        ctx.onClose(session, reason);
      },
    };
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      for (const s of this.#sessions) if (s instanceof PlaySession) s.reader?.resume();
    });
    socket.on('error', (err) => log.debug(`connection ${this.remoteAddress}:${this.remotePort}: ${err.message}`));
    socket.on('close', () => this.close('disconnected'));
  }

  /** Bytes queued in the socket. */
  get writableLength(): number {
    return this.#socket.writableLength;
  }

  /** Number of live sessions this connection set up. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** SessionConnection: writes packets as `$ channel length` frames (§10.12); false when dropped. */
  writeInterleaved(channel: number, packets: readonly Uint8Array[]): boolean {
    const socket = this.#socket;
    if (this.#closed || socket.destroyed || socket.writableLength > TCP_DROP_BYTES) return false;
    socket.cork();
    for (const p of packets) {
      const header = Buffer.allocUnsafe(4);
      header[0] = 0x24;
      header[1] = channel;
      header.writeUInt16BE(p.byteLength, 2);
      socket.write(header);
      socket.write(p);
    }
    socket.uncork();
    return true;
  }

  /**
   * A TCP viewer that keeps reading what we send is alive even if it never sends a keep-alive
   * (many NVRs rely on the connection); one that stopped reading stays congested and times out.
   */
  keepAliveIfDraining(): void {
    if (this.#socket.writableLength >= TCP_CONGESTION_BYTES) return;
    for (const s of this.#sessions) if (s instanceof PlaySession && s.playing && s.usesTcp) s.touch();
  }

  /** Closes the connection and every session it set up; idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#sessions]) s.close(reason);
    this.#queue.length = 0;
    this.#socket.destroy();
    this.emit('close');
  }

  #forget(session: ServerSession): void {
    this.#sessions.delete(session);
    if (this.#announced === session) this.#announced = undefined;
    for (const [channel, entry] of this.#channels) if (entry.session === session) this.#channels.delete(channel);
  }

  #onData(chunk: Buffer): void {
    this.lastData = Date.now();
    for (const s of this.#sessions) if (s.usesTcp) s.touch();
    for (const item of this.#parser.push(chunk)) {
      if (this.#closed) return;
      switch (item.type) {
        case 'interleaved': {
          const entry = this.#channels.get(item.channel);
          if (!entry) break;
          if (entry.rtcp) entry.session.touch();
          else entry.session.onRtp(entry.trackIndex, item.data);
          break;
        }
        case 'request':
          this.#ctx.requestCounters.requests++;
          if (this.#queue.length >= MAX_QUEUED_REQUESTS) {
            this.close('request flood');
            return;
          }
          this.#queue.push(item.message);
          if (!this.#busy) void this.#pump();
          break;
        case 'error':
          this.#ctx.requestCounters.parseErrors++;
          log.debug(`bad RTSP input from ${this.remoteAddress}: ${item.error.message}`);
          this.#write(undefined, fail(400));
          if (++this.#parseErrors >= MAX_PARSE_ERRORS) {
            this.close('too many malformed messages');
            return;
          }
          break;
        case 'response':
          break; // we send no requests; a stray response is ignored
      }
    }
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    while (this.#queue.length > 0 && !this.#closed) {
      const req = this.#queue.shift()!;
      let reply: Reply;
      try {
        reply = await this.#handle(req);
      } catch (err) {
        log.error(`${req.method} ${req.uri} failed`, err);
        reply = fail(500);
      }
      if (this.#closed) break;
      this.#write(req, reply);
      try {
        reply.after?.();
      } catch (err) {
        log.error(`${req.method} ${req.uri}: starting failed`, err);
      }
    }
    this.#busy = false;
  }

  #write(req: RtspRequest | undefined, reply: Reply): void {
    if (this.#closed) return;
    const headers = new RtspHeaders();
    const cseq = req?.headers.get('cseq')?.trim();
    if (cseq !== undefined && /^\d{1,10}$/.test(cseq)) headers.set('CSeq', cseq);
    headers.set('Server', 'streamsight');
    if (reply.session) {
      headers.set('Session', `${reply.session.id};timeout=${Math.round(this.#ctx.sessionTimeoutMs / 1000)}`);
    }
    for (const [k, v] of Object.entries(reply.headers ?? {})) {
      if (typeof v === 'string') headers.set(k, v);
      else for (const one of v) headers.append(k, one);
    }
    const body = reply.body === undefined ? new Uint8Array(0) : Buffer.from(reply.body, 'utf8');
    if (reply.status >= 400) this.#ctx.requestCounters.errorResponses++;
    const reason = reply.reason ?? REASONS[reply.status] ?? 'Error';
    this.#socket.write(serializeResponse({ statusCode: reply.status, reason, headers, body }));
  }

  async #handle(req: RtspRequest): Promise<Reply> {
    const cseq = req.headers.get('cseq')?.trim();
    if (cseq === undefined || !/^\d{1,10}$/.test(cseq)) return fail(400, 'Bad Request (missing or invalid CSeq)');
    switch (req.method) {
      case 'OPTIONS':
        this.#touchSession(req);
        return { status: 200, headers: { Public: PUBLIC_METHODS } };
      case 'DESCRIBE':
        return this.#describe(req);
      case 'ANNOUNCE':
        return this.#announce(req);
      case 'SETUP':
        return this.#setup(req);
      case 'PLAY':
        return this.#play(req);
      case 'RECORD':
        return this.#record(req);
      case 'PAUSE':
      case 'TEARDOWN':
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.#sessionMethod(req);
      default:
        return { status: 501, headers: { Public: PUBLIC_METHODS } };
    }
  }

  /** Base URL of a stream as the client addressed it, for Content-Base and RTP-Info. */
  #baseUrl(req: RtspRequest, path: string): string {
    let host = `${this.#socket.localAddress ?? '127.0.0.1'}:${this.#socket.localPort ?? 0}`;
    if (/^rtsps?:\/\//i.test(req.uri)) {
      try {
        host = new URL(req.uri).host;
      } catch {
        // keep the socket's address
      }
    }
    return `rtsp://${host}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  #touchSession(req: RtspRequest): void {
    const header = req.headers.get('session');
    if (header) this.#ctx.session(safeSessionId(header) ?? '')?.touch();
  }

  /**
   * Asks the resolver whether this connection may read or publish `path` (once per path and mode);
   * undefined when it may, else the refusal to answer with.
   */
  #authorize(req: RtspRequest, path: string, mode: 'read' | 'publish'): Reply | undefined {
    const check = this.#ctx.resolver.authorize;
    const key = `${mode}:${path}`;
    if (!check || this.#allowed.has(key)) return undefined;
    const result = check.call(this.#ctx.resolver, {
      mode, path, method: req.method, uri: req.uri, authorization: req.headers.get('authorization'), nonce: this.#nonce, address: this.remoteAddress,
    });
    if (result.ok) {
      this.#allowed.add(key);
      return undefined;
    }
    return { status: result.status, reason: result.reason, ...(result.challenges ? { headers: { 'WWW-Authenticate': result.challenges } } : {}) };
  }

  #describe(req: RtspRequest): Reply {
    const path = requestPath(req.uri);
    if (path === undefined) return fail(400, 'Bad Request (invalid URL)');
    const refused = this.#authorize(req, path, 'read');
    if (refused) return refused;
    const stream = this.#ctx.resolver.streamFor(path);
    if (!stream || stream.closed) return fail(404, 'Stream Not Found');
    if (stream.tracks.length === 0 || stream.state !== 'online') return fail(503, 'Stream Offline (no source yet)');
    const sdp = sdpForTracks(tracksWithParameterSets(stream), {
      sessionName: path || 'streamsight',
      address: this.#socket.localAddress?.includes(':') ? '127.0.0.1' : this.#socket.localAddress,
    });
    return {
      status: 200,
      headers: { 'Content-Type': 'application/sdp', 'Content-Base': `${this.#baseUrl(req, path)}/` },
      body: sdp,
    };
  }

  #announce(req: RtspRequest): Reply {
    const path = requestPath(req.uri);
    if (!path) return fail(400, 'Bad Request (invalid URL)');
    const resolver = this.#ctx.resolver;
    if (!resolver.canPublish(path)) {
      return resolver.streamFor(path) ? fail(403, 'Forbidden (path does not accept publishers)') : fail(404, 'Stream Not Found');
    }
    const refused = this.#authorize(req, path, 'publish');
    if (refused) return refused;
    const existing = this.#ctx.publisherOf(path);
    if (existing && !existing.closed) {
      if (existing.conn !== this) return fail(455, 'Path Already Has An Active Publisher');
      existing.close('re-announced');
    }
    const type = req.headers.get('content-type');
    if (type && !/^application\/sdp\b/i.test(type.trim())) return fail(415, 'Unsupported Media Type (expected application/sdp)');
    let tracks: Track[];
    try {
      const sdp = parseSdp(Buffer.from(req.body).toString('utf8'));
      const result = tracksFromSdp(sdp, req.headers.get('content-base') ?? req.uri);
      tracks = result.tracks;
      if (result.unsupported.length > 0) log.info(`${path}: publisher media not carried: ${result.unsupported.join(', ')}`);
    } catch (err) {
      return fail(400, `Bad Request (invalid SDP${err instanceof Error ? `: ${err.message.replace(/[\r\n]+/g, ' ')}` : ''})`);
    }
    if (tracks.length === 0) return fail(415, 'Unsupported Media Type (no supported track in SDP)');
    let stream: Stream;
    try {
      stream = resolver.publish(path);
    } catch (err) {
      log.warn(`${path}: publish refused: ${err instanceof Error ? err.message : String(err)}`);
      return err instanceof InvalidStateError ? fail(455, 'Path Cannot Be Published Now') : fail(403, 'Forbidden (publish refused)');
    }
    const session = new RecordSession(path, tracks, this, this.#hooks, stream);
    this.#register(session);
    this.#ctx.setPublisher(path, session);
    this.#announced = session;
    log.info(`${path}: publisher ${this.remoteAddress} announced ${tracks.map((t) => t.codec).join('+')}`);
    return { status: 200 };
  }

  #register(session: ServerSession): void {
    this.#sessions.add(session);
    this.#ctx.addSession(session);
  }

  /** The session a request names, or the reply to send when it names none or an unknown one. */
  #requireSession(req: RtspRequest): ServerSession | Reply {
    const header = req.headers.get('session');
    if (!header) return fail(455, 'Method Not Valid in This State (no session; SETUP first)');
    const session = this.#ctx.session(safeSessionId(header) ?? '');
    if (!session || session.closed) return fail(454);
    session.touch();
    return session;
  }

  async #setup(req: RtspRequest): Promise<Reply> {
    const path = requestPath(req.uri);
    if (path === undefined) return fail(400, 'Bad Request (invalid URL)');
    const header = req.headers.get('transport');
    if (!header) return fail(400, 'Bad Request (missing Transport)');
    let specs: TransportSpec[];
    try {
      specs = parseTransport(header);
    } catch {
      return fail(400, 'Bad Request (invalid Transport)');
    }
    const spec = specs.find((s) => s.unicast && (s.protocol === 'tcp' || s.clientPort !== undefined));
    if (!spec) return fail(461, 'Unsupported Transport (only unicast UDP with client_port or TCP interleaved)');
    const record = (spec.mode ?? '').replace(/"/g, '').trim().toLowerCase() === 'record';

    let session: ServerSession | undefined;
    if (req.headers.get('session')) {
      const found = this.#requireSession(req);
      if (!(found instanceof PlaySession || found instanceof RecordSession)) return found as Reply;
      session = found;
      if (session.conn !== this) return fail(455, 'Method Not Valid in This State (session belongs to another connection)');
    }

    let trackIndex: number | undefined;
    let created: PlaySession | undefined;
    if (record) {
      session ??= this.#announced;
      if (!(session instanceof RecordSession)) return fail(455, 'Method Not Valid in This State (ANNOUNCE before SETUP mode=record)');
      if (session.recording) return fail(455, 'Method Not Valid in This State (already recording)');
      trackIndex = recordTrackIndex(path, session);
      if (trackIndex === undefined) return fail(404, 'Track Not Found');
    } else {
      if (session && !(session instanceof PlaySession)) return fail(455, 'Method Not Valid in This State (session is publishing)');
      const n = trackIndexFromUrl(req.uri);
      const streamPath = n === undefined ? path : path.slice(0, Math.max(0, path.lastIndexOf('/')));
      if (session && session.path !== streamPath) return fail(459, 'Aggregate Operation Not Allowed (other stream)');
      if (!session) {
        for (const s of this.#sessions) {
          if (s instanceof PlaySession && s.path === streamPath) return fail(455, 'Method Not Valid in This State (Session header required)');
        }
      }
      if (session instanceof PlaySession && session.playing) return fail(455, 'Method Not Valid in This State (already playing)');
      const refused = this.#authorize(req, streamPath, 'read');
      if (refused) return refused;
      const stream = this.#ctx.resolver.streamFor(streamPath);
      if (!stream || stream.closed) return fail(404, 'Stream Not Found');
      const tracks = session?.tracks ?? stream.tracks;
      if (tracks.length === 0) return fail(503, 'Stream Offline (no source yet)');
      trackIndex = n ?? 0;
      if (trackIndex >= tracks.length) return fail(404, 'Track Not Found');
      if (!session) {
        if (this.#sessions.size >= MAX_SESSIONS_PER_CONNECTION) return fail(453, 'Not Enough Bandwidth (too many sessions)');
        session = created = new PlaySession(streamPath, tracks, this, this.#hooks);
      }
    }
    if (session.transports.has(trackIndex)) return fail(455, 'Method Not Valid in This State (track already set up)');

    let transport: TrackTransport;
    let reply: TransportSpec;
    if (spec.protocol === 'tcp') {
      let channels = spec.interleaved;
      if (!channels || this.#channels.has(channels[0]) || this.#channels.has(channels[1]) || channels[0] > 254) {
        let c = 0;
        while (this.#channels.has(c) || this.#channels.has(c + 1)) c += 2;
        channels = [c, c + 1];
      }
      transport = { protocol: 'tcp', channels: [channels[0], channels[1]] };
      reply = { protocol: 'tcp', unicast: true, interleaved: [channels[0], channels[1]] };
    } else {
      const clientPorts: [number, number] = [spec.clientPort![0], spec.clientPort![1] ?? spec.clientPort![0] + 1];
      let pair;
      try {
        pair = await this.#ctx.udp.allocate();
      } catch (err) {
        log.warn(`no UDP ports for ${this.remoteAddress}: ${err instanceof Error ? err.message : String(err)}`);
        created?.close('setup failed');
        return fail(453, 'Not Enough Bandwidth (no free UDP ports)');
      }
      if (this.#closed || session.closed) {
        pair.close();
        return fail(454);
      }
      transport = { protocol: 'udp', pair, clientAddress: this.remoteAddress, clientPorts };
      reply = { protocol: 'udp', unicast: true, clientPort: clientPorts, serverPort: [pair.rtpPort, pair.rtcpPort] };
    }
    if (created) this.#register(created);
    session.setup(trackIndex, transport);
    if (transport.protocol === 'tcp') {
      this.#channels.set(transport.channels[0], { session, trackIndex, rtcp: false });
      this.#channels.set(transport.channels[1], { session, trackIndex, rtcp: true });
    }
    if (session instanceof PlaySession) reply.ssrc = session.ssrc(trackIndex);
    else reply.mode = 'record';
    return { status: 200, session, headers: { Transport: formatTransport(reply) } };
  }

  #play(req: RtspRequest): Reply {
    const found = this.#requireSession(req);
    if (!(found instanceof PlaySession)) {
      return found instanceof RecordSession ? fail(455, 'Method Not Valid in This State (session is publishing)') : (found as Reply);
    }
    const session = found;
    if (session.transports.size === 0) return fail(455, 'Method Not Valid in This State (SETUP first)');
    const stream = this.#ctx.resolver.streamFor(session.path);
    if (!stream || stream.closed) return fail(404, 'Stream Not Found');
    if (session.playing) return { status: 200, session, headers: { Range: 'npt=0.000-' } };
    const base = this.#baseUrl(req, session.path);
    const info = [...session.transports.keys()]
      .sort((a, b) => a - b)
      .map((i) => {
        const { seq, rtptime } = session.rtpInfo(i);
        return `url=${base}/trackID=${i};seq=${seq};rtptime=${rtptime}`;
      });
    return {
      status: 200,
      session,
      headers: { Range: 'npt=0.000-', 'RTP-Info': info.join(',') },
      after: () => session.play(stream),
    };
  }

  #record(req: RtspRequest): Reply {
    const found = this.#requireSession(req);
    if (!(found instanceof RecordSession)) {
      return found instanceof PlaySession ? fail(455, 'Method Not Valid in This State (session is playing)') : (found as Reply);
    }
    if (found.transports.size === 0) return fail(455, 'Method Not Valid in This State (SETUP first)');
    found.record();
    log.info(`${found.path}: publisher ${this.remoteAddress} recording`);
    return { status: 200, session: found };
  }

  /** PAUSE, TEARDOWN, GET_PARAMETER and SET_PARAMETER (the last two are keep-alives). */
  #sessionMethod(req: RtspRequest): Reply {
    const keepAlive = req.method === 'GET_PARAMETER' || req.method === 'SET_PARAMETER';
    if (keepAlive && !req.headers.get('session')) return { status: 200 };
    const found = this.#requireSession(req);
    if (!(found instanceof PlaySession || found instanceof RecordSession)) {
      return req.method === 'TEARDOWN' && !req.headers.get('session') ? { status: 200 } : (found as Reply);
    }
    const session = found;
    if (req.method === 'PAUSE') {
      if (session instanceof PlaySession) session.pause();
      return { status: 200, session };
    }
    if (req.method === 'TEARDOWN') return { status: 200, after: () => session.close('teardown') };
    return { status: 200, session };
  }
}

/** The id part of a Session header, or undefined when it does not parse. */
function safeSessionId(header: string): string | undefined {
  try {
    return parseSession(header).id;
  } catch {
    return undefined;
  }
}
