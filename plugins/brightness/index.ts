/**
 * brightness: mean luma per zone (or of the whole frame when no zone is configured). Emits
 * `scene.dark` when a zone's mean drops below darkBelow and `scene.bright` when it rises above
 * brightAbove, each with a snapshot. Hysteresis keeps a value hovering at a threshold from firing
 * again and again: a dark zone only counts as lit once it is `hysteresis` above darkBelow (and a bright
 * one as normal once `hysteresis` below brightAbove).
 */
import { z } from 'zod';
import { definePlugin, type Frame, type Point } from '../sdk/index.js';

/** Every how many pixels (both directions) the mean is sampled: a mean needs no full scan. */
const STEP = 4;

const configSchema = z
  .strictObject({
    darkBelow: z.number().min(0).max(255).default(40).describe('Mean luma (0-255) under which a zone is dark.'),
    brightAbove: z.number().min(0).max(255).default(200).describe('Mean luma (0-255) over which a zone is bright.'),
    hysteresis: z.number().min(0).max(128).default(8).describe('Luma margin needed to leave the dark or bright state.'),
  })
  .refine((c) => c.darkBelow < c.brightAbove, { error: 'darkBelow must be lower than brightAbove', path: ['darkBelow'] });

type Level = 'dark' | 'normal' | 'bright';

/** Sampled rows of a zone: triplets [row offset in the Y plane, first x, last x (exclusive)]. */
type Spans = Int32Array;

export default definePlugin({
  name: 'brightness',
  description: 'Mean luma per zone; events when the scene goes dark or bright (with hysteresis).',
  configSchema,
  defaults: { fps: 2, latencyBudgetMs: 50, input: { format: 'gray' } },
  create(ctx) {
    const { darkBelow, brightAbove, hysteresis } = ctx.config;
    const zones = Object.entries(ctx.geometry.zones);
    const levels = new Map<string, Level>();
    let spans: { zone: string | undefined; spans: Spans }[] = [];
    let size = '';

    function next(prev: Level | undefined, luma: number): Level {
      if (prev === 'dark') return luma > darkBelow + hysteresis ? next(undefined, luma) : 'dark';
      if (prev === 'bright') return luma < brightAbove - hysteresis ? next(undefined, luma) : 'bright';
      return luma < darkBelow ? 'dark' : luma > brightAbove ? 'bright' : 'normal';
    }

    return {
      onFrame(frame: Frame) {
        const key = `${frame.width}x${frame.height}/${frame.strideY}`;
        if (key !== size) {
          size = key;
          spans = zones.length
            ? zones.map(([zone, poly]) => ({ zone, spans: polygonSpans(poly, frame) }))
            : [{ zone: undefined, spans: polygonSpans([[0, 0], [1, 0], [1, 1], [0, 1]], frame) }];
        }
        for (const z of spans) {
          const luma = meanLuma(frame.y, z.spans);
          if (Number.isNaN(luma)) continue; // zone too small to hit a sample
          const name = z.zone ?? '';
          const prev = levels.get(name);
          const level = next(prev, luma);
          levels.set(name, level);
          if (level === prev || level === 'normal') continue;
          ctx.emit({
            type: level === 'dark' ? 'scene.dark' : 'scene.bright',
            severity: 'info',
            ...(z.zone !== undefined ? { zone: z.zone } : {}),
            attributes: { luma: Math.round(luma * 10) / 10, threshold: level === 'dark' ? darkBelow : brightAbove },
            snapshot: true,
          });
        }
      },
    };
  },
});

/** Mean of the sampled pixels, NaN when there are none. */
function meanLuma(y: Uint8Array, spans: Spans): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const row = spans[i]!;
    for (let x = spans[i + 1]!; x < spans[i + 2]!; x += STEP) {
      sum += y[row + x]!;
      n++;
    }
  }
  return n ? sum / n : NaN;
}

/** Scanline fill (even-odd rule) of a normalised polygon on every STEP-th row, at pixel centres. */
function polygonSpans(poly: Point[], f: Frame): Spans {
  const out: number[] = [];
  const xs: number[] = [];
  for (let py = STEP >> 1; py < f.height; py += STEP) {
    const v = (py + 0.5) / f.height;
    xs.length = 0;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i]!;
      const [xj, yj] = poly[j]!;
      if (yi > v !== yj > v) xs.push(xi + ((v - yi) / (yj - yi)) * (xj - xi));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const x0 = Math.max(0, Math.ceil(xs[k]! * f.width - 0.5));
      const x1 = Math.min(f.width, Math.ceil(xs[k + 1]! * f.width - 0.5));
      if (x1 > x0) out.push(py * f.strideY, x0, x1);
    }
  }
  return Int32Array.from(out);
}
