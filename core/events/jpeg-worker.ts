/**
 * Piscina task: raw planes → baseline JFIF JPEG with jpeg-js. Runs in a worker thread so a snapshot
 * never stalls the event loop that serves viewers.
 *
 * Input layout (compact, no stride): Y (width × height), then for i420 U and V (⌈w/2⌉ × ⌈h/2⌉ each).
 * I420 is decoder output in BT.601 limited range (Y 16–235, chroma 16–240); gray is full range
 * (swscale expands luma when converting to gray), so gray is copied as is.
 */
import jpeg from 'jpeg-js';

/** One encode job, as JpegEncoder posts it (the pixel buffer is transferred, not copied). */
export interface JpegTask {
  width: number;
  height: number;
  quality: number;
  format: 'i420' | 'gray';
  pixels: ArrayBuffer;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Converts to RGBA (jpeg-js's input) and encodes; returns the JPEG bytes. */
export default function encodeJpeg(task: JpegTask): Uint8Array {
  const { width: w, height: h, quality, format } = task;
  const src = new Uint8Array(task.pixels);
  const rgba = new Uint8Array(w * h * 4);
  if (format === 'gray') {
    for (let i = 0, o = 0; i < w * h; i++, o += 4) {
      const y = src[i]!;
      rgba[o] = y;
      rgba[o + 1] = y;
      rgba[o + 2] = y;
      rgba[o + 3] = 255;
    }
  } else {
    const cw = (w + 1) >> 1;
    const uBase = w * h;
    const vBase = uBase + cw * ((h + 1) >> 1);
    for (let row = 0; row < h; row++) {
      const cRow = (row >> 1) * cw;
      for (let col = 0, o = row * w * 4; col < w; col++, o += 4) {
        // BT.601 limited range → RGB, 8-bit fixed point (ITU-R BT.601 coefficients × 256).
        const c = 298 * (src[row * w + col]! - 16);
        const ci = cRow + (col >> 1);
        const d = src[uBase + ci]! - 128;
        const e = src[vBase + ci]! - 128;
        rgba[o] = clamp((c + 409 * e + 128) >> 8);
        rgba[o + 1] = clamp((c - 100 * d - 208 * e + 128) >> 8);
        rgba[o + 2] = clamp((c + 516 * d + 128) >> 8);
        rgba[o + 3] = 255;
      }
    }
  }
  const out = jpeg.encode({ data: rgba, width: w, height: h }, quality).data;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
