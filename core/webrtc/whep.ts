/**
 * WHEP egress (RFC 9725): each POSTed offer becomes a WhepSession — a werift peer connection whose
 * ViewerSender reads the camera's Stream once the connection is up. Sessions end on DELETE, on
 * ICE/DTLS failure, when the connection does not come up within `connectTimeoutMs`, when it stays
 * disconnected for `disconnectedTimeoutMs`, or when the stream closes.
 *
 * Ownership: WhepService → WhepSession → (RTCPeerConnection, ViewerSender → Reader).
 */
import { randomUUID } from 'node:crypto';
import type { RTCIceServer, RTCPeerConnection } from 'werift';
import { WEBRTC_AUDIO_CODECS, type Track, type VideoTrack } from '../../codecs/access-unit.js';
import { profileLevelId } from '../../codecs/h264/sps.js';
import { Emitter } from '../emitter.js';
import { InvalidStateError, UnsupportedError } from '../errors.js';
import { createLogger } from '../log.js';
import { sendCloseNotify } from './dtls-close.js';
import { nativeSrtp, nativeSrtpStatus } from './native.js';
import type { Stream } from '../stream/index.js';
import { answerOffer, type CameraMedia } from './peer.js';
import { ViewerSender, type ViewerSenderStats } from './sender.js';

const log = createLogger('webrtc');

/** An offer not answered within this long is refused (ICE gathering found no port, say). */
const ANSWER_TIMEOUT_MS = 10_000;

/** `answer`, or InvalidStateError after `ms`; a peer that is answered later is closed. */
function answerWithin<T extends { pc: { close(): Promise<void> } }>(answer: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      answer.then((late) => late.pc.close(), () => undefined).catch(() => undefined);
      reject(new InvalidStateError(`the offer was not answered within ${ms} ms (ICE gathering: no free port in webrtc.udpPortRange?)`));
    }, ms);
  });
  return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
}

/** WHEP service options (the `webrtc:` config section plus timeouts). */
export interface WhepOptions {
  /** UDP port range for ICE, inclusive. */
  portRange?: readonly [number, number];
  /** The only addresses offered as host candidates (and bound), e.g. ['192.168.1.10']. */
  hostAddresses: readonly string[];
  /** STUN/TURN servers; when empty nothing is sent to any server. */
  iceServers: readonly RTCIceServer[];
  /** A session that is not connected this long after the answer is closed (default 30 s). */
  connectTimeoutMs?: number;
  /** A session disconnected this long is closed (default 10 s). */
  disconnectedTimeoutMs?: number;
  /** How long an offer waits for a camera that has no tracks yet (default 5 s). */
  waitForTracksMs?: number;
  /** Minimum interval between GOP replays answering PLI/FIR (default 500 ms). */
  pliMinIntervalMs?: number;
}

/** Where the service finds a camera's stream. */
export interface StreamLookup {
  get(id: string): Stream | undefined;
}

/** One session's counters (GET /api or metrics). */
export interface WhepSessionStats extends ViewerSenderStats {
  id: string;
  cameraId: string;
  state: string;
  createdAt: number;
  connectedAt?: number;
}

/** A session as GET /whep/:camera/:session shows it. */
export interface WhepSessionInfo {
  id: string;
  camera: string;
  state: WhepSession['state'];
  /** Added to a unit's pts (90 kHz) to make this viewer's RTP timestamp, mod 2^32; null before the first live unit. */
  videoRtpOffset: number | null;
}

/** One viewer: its peer connection and its reader of the camera's stream. */
export class WhepSession {
  readonly id: string;
  readonly cameraId: string;
  readonly createdAt = Date.now();
  connectedAt?: number;
  state: 'connecting' | 'connected' | 'disconnected' | 'closed' = 'connecting';
  readonly #pc: RTCPeerConnection;
  readonly #sender: ViewerSender;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #onClose: (s: WhepSession) => void;
  #disconnectTimer?: NodeJS.Timeout;

