/**
 * H.265 RTP depacketizer, RFC 7798 §4.4.1 single NAL, §4.4.2 aggregation packet (AP), §4.4.3 FU.
 *
 *   single:  | F | Type 0..47 | LayerId | TID | NAL payload ...
 *   AP:      | F | 48 | LayerId | TID | size(16) | NAL | size(16) | NAL ...
 *   FU:      | F | 49 | LayerId | TID | |S|E| FuType(6) | fragment ...
 *            (NAL header = payload header with Type replaced by FuType)
 *
 * DONL/DOND fields (sprop-max-don-diff > 0) and PACI are not supported: counted and dropped.
 */
import { H265Nal, isH265Irap } from './nal.js';
import { NalClass, VideoDepacketizer } from '../rtp/video-depacketizer.js';

/** RTP -> H.265 access units. Reorders, drops incomplete units, waits for IRAP after loss, injects VPS/SPS/PPS. */
export class H265Depacketizer extends VideoDepacketizer {
  private readonly donl: boolean;

  /** `maxDonDiff` is the SDP's sprop-max-don-diff; above 0 every packet carries DONL and is dropped. */
  constructor(opts: { vps?: Uint8Array; sps?: Uint8Array; pps?: Uint8Array; maxDonDiff?: number; reorderWindow?: number } = {}) {
    super('H265', [opts.vps, opts.sps, opts.pps], opts.reorderWindow ?? 32);
    this.donl = (opts.maxDonDiff ?? 0) > 0;
  }

  /** Latest VPS seen (sprop-vps or in-band). */
  get vps(): Uint8Array | undefined { return this.paramSets[0]; }
  /** Latest SPS seen. */
  get sps(): Uint8Array | undefined { return this.paramSets[1]; }
  /** Latest PPS seen. */
  get pps(): Uint8Array | undefined { return this.paramSets[2]; }

  protected override depacketize(payload: Uint8Array): void {
    if (payload.length < 3 || payload[0]! & 0x80) return this.malformed(); // header + at least one byte, F = 0
    if (this.donl) return this.unsupported();
    const type = (payload[0]! >> 1) & 0x3f;
    if (type < H265Nal.AP) return this.addNal(payload);
    if (type === H265Nal.AP) {
      let o = 2;
      let count = 0;
      while (o < payload.length) {
        if (o + 2 > payload.length) return this.malformed();
        const size = (payload[o]! << 8) | payload[o + 1]!;
        if (size < 2 || o + 2 + size > payload.length) return this.malformed();
        o += 2 + size;
        count++;
      }
      if (count === 0) return this.malformed();
      for (o = 2; o < payload.length; ) {
        const size = (payload[o]! << 8) | payload[o + 1]!;
        this.addNal(payload.subarray(o + 2, o + 2 + size));
        o += 2 + size;
      }
      return;
    }
    if (type === H265Nal.FU) {
      const fh = payload[2]!;
      const start = (fh & 0x80) !== 0;
      const end = (fh & 0x40) !== 0;
      const fuType = fh & 0x3f;
      if ((start && end) || payload.length < 4) return this.malformed();
      const data = payload.subarray(3);
      if (start) return this.fuStart(Uint8Array.of((payload[0]! & 0x81) | (fuType << 1), payload[1]!), data);
      return this.fuContinue(data, end, fuType);
    }
    if (type === H265Nal.PACI) return this.unsupported();
    return this.malformed(); // 51..63 reserved
  }

  protected override nalType(nal: Uint8Array): number {
    return (nal[0]! >> 1) & 0x3f;
  }

  protected override classify(nal: Uint8Array): number {
    const type = (nal[0]! >> 1) & 0x3f;
    if (type < 32) return isH265Irap(type) ? NalClass.KEY : NalClass.VCL;
    if (type >= H265Nal.VPS && type <= H265Nal.PPS) return NalClass.PARAM;
    if (type === H265Nal.AUD || type === H265Nal.FD) return NalClass.DROP;
    return NalClass.OTHER;
  }

  protected override paramSetSlot(nal: Uint8Array): number {
    return ((nal[0]! >> 1) & 0x3f) - H265Nal.VPS;
  }

  /** first_slice_segment_in_pic_flag, the first bit after the 2-byte NAL header. */
  protected override isFirstSlice(nal: Uint8Array): boolean {
    return nal.length > 2 && (nal[2]! & 0x80) !== 0;
  }
}
