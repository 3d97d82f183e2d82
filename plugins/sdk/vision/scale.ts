/**
 * A bounded working resolution: frames wider than the analysis width are averaged down by a whole
 * factor f (each output pixel is the rounded mean of an f × f block; 2 × 2 for 1280×720 into
 * 640×360) before the background model sees them. A detector's cost grows with the pixels it
 * examines, while the vehicles it looks for stay dozens of pixels tall at 640 wide; the box average
 * is also what the lower-resolution camera would have seen (it halves the sensor noise at f = 2),
 * where point sampling would alias.
 *
 * Sizes round up: a block on the right or bottom edge that the frame only partly covers averages
 * the pixels it has, so the output is ceil(width / f) × ceil(height / f). I420 chroma (half size,
 * rounded up) is averaged by the same factor, which keeps it half the output's size, rounded up.
 * Buffers are allocated once per input size; `scale` allocates nothing.
 */
import type { Frame } from '../types.js';

/** The planes a FrameScaler reads and writes: luma, and chroma when the frame has it. */
export type ScalablePlanes = Pick<Frame, 'y' | 'strideY' | 'u' | 'v' | 'strideUV' | 'width' | 'height'>;

/** The whole factor that brings `width` down to at most `maxWidth` (1 when it already fits). */
export function analysisFactor(width: number, maxWidth: number): number {
  return maxWidth > 0 && width > maxWidth ? Math.ceil(width / maxWidth) : 1;
}

/**
 * dst (ceil(width / f) × ceil(height / f), tight rows) = src (`stride` bytes per row) averaged over
 * f × f blocks, rounded to nearest; edge blocks average the pixels inside the frame.
 */
export function downscalePlane(src: Uint8Array, width: number, height: number, stride: number, f: number, dst: Uint8Array): void {
  const dw = Math.ceil(width / f);
  const dh = Math.ceil(height / f);
  const fullW = Math.floor(width / f);
  const fullH = Math.floor(height / f);
  if (dst.length < dw * dh) throw new RangeError(`downscalePlane: dst needs ${dw * dh} bytes`);
  if (f === 2 && (src.byteOffset | stride) % 4 === 0) {
    halveWords(src, stride, fullW, fullH, dw, dst);
  } else if (f === 2) {
    for (let y = 0; y < fullH; y++) {
      let a = 2 * y * stride;
      let b = a + stride;
      let o = y * dw;
      for (let x = 0; x < fullW; x++, a += 2, b += 2, o++) dst[o] = (src[a]! + src[a + 1]! + src[b]! + src[b + 1]! + 2) >> 2;
    }
  } else {
    const n = f * f;
    for (let y = 0; y < fullH; y++) {
      for (let x = 0; x < fullW; x++) {
        let sum = 0;
        for (let yy = y * f, row = yy * stride; yy < y * f + f; yy++, row += stride) {
          for (let xx = x * f; xx < x * f + f; xx++) sum += src[row + xx]!;
        }
        dst[y * dw + x] = Math.floor((sum + (n >> 1)) / n);
      }
    }
  }
  // The partial column and row, if the frame is not a whole number of blocks.
  for (let y = 0; y < dh; y++) {
    for (let x = y < fullH ? fullW : 0; x < dw; x++) dst[y * dw + x] = blockMean(src, width, height, stride, f, x, y);
  }
}

/**
 * The whole 2 × 2 blocks of a plane whose rows start on 4-byte boundaries, four pixels per 32-bit
 * read (the common case, 1280 → 640, several times faster than by bytes): in a little-endian word
 * of pixels p0..p3, (w & 0x00ff00ff) + ((w >>> 8) & 0x00ff00ff) holds p0 + p1 and p2 + p3 in two
 * 16-bit lanes; adding the row below's, 2 and shifting by 2 leaves both rounded means in bytes 0
 * and 2. An odd last column is done by bytes.
 */
