/**
 * Is the vehicle that stopped still there? The tracker cannot always tell: when a vehicle that
 * stood a while drives off, the background model, frozen under it, lags behind the lighting, and
 * the spot it uncovers stays "foreground" for seconds — a ghost with the vehicle's outline, on which
 * its track may linger. The picture can tell: inside the box the vehicle stood in, the luma now still
 * correlates with a template taken while it stood there if (and only if) the same vehicle is there.
 * Normalised cross-correlation ignores a change of exposure or lighting in between.
 */
import type { Box } from '../sdk/index.js';

/** A luma plane: `stride` bytes per row. */
export interface LumaPlane {
  y: Uint8Array;
  width: number;
  height: number;
  stride: number;
}

/** Samples at most this many pixels per side of the box (every few pixels on big boxes). */
const SAMPLES_PER_SIDE = 32;

/** The luma inside a box, sampled on a grid, to compare later frames with. */
export class LumaTemplate {
  private constructor(
    readonly box: Box,
    readonly step: number,
    readonly samples: Uint8Array,
  ) {}

  /** Samples `plane` inside `box` (pixels, clipped to the plane). */
  static capture(plane: LumaPlane, box: Box): LumaTemplate {
    const clip = clipBox(plane, box);
    const step = Math.max(1, Math.floor(Math.max(clip.w, clip.h) / SAMPLES_PER_SIDE));
    const samples = new Uint8Array(Math.ceil(clip.w / step) * Math.ceil(clip.h / step));
    let n = 0;
    for (let y = clip.y; y < clip.y + clip.h; y += step) {
      for (let x = clip.x; x < clip.x + clip.w; x += step) samples[n++] = plane.y[y * plane.stride + x]!;
    }
    return new LumaTemplate(clip, step, samples);
  }

  /** Normalised cross-correlation (-1..1) with the same samples of `plane`; 0 for too few samples or a flat side. */
  correlate(plane: LumaPlane): number {
    const { box, step, samples } = this;
    if (box.x + box.w > plane.width || box.y + box.h > plane.height || samples.length < 16) return 0;
    let n = 0;
    let sa = 0;
    let sb = 0;
    let saa = 0;
    let sbb = 0;
    let sab = 0;
    for (let y = box.y; y < box.y + box.h; y += step) {
      for (let x = box.x; x < box.x + box.w; x += step) {
        const p = samples[n++]!;
        const q = plane.y[y * plane.stride + x]!;
        sa += p;
        sb += q;
        saa += p * p;
        sbb += q * q;
        sab += p * q;
      }
    }
    const va = saa - (sa * sa) / n;
    const vb = sbb - (sb * sb) / n;
    // A flat patch (a uniform wall, a blank frame) says nothing either way.
    if (va < n || vb < n) return 0;
    return (sab - (sa * sb) / n) / Math.sqrt(va * vb);
  }
}

/** The integer pixel box inside the plane. */
function clipBox(plane: LumaPlane, box: Box): Box {
  const x = Math.max(0, Math.floor(box.x));
  const y = Math.max(0, Math.floor(box.y));
  const w = Math.max(0, Math.min(plane.width, Math.ceil(box.x + box.w)) - x);
  const h = Math.max(0, Math.min(plane.height, Math.ceil(box.y + box.h)) - y);
  return { x, y, w, h };
}
