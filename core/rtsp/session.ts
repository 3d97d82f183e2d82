/**
 * Server-side RTSP sessions (RFC 2326 §3.4, §12.37): a PlaySession is a restream viewer — a
 * ReaderSink of a Stream that sends RTP over TCP interleaved frames (§10.12) or UDP; a
 * RecordSession is a publisher (ANNOUNCE/RECORD) whose RTP is depacketized into a Stream.
 * Both time out after `timeoutMs` without a request, RTCP or (for publishers) RTP.
 */
import { randomBytes } from 'node:crypto';
import type { Track, Unit } from '../../codecs/access-unit.js';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { RateLimitedLog, createLogger } from '../log.js';
import type { Reader, ReaderSink, Stream } from '../stream/index.js';
import { SessionPacketizer } from './from-stream.js';
import { TrackDepacketizers } from './to-stream.js';
import type { UdpPortPair } from './udp.js';

const log = createLogger('rtsp-server');
const dropLog = new RateLimitedLog(log);

/** Bytes queued on a TCP connection above which a viewer counts as congested. */
export const TCP_CONGESTION_BYTES = 1024 * 1024;
/** Hard cap: above this, packets are dropped even if a sink ignores congestion. */
export const TCP_DROP_BYTES = 4 * 1024 * 1024;
/** Interval between RTCP sender reports to viewers (RFC 3550 §6.2 allows ~5 s). */
export const SENDER_REPORT_INTERVAL_MS = 5000;

/** What a session needs from the TCP connection that created it. */
export interface SessionConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes queued in the socket, not yet handed to the kernel. */
  readonly writableLength: number;
  /** Writes RTP/RTCP packets as interleaved frames; returns false when they were dropped. */
  writeInterleaved(channel: number, packets: readonly Uint8Array[]): boolean;
}

/** How one track of a session travels. */
export type TrackTransport =
  | { protocol: 'tcp'; channels: [number, number] }
  | { protocol: 'udp'; pair: UdpPortPair; clientAddress: string; clientPorts: [number, number] };

/** Counters shared by every session of a server (the server exposes them in its stats). */
export interface SessionCounters {
  rtpPacketsIn: number;
  rtpPacketsOut: number;
  malformedRtp: number;
  /** UDP packets from an address other than the session's client. */
  foreignUdp: number;
  /** Packets dropped because a TCP connection's queue passed TCP_DROP_BYTES. */
  tcpDropped: number;
  /** UDP sends that failed (unreachable client, socket closed under us). */
  udpSendErrors: number;
}

/** Callbacks into the server. */
export interface SessionHooks {
  readonly counters: SessionCounters;
  /** The session closed (teardown, timeout, connection loss, stream closed). */
  onClose(session: ServerSession, reason: string): void;
}

/** State shared by play and record sessions. */
export abstract class ServerSession {
  /** Random, unguessable session id (§12.37). */
  readonly id = randomBytes(8).toString('hex');
  /** Set-up tracks by index into `tracks`. */
  readonly transports = new Map<number, TrackTransport>();
  lastActivity = Date.now();
  #closed = false;
  abstract readonly mode: 'play' | 'record';

  constructor(
    /** Stream path, e.g. 'cam1'. */
    readonly path: string,
    /** Tracks this session can set up (stream tracks for play, announced tracks for record). */
    readonly tracks: readonly Track[],
    /** The connection that created the session; interleaved data flows over it. */
    readonly conn: SessionConnection,
    protected readonly hooks: SessionHooks,
  ) {}

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Keep-alive: a request, RTCP or RTP arrived for this session. */
  touch(): void {
    this.lastActivity = Date.now();
  }

  /** True when any track uses TCP interleaving. */
  get usesTcp(): boolean {
    for (const t of this.transports.values()) if (t.protocol === 'tcp') return true;
    return false;
  }

  /** Binds a track's transport (SETUP). UDP sockets start delivering to the session at once. */
  setup(trackIndex: number, transport: TrackTransport): void {
    this.transports.set(trackIndex, transport);
    if (transport.protocol !== 'udp') return;
    transport.pair.rtp.on('message', (msg, rinfo) => {
      if (rinfo.address !== transport.clientAddress) {
        this.hooks.counters.foreignUdp++;
        return;
      }
      this.onRtp(trackIndex, msg);
    });
    transport.pair.rtcp.on('message', (_msg, rinfo) => {
      if (rinfo.address !== transport.clientAddress) {
        this.hooks.counters.foreignUdp++;
        return;
      }
      this.touch();
    });
  }

  /** An RTP packet of a set-up track arrived (interleaved or UDP). */
  abstract onRtp(trackIndex: number, data: Uint8Array): void;

  /** Tears the session down; idempotent. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.release();
    for (const t of this.transports.values()) if (t.protocol === 'udp') t.pair.close();
    this.hooks.onClose(this, reason);
  }

  /** Subclass cleanup, run once by close(). */
  protected abstract release(): void;
}

/** A restream viewer: a ReaderSink that packetizes the stream's units per session. */
export class PlaySession extends ServerSession implements ReaderSink {
  readonly mode = 'play';
  readonly name: string;
  readonly #rtp: SessionPacketizer;
  #reader: Reader | undefined;
  #srTimer: NodeJS.Timeout | undefined;

  constructor(path: string, tracks: readonly Track[], conn: SessionConnection, hooks: SessionHooks) {
    super(path, tracks, conn, hooks);
    this.name = `rtsp:${conn.remoteAddress}:${conn.remotePort}`;
    this.#rtp = new SessionPacketizer(tracks);
  }

  /** True between PLAY and PAUSE/TEARDOWN. */
  get playing(): boolean {
    return this.#reader !== undefined && !this.#reader.closed;
  }

