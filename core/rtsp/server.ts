/**
 * The RTSP server (RFC 2326): accepts publishers (ANNOUNCE/SETUP mode=record/RECORD) into a
 * camera's Stream and serves every Stream to viewers (DESCRIBE/SETUP/PLAY), over TCP
 * interleaved frames or UDP port pairs. Ownership: RtspServer → connections → sessions.
 */
import net from 'node:net';
import { createLogger } from '../log.js';
import type { Stream } from '../stream/index.js';
import { ServerConnection, type ConnectionContext } from './server-connection.js';
import type { RecordSession, ServerSession, SessionCounters } from './session.js';
import { UdpPortAllocator } from './udp.js';

const log = createLogger('rtsp-server');

/** Where the server finds streams, and who may publish to which path. */
export interface StreamResolver {
  /** The stream served at `path` ('cam1'), or undefined (→ 404). */
  streamFor(path: string): Stream | undefined;
  /** Whether a publisher may ANNOUNCE to `path`. */
  canPublish(path: string): boolean;
  /** A publisher ANNOUNCEd to `path`: returns the stream its media goes into. May throw (→ 403/500). */
  publish(path: string): Stream;
  /** The publisher of `path` went away (TEARDOWN, disconnect, timeout). */
  unpublish(path: string): void;
  /**
   * Access control: may this request read (DESCRIBE, SETUP to play) or publish (ANNOUNCE) `path`?
   * Asked once per path and connection. Absent: everything is allowed.
   */
  authorize?(request: RtspAccessRequest): RtspAccessResult;
}

/** What an access check sees of an RTSP request. */
export interface RtspAccessRequest {
  mode: 'read' | 'publish';
  /** The stream path ('gate1'). */
  path: string;
  method: string;
  /** The request URI as sent (a `?token=` query is kept). */
  uri: string;
  /** The Authorization header, if any. */
  authorization: string | undefined;
  /** This connection's Digest nonce (the challenge a 401 sends names it). */
  nonce: string;
  /** The client's address. */
  address: string;
}

/** The outcome: allowed, or the status to answer with its WWW-Authenticate challenges for a 401. */
export type RtspAccessResult = { ok: true } | { ok: false; status: 401 | 403 | 429; reason: string; challenges?: string[] };

/** Options of an RtspServer. */
export interface RtspServerOptions {
  /** Address to bind, e.g. '0.0.0.0' or '127.0.0.1'. */
  host: string;
  /** TCP port; 0 picks a free one (listen() resolves it). Default 8554. */
  port?: number;
  /** Inclusive UDP port range for RTP/RTCP pairs; ephemeral ports when absent. */
  udpPortRange?: readonly [number, number];
  /** Session timeout announced in `Session: id;timeout=` and enforced (default 60 000 ms). */
  sessionTimeoutMs?: number;
  /** Most concurrent TCP connections (default 1024); more are refused. */
  maxConnections?: number;
}

/** A snapshot of the server's counters. */
export interface RtspServerStats extends SessionCounters {
  connections: number;
  connectionsTotal: number;
  playSessions: number;
  recordSessions: number;
  requests: number;
  /** Requests answered with a 4xx/5xx status. */
  errorResponses: number;
  /** Unparseable RTSP input (garbage, oversized headers or bodies). */
  parseErrors: number;
  sessionsTimedOut: number;
  /** Bytes queued in TCP sockets right now (bounded by the congestion limit per viewer). */
  queuedBytes: number;
  /** Units restream readers lost to queue overflow (their Reader stats, summed). */
  readerDropped: number;
}

/** The RTSP server. */
export class RtspServer implements ConnectionContext {
  readonly resolver: StreamResolver;
  readonly sessionTimeoutMs: number;
  readonly udp: UdpPortAllocator;
  readonly counters: SessionCounters = {
    rtpPacketsIn: 0, rtpPacketsOut: 0, malformedRtp: 0, foreignUdp: 0, tcpDropped: 0, udpSendErrors: 0,
  };
  /** Requests, error responses and parse errors, bumped by connections. */
  readonly requestCounters = { requests: 0, errorResponses: 0, parseErrors: 0 };
  readonly #sessions = new Map<string, ServerSession>();
  /** Path → its active publisher (from ANNOUNCE until the session closes). */
  readonly #publishers = new Map<string, RecordSession>();
  readonly #connections = new Set<ServerConnection>();
  readonly #server: net.Server;
  readonly #opts: RtspServerOptions;
  #sweepTimer: NodeJS.Timeout | undefined;
  #connectionsTotal = 0;
  #sessionsTimedOut = 0;
  #closed = false;