  /** Created by WhepService.createSession. */
  constructor(
    id: string,
    cameraId: string,
    pc: RTCPeerConnection,
    sender: ViewerSender,
    opts: { connectTimeoutMs: number; disconnectedTimeoutMs: number },
    onClose: (s: WhepSession) => void,
  ) {
    this.id = id;
    this.cameraId = cameraId;
    this.#pc = pc;
    this.#sender = sender;
    this.#onClose = onClose;
    this.#timer(opts.connectTimeoutMs, () => {
      if (this.state === 'connecting') this.close(`not connected within ${opts.connectTimeoutMs} ms`);
    });
    pc.connectionStateChange.subscribe((s) => {
      if (this.state === 'closed') return;
      if (s === 'connected') {
        if (this.#disconnectTimer) this.#clear(this.#disconnectTimer);
        this.#disconnectTimer = undefined;
        this.connectedAt ??= Date.now();
        this.state = 'connected';
        try {
          sender.start();
        } catch (err) {
          this.close(`cannot read the stream: ${err instanceof Error ? err.message : String(err)}`);
        }
      } else if (s === 'failed' || s === 'closed') {
        this.close(`connection ${s}`);
      } else if (s === 'disconnected' && this.state === 'connected') {
        this.state = 'disconnected';
        this.#disconnectTimer = this.#timer(opts.disconnectedTimeoutMs, () => this.close('disconnected too long'));
      }
    });
  }

  /** The peer connection (for tests and diagnostics). */
  get pc(): RTCPeerConnection {
    return this.#pc;
  }

  /** The viewer's sender (for tests and diagnostics). */
  get sender(): ViewerSender {
    return this.#sender;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** A snapshot of the session's counters. */
  get stats(): WhepSessionStats {
    return {
      ...this.#sender.stats,
      id: this.id,
      cameraId: this.cameraId,
      state: this.state,
      createdAt: this.createdAt,
      connectedAt: this.connectedAt,
    };
  }

  /** Stops sending and closes the peer connection; idempotent. */
  close(reason = 'closed'): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#sender.close();
    // werift's close() sends no close_notify: without it the viewer learns only when ICE consent fails.
    // close() closes the socket at once, dropping a send whose address lookup is still on nextTick.
    sendCloseNotify(this.#pc);
    const pc = this.#pc;
    setImmediate(() => pc.close().catch((err: unknown) => log.debug(`pc.close failed: ${String(err)}`)));
    log.info(`viewer ${this.id} of ${this.cameraId} closed: ${reason}`);
    this.#onClose(this);
  }

  #timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.#timers.add(t);
    return t;
  }

  #clear(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.#timers.delete(t);
  }
}

/** The WHEP endpoint's logic: offers in, answers out, sessions owned until deleted. */
export class WhepService extends Emitter<{ session: [WhepSession]; sessionClosed: [WhepSession] }> {
  readonly #opts: WhepOptions;
  readonly #streams: StreamLookup;
  readonly #sessions = new Map<string, WhepSession>();
  /** Offers being answered (each already holds an ICE port). */
  #negotiating = 0;
  #closed = false;

  constructor(opts: WhepOptions, streams: StreamLookup) {
    super();
    this.#opts = opts;
    this.#streams = streams;
    // Which send path the viewers get (fast-send.ts): the native one unless it is not built.
    if (nativeSrtp) log.info(`send path: ${nativeSrtpStatus} (AES-128-GCM SRTP, one sendmmsg per unit)`);
    else log.warn(`send path: ${nativeSrtpStatus}`);
  }

  /** Live sessions by id. */
  get sessions(): ReadonlyMap<string, WhepSession> {
    return this.#sessions;
  }