  /** The reader while playing (for stats and resume on drain). */
  get reader(): Reader | undefined {
    return this.#reader;
  }

  /** SSRC of a track (SETUP's Transport ssrc=). */
  ssrc(trackIndex: number): number {
    return this.#rtp.senders[trackIndex]!.ssrc;
  }

  /** Sequence number and RTP time of the next packet of a track, for PLAY's RTP-Info. */
  rtpInfo(trackIndex: number): { seq: number; rtptime: number } {
    return this.#rtp.senders[trackIndex]!.next();
  }

  /** PLAY: attaches to the stream starting at the cached GOP; called after the PLAY response is written. */
  play(stream: Stream): void {
    if (this.closed || this.playing) return;
    const reader = stream.addReader(this, { gop: true });
    this.#reader = reader;
    reader.on('close', () => {
      if (this.#reader === reader) this.close('stream closed');
    });
    this.#srTimer = setInterval(() => this.#sendReports(), SENDER_REPORT_INTERVAL_MS);
    this.#srTimer.unref();
  }

  /** PAUSE: stops delivery; a later PLAY resumes from the next GOP. */
  pause(): void {
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.close();
    clearInterval(this.#srTimer);
  }

  /** ReaderSink: packetizes one unit for the track it belongs to, if that track is set up. */
  write(unit: Unit): void {
    const index = this.#rtp.trackIndexFor(unit);
    const transport = index < 0 ? undefined : this.transports.get(index);
    if (!transport || this.closed) return;
    const packets = this.#rtp.senders[index]!.packetize(unit);
    this.#send(transport, packets, false);
  }

  /** ReaderSink: true while the TCP connection has more than TCP_CONGESTION_BYTES queued. */
  congested(): boolean {
    return this.usesTcp && this.conn.writableLength > TCP_CONGESTION_BYTES;
  }

  /** ReaderSink: the source reconnected; a session cannot renegotiate, so changed tracks end it. */
  onTracks(tracks: readonly Track[]): void {
    const same =
      tracks.length === this.tracks.length &&
      tracks.every((t, i) => t.kind === this.tracks[i]!.kind && t.codec === this.tracks[i]!.codec);
    if (!same) this.close('source tracks changed');
    else for (const s of this.#rtp.senders) s.rebase();
  }

  override onRtp(): void {
    // A viewer's RTP port only sees NAT punch-through packets (ffmpeg sends some); they keep it alive.
    this.touch();
  }

  #send(transport: TrackTransport, packets: readonly Uint8Array[], rtcp: boolean): void {
    const counters = this.hooks.counters;
    if (transport.protocol === 'tcp') {
      if (this.conn.writeInterleaved(transport.channels[rtcp ? 1 : 0], packets)) {
        if (!rtcp) counters.rtpPacketsOut += packets.length;
      } else {
        counters.tcpDropped += packets.length;
        dropLog.warn(`tcp-drop:${this.path}`, `${this.name}: connection queue full, ${counters.tcpDropped} packets dropped`);
      }
      return;
    }
    const socket = rtcp ? transport.pair.rtcp : transport.pair.rtp;
    const port = transport.clientPorts[rtcp ? 1 : 0];
    for (const p of packets) {
      socket.send(p, port, transport.clientAddress, (err) => {
        if (err) counters.udpSendErrors++;
      });
    }
    if (!rtcp) counters.rtpPacketsOut += packets.length;
  }

  #sendReports(): void {
    if (this.closed) return;
    const perfNow = performance.now();
    const wallNow = Date.now();
    for (const [index, transport] of this.transports) {
      const sr = this.#rtp.senders[index]?.senderReport(perfNow, wallNow);
      if (sr) this.#send(transport, [sr], true);
    }
  }

  protected release(): void {
    this.pause();
  }
}

/** A publisher: RTP of its set-up tracks is depacketized into the stream once RECORD arrives. */
export class RecordSession extends ServerSession {
  readonly mode = 'record';
  #depacketizers: TrackDepacketizers | undefined;
  /** Announced track index → index among the set-up tracks handed to the stream. */
  #local = new Map<number, number>();
  #malformedLogged = 0;

  constructor(
    path: string,
    tracks: readonly Track[],
    conn: SessionConnection,
    hooks: SessionHooks,
    /** The stream resolver.publish returned. */
    readonly stream: Stream,
  ) {
    super(path, tracks, conn, hooks);
  }

  /** True after RECORD. */
  get recording(): boolean {
    return this.#depacketizers !== undefined;
  }

  /** RECORD: the set-up tracks go online in the stream. */
  record(): void {
    if (this.recording || this.closed) return;
    const indices = [...this.transports.keys()].sort((a, b) => a - b);
    const tracks = indices.map((i) => this.tracks[i]!);
    indices.forEach((trackIndex, local) => this.#local.set(trackIndex, local));
    this.#depacketizers = new TrackDepacketizers(tracks);
    this.stream.setTracks(tracks);
  }

  override onRtp(trackIndex: number, data: Uint8Array): void {
    this.touch();
    const depacketizers = this.#depacketizers;
    const local = this.#local.get(trackIndex);
    if (!depacketizers || local === undefined) return;
    const counters = this.hooks.counters;
    const packet = parseRtp(data);
    if (!packet) {
      counters.malformedRtp++;
      if (this.#malformedLogged++ < 3) log.warn(`${this.path}: malformed RTP from publisher ${this.conn.remoteAddress}`);
      return;
    }
    counters.rtpPacketsIn++;
    const units = depacketizers.push(local, packet, performance.now());
    for (let i = 0; i < units.length; i++) this.stream.push(units[i]!);
  }

  protected release(): void {
    if (this.recording) this.stream.setOffline();
  }
}
