/**
 * Frame → CenterNet input, the way @vladmandic/human prepares it (src/object/centernet.ts):
 * the RGB frame as float32 0..255, stretched to 512×512 by `tf.image.resizeBilinear` with
 * align_corners and half_pixel_centers both off. No mean/std normalisation: the graph takes
 * raw pixel values.
 */
import { CENTERNET_SIZE } from './model.js';

/**
 * Bilinear resize of packed RGB24 (`width × height × 3`) into NHWC float32 `size × size × 3`,
 * the same arithmetic as tfjs-backend-cpu's ResizeBilinear kernel (source = dst * in / out, taps
 * clamped at the last row/column), so tfjs and this agree to float32 rounding. `out` may be reused.
 */
export function centernetInput(rgb: Uint8Array, width: number, height: number, size = CENTERNET_SIZE, out = new Float32Array(size * size * 3)): Float32Array {
  if (rgb.length !== width * height * 3) throw new RangeError(`centernetInput: ${width}x${height} RGB needs ${width * height * 3} bytes, got ${rgb.length}`);
  const rowRatio = height / size;
  const colRatio = width / size;
  let o = 0;
  for (let r = 0; r < size; r++) {
    const sourceRow = rowRatio * r;
    const top = Math.floor(sourceRow);
    const rowFrac = sourceRow - top;
    const topOffset = top * width * 3;
    const bottomOffset = Math.min(height - 1, Math.ceil(sourceRow)) * width * 3;
    for (let c = 0; c < size; c++) {
      const sourceCol = colRatio * c;
      const left = Math.floor(sourceCol);
      const colFrac = sourceCol - left;
      const leftOffset = left * 3;
      const rightOffset = Math.min(width - 1, Math.ceil(sourceCol)) * 3;
      for (let d = 0; d < 3; d++) {
        const topLeft = rgb[topOffset + leftOffset + d];
        const topRight = rgb[topOffset + rightOffset + d];
        const bottomLeft = rgb[bottomOffset + leftOffset + d];
        const bottomRight = rgb[bottomOffset + rightOffset + d];
        const upper = topLeft + (topRight - topLeft) * colFrac;
        const lower = bottomLeft + (bottomRight - bottomLeft) * colFrac;
        out[o++] = upper + (lower - upper) * rowFrac;
      }
    }
  }
  return out;
}
