/**
 * The relay's send path beside werift's: SRTP protection and socket writes straight to the
 * nominated ICE pair's UDP socket, one access unit's packets at a time.
 *
 * werift's RTCRtpSender.sendRtp costs ~46 µs of CPU per packet per viewer here (bench/send-path.ts):
 * it re-parses and re-serializes the header, rebuilds header extensions, keeps the packet object
 * for NACK, concatenates the SRTP packet, and awaits two promises down to the socket. Two paths
 * replace it:
 *   - native (`native/fastpath.c`, AEAD_AES_128_GCM): header and SRTP packet written into this
 *     connection's reused slab, and the unit handed to the kernel in one sendmmsg on the socket's
 *     fd at `flush()`; nothing is allocated per packet;
 *   - JavaScript (`srtp.ts`, either profile): node:crypto per packet and one scatter/gather
 *     `dgram.send`, used for AES_CM_128_HMAC_SHA1_80, for TURN-relayed pairs' fallback, and when
 *     the addon is not built.
 * werift still owns everything else on the connection: ICE (checks, consent), DTLS, SRTCP, RTCP
 * sender reports (fed from here) and incoming feedback (PLI, FIR and NACK, which `sender.ts`
 * answers from its own history).
 *
 * What it reads from werift 0.24 (checked at each send, so a DTLS re-key or a new nominated pair
 * is picked up): RTCDtlsTransport.state and .srtp.localContext (session keys, profile), and
 * Connection.nominated (protocol.transport.socket, remoteAddr) and canSendApplicationData()
 * (RFC 7675 consent). A TURN-relayed pair goes through werift's Connection.send, which wraps the
 * packet for the relay.
 */
import type { Socket } from 'node:dgram';
import type { RTCRtpSender } from 'werift';
import { nativeSrtp, socketHandle, type NativeGcm } from './native.js';
import { srtpProtector, writeRtpHeader, type SrtpProtector } from './srtp.js';

/** Where a viewer's RTP packets go. */
export interface RtpOut {
  /**
   * Writes, protects and queues (or sends) one RTP packet with a fixed 12-byte header;
   * `ptMarker` is the payload type, | 0x80 for the marker bit. Returns the bytes it will put on
   * the wire, 0 when the packet was dropped (not connected yet, no ICE consent).
   */
  sendRtp(payload: Buffer, ptMarker: number, seq: number, timestamp: number, ssrc: number, roc: number): number;
  /**
   * Sends what sendRtp queued (the end of a unit, a pacer tick, a retransmission); returns how
   * many of those packets the kernel did not take (a full socket buffer, an error).
   */
  flush(): number;
}

/** The slice of werift's internals this path reads (werift 0.24.x). */
interface WeriftSrtpContext {
  profile: number;
  srtpSessionKey: Buffer;
  srtpSessionSalt: Buffer;
  srtpSessionAuthTag: Buffer;
}
interface WeriftPair {
  remoteAddr: readonly [string, number];
  protocol: { type: string; transport?: { type?: string; socket?: Socket; closed?: boolean } };
  packetsSent: number;
  bytesSent: number;
}
interface WeriftConnection {
  nominated?: WeriftPair;
  canSendApplicationData(): boolean;
  send(data: Buffer): Promise<void>;
}
interface WeriftDtls {
  state: string;
  srtp?: { localContext: WeriftSrtpContext };
  iceTransport: { connection: WeriftConnection };
  bytesSent: number;
  packetsSent: number;
}

/** werift's ProtectionProfileAeadAes128Gcm (RFC 7714 §14.2). */
const WERIFT_GCM = 0x0007;
/** Packets per sendmmsg (the addon's MAX_BATCH) and the slab they are written into. */
const BATCH_PACKETS = 64;
const SLAB_BYTES = 96 * 1024;
/** Largest SRTP packet: 12-byte header, 1200-byte payload, 16-byte tag, with room to spare. */
const MAX_PACKET = 1500;

/** One peer connection's SRTP send path, shared by its audio and video senders (BUNDLE). */
class FastSrtpOut implements RtpOut {
  readonly #dtls: WeriftDtls;
  #context?: WeriftSrtpContext;
  #protector?: SrtpProtector;
  #gcm?: NativeGcm;
  #pair?: WeriftPair;
  #socket?: Socket;
  #fd?: number;
  #host = '';
  #port = 0;
  #slab?: Buffer;
  readonly #lengths = new Uint32Array(BATCH_PACKETS);
  #count = 0;
  #used = 0;

  constructor(dtls: WeriftDtls) {
    this.#dtls = dtls;
  }

