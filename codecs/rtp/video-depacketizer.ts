/**
 * Access-unit assembly shared by the H.264 (RFC 6184) and H.265 (RFC 7798) depacketizers.
 *
 *   RTP packets ──ReorderBuffer──> in-order packets ──codec payload parser──> NAL units
 *   NAL units ──(marker on a VCL packet | timestamp change)──> VideoUnit
 *
 *   seq:     10    11    12 (lost)  13    14 ...  40 (IDR, first slice)
 *   unit:   [ A ........ broken ......  ]  dropped ... until a complete keyframe
 *
 * RFC 6184 §5.1 / RFC 7798 §4.1: the marker bit is set on the last packet of an access unit,
 * and all packets of one access unit share its timestamp. Some cameras also set the marker on
 * SPS/PPS/SEI packets, so a marker only ends a unit when its packet carried slice data.
 */
import type { VideoCodec, VideoUnit } from '../access-unit.js';
import type { RtpPacket } from './packet.js';
import { ReorderBuffer } from './reorder.js';
import { TimestampUnwrapper } from './timestamp.js';

/** How the assembler treats one NAL unit. */
export const NalClass = {
  /** Not forwarded (access unit delimiter, filler data). */
  DROP: 0,
  /** Non-VCL data kept in the unit (SEI, end of sequence...). */
  OTHER: 1,
  /** A coded slice of a non-key picture. */
  VCL: 2,
  /** A coded slice of a keyframe (H.264 IDR, H.265 IRAP). */
  KEY: 3,
  /** A parameter set (remembered, injected before keyframes). */
  PARAM: 4,
} as const;

/** Counters of a video depacketizer. */
export interface VideoDepacketizerStats {
  /** RTP packets pushed. */
  packets: number;
  /** Units emitted. */
  units: number;
  /** Packets declared lost by the reorder buffer. */
  lostPackets: number;
  /** Units not emitted: incomplete, or waiting for a keyframe after loss or at start. */
  droppedUnits: number;
  /** Packets dropped as duplicates, or as arriving after their gap was declared lost. */
  duplicates: number;
  /** Packets put back in sequence order. */
  reordered: number;
  /** Payloads that break the payload format. */
  malformed: number;
  /** Valid payloads in a mode streamsight does not implement (STAP-B/MTAP/FU-B, H.265 DONL/PACI). */
  unsupported: number;
}

/** Base class: reorder, loss handling, unit boundaries, keyframe gating, parameter-set injection. */
export abstract class VideoDepacketizer {
  protected readonly paramSets: (Uint8Array | undefined)[];
  private readonly reorder: ReorderBuffer;
  private readonly unwrapper = new TimestampUnwrapper();
  private nalus: Uint8Array[] = [];
  private unitTs = -1;
  private broken = false;
  private waitKeyframe = true;
  private lastSeq = -1;
  private lastReceivedAt = 0;
  private packetHasVcl = false;
  private fuHeader: Uint8Array | null = null;
  private fuParts: Uint8Array[] = [];
  private fuSize = 0;
  private readonly counts = { packets: 0, units: 0, droppedUnits: 0, malformed: 0, unsupported: 0 };

  protected constructor(
    private readonly codec: VideoCodec,
    paramSets: (Uint8Array | undefined)[],
    reorderWindow: number,
  ) {
    this.paramSets = paramSets.map((p) => p?.slice());
    this.reorder = new ReorderBuffer(reorderWindow);
  }

  /** Parses one RTP payload, calling addNal / fuStart / fuContinue / malformed. */
  protected abstract depacketize(payload: Uint8Array): void;
  /** The NAL unit type from its header. */
  protected abstract nalType(nal: Uint8Array): number;
  /** Classifies a NAL unit (only its header bytes are read). */
  protected abstract classify(nal: Uint8Array): number;
  /** Index in `paramSets` of a PARAM NAL unit. */
  protected abstract paramSetSlot(nal: Uint8Array): number;
  /** True when a slice NAL unit is the first slice of its picture. */
  protected abstract isFirstSlice(nal: Uint8Array): boolean;

  /** Counters (a snapshot). */
  get stats(): VideoDepacketizerStats {
    const r = this.reorder.stats;
    return { ...this.counts, lostPackets: r.lost, duplicates: r.duplicates + r.late, reordered: r.reordered };
  }

  /** Adds one RTP packet; returns the units it completed. Never throws on bad input. */
  push(packet: RtpPacket, receivedAt: number = performance.now()): VideoUnit[] {
    this.counts.packets++;
    const out: VideoUnit[] = [];
    for (const p of this.reorder.push(packet)) this.process(p, receivedAt, out);
    return out;
  }

  /** Releases packets held for reordering and the pending unit (end of stream). */
  flush(receivedAt: number = performance.now()): VideoUnit[] {
    const out: VideoUnit[] = [];
    for (const p of this.reorder.flush()) this.process(p, receivedAt, out);
    this.finishUnit(out);
    return out;
  }