function halveWords(src: Uint8Array, stride: number, fullW: number, fullH: number, dw: number, dst: Uint8Array): void {
  const words = wordsOf(src.buffer);
  const base = src.byteOffset >> 2;
  const stride4 = stride >> 2;
  const pairs = fullW >> 1;
  for (let y = 0; y < fullH; y++) {
    let a = base + 2 * y * stride4;
    let b = a + stride4;
    let o = y * dw;
    for (let k = 0; k < pairs; k++, a++, b++, o += 2) {
      const wa = words[a]!;
      const wb = words[b]!;
      const sum = (wa & 0x00ff00ff) + ((wa >>> 8) & 0x00ff00ff) + (wb & 0x00ff00ff) + ((wb >>> 8) & 0x00ff00ff) + 0x00020002;
      dst[o] = (sum >>> 2) & 0xff;
      dst[o + 1] = (sum >>> 18) & 0xff;
    }
    if (fullW & 1) {
      const i = 2 * y * stride + 2 * (fullW - 1);
      dst[o] = (src[i]! + src[i + 1]! + src[i + stride]! + src[i + stride + 1]! + 2) >> 2;
    }
  }
}

/** 32-bit views of the buffers frames arrive in (a camera's ring, a canvas), made once per buffer. */
const wordViews = new WeakMap<ArrayBufferLike, Uint32Array>();

function wordsOf(buffer: ArrayBufferLike): Uint32Array {
  let words = wordViews.get(buffer);
  if (!words) {
    words = new Uint32Array(buffer, 0, buffer.byteLength >> 2);
    wordViews.set(buffer, words);
  }
  return words;
}

/** Rounded mean of the part of block (x, y) inside the frame. */
function blockMean(src: Uint8Array, width: number, height: number, stride: number, f: number, x: number, y: number): number {
  const x1 = Math.min(width, x * f + f);
  const y1 = Math.min(height, y * f + f);
  let sum = 0;
  let n = 0;
  for (let yy = y * f; yy < y1; yy++) {
    for (let xx = x * f; xx < x1; xx++, n++) sum += src[yy * stride + xx]!;
  }
  return Math.floor((sum + (n >> 1)) / n);
}

/** Averages frames of one size down by a whole factor, into buffers it reuses; see the file comment. */
export class FrameScaler {
  /** Input size. */
  readonly srcWidth: number;
  readonly srcHeight: number;
  /** Output size: ceil(input / factor). */
  readonly width: number;
  readonly height: number;
  readonly factor: number;
  readonly #y: Uint8Array;
  readonly #u: Uint8Array;
  readonly #v: Uint8Array;
  readonly #cw: number;
  readonly #out: ScalablePlanes;

  constructor(srcWidth: number, srcHeight: number, factor: number) {
    if (!(Number.isInteger(srcWidth) && srcWidth > 0 && Number.isInteger(srcHeight) && srcHeight > 0)) {
      throw new RangeError(`FrameScaler: bad size ${srcWidth}x${srcHeight}`);
    }
    if (!(Number.isInteger(factor) && factor >= 1)) throw new RangeError('FrameScaler: factor must be a positive integer');
    this.srcWidth = srcWidth;
    this.srcHeight = srcHeight;
    this.factor = factor;
    this.width = Math.ceil(srcWidth / factor);
    this.height = Math.ceil(srcHeight / factor);
    this.#cw = Math.ceil(this.width / 2);
    this.#y = new Uint8Array(this.width * this.height);
    const chroma = this.#cw * Math.ceil(this.height / 2);
    this.#u = new Uint8Array(chroma);
    this.#v = new Uint8Array(chroma);
    this.#out = { y: this.#y, u: undefined, v: undefined, strideY: this.width, strideUV: 0, width: this.width, height: this.height };
  }

  /** `frame` averaged down: planes owned by the scaler, valid until the next call. Chroma only when the frame has it. */
  scale(frame: ScalablePlanes): ScalablePlanes {
    if (frame.width !== this.srcWidth || frame.height !== this.srcHeight) {
      throw new RangeError(`FrameScaler: frame is ${frame.width}x${frame.height}, scaler is ${this.srcWidth}x${this.srcHeight}`);
    }
    const f = this.factor;
    const out = this.#out;
    downscalePlane(frame.y, frame.width, frame.height, frame.strideY, f, this.#y);
    if (frame.u !== undefined && frame.v !== undefined) {
      const cw = Math.ceil(frame.width / 2);
      const ch = Math.ceil(frame.height / 2);
      downscalePlane(frame.u, cw, ch, frame.strideUV, f, this.#u);
      downscalePlane(frame.v, cw, ch, frame.strideUV, f, this.#v);
      out.u = this.#u;
      out.v = this.#v;
      out.strideUV = this.#cw;
    } else {
      out.u = undefined;
      out.v = undefined;
      out.strideUV = 0;
    }
    return out;
  }
}
