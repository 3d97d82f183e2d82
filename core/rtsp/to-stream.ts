/**
 * RTP → Units for an RTSP session's tracks: one depacketizer per track, chosen by codec
 * (H.264 RFC 6184, H.265 RFC 7798, audio pass-through), shared by the pull client and the
 * server's ANNOUNCE/RECORD path. The mapping is pure: no sockets, no timers.
 *
 *   track i ── RtpPacket ──▶ depacketizer[i] ──▶ VideoUnit[] | AudioUnit[]
 */
import type { Track, Unit } from '../../codecs/access-unit.js';
import type { RtpPacket } from '../../codecs/rtp/packet.js';
import { AudioDepacketizer } from '../../codecs/rtp/audio.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { H265Depacketizer } from '../../codecs/h265/depacketizer.js';

/** Counters of one track's depacketizer. */
export interface TrackStats {
  packets: number;
  units: number;
  /** RTP packets missing from the sequence. */
  lost: number;
  /** RTP packets that arrived after a later one and were put back in order. */
  reordered: number;
  /** Packets that did not parse as the codec's payload format. */
  malformed: number;
  /** Units dropped because a packet was lost (video waits for the next keyframe). */
  droppedUnits: number;
}

/** Totals over every track, plus the per-track counters. */
export interface DepacketizerStats extends TrackStats {
  tracks: TrackStats[];
}

/** What every depacketizer offers: push a packet, get units, read counters. */
interface Depacketizer {
  push(packet: RtpPacket, receivedAt: number): Unit[];
  stats(): TrackStats;
}

/** Adapts a codec depacketizer (video or audio: both expose the same counters) to the table. */
function adapt(d: H264Depacketizer | H265Depacketizer | AudioDepacketizer): Depacketizer {
  return {
    push: (p, at) => d.push(p, at),
    stats: () => {
      const s = d.stats;
      const droppedUnits = 'droppedUnits' in s ? s.droppedUnits : 0;
      return { packets: s.packets, units: s.units, lost: s.lostPackets, reordered: s.reordered, malformed: s.malformed, droppedUnits };
    },
  };
}

function createDepacketizer(track: Track): Depacketizer {
  if (track.kind === 'video') {
    if (track.codec === 'H264') return adapt(new H264Depacketizer({ sps: track.sps, pps: track.pps }));
    return adapt(new H265Depacketizer({ vps: track.vps, sps: track.sps, pps: track.pps }));
  }
  // AAC (MPEG4-GENERIC) payloads keep their AU headers: WebRTC cannot play them, an RTSP
  // restream passes them on unchanged.
  return adapt(new AudioDepacketizer(track.codec, track.clockRate));
}

/** Per-track depacketizers for one session's tracks. */
export class TrackDepacketizers {
  readonly #depacketizers: Depacketizer[];

  constructor(readonly tracks: readonly Track[]) {
    this.#depacketizers = tracks.map(createDepacketizer);
  }

  /** Depacketizes one packet of track `trackIndex`; unknown indexes yield nothing. */
  push(trackIndex: number, packet: RtpPacket, receivedAt: number): Unit[] {
    const d = this.#depacketizers[trackIndex];
    return d ? d.push(packet, receivedAt) : [];
  }

  /** Aggregated counters (a fresh snapshot each call). */
  get stats(): DepacketizerStats {
    const tracks = this.#depacketizers.map((d) => d.stats());
    const total: DepacketizerStats = { packets: 0, units: 0, lost: 0, reordered: 0, malformed: 0, droppedUnits: 0, tracks };
    for (const t of tracks) {
      total.packets += t.packets;
      total.units += t.units;
      total.lost += t.lost;
      total.reordered += t.reordered;
      total.malformed += t.malformed;
      total.droppedUnits += t.droppedUnits;
    }
    return total;
  }
}