  /** Number of sessions watching a camera. */
  viewersOf(cameraId: string): number {
    let n = 0;
    for (const s of this.#sessions.values()) if (s.cameraId === cameraId) n++;
    return n;
  }

  /**
   * Answers a WHEP offer for a camera. Throws ProtocolError (unusable SDP), UnsupportedError (no
   * H.264 in the offer, or a camera codec a browser cannot play), InvalidStateError (unknown camera,
   * service closed — the HTTP route checks the camera first and answers 404).
   */
  async createSession(cameraId: string, offerSdp: string): Promise<{ id: string; answerSdp: string; etag?: string }> {
    if (this.#closed) throw new InvalidStateError('WHEP service is closed');
    const stream = this.#streams.get(cameraId);
    if (!stream || stream.closed) throw new InvalidStateError(`unknown camera ${cameraId}`);
    // werift binds one UDP port per peer connection: a full range would leave gathering waiting forever.
    const range = this.#opts.portRange;
    const ports = range ? range[1] - range[0] + 1 : Infinity;
    if (this.#sessions.size + this.#negotiating >= ports) {
      throw new InvalidStateError(`no free WebRTC port: webrtc.udpPortRange [${range!.join(', ')}] allows ${ports} viewers at once (one port each)`);
    }
    const tracks = await this.#tracksOf(stream);
    const media = cameraMedia(stream, tracks);
    this.#negotiating++;
    let peer: Awaited<ReturnType<typeof answerOffer>>;
    try {
      peer = await answerWithin(answerOffer(offerSdp, media, {
        hostAddresses: this.#opts.hostAddresses,
        portRange: this.#opts.portRange,
        iceServers: this.#opts.iceServers,
      }), ANSWER_TIMEOUT_MS);
    } finally {
      this.#negotiating--;
    }
    const id = randomUUID();
    const sender = new ViewerSender({
      name: `webrtc:${id.slice(0, 8)}`,
      stream,
      video: { sender: peer.video.sender, payloadType: peer.video.payloadType },
      audio: peer.audio,
      pliMinIntervalMs: this.#opts.pliMinIntervalMs,
    });
    if (this.#closed || stream.closed) {
      await peer.pc.close();
      throw new InvalidStateError(this.#closed ? 'WHEP service is closed' : `camera ${cameraId} closed`);
    }
    let offStreamClose = (): void => undefined;
    const session = new WhepSession(
      id,
      cameraId,
      peer.pc,
      sender,
      { connectTimeoutMs: this.#opts.connectTimeoutMs ?? 30_000, disconnectedTimeoutMs: this.#opts.disconnectedTimeoutMs ?? 10_000 },
      (s) => {
        offStreamClose();
        this.#sessions.delete(s.id);
        this.emit('sessionClosed', s);
      },
    );
    offStreamClose = stream.once('close', () => session.close('camera stream closed'));
    this.#sessions.set(id, session);
    this.emit('session', session);
    log.info(`viewer ${id} of ${cameraId}: H.264 pt ${peer.video.payloadType} (${peer.video.h264.fmtp})${peer.audio ? `, ${peer.audio.codec}` : ''}`);
    return { id, answerSdp: peer.answerSdp };
  }

  /** What a player needs to match its frames to the /ws detections; undefined when the id is unknown. */
  sessionInfo(id: string): WhepSessionInfo | undefined {
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    return { id, camera: s.cameraId, state: s.state, videoRtpOffset: s.sender.videoRtpOffset ?? null };
  }

  /** Ends a session (WHEP DELETE); false when the id is unknown. */
  deleteSession(id: string): boolean {
    const s = this.#sessions.get(id);
    if (!s) return false;
    s.close('deleted by the client');
    return true;
  }

  /** Trickle ICE / ICE restart (WHEP PATCH) is not supported: answers are complete (HTTP 405). */
  patchSession(_id: string, _sdpFragment: string): never {
    throw new UnsupportedError('trickle ICE is not supported; the answer already carries every candidate');
  }

  /** Closes every session; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#sessions.values()]) s.close('server shutting down');
  }

  /** The stream's tracks, waiting a little for a camera that is still connecting. */
  async #tracksOf(stream: Stream): Promise<readonly Track[]> {
    if (stream.tracks.length > 0) return stream.tracks;
    const waitMs = this.#opts.waitForTracksMs ?? 5000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(stream.tracks);
      }, waitMs);
      const off = stream.once('tracks', (tracks) => {
        clearTimeout(timer);
        resolve(tracks);
      });
    });
  }
}

/** What the answer needs to know about the camera; UnsupportedError for H.265. */
export function cameraMedia(stream: Stream, tracks: readonly Track[]): CameraMedia {
  const video = tracks.find((t): t is VideoTrack => t.kind === 'video');
  if (video && video.codec !== 'H264') {
    throw new UnsupportedError(`camera ${stream.id} sends ${video.codec}; browsers play H.264 only over WebRTC here`);
  }
  const audio = tracks.find((t) => t.kind === 'audio' && WEBRTC_AUDIO_CODECS.has(t.codec.toUpperCase()));
  return {
    videoProfileLevelId: videoProfile(stream, video),
    audio: audio ? { codec: audio.codec.toUpperCase(), clockRate: audio.clockRate } : undefined,
  };
}

/** profile-level-id from the track's SPS, its fmtp, or an SPS seen in-band; constrained baseline otherwise. */
function videoProfile(stream: Stream, video: VideoTrack | undefined): string {
  if (video?.sps && video.sps.byteLength >= 4) return profileLevelId(video.sps);
  const fromFmtp = video?.fmtp['profile-level-id'];
  if (fromFmtp && /^[0-9a-f]{6}$/i.test(fromFmtp)) return fromFmtp.toLowerCase();
  const key = stream.gopUnits()[0];
  const sps = key?.kind === 'video' ? key.nalus.find((n) => (n[0]! & 0x1f) === 7) : undefined;
  if (sps && sps.byteLength >= 4) return profileLevelId(sps);
  return '42e01f';
}
