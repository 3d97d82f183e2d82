/**
 * Hand-built frames for the tamper tests: a textured picture (blobs of many sizes, so every tile has
 * structure and no two places look alike), the same picture shifted, blurred, flattened or lit.
 */
import { prng } from '../../core/testing/prng.js';

/** A w × h luma picture of random soft-edged discs over a mid-grey ground, from `seed`. */
export function texture(w: number, h: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(w * h).fill(110);
  for (let k = 0; k < (w * h) / 150; k++) {
    const cx = rand() * w;
    const cy = rand() * h;
    const r = 2 + rand() * 10;
    const v = 30 + rand() * 180;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(h, cy + r); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(w, cx + r); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) out[y * w + x] = v;
      }
    }
  }
  return out;
}

/** `src` moved by (dx, dy) pixels (content goes right and down for positive values), edges clamped. */
export function shifted(src: Uint8Array, w: number, h: number, dx: number, dy: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - dy));
    for (let x = 0; x < w; x++) out[y * w + x] = src[sy * w + Math.min(w - 1, Math.max(0, x - dx))]!;
  }
  return out;
}

/** `src` blurred by a (2r + 1)² box, twice, edges clamped. */
export function blurred(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  let cur = Float64Array.from(src);
  for (let pass = 0; pass < 2; pass++) {
    const tmp = new Float64Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += cur[y * w + Math.min(w - 1, Math.max(0, x + k))]!;
        tmp[y * w + x] = s / (2 * r + 1);
      }
    }
    const next = new Float64Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x]!;
        next[y * w + x] = s / (2 * r + 1);
      }
    }
    cur = next;
  }
  return Uint8Array.from(cur, (v) => Math.round(v));
}

/** Adds uniform noise of ± amp to every pixel, from `seed` (in place), and returns the picture. */
export function noisy(p: Uint8Array, amp: number, seed: number): Uint8Array {
  const rand = prng(seed);
  for (let i = 0; i < p.length; i++) p[i] = Math.max(0, Math.min(255, Math.round(p[i]! + (rand() * 2 - 1) * amp)));
  return p;
}
