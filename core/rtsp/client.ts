/**
 * RTSP client that pulls a camera (RFC 2326): OPTIONS, DESCRIBE, SETUP per track (TCP interleaved
 * or UDP port pairs), PLAY, keep-alive, RTCP receiver reports and TEARDOWN.
 *
 *   client ── OPTIONS ──────────▶ camera     (Public: learns GET_PARAMETER for keep-alive)
 *          ── DESCRIBE ─────────▶            (401 → Basic/Digest retry; 301/302 → reconnect)
 *          ── SETUP track i ────▶            (interleaved=2i-2i+1  |  client_port=p-p+1)
 *          ── PLAY ─────────────▶
 *          ◀── $ch RTP / RTCP SR ──          RTP → 'rtp' event, SR → ReceptionStats
 *          ── RR every 5 s, GET_PARAMETER / OPTIONS every session-timeout/2 ──▶
 *          ── TEARDOWN ─────────▶
 *
 * One request is in flight at a time. Every response is awaited with a timeout; a response with
 * the wrong CSeq or unparsable bytes during the handshake is a ProtocolError that closes the
 * connection. After PLAY, garbage between interleaved frames is counted and skipped.
 */
import net from 'node:net';
import type dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';

import type { Track } from '../../codecs/access-unit.js';
import { parseRtp, type RtpPacket } from '../../codecs/rtp/packet.js';
import { ReceptionStats, buildReceiverReport, buildSdes, compoundRtcp, parseRtcp } from '../../codecs/rtp/rtcp.js';
import { attributeValue, parseSdp, type SessionDescription } from '../../codecs/sdp/parse.js';
import { resolveControl, tracksFromSdp } from '../../codecs/sdp/tracks.js';
import { RtspHeaders, RtspStreamParser, serializeInterleaved, serializeRequest } from '../../codecs/rtsp/message.js';
import type { RtspChunk, RtspResponse } from '../../codecs/rtsp/message.js';
import { formatTransport, parseSession, parseTransport } from '../../codecs/rtsp/transport.js';
import { authorizationHeader, parseWwwAuthenticate, pickChallenge, type Challenge } from '../../codecs/rtsp/auth.js';
import { Emitter } from '../emitter.js';
import { InvalidStateError, ProtocolError, UnsupportedError } from '../errors.js';
import { createLogger, redactUrl } from '../log.js';
import { UdpPortAllocator, type UdpPortPair } from './udp.js';

const log = createLogger('rtsp-client');

/** Options of {@link RtspClient.connect}. */
export interface RtspClientOptions {
  /** RTP transport: TCP interleaved on the RTSP connection, or UDP port pairs. */
  transport: 'tcp' | 'udp';
  /** Credentials; override the URL's userinfo. */
  username?: string;
  password?: string;
  /** Bound on the TCP connect and on every response. */
  timeoutMs: number;
  userAgent?: string;
  /** Receiver report period (default 5000 ms). */
  rtcpIntervalMs?: number;
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
}

/** Counters of one client connection. */
export interface RtspClientStats {
  rtpPackets: number;
  rtcpPackets: number;
  bytesIn: number;
  /** RTP that did not parse, and garbage skipped between interleaved frames. */
  malformed: number;
  /** UDP datagrams from an address other than the camera's (dropped). */
  foreignPackets: number;
  keepAlives: number;
  receiverReports: number;
  redirects: number;
}

/** Result of DESCRIBE. */
export interface DescribeResult {
  tracks: Track[];
  /** Media sections that were skipped (unknown codec), as readable strings. */
  unsupported: string[];
  /** Base URL the track controls were resolved against (no credentials). */
  baseUrl: string;
}

/** The negotiated transport of one track. */
export interface TrackTransport {
  trackIndex: number;
  interleaved?: [number, number];
  clientPorts?: [number, number];
  serverRtcpPort?: number;
}

