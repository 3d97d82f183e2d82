/**
 * The relay's send path beside werift's: RTP headers written by the viewer, SRTP protection from
 * `srtp.ts`, and one scatter/gather `dgram.send` straight to the nominated ICE pair's socket.
 *
 * werift's RTCRtpSender.sendRtp costs ~46 µs of CPU per packet per viewer here (bench/send-path.ts):
 * it re-parses and re-serializes the header, rebuilds header extensions, keeps the packet object
 * for NACK, concatenates the SRTP packet, and awaits two promises down to the socket. This path
 * costs ~9 µs, most of it the AES-GCM cipher. werift still owns everything else on the
 * connection: ICE (checks, consent), DTLS, SRTCP, RTCP sender reports (fed from here) and
 * incoming feedback (PLI, FIR and NACK, which `sender.ts` answers from its own history).
 *
 * What it reads from werift 0.24 (checked at each send, so a DTLS re-key or a new nominated pair
 * is picked up): RTCDtlsTransport.state and .srtp.localContext (session keys, profile), and
 * Connection.nominated (protocol.transport.socket, remoteAddr) and canSendApplicationData()
 * (RFC 7675 consent). A TURN-relayed pair goes through werift's Connection.send instead, which
 * wraps the packet for the relay.
 */
import type { Socket } from 'node:dgram';
import type { RTCRtpSender } from 'werift';
import { srtpProtector, type SrtpProfile, type SrtpProtector } from './srtp.js';

/** Where a viewer's RTP packets go once their headers are written. */
export interface RtpOut {
  /**
   * Protects and sends one RTP packet (`header` from writeRtpHeader, not modified later);
   * returns the bytes put on the wire, 0 when it was dropped (not connected, no consent).
   */
  sendRtp(header: Buffer, payload: Buffer, ssrc: number, seq: number, roc: number): number;
  /** The SRTP profile in use once connected (for stats). */
  readonly profile?: SrtpProfile;
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

/** One peer connection's SRTP send path, shared by its audio and video senders (BUNDLE). */
class FastSrtpOut implements RtpOut {
  readonly #dtls: WeriftDtls;
  #context?: WeriftSrtpContext;
  #protector?: SrtpProtector;
  #pair?: WeriftPair;
  #socket?: Socket;
  #host = '';
  #port = 0;

  constructor(dtls: WeriftDtls) {
    this.#dtls = dtls;
  }

  get profile(): SrtpProfile | undefined {
    return this.#protector?.profile;
  }

  sendRtp(header: Buffer, payload: Buffer, ssrc: number, seq: number, roc: number): number {
    const dtls = this.#dtls;
    if (dtls.state !== 'connected') return 0;
    const context = dtls.srtp?.localContext;
    if (!context) return 0;
    if (context !== this.#context) {
      this.#context = context;
      this.#protector = srtpProtector({
        profile: context.profile === WERIFT_GCM ? 'AEAD_AES_128_GCM' : 'AES_CM_128_HMAC_SHA1_80',
        key: context.srtpSessionKey,
        salt: context.srtpSessionSalt,
        authKey: context.srtpSessionAuthTag,
      });
    }
    const connection = dtls.iceTransport.connection;
    if (!connection.canSendApplicationData()) return 0;
    const pair = connection.nominated!;
    if (pair !== this.#pair) this.#bind(pair);
    const parts = this.#protector!.protect(header, payload, ssrc, seq, roc);
    const size = header.byteLength + payload.byteLength + this.#protector!.tagLength;
    const socket = this.#socket;
    if (socket) {
      socket.send(parts, this.#port, this.#host);
    } else {
      connection.send(Buffer.concat(parts, size)).catch(() => undefined);
    }
    pair.packetsSent++;
    pair.bytesSent += size;
    dtls.packetsSent++;
    dtls.bytesSent += size;
    return size;
  }

  /** Sends on the pair's UDP socket directly when it is a plain (host or server-reflexive) UDP pair. */
  #bind(pair: WeriftPair): void {
    this.#pair = pair;
    const transport = pair.protocol.transport;
    const direct = pair.protocol.type === 'stun' && transport?.type === 'udp' && transport.socket !== undefined;
    this.#socket = direct ? transport!.socket : undefined;
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