  private process(p: RtpPacket, receivedAt: number, out: VideoUnit[]): void {
    if (this.lastSeq >= 0 && p.sequenceNumber !== ((this.lastSeq + 1) & 0xffff)) {
      // Loss: the open unit misses data; everything after needs a keyframe to be decodable.
      if (this.nalus.length > 0 || this.fuHeader) this.broken = true;
      this.waitKeyframe = true;
    }
    this.lastSeq = p.sequenceNumber;
    // Same timestamp = same access unit; a new one means the marker packet was lost or not sent.
    if (this.unitTs >= 0 && p.timestamp !== this.unitTs) this.finishUnit(out);
    this.unitTs = p.timestamp;
    this.lastReceivedAt = receivedAt;
    this.packetHasVcl = false;
    if (p.payload.length === 0) this.malformed();
    else this.depacketize(p.payload);
    if (p.marker && this.packetHasVcl && !this.fuHeader) this.finishUnit(out);
  }

  /** Adds a complete NAL unit to the current unit; `owned` when `nal` is not a view of the packet. */
  protected addNal(nal: Uint8Array, owned = false): void {
    if (nal.length === 0) return this.malformed();
    const cls = this.classify(nal);
    if (cls === NalClass.DROP) return;
    if (!owned) nal = nal.slice();
    if (cls === NalClass.VCL || cls === NalClass.KEY) this.packetHasVcl = true;
    else if (cls === NalClass.PARAM) this.paramSets[this.paramSetSlot(nal)] = nal;
    this.nalus.push(nal);
  }

  /** Starts a fragmented NAL unit; `header` is the reconstructed NAL header. */
  protected fuStart(header: Uint8Array, data: Uint8Array): void {
    if (this.fuHeader) this.broken = true; // the previous fragment never ended
    this.fuHeader = header;
    this.fuParts = [data];
    this.fuSize = data.length;
    this.noteFuVcl(header);
  }

  /** Continues (and with `end`, completes) a fragmented NAL unit whose FU header says `fuType`. */
  protected fuContinue(data: Uint8Array, end: boolean, fuType: number): void {
    const header = this.fuHeader;
    if (!header || this.nalType(header) !== fuType) {
      this.broken = true; // start lost, or fragments of two NAL units interleaved
      this.fuHeader = null;
      return;
    }
    this.fuParts.push(data);
    this.fuSize += data.length;
    this.noteFuVcl(header);
    if (!end) return;
    const nal = new Uint8Array(header.length + this.fuSize);
    nal.set(header);
    let o = header.length;
    for (const part of this.fuParts) { nal.set(part, o); o += part.length; }
    this.fuHeader = null;
    this.fuParts = [];
    this.addNal(nal, true);
  }

  /** Counts a malformed payload; the unit it belonged to can no longer be trusted. */
  protected malformed(): void {
    this.counts.malformed++;
    this.broken = true;
  }

  /** Counts a payload in an unsupported mode; its unit is dropped. */
  protected unsupported(): void {
    this.counts.unsupported++;
    this.broken = true;
  }

  private noteFuVcl(header: Uint8Array): void {
    const cls = this.classify(header);
    if (cls === NalClass.VCL || cls === NalClass.KEY) this.packetHasVcl = true;
  }

  private finishUnit(out: VideoUnit[]): void {
    const nalus = this.nalus;
    const ts = this.unitTs;
    const broken = this.broken || this.fuHeader !== null;
    this.nalus = [];
    this.unitTs = -1;
    this.broken = false;
    this.fuHeader = null;
    this.fuParts = [];
    if (broken) {
      this.counts.droppedUnits++;
      this.waitKeyframe = true;
      return;
    }
    let firstVcl = -1;
    let keyframe = false;
    let present = 0;
    for (let i = 0; i < nalus.length; i++) {
      const cls = this.classify(nalus[i]!);
      if (cls === NalClass.VCL || cls === NalClass.KEY) {
        if (firstVcl < 0) firstVcl = i;
        if (cls === NalClass.KEY) keyframe = true;
      } else if (cls === NalClass.PARAM && firstVcl < 0) present |= 1 << this.paramSetSlot(nalus[i]!);
    }
    // Parameter sets or SEI alone (sent with their own timestamp): remembered, nothing to emit.
    if (firstVcl < 0) return;
    if (this.waitKeyframe && (!keyframe || !this.isFirstSlice(nalus[firstVcl]!))) {
      this.counts.droppedUnits++;
      return;
    }
    if (keyframe) {
      for (let slot = 0; slot < this.paramSets.length; slot++) {
        if (present & (1 << slot)) continue;
        const ps = this.paramSets[slot];
        if (!ps) {
          // A keyframe no decoder can start from; keep waiting for one with parameter sets.
          this.counts.droppedUnits++;
          this.waitKeyframe = true;
          return;
        }
        // Keep VPS < SPS < PPS order: decoders parse an SPS against its VPS, a PPS against its SPS.
        // and put them ahead of SEI, which may refer to them.
        let at = 0;
        for (let i = 0; i < firstVcl; i++) {
          if (this.classify(nalus[i]!) !== NalClass.PARAM) continue;
          if (this.paramSetSlot(nalus[i]!) > slot) break;
          at = i + 1;
        }
        nalus.splice(at, 0, ps);
        firstVcl++;
      }
    }
    this.waitKeyframe = false;
    this.counts.units++;
    out.push({
      kind: 'video', codec: this.codec, pts: this.unwrapper.unwrap(ts), keyframe, nalus, receivedAt: this.lastReceivedAt,
    });
  }
}