interface Pending {
  cseq: number;
  method: string;
  resolve(res: RtspResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface SetupTrack {
  index: number;
  track: Track;
  reception: ReceptionStats;
  /** SSRC of the camera's stream on this track, from the last RTP packet. */
  mediaSsrc?: number;
  rtpChannel: number;
  rtcpChannel: number;
  udp?: UdpPortPair;
  serverRtcpPort?: number;
}

const DEFAULT_PORT = 554;

/** Splits credentials off an rtsp:// URL. */
function splitUrl(raw: string): { url: URL; username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProtocolError(`invalid RTSP URL: ${redactUrl(raw)}`);
  }
  if (url.protocol !== 'rtsp:') throw new UnsupportedError(`unsupported URL scheme ${url.protocol}`);
  const username = url.username ? decodeURIComponent(url.username) : undefined;
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  url.username = '';
  url.password = '';
  return { url, username, password };
}

function unmapV4(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/** Pulls RTP from one RTSP camera; emits each packet with its track index. */
export class RtspClient extends Emitter<{
  rtp: [trackIndex: number, packet: RtpPacket, receivedAt: number];
  close: [error: Error | undefined];
}> {
  #opts: RtspClientOptions = { transport: 'tcp', timeoutMs: 10_000 };
  #url!: URL;
  #username?: string;
  #password?: string;
  #socket?: net.Socket;
  #parser = new RtspStreamParser();
  #cseq = 0;
  #pending?: Pending;
  #chain: Promise<unknown> = Promise.resolve();
  #session?: string;
  #sessionTimeoutSec = 60;
  #public = new Set<string>();
  #challenge?: Challenge;
  #nonceCount = 0;
  #tracks: Track[] = [];
  /** Aggregate control URL for PLAY/TEARDOWN/keep-alive: session-level a=control resolved against Content-Base. */
  #aggregateUrl?: string;
  #setup: SetupTrack[] = [];
  #byChannel = new Map<number, { setup: SetupTrack; rtcp: boolean }>();
  #playing = false;
  #closed = false;
  #keepAliveTimer?: NodeJS.Timeout;
  #rtcpTimer?: NodeJS.Timeout;
  #ssrc = randomInt(1, 0xffffffff);
  /** Counters; live object. */
  readonly stats: RtspClientStats = {
    rtpPackets: 0, rtcpPackets: 0, bytesIn: 0, malformed: 0, foreignPackets: 0, keepAlives: 0,
    receiverReports: 0, redirects: 0,
  };

  /** True once the connection is closed (by us, the camera, or an error). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The current URL, credentials removed (changes after a redirect). */
  get url(): string {
    return this.#url?.href ?? '';
  }

  /** Tracks from the last DESCRIBE. */
  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  /** How each set-up track travels (channels for TCP, local ports for UDP). */
  get transports(): readonly TrackTransport[] {
    return this.#setup.map((s) => ({
      trackIndex: s.index,
      interleaved: s.udp ? undefined : [s.rtpChannel, s.rtcpChannel],
      clientPorts: s.udp ? [s.udp.rtpPort, s.udp.rtcpPort] : undefined,
      serverRtcpPort: s.serverRtcpPort,
    }));
  }

  /** Opens the TCP connection and sends OPTIONS (following redirects, answering auth challenges). */
  async connect(url: string, opts: RtspClientOptions): Promise<void> {
    if (this.#socket || this.#closed) throw new InvalidStateError('RtspClient.connect called twice');
    this.#opts = opts;
    const parts = splitUrl(url);
    this.#url = parts.url;
    this.#username = opts.username ?? parts.username;
    this.#password = opts.password ?? parts.password;
    await this.#guard(async () => {
      await this.#open();
      const res = await this.#following('OPTIONS', { allowFailure: true });
      if (res.statusCode < 300) {
        for (const m of (res.headers.get('public') ?? '').split(',')) this.#public.add(m.trim().toUpperCase());
      }
    });
  }

  /** DESCRIBE: the camera's tracks, with controls resolved against Content-Base. */
  async describe(): Promise<DescribeResult> {
    return this.#guard(async () => {
      const res = await this.#following('DESCRIBE', { headers: { Accept: 'application/sdp' } });
      const base = res.headers.get('content-base') ?? res.headers.get('content-location') ?? this.#url.href;
      let baseUrl: string;
      try {
        baseUrl = splitUrl(new URL(base, this.#url).href).url.href;
      } catch {
        baseUrl = this.#url.href;
      }
      const text = new TextDecoder().decode(res.body);
      let sdp: SessionDescription;
      try {
        sdp = parseSdp(text);
      } catch (err) {
        throw new ProtocolError(`DESCRIBE ${redactUrl(this.#url.href)}: invalid SDP: ${(err as Error).message}`);
      }
      const { tracks, unsupported } = tracksFromSdp(sdp, baseUrl);
      if (tracks.length === 0) {
        throw new UnsupportedError(`no supported track in SDP${unsupported.length ? `: ${unsupported.join(', ')}` : ''}`);
      }
      this.#tracks = tracks;
      // ffmpeg and gortsplib address the session by Content-Base (or the session-level control URL),
      // not by the request URL; some cameras insist.
      this.#aggregateUrl = resolveControl(baseUrl, attributeValue(sdp.attributes, 'control'));
      return { tracks, unsupported, baseUrl };
    });
  }

  /** SETUP every track from DESCRIBE (track i on interleaved channels 2i/2i+1 or its own UDP pair). */
  async setupAll(): Promise<void> {
    await this.#guard(async () => {
      for (let i = 0; i < this.#tracks.length; i++) await this.#setupTrack(i);
    });
  }

  /** PLAY; starts keep-alive and receiver reports. */
  async play(): Promise<void> {
    await this.#guard(async () => {
      if (!this.#session) throw new InvalidStateError('PLAY before SETUP');
      await this.#request('PLAY', this.#sessionUrl, { Range: 'npt=0.000-' });
      this.#playing = true;
      const keepAliveMs = Math.max(1000, (this.#sessionTimeoutSec * 1000) / 2);
      this.#keepAliveTimer = setInterval(() => this.#keepAlive(), keepAliveMs);
      this.#rtcpTimer = setInterval(() => this.#sendReceiverReports(), this.#opts.rtcpIntervalMs ?? 5000);
      this.#keepAliveTimer.unref();
      this.#rtcpTimer.unref();
    });
  }

  /** Sends TEARDOWN (best effort, short timeout) and closes. */
  async teardown(): Promise<void> {
    if (this.#closed) return;
    if (this.#session && this.#socket && !this.#pending) {
      const timeoutMs = Math.min(this.#opts.timeoutMs, 2000);
      await this.#request('TEARDOWN', this.#sessionUrl, {}, timeoutMs).catch(() => undefined);
    }
    this.close();
  }

  /** Closes the connection and the UDP sockets; emits 'close' once. Idempotent. */
  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#playing = false;
    clearInterval(this.#keepAliveTimer);
    clearInterval(this.#rtcpTimer);
    this.#socket?.destroy();
    this.#socket = undefined;
    for (const s of this.#setup) s.udp?.close();
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(error ?? new InvalidStateError('RTSP client closed'));
    }
    if (error) log.debug(`${redactUrl(this.url)}: closed: ${error.message}`);
    this.emit('close', error);
  }

  get #sessionUrl(): string {
    return this.#aggregateUrl ?? this.#url.href;
  }

  /** Runs a handshake step; any failure closes the connection with that error, then rethrows. */
  async #guard<T>(step: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new InvalidStateError('RTSP client closed');
    try {
      return await step();
    } catch (err) {
      const error = err instanceof Error ? err : new ProtocolError(String(err));
      this.close(error);
      throw error;
    }
  }

  #open(): Promise<void> {
    const host = this.#url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.#url.port) || DEFAULT_PORT;
    this.#parser = new RtspStreamParser();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      this.#socket = socket;
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ProtocolError(`connect to ${host}:${port} timed out after ${this.#opts.timeoutMs} ms`));
      }, this.#opts.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('data', (data: Buffer) => {
        if (socket === this.#socket) this.#onData(data);
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(new ProtocolError(`connection to ${host}:${port} failed: ${err.message}`, { cause: err }));
        if (socket === this.#socket) this.close(new ProtocolError(`connection error: ${err.message}`, { cause: err }));
      });
      socket.on('close', () => {
        clearTimeout(timer);
        reject(new ProtocolError(`connection to ${host}:${port} closed`));
        if (socket === this.#socket) this.close(new ProtocolError('camera closed the connection'));
      });
    });
  }

  /** A request that follows 301/302/303/307 redirects by reconnecting to the Location. */
  async #following(method: string, o: { headers?: Record<string, string>; allowFailure?: boolean }): Promise<RtspResponse> {
    const max = this.#opts.maxRedirects ?? 5;
    for (let hop = 0; ; hop++) {
      const res = await this.#request(method, this.#url.href, o.headers ?? {}, undefined, true);
      const location = res.headers.get('location');
      if (![301, 302, 303, 307].includes(res.statusCode) || !location) {
        if (res.statusCode >= 300 && !(o.allowFailure && res.statusCode !== 401)) throw this.#statusError(method, this.#url.href, res);
        return res;
      }
      if (hop >= max) throw new ProtocolError(`too many redirects (more than ${max})`);
      const next = splitUrl(new URL(location, this.#url).href);
      log.info(`${redactUrl(this.#url.href)}: ${res.statusCode} redirect to ${redactUrl(next.url.href)}`);
      this.stats.redirects++;
      const old = this.#socket;
      this.#socket = undefined;
      old?.destroy();
      this.#url = next.url;
      if (next.username !== undefined && this.#opts.username === undefined) {
        this.#username = next.username;
        this.#password = next.password;
      }
      this.#challenge = undefined;
      this.#session = undefined;
      await this.#open();
    }
  }

  #statusError(method: string, uri: string, res: RtspResponse): ProtocolError {
    const what = `${method} ${redactUrl(uri)}: ${res.statusCode} ${res.reason}`;
    if (res.statusCode === 401) {
      return new ProtocolError(
        this.#username === undefined ? `${what} (camera needs credentials)` : `${what} (wrong username or password)`,
      );
    }
    return new ProtocolError(what);
  }

  /**
   * One request with auth: on 401 it answers the challenge once; a second 401 is final unless the
   * camera says the nonce went stale (RFC 2617 §3.2.1), which refreshes the nonce once more.
   */
  async #request(
    method: string,
    uri: string,
    headers: Record<string, string>,
    timeoutMs = this.#opts.timeoutMs,
    returnFailures = false,
  ): Promise<RtspResponse> {
    let res: RtspResponse | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const sentAuth = this.#challenge !== undefined;
      res = await this.#exchange(method, uri, headers, timeoutMs);
      if (res.statusCode !== 401 || this.#username === undefined) break;
      const challenge = pickChallenge(parseWwwAuthenticate(res.headers.getAll('www-authenticate')));
      if (!challenge) break;
      if (sentAuth && !challenge.stale) break;
      this.#challenge = challenge;
      this.#nonceCount = 0;
    }
    if (!returnFailures && res!.statusCode >= 300) throw this.#statusError(method, uri, res!);
    return res!;
  }

  /** Sends one request and waits for its response; requests are serialised. */
  #exchange(method: string, uri: string, extra: Record<string, string>, timeoutMs: number): Promise<RtspResponse> {
    const run = (): Promise<RtspResponse> => {
      const socket = this.#socket;
      if (this.#closed || !socket) return Promise.reject(new InvalidStateError('RTSP client closed'));
      const cseq = ++this.#cseq;
      const headers = new RtspHeaders();
      headers.set('CSeq', String(cseq));
      headers.set('User-Agent', this.#opts.userAgent ?? 'streamsight');
      if (this.#session) headers.set('Session', this.#session);
      if (this.#challenge && this.#username !== undefined) {
        const creds = { username: this.#username, password: this.#password ?? '', method, uri };
        headers.set('Authorization', authorizationHeader(this.#challenge, creds, ++this.#nonceCount));
      }
      for (const [k, v] of Object.entries(extra)) headers.set(k, v);
      return new Promise<RtspResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.close(new ProtocolError(`${method} ${redactUrl(uri)}: no response within ${timeoutMs} ms`));
        }, timeoutMs);
        this.#pending = { cseq, method, resolve, reject, timer };
        socket.write(serializeRequest({ method, uri, headers, body: new Uint8Array(0) }));
      });
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  #onData(data: Buffer): void {
    this.stats.bytesIn += data.length;
    let chunks: RtspChunk[];
    try {
      chunks = this.#parser.push(data);
    } catch (err) {
      this.close(new ProtocolError(`RTSP parser failed: ${(err as Error).message}`));
      return;
    }
    const receivedAt = performance.now();
    for (const chunk of chunks) {
      if (this.#closed) return;
      switch (chunk.type) {
        case 'interleaved':
          this.#onInterleaved(chunk.channel, chunk.data, receivedAt);
          break;
        case 'response':
          this.#onResponse(chunk.message);
          break;
        case 'request':
          this.#answerServerRequest(chunk.message.method, chunk.message.headers.get('cseq'));
          break;
        case 'error':
          if (this.#playing) this.stats.malformed++;
          else this.close(new ProtocolError(`malformed RTSP response: ${chunk.error.message}`));
          break;
      }
    }
  }

  #onResponse(res: RtspResponse): void {
    const pending = this.#pending;
    if (!pending) {
      if (this.#playing) {
        this.stats.malformed++;
        return;
      }
      this.close(new ProtocolError(`unexpected RTSP response ${res.statusCode} with no request pending`));
      return;
    }
    const cseq = res.headers.get('cseq');
    // Some cameras omit CSeq on error responses; a present but different one is a protocol break.
    if (cseq !== undefined && Number(cseq.trim()) !== pending.cseq) {
      this.close(new ProtocolError(`${pending.method}: response CSeq ${cseq.trim()} does not match request ${pending.cseq}`));
      return;
    }
    this.#pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(res);
  }

  /** Cameras may send OPTIONS/GET_PARAMETER as their own keep-alive probe; anything else is 501. */
  #answerServerRequest(method: string, cseq: string | undefined): void {
    const ok = method === 'OPTIONS' || method === 'GET_PARAMETER';
    const status = ok ? '200 OK' : '501 Not Implemented';
    this.#socket?.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq ?? '0'}\r\n\r\n`);
  }

  async #setupTrack(index: number): Promise<void> {
    const track = this.#tracks[index]!;
    const setup: SetupTrack = {
      index, track, reception: new ReceptionStats(track.clockRate), rtpChannel: 2 * index, rtcpChannel: 2 * index + 1,
    };
    let transport: string;
    if (this.#opts.transport === 'tcp') {
      transport = formatTransport({ protocol: 'tcp', unicast: true, interleaved: [setup.rtpChannel, setup.rtcpChannel] });
    } else {
      const family = net.isIPv6(unmapV4(this.#socket?.remoteAddress)) ? '::' : '0.0.0.0';
      setup.udp = await new UdpPortAllocator(family).allocate();
      transport = formatTransport({ protocol: 'udp', unicast: true, clientPort: [setup.udp.rtpPort, setup.udp.rtcpPort] });
    }
    this.#setup.push(setup);
    const uri = track.control ?? this.#url.href;
    const res = await this.#request('SETUP', uri, { Transport: transport });
    const session = res.headers.get('session');
    if (session) {
      const parsed = parseSession(session);
      this.#session = parsed.id;
      if (parsed.timeoutSec && parsed.timeoutSec > 0) this.#sessionTimeoutSec = parsed.timeoutSec;
    }
    if (!this.#session) throw new ProtocolError(`SETUP ${redactUrl(uri)}: response has no Session header`);
    const spec = parseTransport(res.headers.get('transport') ?? '')[0];
    if (this.#opts.transport === 'tcp') {
      if (spec?.protocol === 'udp') throw new ProtocolError('camera answered a TCP SETUP with a UDP transport');
      // The camera may pick other channels than we asked for; use what it says.
      if (spec?.interleaved) [setup.rtpChannel, setup.rtcpChannel] = spec.interleaved;
      this.#byChannel.set(setup.rtpChannel, { setup, rtcp: false });
      this.#byChannel.set(setup.rtcpChannel, { setup, rtcp: true });
    } else {
      if (spec?.protocol === 'tcp') throw new ProtocolError('camera answered a UDP SETUP with a TCP transport');
      setup.serverRtcpPort = spec?.serverPort?.[1];
      this.#listenUdp(setup);
    }
  }

  #listenUdp(setup: SetupTrack): void {
    const udp = setup.udp!;
    const server = unmapV4(this.#socket?.remoteAddress);
    const onMessage = (rtcp: boolean) => (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      // NAT-less: media must come from the camera we talk RTSP to (guards against injection).
      if (unmapV4(rinfo.address) !== server) {
        this.stats.foreignPackets++;
        return;
      }
      this.stats.bytesIn += msg.length;
      if (rtcp) this.#onRtcp(setup, msg, performance.now());
      else this.#onRtp(setup, msg, performance.now());
    };
    udp.rtp.on('message', onMessage(false));
    udp.rtcp.on('message', onMessage(true));
    udp.rtp.on('error', (err) => log.warn(`UDP RTP socket error: ${err.message}`));
    udp.rtcp.on('error', (err) => log.warn(`UDP RTCP socket error: ${err.message}`));
  }

  #onInterleaved(channel: number, data: Uint8Array, receivedAt: number): void {
    const entry = this.#byChannel.get(channel);
    if (!entry) {
      this.stats.malformed++;
      return;
    }
    if (entry.rtcp) this.#onRtcp(entry.setup, data, receivedAt);
    else this.#onRtp(entry.setup, data, receivedAt);
  }

  #onRtp(setup: SetupTrack, data: Uint8Array, receivedAt: number): void {
    const pkt = parseRtp(data);
    if (!pkt) {
      this.stats.malformed++;
      return;
    }
    this.stats.rtpPackets++;
    setup.mediaSsrc = pkt.ssrc;
    setup.reception.update(pkt, receivedAt);
    this.emit('rtp', setup.index, pkt, receivedAt);
  }

  #onRtcp(setup: SetupTrack, data: Uint8Array, receivedAt: number): void {
    this.stats.rtcpPackets++;
    for (const p of parseRtcp(data)) {
      if (p.type === 'sr') setup.reception.onSenderReport(p, receivedAt);
    }
  }

  #keepAlive(): void {
    if (!this.#playing || this.#pending) return;
    const method = this.#public.has('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    this.stats.keepAlives++;
    // Any answer will do (some cameras say 405 to an empty GET_PARAMETER); silence is fatal via the timeout.
    this.#exchange(method, this.#sessionUrl, {}, this.#opts.timeoutMs).catch(() => undefined);
  }

  /** RFC 3550 §6.4.2: a receiver report per track so cameras that watch RTCP keep the session. */
  #sendReceiverReports(): void {
    if (!this.#playing) return;
    const now = performance.now();
    for (const setup of this.#setup) {
      if (setup.mediaSsrc === undefined) continue;
      // §6.1: a compound packet starts with the report and carries an SDES CNAME.
      const rr = compoundRtcp([
        buildReceiverReport(this.#ssrc, [setup.reception.report(setup.mediaSsrc, now)]),
        buildSdes(this.#ssrc, 'streamsight'),
      ]);
      this.stats.receiverReports++;
      if (setup.udp) {
        if (setup.serverRtcpPort) {
          setup.udp.rtcp.send(rr, setup.serverRtcpPort, unmapV4(this.#socket?.remoteAddress));
        }
      } else {
        this.#socket?.write(serializeInterleaved(setup.rtcpChannel, rr));
      }
    }
  }
}