  sendRtp(payload: Buffer, ptMarker: number, seq: number, timestamp: number, ssrc: number, roc: number): number {
    const dtls = this.#dtls;
    if (dtls.state !== 'connected') return 0;
    const context = dtls.srtp?.localContext;
    if (!context) return 0;
    if (context !== this.#context) this.#rekey(context);
    const connection = dtls.iceTransport.connection;
    if (!connection.canSendApplicationData()) return 0;
    const pair = connection.nominated!;
    if (pair !== this.#pair) this.#bind(pair);
    const gcm = this.#gcm;
    if (gcm && this.#fd !== undefined) {
      if (this.#count === BATCH_PACKETS || this.#used + MAX_PACKET > SLAB_BYTES) this.flush();
      const length = nativeSrtp!.protectRtp(gcm, this.#slab!, this.#used, payload, ptMarker, seq, timestamp, ssrc, roc);
      this.#lengths[this.#count++] = length;
      this.#used += length;
      return length;
    }
    const header = writeRtpHeader(Buffer.allocUnsafe(12), ptMarker & 0x7f, ptMarker > 0x7f, seq, timestamp, ssrc);
    const parts = this.#protector!.protect(header, payload, ssrc, seq, roc);
    const size = 12 + payload.byteLength + this.#protector!.tagLength;
    if (this.#socket) this.#socket.send(parts, this.#port, this.#host);
    else connection.send(Buffer.concat(parts, size)).catch(() => undefined);
    this.#tally(pair, 1, size);
    return size;
  }

  flush(): number {
    const count = this.#count;
    if (count === 0) return 0;
    const bytes = this.#used;
    this.#count = 0;
    this.#used = 0;
    // sendBatch gives the packets sent, or -errno when none went.
    const sent = Math.max(0, nativeSrtp!.sendBatch(this.#fd!, this.#host, this.#port, this.#slab!, this.#lengths, count));
    this.#tally(this.#pair!, sent, bytes);
    return count - sent;
  }

  #tally(pair: WeriftPair, packets: number, bytes: number): void {
    pair.packetsSent += packets;
    pair.bytesSent += bytes;
    this.#dtls.packetsSent += packets;
    this.#dtls.bytesSent += bytes;
  }

  /** New DTLS-SRTP keys: native AES-GCM when the addon is there, node:crypto otherwise. */
  #rekey(context: WeriftSrtpContext): void {
    this.flush();
    this.#context = context;
    const gcm = context.profile === WERIFT_GCM;
    this.#gcm = gcm && nativeSrtp ? nativeSrtp.createGcm(context.srtpSessionKey, context.srtpSessionSalt.subarray(0, 12)) : undefined;
    this.#slab ??= this.#gcm ? Buffer.alloc(SLAB_BYTES) : undefined;
    this.#protector = srtpProtector({
      profile: gcm ? 'AEAD_AES_128_GCM' : 'AES_CM_128_HMAC_SHA1_80',
      key: context.srtpSessionKey,
      salt: context.srtpSessionSalt,
      authKey: context.srtpSessionAuthTag,
    });
  }

  /** Sends on the pair's UDP socket directly when it is a plain (host or server-reflexive) UDP pair. */
  #bind(pair: WeriftPair): void {
    this.flush();
    this.#pair = pair;
    const transport = pair.protocol.transport;
    const direct = pair.protocol.type === 'stun' && transport?.type === 'udp' && transport.socket !== undefined;
    this.#socket = direct ? transport!.socket : undefined;
    this.#fd = this.#socket ? socketHandle(this.#socket)?.fd : undefined;
    [this.#host, this.#port] = pair.remoteAddr;
  }
}

const outs = new WeakMap<object, FastSrtpOut>();

/** The fast send path of `sender`'s peer connection (one per DTLS transport). */
export function fastRtpOut(sender: RTCRtpSender): RtpOut {
  const dtls = sender.dtlsTransport as unknown as WeriftDtls;
  let out = outs.get(dtls);
  if (!out) outs.set(dtls, (out = new FastSrtpOut(dtls)));
  return out;
}

/** Offset between the Unix and NTP epochs (1900-01-01), in seconds (RFC 5905 §6). */
const NTP_EPOCH_OFFSET = 2_208_988_800;

/** The NTP timestamp of now, 32.32 fixed point (RFC 3550 §4), for RTCP sender reports. */
export function ntpNow(): bigint {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_EPOCH_OFFSET) << 32n) | BigInt(fraction);
}

/** The fields werift's sender-report loop reads (RTCRtpSender.runRtcp, werift 0.24). */
interface WeriftSenderReportState {
  ntpTimestamp: bigint;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  runRtcp(): Promise<void>;
}

/**
 * Feeds werift's RTCP sender reports (RFC 3550 §6.4.1) with what this path sent, since werift
 * only counts packets that pass through its own sendRtp; call once per sent unit.
 */
export function noteSent(sender: RTCRtpSender, rtpTimestamp: number, packets: number, payloadBytes: number): void {
  const s = sender as unknown as WeriftSenderReportState;
  if (typeof s.runRtcp !== 'function') return;
  s.ntpTimestamp = ntpNow();
  s.rtpTimestamp = rtpTimestamp >>> 0;
  s.packetCount = (s.packetCount + packets) >>> 0;
  s.octetCount = (s.octetCount + payloadBytes) >>> 0;
  s.runRtcp().catch(() => undefined);
}
