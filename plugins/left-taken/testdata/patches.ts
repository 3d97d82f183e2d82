/**
 * Hand-built gray frames for the left-taken tests: textured ground (a fixed pattern, as pavement
 * has) with sensor noise, and rectangles drawn on it. Not used by the plugin itself.
 */
import { prng } from '../../../core/testing/prng.js';
import type { Frame } from '../../sdk/index.js';

/** A rectangle of one luma, in pixels, shown between fromMs and untilMs (either open). */
export interface Patch {
  x: number;
  y: number;
  w: number;
  h: number;
  luma: number;
  fromMs?: number;
  untilMs?: number;
  /** Added to the ground instead of replacing it (a patch of light: no outline of its own), with edges ramped over this many pixels. */
  add?: { ramp: number };
}

/** Makes the frames of a scene of patches on textured ground; `gain(t)` scales the whole frame (lighting). */
export class PatchScene {
  readonly #rand: () => number;
  readonly #y: Uint8Array;

  constructor(readonly width: number, readonly height: number, readonly patches: Patch[], readonly gain: (tMs: number) => number = () => 1, seed = 1) {
    this.#rand = prng(seed);
    this.#y = new Uint8Array(width * height);
  }

  /** The frame at scene time tMs (epoch ms = tMs); its planes are reused by the next call. */
  frame(tMs: number, seq = 0): Frame {
    const { width, height } = this;
    const y = this.#y;
    const g = this.gain(tMs);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        let v = 110 + ((c * 7 + r * 13) % 11) - 5;
        for (const p of this.patches) {
          if ((p.fromMs !== undefined && tMs < p.fromMs) || (p.untilMs !== undefined && tMs >= p.untilMs)) continue;
          if (p.add) {
            const d = Math.min(c - p.x + 1, p.x + p.w - c, r - p.y + 1, p.y + p.h - r);
            if (d > 0) v += p.luma * Math.min(1, d / p.add.ramp);
          } else if (c >= p.x && c < p.x + p.w && r >= p.y && r < p.y + p.h) {
            v = p.luma;
          }
        }
        v = v * g + (this.#rand() - 0.5) * 6;
        y[r * width + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
    return { cameraId: 'test', pts: seq * 18_000, capturedAt: tMs, seq, width, height, format: 'gray', y, strideY: width, strideUV: 0 };
  }
}
