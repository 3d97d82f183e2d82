/**
 * Vision toolkit speed: milliseconds per frame of the background model alone and of the whole blob
 * detector (background + morphology + components + filters) on a synthetic i420 scene: a textured
 * road, sensor noise, and a few cars moving across. Run by hand:
 *
 *   node --import tsx bench/vision.ts [--frames 200] [--step 1,2]
 *
 * Prints p50 / p99 / mean per size and grid step after a warm-up, for comparing before and after a change.
 */
import { parseArgs } from 'node:util';
import type { Frame } from '../plugins/sdk/types.js';
import { BackgroundModel } from '../plugins/sdk/vision/background.js';
import { BlobDetector } from '../plugins/sdk/vision/blobs.js';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '200' }, step: { type: 'string', default: '1,2' } } });
const FRAMES = Number(values.frames);
const STEPS = values.step.split(',').map(Number);
const SIZES: [number, number][] = [[640, 360], [1280, 720]];
const WARMUP = 50;

/** Renders frame f of the scene: 4 cars crossing at different speeds (rendering is not timed). */
function render(width: number, height: number, f: number, road: Uint8Array, noise: Uint8Array): Frame {
  const y = new Uint8Array(width * height);
  const shift = (f * 7919) % 4096;
  for (let i = 0; i < y.length; i++) y[i] = road[i]! + noise[(i + shift) & 65535]!;
  const u = new Uint8Array((width / 2) * (height / 2)).fill(120);
  const v = new Uint8Array((width / 2) * (height / 2)).fill(135);
  for (let car = 0; car < 4; car++) {
    const w = Math.round(width / 10);
    const h = Math.round(height / 12);
    const x0 = ((f * (3 + 2 * car) + car * 97) % (width + w)) - w;
    const y0 = Math.round(height * (0.2 + car * 0.18));
    for (let r = y0; r < y0 + h; r++) for (let c = Math.max(0, x0); c < Math.min(width, x0 + w); c++) y[r * width + c] = 200 + (c & 7);
  }
  return { cameraId: 'bench', pts: f * 3600, capturedAt: 0, seq: f, width, height, format: 'i420', y, u, v, strideY: width, strideUV: width / 2 };
}

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `p50 ${at(0.5).toFixed(2)}  p99 ${at(0.99).toFixed(2)}  mean ${mean.toFixed(2)} ms`;
}

for (const [width, height] of SIZES) {
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const road = new Uint8Array(width * height).map((_, i) => 60 + ((Math.imul(i, 2654435761) >>> 26) & 63));
  const noise = new Uint8Array(65536).map(() => Math.floor(rand() * 6));
  for (const step of STEPS) {
    const model = new BackgroundModel({ width, height, step });
    const mask = new Uint8Array(model.maskWidth * model.maskHeight);
    const detector = new BlobDetector({ background: { step }, minArea: 100 });
    const bg: number[] = [];
    const blobs: number[] = [];
    let found = 0;
    for (let i = 0; i < WARMUP + FRAMES; i++) {
      const frame = render(width, height, i, road, noise);
      let t = performance.now();
      model.apply(frame, mask);
      if (i >= WARMUP) bg.push(performance.now() - t);
      t = performance.now();
      found = detector.detect(frame).length;
      if (i >= WARMUP) blobs.push(performance.now() - t);
    }
    const label = `${width}x${height} step ${step}`.padEnd(20);
    console.log(`${label} background  ${stats(bg)}`);
    console.log(`${label} blobs       ${stats(blobs)}  (${found} blobs in the last frame)`);
  }
}
