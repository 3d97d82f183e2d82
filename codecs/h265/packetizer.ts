/**
 * H.265 RTP packetizer, RFC 7798 §4.4.1 (single NAL unit) and §4.4.3 (FU), no DONL.
 *
 *   single:  | NAL header (16) | NAL payload ...
 *   FU:      | F | 49 | LayerId | TID | |S|E| FuType(6) | fragment ...
 */

/** Turns one access unit's NAL units into RTP payloads; the caller sets the marker on the last one. */
export class H265Packetizer {
  constructor(readonly maxPayload = 1200) {
    if (maxPayload < 4) throw new RangeError('maxPayload must be >= 4');
  }

  /** Payloads in order: NALs that fit are sent as is (no copy), larger ones as FUs. */
  packetize(nalus: readonly Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const nal of nalus) {
      if (nal.length < 2) continue;
      if (nal.length <= this.maxPayload) out.push(nal);
      else fu(nal, this.maxPayload, out);
    }
    return out;
  }
}

/** FUs of one NAL, all cut from a single allocation. */
function fu(nal: Uint8Array, max: number, out: Uint8Array[]): void {
  const chunk = max - 3;
  const dataLen = nal.length - 2;
  const count = Math.ceil(dataLen / chunk);
  const buf = new Uint8Array(dataLen + 3 * count);
  const h0 = (nal[0]! & 0x81) | (49 << 1);
  const h1 = nal[1]!;
  const type = (nal[0]! >> 1) & 0x3f;
  let src = 2;
  let o = 0;
  for (let k = 0; k < count; k++) {
    const n = Math.min(chunk, nal.length - src);
    buf[o] = h0;
    buf[o + 1] = h1;
    buf[o + 2] = (k === 0 ? 0x80 : 0) | (k === count - 1 ? 0x40 : 0) | type;
    buf.set(nal.subarray(src, src + n), o + 3);
    out.push(buf.subarray(o, o + 3 + n));
    src += n;
    o += 3 + n;
  }
}
