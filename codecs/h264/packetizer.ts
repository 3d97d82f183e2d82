/**
 * H.264 RTP packetizer, RFC 6184 non-interleaved mode (§5.6 single NAL, §5.7.1 STAP-A, §5.8 FU-A).
 *
 *   STAP-A:  |F|NRI|24| size(16) | NAL | size(16) | NAL ...   small adjacent NALs (SPS+PPS)
 *   FU-A:    |F|NRI|28| |S|E|R|type| fragment ...            NALs larger than maxPayload
 */

/** Turns one access unit's NAL units into RTP payloads; the caller sets the marker on the last one. */
export class H264Packetizer {
  constructor(readonly maxPayload = 1200) {
    if (maxPayload < 3) throw new RangeError('maxPayload must be >= 3');
  }

  /** Payloads in order: NALs that fit are sent as is (no copy), small neighbours are aggregated. */
  packetize(nalus: readonly Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    const max = this.maxPayload;
    for (let i = 0; i < nalus.length; ) {
      const nal = nalus[i]!;
      if (nal.length === 0) { i++; continue; }
      if (nal.length <= max) {
        let size = 1 + 2 + nal.length;
        let j = i + 1;
        while (j < nalus.length && nalus[j]!.length > 0 && size + 2 + nalus[j]!.length <= max) size += 2 + nalus[j++]!.length;
        if (j - i >= 2) out.push(stapA(nalus, i, j, size));
        else out.push(nal);
        i = Math.max(j, i + 1);
        continue;
      }
      fuA(nal, max, out);
      i++;
    }
    return out;
  }
}

function stapA(nalus: readonly Uint8Array[], from: number, to: number, size: number): Uint8Array {
  const buf = new Uint8Array(size);
  let f = 0;
  let nri = 0;
  let o = 1;
  for (let k = from; k < to; k++) {
    const n = nalus[k]!;
    f |= n[0]! & 0x80;
    nri = Math.max(nri, n[0]! & 0x60); // §5.7.1: NRI is the maximum of the aggregated NALs
    buf[o] = n.length >> 8;
    buf[o + 1] = n.length & 0xff;
    buf.set(n, o + 2);
    o += 2 + n.length;
  }
  buf[0] = f | nri | 24;
  return buf;
}

/** FU-A fragments of one NAL, all cut from a single allocation. */
function fuA(nal: Uint8Array, max: number, out: Uint8Array[]): void {
  const chunk = max - 2;
  const dataLen = nal.length - 1;
  const count = Math.ceil(dataLen / chunk);
  const buf = new Uint8Array(dataLen + 2 * count);
  const indicator = (nal[0]! & 0xe0) | 28;
  const type = nal[0]! & 0x1f;
  let src = 1;
  let o = 0;
  for (let k = 0; k < count; k++) {
    const n = Math.min(chunk, nal.length - src);
    buf[o] = indicator;
    buf[o + 1] = (k === 0 ? 0x80 : 0) | (k === count - 1 ? 0x40 : 0) | type;
    buf.set(nal.subarray(src, src + n), o + 2);
    out.push(buf.subarray(o, o + 2 + n));
    src += n;
    o += 2 + n;
  }
}
