/**
 * Binary morphology on masks (row-major, `width × height`, any non-zero byte is on; results are 0 or
 * 255). Structuring elements: the (2r+1)² square, or the cross of the same reach (the centre row and
 * column). Both are built from 1-D passes:
 *   square = horizontal pass then vertical pass (the square is separable);
 *   cross  = the horizontal and vertical passes of the source, AND-ed (erode) or OR-ed (dilate).
 * The source is first copied as 0/255 bytes, where erosion is a bitwise AND and dilation an OR.
 * When the width is a multiple of 4 both passes work on four pixels per 32-bit word: the horizontal
 * one as r steps of "AND/OR with the word shifted one pixel each way", the vertical one as the AND/OR
 * of the 2r+1 rows; O(r/4) per pixel, several times faster than counting for the radii a detector
 * uses (1–3). Other widths use bytes, the horizontal pass with a running count (O(1) per pixel).
 * Outside the image counts as neither on nor off: windows are clipped (OpenCV's default border), so
 * erosion does not eat the frame edge and dilation does not grow from it.
 */

/** Structuring element shape. */
export type StructuringElement = 'square' | 'cross';

/** Erode, dilate, open and close for one mask size, with the scratch buffers they need preallocated. */
export class Morphology {
  readonly width: number;
  readonly height: number;
  private readonly n: number;
  /** Scratch planes (length rounded up to whole words) and their 32-bit views. */
  private readonly a: Uint8Array;
  private readonly b: Uint8Array;
  private readonly c: Uint8Array;
  private readonly d: Uint8Array;
  private readonly a32: Uint32Array;
  private readonly b32: Uint32Array;
  private readonly c32: Uint32Array;

