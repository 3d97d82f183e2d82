/**
 * Bit reading for H.264/H.265 RBSP syntax (ITU-T H.264 §7.2 and §9.1, H.265 §7.2 and §9.2).
 *
 *   NAL payload:   ... 00 00 03 01 ...   emulation prevention byte 0x03 after two zeros
 *   RBSP:          ... 00 00 01 ...      what the syntax is read from
 *   ue(v):         0 0 0 1 x x x         leading zeros N, a 1, then N bits: value = 2^N - 1 + bits
 *   se(v):         ue mapped 0, 1, -1, 2, -2, ...
 */

/** Removes emulation prevention bytes (00 00 03 -> 00 00). Returns the input itself when there are none. */
export function unescapeRbsp(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let first = -1;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) { first = i; break; }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length);
  out.set(nal.subarray(0, first));
  let o = first;
  zeros = 0;
  for (let i = first + 1; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) { zeros = 0; continue; }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}

/** Thrown by BitReader when the syntax runs past the end; parsers catch it and return null. */
export class BitstreamEnd extends Error {
  override readonly name = 'BitstreamEnd';
}

/** MSB-first reader over an RBSP (emulation prevention already removed). */
export class BitReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array, byteOffset = 0) {
    this.pos = byteOffset * 8;
  }

  /** Bits not read yet. */
  get bitsLeft(): number { return this.buf.length * 8 - this.pos; }

  /** Reads one bit. */
  u1(): number {
    if (this.pos >= this.buf.length * 8) throw new BitstreamEnd('read past end');
    const bit = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return bit;
  }

  /** Reads `n` bits (n <= 32) as an unsigned number. */
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.u1();
    return v;
  }

  /** Skips `n` bits. */
  skip(n: number): void {
    if (this.pos + n > this.buf.length * 8) throw new BitstreamEnd('skip past end');
    this.pos += n;
  }

  /** Reads an unsigned Exp-Golomb code. */
  ue(): number {
    let zeros = 0;
    while (this.u1() === 0) {
      if (++zeros > 31) throw new BitstreamEnd('Exp-Golomb code too long');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** Reads a signed Exp-Golomb code. */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : k === 0 ? 0 : -(k / 2);
  }
}
