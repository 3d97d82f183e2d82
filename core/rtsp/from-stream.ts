/**
 * Units → RTP for one restream session (RFC 3550 §5.1, RFC 6184, RFC 7798): each track gets its
 * own SSRC, a random starting sequence number and a random RTP time base, so sessions of the
 * same stream share nothing and a reader can never see another reader's numbering.
 *
 * Timestamps are the unit's pts plus a per-track offset fixed by the first unit sent, so the
 * first packet carries exactly the `rtptime` announced in RTP-Info (RFC 2326 §12.33).
 * Video is packetized with the codec packetizers; audio payloads pass through unchanged.
 */
import { randomInt } from 'node:crypto';
import type { Track, Unit } from '../../codecs/access-unit.js';
import { H264Packetizer } from '../../codecs/h264/packetizer.js';
import { H265Packetizer } from '../../codecs/h265/packetizer.js';
import { serializeRtp, type RtpPacket } from '../../codecs/rtp/packet.js';
import { buildSdes, buildSenderReport, compoundRtcp, ntpFromUnixMs } from '../../codecs/rtp/rtcp.js';

/** RTP payload size for RTSP: below a 1500-byte MTU with IP/UDP/RTP headers, and fine over TCP. */
export const RTSP_MAX_PAYLOAD = 1400;

function random32(): number {
  return randomInt(0, 0x1_0000_0000 - 1) >>> 0;
}

/** Per-track RTP sender state of one session. */
export class TrackSender {
  /** SSRC of this track in this session. */
  readonly ssrc = random32();
  /** Sequence number of the first packet (RTP-Info seq). */
  readonly firstSeq = randomInt(0, 0x10000);
  /** RTP timestamp of the first unit (RTP-Info rtptime). */
  readonly firstRtpTime = random32();
  /** Packets and payload octets sent, for the sender report. */
  packets = 0;
  octets = 0;
  #seq: number;
  #offset: number | undefined;
  #lastRtp = 0;
  #lastAt = 0;
  #rebase = false;
  readonly #packetize: (nalus: readonly Uint8Array[]) => Uint8Array[];

  constructor(
    readonly track: Track,
    maxPayload: number,
    /** RTCP CNAME, shared by the session's tracks so a receiver can synchronise them. */
    readonly cname = 'streamsight',
  ) {
    this.#seq = this.firstSeq;
    if (track.kind === 'video') {
      const p = track.codec === 'H265' ? new H265Packetizer(maxPayload) : new H264Packetizer(maxPayload);
      this.#packetize = (nalus) => p.packetize(nalus);
    } else {
      this.#packetize = () => [];
    }
  }

  /** True once a unit was sent (a sender report needs a time reference). */
  get started(): boolean {
    return this.#offset !== undefined;
  }

  /** Serialized RTP packets carrying `unit`, the last one with the marker bit where the codec wants it. */
  packetize(unit: Unit): Uint8Array[] {
    if (this.#offset === undefined) this.#offset = this.firstRtpTime - Math.round(unit.pts);
    else if (this.#rebase) {
      this.#offset = ((this.#lastRtp + Math.round(this.track.clockRate / 10)) >>> 0) - Math.round(unit.pts);
      this.#rebase = false;
    }
    const timestamp = (Math.round(unit.pts) + this.#offset) >>> 0;
    this.#lastRtp = timestamp;
    this.#lastAt = unit.receivedAt;
    const payloads = unit.kind === 'video' ? this.#packetize(unit.nalus) : [unit.payload];
    const out = new Array<Uint8Array>(payloads.length);
    // RFC 6184 §5.1 / RFC 7798 §4.1: marker on the last packet of an access unit.
    // Audio: RFC 3640 §3.2.1 sets it per AU for AAC; G.711/Opus leave it clear outside talkspurt starts.
    const audioMarker = unit.kind === 'audio' && unit.codec === 'AAC';
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i]!;
      const packet: RtpPacket = {
        marker: unit.kind === 'video' ? i === payloads.length - 1 : audioMarker,
        payloadType: this.track.payloadType,
        sequenceNumber: this.#seq,
        timestamp,
        ssrc: this.ssrc,
        csrcs: [],
        padding: false,
        payload,
      };
      this.#seq = (this.#seq + 1) & 0xffff;
      this.packets++;
      this.octets += payload.byteLength;
      out[i] = serializeRtp(packet);
    }
    return out;
  }

  /** Sequence number and RTP time the next packet will carry (RTP-Info on PLAY, also after PAUSE). */
  next(): { seq: number; rtptime: number } {
    if (this.#offset === undefined) return { seq: this.#seq, rtptime: this.firstRtpTime };
    this.#rebase = true; // pin the next unit to the time announced here
    return { seq: this.#seq, rtptime: (this.#lastRtp + Math.round(this.track.clockRate / 10)) >>> 0 };
  }

  /**
   * The source restarted with a new clock: the next unit continues this session's RTP time
   * 100 ms after the last one instead of jumping (a receiver would treat a jump as a gap).
   */
  rebase(): void {
    if (this.#offset !== undefined) this.#rebase = true;
  }

  /**
   * An RTCP sender report (RFC 3550 §6.4.1) mapping now (wall clock) to this track's RTP time,
   * extrapolated from the last unit sent; undefined before the first unit.
   */
  senderReport(perfNow: number, wallNowMs: number): Uint8Array | undefined {
    if (this.#offset === undefined) return undefined;
    const elapsedTicks = Math.max(0, ((perfNow - this.#lastAt) * this.track.clockRate) / 1000);
    const rtpTime = (this.#lastRtp + Math.round(elapsedTicks)) >>> 0;
    const sr = buildSenderReport({
      ssrc: this.ssrc,
      ...ntpFromUnixMs(wallNowMs),
      rtpTimestamp: rtpTime,
      packetCount: this.packets >>> 0,
      octetCount: this.octets >>> 0,
    });
    // RFC 3550 §6.1: every compound RTCP packet carries an SDES CNAME.
    return compoundRtcp([sr, buildSdes(this.ssrc, this.cname)]);
  }
}

/**
 * The RTP side of one restream session: maps each unit of the stream to the track it belongs to
 * and packetizes it with that track's sender.
 */
export class SessionPacketizer {
  /** One sender per stream track, in the stream's track order. */
  readonly senders: readonly TrackSender[];

  constructor(
    readonly tracks: readonly Track[],
    maxPayload = RTSP_MAX_PAYLOAD,
  ) {
    const cname = `streamsight-${randomInt(0, 0x7fffffff).toString(16)}`;
    this.senders = tracks.map((t) => new TrackSender(t, maxPayload, cname));
  }

  /** Index of the track a unit belongs to (first of its kind and codec), or -1. */
  trackIndexFor(unit: Unit): number {
    const tracks = this.tracks;
    for (let i = 0; i < tracks.length; i++) {
      const t = tracks[i]!;
      if (t.kind === unit.kind && t.codec === unit.codec) return i;
    }
    return -1;
  }
}