  constructor(opts: RtspServerOptions, resolver: StreamResolver) {
    this.#opts = opts;
    this.resolver = resolver;
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 60_000;
    this.udp = new UdpPortAllocator(opts.host, opts.udpPortRange);
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#server.maxConnections = opts.maxConnections ?? 1024;
  }

  /** Binds the TCP port; resolves the port actually bound. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(this.#opts.port ?? 8554, this.#opts.host, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => log.error('server socket error', err));
        const interval = Math.max(100, Math.min(5000, Math.floor(this.sessionTimeoutMs / 4)));
        this.#sweepTimer = setInterval(() => this.#sweep(), interval);
        this.#sweepTimer.unref();
        const address = this.#server.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  /** Live sessions by id. */
  get sessions(): ReadonlyMap<string, ServerSession> {
    return this.#sessions;
  }

  /** A snapshot of the counters. */
  get stats(): RtspServerStats {
    let queuedBytes = 0;
    for (const c of this.#connections) queuedBytes += c.writableLength;
    let play = 0;
    let record = 0;
    let readerDropped = 0;
    for (const s of this.#sessions.values()) {
      if (s.mode === 'record') record++;
      else {
        play++;
        readerDropped += (s as { reader?: { stats: { dropped: number } } }).reader?.stats.dropped ?? 0;
      }
    }
    return {
      ...this.counters,
      ...this.requestCounters,
      connections: this.#connections.size,
      connectionsTotal: this.#connectionsTotal,
      playSessions: play,
      recordSessions: record,
      sessionsTimedOut: this.#sessionsTimedOut,
      queuedBytes,
      readerDropped,
    };
  }

  /** ConnectionContext: a session was created (SETUP) or announced. */
  addSession(session: ServerSession): void {
    this.#sessions.set(session.id, session);
  }

  /** ConnectionContext: looks a session up by id. */
  session(id: string): ServerSession | undefined {
    return this.#sessions.get(id);
  }

  /** ConnectionContext: the active publisher of a path. */
  publisherOf(path: string): RecordSession | undefined {
    return this.#publishers.get(path);
  }

  /** ConnectionContext: registers the publisher of a path (after resolver.publish). */
  setPublisher(path: string, session: RecordSession): void {
    this.#publishers.set(path, session);
  }

  /** ConnectionContext / SessionHooks: a session closed; releases its path if it published. */
  onClose(session: ServerSession, reason: string): void {
    this.#sessions.delete(session.id);
    if (session.mode === 'record' && this.#publishers.get(session.path) === session) {
      this.#publishers.delete(session.path);
      try {
        this.resolver.unpublish(session.path);
      } catch (err) {
        log.error(`unpublish ${session.path} failed`, err);
      }
      log.info(`publisher of ${session.path} left (${reason})`);
    } else {
      log.debug(`session ${session.id} on ${session.path} closed (${reason})`);
    }
  }

  #accept(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#connectionsTotal++;
    const conn = new ServerConnection(socket, this);
    this.#connections.add(conn);
    conn.once('close', () => this.#connections.delete(conn));
  }

  /** Reaps sessions and idle connections that showed no sign of life for sessionTimeoutMs. */
  #sweep(): void {
    const now = Date.now();
    for (const conn of this.#connections) conn.keepAliveIfDraining();
    for (const session of [...this.#sessions.values()]) {
      if (now - session.lastActivity > this.sessionTimeoutMs) {
        this.#sessionsTimedOut++;
        log.info(`session ${session.id} on ${session.path} timed out`);
        session.close('timeout');
      }
    }
    for (const conn of [...this.#connections]) {
      if (conn.sessionCount === 0 && now - conn.lastData > this.sessionTimeoutMs) conn.close('idle');
    }
  }

  /** Closes every connection and session, then the listening socket; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    for (const conn of [...this.#connections]) conn.close('server closing');
    for (const session of [...this.#sessions.values()]) session.close('server closing');
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
