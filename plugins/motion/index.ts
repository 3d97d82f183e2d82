/**
 * motion: how much of the picture changed since the previous frame (sampled luma difference).
 * Emits `motion.start` once the changed share stays above `threshold` for `minFrames` frames, and
 * `motion.end` when it falls back. The README's plugin example: one file, no dependencies.
 */
import { z } from 'zod';
import { definePlugin, type Frame } from '../sdk/index.js';

const configSchema = z.strictObject({
  threshold: z.number().min(0).max(1).default(0.02).describe('Share of sampled pixels that must change (0-1).'),
  pixelDelta: z.number().int().min(1).max(255).default(25).describe('Luma change that counts a pixel as changed.'),
  minFrames: z.number().int().min(1).max(100).default(2).describe('Frames in a row above the threshold to start.'),
});

/** Every STEP-th pixel of every STEP-th row is compared. */
const STEP = 4;

export default definePlugin({
  name: 'motion',
  description: 'Share of the picture that changed between frames; motion.start / motion.end events.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 40, input: { format: 'gray' } },
  create(ctx) {
    const { threshold, pixelDelta, minFrames } = ctx.config;
    let previous: Uint8Array | undefined;
    let above = 0;
    let moving = false;
    return {
      onFrame(frame: Frame) {
        const samples = sample(frame);
        const changed = previous ? countChanged(samples, previous, pixelDelta) / samples.length : 0;
        previous = samples;
        above = changed > threshold ? above + 1 : 0;
        if (!moving && above >= minFrames) {
          moving = true;
          ctx.emit({ type: 'motion.start', severity: 'info', attributes: { changed }, snapshot: true });
        } else if (moving && above === 0) {
          moving = false;
          ctx.emit({ type: 'motion.end', severity: 'info', attributes: { changed } });
        }
      },
    };
  },
});

/** The sampled luma grid of a frame (a new array: the previous one is kept for the comparison). */
function sample(f: Frame): Uint8Array {
  const cols = Math.ceil(f.width / STEP);
  const rows = Math.ceil(f.height / STEP);
  const out = new Uint8Array(cols * rows);
  for (let r = 0, i = 0; r < rows; r++) {
    const row = r * STEP * f.strideY;
    for (let c = 0; c < cols; c++) out[i++] = f.y[row + c * STEP]!;
  }
  return out;
}

/** Samples whose luma moved by at least `delta`. */
function countChanged(a: Uint8Array, b: Uint8Array, delta: number): number {
  if (a.length !== b.length) return 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) >= delta) n++;
  return n;
}