  constructor(width: number, height: number) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new RangeError(`Morphology: bad size ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.n = width * height;
    const words = Math.ceil(this.n / 4);
    this.a32 = new Uint32Array(words);
    this.b32 = new Uint32Array(words);
    this.c32 = new Uint32Array(words);
    this.a = new Uint8Array(this.a32.buffer);
    this.b = new Uint8Array(this.b32.buffer);
    this.c = new Uint8Array(this.c32.buffer);
    this.d = new Uint8Array(this.n);
  }

  /** dst = src eroded by the element of radius r (src and dst may be the same buffer). */
  erode(src: Uint8Array, dst: Uint8Array, r: number, shape: StructuringElement = 'square'): void {
    this.apply(src, dst, r, shape, true);
  }

  /** dst = src dilated by the element of radius r (src and dst may be the same buffer). */
  dilate(src: Uint8Array, dst: Uint8Array, r: number, shape: StructuringElement = 'square'): void {
    this.apply(src, dst, r, shape, false);
  }

  /** Opening (erode, then dilate): removes specks smaller than the element. */
  open(src: Uint8Array, dst: Uint8Array, r: number, shape: StructuringElement = 'square'): void {
    this.apply(src, this.d, r, shape, true);
    this.apply(this.d, dst, r, shape, false);
  }

  /** Closing (dilate, then erode): fills holes and gaps smaller than the element. */
  close(src: Uint8Array, dst: Uint8Array, r: number, shape: StructuringElement = 'square'): void {
    this.apply(src, this.d, r, shape, false);
    this.apply(this.d, dst, r, shape, true);
  }

  private apply(src: Uint8Array, dst: Uint8Array, r: number, shape: StructuringElement, erode: boolean): void {
    const n = this.n;
    if (src.length < n || dst.length < n) throw new RangeError(`Morphology: masks need ${n} bytes`);
    if (!(Number.isInteger(r) && r >= 0)) throw new RangeError(`Morphology: radius must be a non-negative integer`);
    if (r === 0) {
      for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 255 : 0;
      return;
    }
    if (this.width % 4 === 0) {
      this.applyWords(src, dst, r, shape, erode);
      return;
    }
    this.horizontal(src, this.a, r, erode);
    if (shape === 'square') {
      this.vertical(this.a32, this.a, this.b32, this.b, r, erode);
      dst.set(this.b.subarray(0, n));
      return;
    }
    for (let i = 0; i < n; i++) this.b[i] = src[i] !== 0 ? 255 : 0;
    this.vertical(this.b32, this.b, this.c32, this.c, r, erode);
    const a = this.a32;
    const c = this.c32;
    (erode ? andInto : orInto)(c, a, c.length);
    dst.set(this.c.subarray(0, n));
  }

  /**
   * The four-pixels-per-word path (width a multiple of 4). The loops are small module functions, one
   * per operation, rather than branches inside one method: V8 compiles a hot loop on entry (OSR) with
   * the type feedback it has, and a method whose loop was compiled before its other branch ran
   * deoptimised on that branch at every call (seen as 4 deopts a frame, for good).
   */
  private applyWords(src: Uint8Array, dst: Uint8Array, r: number, shape: StructuringElement, erode: boolean): void {
    const n = this.n;
    this.a.set(src.subarray(0, n));
    const a = this.a32;
    binariseWords(a);
    const w4 = this.width / 4;
    if (shape === 'square') {
      for (let k = 0; k < r; k++) (erode ? erodeRowsWords : dilateRowsWords)(a, w4);
      this.vertical(a, this.a, this.c32, this.c, r, erode);
    } else {
      this.b32.set(a);
      for (let k = 0; k < r; k++) (erode ? erodeRowsWords : dilateRowsWords)(a, w4);
      this.vertical(this.b32, this.b, this.c32, this.c, r, erode);
      (erode ? andInto : orInto)(this.c32, a, this.c32.length);
    }
    dst.set(this.c.subarray(0, n));
  }

  /** 1-D pass along rows: on when any (dilate) or every (erode) pixel of the clipped window is on. */
  private horizontal(src: Uint8Array, dst: Uint8Array, r: number, erode: boolean): void {
    const w = this.width;
    const full = 2 * r + 1;
    for (let row = 0; row < this.n; row += w) {
      let count = 0;
      for (let x = 0; x <= r && x < w; x++) count += on(src[row + x]!);
      // Borders (clipped windows) and the interior (full windows), the latter without bounds tests.
      const interiorFrom = r < w ? r : w;
      const interiorTo = w - r - 1 > interiorFrom ? w - r - 1 : interiorFrom;
      let x = 0;
      for (; x < interiorFrom; x++) count = this.clipped(src, dst, row, x, r, count, erode);
      const target = erode ? full : 1;
      for (; x < interiorTo; x++) {
        dst[row + x] = count >= target ? 255 : 0;
        count += on(src[row + x + r + 1]!) - on(src[row + x - r]!);
      }
      for (; x < w; x++) count = this.clipped(src, dst, row, x, r, count, erode);
    }
  }

  /** One pixel of the horizontal pass near a row end; returns the count for x + 1. */
  private clipped(src: Uint8Array, dst: Uint8Array, row: number, x: number, r: number, count: number, erode: boolean): number {
    const w = this.width;
    const lo = x - r < 0 ? 0 : x - r;
    const hi = x + r > w - 1 ? w - 1 : x + r;
    dst[row + x] = count >= (erode ? hi - lo + 1 : 1) ? 255 : 0;
    if (x + r + 1 < w) count += on(src[row + x + r + 1]!);
    if (x - r >= 0) count -= on(src[row + x - r]!);
    return count;
  }

  /** 1-D pass along columns on a 0/255 plane: AND (erode) or OR (dilate) of the clipped 2r+1 rows. */
  private vertical(src32: Uint32Array, src: Uint8Array, dst32: Uint32Array, dst: Uint8Array, r: number, erode: boolean): void {
    if (this.width % 4 === 0) verticalPass(src32, dst32, this.width / 4, this.height, r, erode ? andRow : orRow);
    else verticalPass(src, dst, this.width, this.height, r, erode ? andRow : orRow);
  }
}

/** d[out + x] = d[out + x] OP s[row + x] for x in 0..w-1: one row of a vertical pass. */
type RowOp = (d: Uint8Array | Uint32Array, out: number, s: Uint8Array | Uint32Array, row: number, w: number) => void;

/** Each row of d: the AND or OR (`op`) of the clipped 2r+1 rows of s around it; rows are `w` elements. */
function verticalPass(s: Uint8Array | Uint32Array, d: Uint8Array | Uint32Array, w: number, h: number, r: number, op: RowOp): void {
  for (let y = 0; y < h; y++) {
    const lo = y - r < 0 ? 0 : y - r;
    const hi = y + r > h - 1 ? h - 1 : y + r;
    copyRow(d, y * w, s, lo * w, w);
    for (let yy = lo + 1; yy <= hi; yy++) op(d, y * w, s, yy * w, w);
  }
}

function copyRow(d: Uint8Array | Uint32Array, out: number, s: Uint8Array | Uint32Array, row: number, w: number): void {
  for (let x = 0; x < w; x++) d[out + x] = s[row + x]!;
}

function andRow(d: Uint8Array | Uint32Array, out: number, s: Uint8Array | Uint32Array, row: number, w: number): void {
  for (let x = 0; x < w; x++) d[out + x] = d[out + x]! & s[row + x]!;
}

function orRow(d: Uint8Array | Uint32Array, out: number, s: Uint8Array | Uint32Array, row: number, w: number): void {
  for (let x = 0; x < w; x++) d[out + x] = d[out + x]! | s[row + x]!;
}

function andInto(c: Uint32Array, a: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) c[i] = c[i]! & a[i]!;
}

function orInto(c: Uint32Array, a: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) c[i] = c[i]! | a[i]!;
}

/** Each 0/non-zero byte of the words made 0/255. */
function binariseWords(a: Uint32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = binary(a[i]!);
}

/**
 * One radius-1 horizontal erosion step in place on 0/255 words, rows of `w4` words (little-endian:
 * byte k is pixel 4j + k). The word shifted by one pixel takes its missing byte from the
 * neighbouring word; past the row ends it takes 255, AND's identity, which is what clipping the
 * window means.
 */
function erodeRowsWords(s: Uint32Array, w4: number): void {
  for (let row = 0; row < s.length; row += w4) {
    let prev = 0xffffffff;
    let cur = s[row]!;
    const last = row + w4 - 1;
    for (let j = row; j <= last; j++) {
      const next = j < last ? s[j + 1]! : 0xffffffff;
      s[j] = cur & ((cur << 8) | (prev >>> 24)) & ((cur >>> 8) | (next << 24));
      prev = cur;
      cur = next;
    }
  }
}

/** The dilation step of erodeRowsWords: OR, and 0 (OR's identity) past the row ends. */
function dilateRowsWords(s: Uint32Array, w4: number): void {
  for (let row = 0; row < s.length; row += w4) {
    let prev = 0;
    let cur = s[row]!;
    const last = row + w4 - 1;
    for (let j = row; j <= last; j++) {
      const next = j < last ? s[j + 1]! : 0;
      s[j] = cur | ((cur << 8) | (prev >>> 24)) | ((cur >>> 8) | (next << 24));
      prev = cur;
      cur = next;
    }
  }
}

/** Each byte of a word made 255 if it is non-zero, 0 if zero (bit-smear each byte into its low bit). */
function binary(w: number): number {
  let t = w | ((w >>> 1) & 0x7f7f7f7f);
  t |= (t >>> 2) & 0x3f3f3f3f;
  t |= (t >>> 4) & 0x0f0f0f0f;
  t &= 0x01010101;
  return (t << 8) - t;
}

/** 1 for a non-zero byte, 0 for zero, without a branch. */
function on(v: number): number {
  return (v | -v) >>> 31;
}
