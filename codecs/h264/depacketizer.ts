/**
 * H.264 RTP depacketizer, RFC 6184 non-interleaved mode (§5.6 single NAL, §5.7.1 STAP-A, §5.8 FU-A).
 *
 *   single NAL:  |F|NRI| type 1..23 | NAL payload ...
 *   STAP-A:      |F|NRI| 24 | size(16) | NAL | size(16) | NAL | ...
 *   FU-A:        |F|NRI| 28 | |S|E|R| type | fragment ...
 *                 FU indicator  FU header     (NAL header = F|NRI of indicator + type of FU header)
 */
import { H264Nal, isH264Vcl } from './nal.js';
import { NalClass, VideoDepacketizer } from '../rtp/video-depacketizer.js';

/** RTP -> H.264 access units. Reorders, drops incomplete units, waits for IDR after loss, injects SPS/PPS. */
export class H264Depacketizer extends VideoDepacketizer {
  constructor(opts: { sps?: Uint8Array; pps?: Uint8Array; reorderWindow?: number } = {}) {
    super('H264', [opts.sps, opts.pps], opts.reorderWindow ?? 32);
  }

  /** Latest SPS seen (sprop-parameter-sets or in-band). */
  get sps(): Uint8Array | undefined { return this.paramSets[0]; }
  /** Latest PPS seen. */
  get pps(): Uint8Array | undefined { return this.paramSets[1]; }

  protected override depacketize(payload: Uint8Array): void {
    const b0 = payload[0]!;
    if (b0 & 0x80) return this.malformed(); // forbidden_zero_bit
    const type = b0 & 0x1f;
    if (type >= 1 && type <= 23) return this.addNal(payload);
    switch (type) {
      case H264Nal.STAP_A: {
        // Validate the whole aggregate first so a bad one adds nothing.
        let o = 1;
        let count = 0;
        while (o < payload.length) {
          if (o + 2 > payload.length) return this.malformed();
          const size = (payload[o]! << 8) | payload[o + 1]!;
          if (size === 0 || o + 2 + size > payload.length) return this.malformed();
          o += 2 + size;
          count++;
        }
        if (count === 0) return this.malformed();
        for (o = 1; o < payload.length; ) {
          const size = (payload[o]! << 8) | payload[o + 1]!;
          this.addNal(payload.subarray(o + 2, o + 2 + size));
          o += 2 + size;
        }
        return;
      }
      case H264Nal.FU_A: {
        if (payload.length < 3) return this.malformed();
        const fh = payload[1]!;
        const start = (fh & 0x80) !== 0;
        const end = (fh & 0x40) !== 0;
        if (start && end) return this.malformed(); // §5.8: a NAL unit must not fit one FU
        const data = payload.subarray(2);
        if (start) return this.fuStart(Uint8Array.of((b0 & 0xe0) | (fh & 0x1f)), data);
        return this.fuContinue(data, end, fh & 0x1f);
      }
      case H264Nal.STAP_B:
      case H264Nal.MTAP16:
      case H264Nal.MTAP24:
      case H264Nal.FU_B:
        return this.unsupported(); // interleaved mode only
      default:
        return this.malformed(); // 0, 30, 31: undefined
    }
  }

  protected override nalType(nal: Uint8Array): number {
    return nal[0]! & 0x1f;
  }

  protected override classify(nal: Uint8Array): number {
    const type = nal[0]! & 0x1f;
    if (type === H264Nal.IDR) return NalClass.KEY;
    if (isH264Vcl(type)) return NalClass.VCL;
    if (type === H264Nal.SPS || type === H264Nal.PPS) return NalClass.PARAM;
    if (type === H264Nal.AUD || type === H264Nal.FILLER) return NalClass.DROP;
    return NalClass.OTHER;
  }

  protected override paramSetSlot(nal: Uint8Array): number {
    return (nal[0]! & 0x1f) === H264Nal.SPS ? 0 : 1;
  }

  /** first_mb_in_slice == 0: ue(v) 0 is a single 1 bit right after the NAL header. */
  protected override isFirstSlice(nal: Uint8Array): boolean {
    return nal.length > 1 && (nal[1]! & 0x80) !== 0;
  }
}
