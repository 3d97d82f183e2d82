/**
 * Motion gating for the neural detector, as Frigate does it: the model runs only where something
 * moves or an object is being followed, with a full-frame pass at a slow interval.
 *
 * Each frame's luma is reduced to a coarse grid (cells of `cell` pixels, the mean of a sparse
 * sample) and compared with a slowly updated background of that grid; cells whose mean changed by
 * more than `threshold` are moving. The region sent to the model is the box around the moving cells
 * and the boxes of the objects found last time (they may have moved a little or stopped), padded by
 * `pad` of its larger side, at least `minSize` pixels on each side (clamped to the frame), of any
 * aspect: the pre-processing fits it to the model's input as it does a whole frame. When it would
 * cover more than `fullShare` of the frame's area, or every `fullEveryMs`, the whole frame goes; with
 * no motion and nothing followed, nothing does (the last detections stand: a parked car stays found).
 *
 * The model's input has a fixed size, so a region costs the same inference as the whole frame: only
 * skipped frames save CPU. A region buys accuracy instead: a small, far object is scaled up with its
 * crop (Frigate's reason for regions).
 */

/** A box in frame pixels. */
export interface GateBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Settings of a MotionGate (defaults in DEFAULT_GATE). */
export interface GateOptions {
  /** Grid cell, pixels. */
  cell: number;
  /** Mean luma change (0–255) of a cell that is motion. */
  threshold: number;
  /** Background update rate per frame (0–1). */
  alpha: number;
  /** Padding around the region, share of its larger side. */
  pad: number;
  /** Smallest side of a region, pixels (a smaller crop would only be upscaled more). */
  minSize: number;
  /** A region covering more than this share of the frame's area is the whole frame. */
  fullShare: number;
  /** A full-frame pass at least this often, ms. */
  fullEveryMs: number;
}

export const DEFAULT_GATE: Readonly<GateOptions> = Object.freeze({
  cell: 16,
  threshold: 12,
  alpha: 0.05,
  pad: 0.15,
  minSize: 320,
  fullShare: 0.6,
  fullEveryMs: 5000,
});

/** What to send to the model for one frame. */
export type GateDecision =
  | { kind: 'full' }
  | { kind: 'region'; box: GateBox }
  | { kind: 'skip' };

/** Decides, frame by frame, what part of a camera's frames the detector looks at. */
export class MotionGate {
  readonly #o: GateOptions;
  #bg: Float32Array | undefined;
  #means = new Float32Array(0);
  #cols = 0;
  #rows = 0;
  #width = 0;
  #height = 0;
  #lastFull = -Infinity;

  constructor(opts: Partial<GateOptions> = {}) {
    this.#o = { ...DEFAULT_GATE, ...opts };
  }

  /**
   * The decision for a frame whose luma plane is `y` (stride `strideY`), at `now` (ms), given the
   * boxes of the objects the last pass found.
   */
  decide(y: Uint8Array, strideY: number, width: number, height: number, now: number, followed: readonly GateBox[]): GateDecision {
    const o = this.#o;
    if (width !== this.#width || height !== this.#height) this.#resize(width, height);
    const moving = this.#motion(y, strideY);
    if (now - this.#lastFull >= o.fullEveryMs) return this.#full(now);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    if (moving) [x0, y0, x1, y1] = moving;
    for (const b of followed) {
      x0 = Math.min(x0, b.x);
      y0 = Math.min(y0, b.y);
      x1 = Math.max(x1, b.x + b.w);
      y1 = Math.max(y1, b.y + b.h);
    }
    if (!(x1 > x0 && y1 > y0)) return { kind: 'skip' };
    const pad = 2 * o.pad * Math.max(x1 - x0, y1 - y0);
    const w = Math.round(Math.min(width, Math.max(o.minSize, x1 - x0 + pad)));
    const h = Math.round(Math.min(height, Math.max(o.minSize, y1 - y0 + pad)));
    if (w * h > o.fullShare * width * height) return this.#full(now);
    return { kind: 'region', box: { x: centred(x0, x1, w, width), y: centred(y0, y1, h, height), w, h } };
  }

  #full(now: number): GateDecision {
    this.#lastFull = now;
    return { kind: 'full' };
  }

  #resize(width: number, height: number): void {
    this.#width = width;
    this.#height = height;
    this.#cols = Math.ceil(width / this.#o.cell);
    this.#rows = Math.ceil(height / this.#o.cell);
    this.#bg = undefined;
    this.#lastFull = -Infinity;
  }

  /**
   * Updates the grid background; the box [x0, y0, x1, y1] of the moving cells (pixels), or
   * undefined. A change of the whole frame's brightness is no motion: each cell is compared with
   * its background scaled by the frame's mean over the background's (lighting that drifts, a cloud,
   * the camera's exposure), which at a few frames a second the background alone lags behind.
   */
  #motion(y: Uint8Array, strideY: number): [number, number, number, number] | undefined {
    const { cell, threshold, alpha } = this.#o;
    const cols = this.#cols;
    const rows = this.#rows;
    const first = !this.#bg;
    const bg = (this.#bg ??= new Float32Array(cols * rows));
    const means = this.#means.length === cols * rows ? this.#means : (this.#means = new Float32Array(cols * rows));
    // A sparse sample of each cell (every 4th pixel of every 4th row) is plenty for its mean.
    const step = Math.max(1, cell >> 2);
    let frameSum = 0;
    let bgSum = 0;
    for (let r = 0; r < rows; r++) {
      const ya = r * cell;
      const yb = Math.min(this.#height, ya + cell);
      for (let c = 0; c < cols; c++) {
        const xa = c * cell;
        const xb = Math.min(this.#width, xa + cell);
        let sum = 0;
        let n = 0;
        for (let yy = ya; yy < yb; yy += step) for (let xx = xa, k = yy * strideY + xa; xx < xb; xx += step, k += step) {
          sum += y[k]!;
          n++;
        }
        const i = r * cols + c;
        means[i] = sum / n;
        frameSum += means[i]!;
        bgSum += first ? means[i]! : bg[i]!;
      }
    }
    if (first) {
      bg.set(means);
      return undefined;
    }
    const gain = bgSum > 0 ? frameSum / bgSum : 1;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const mean = means[i]!;
        if (Math.abs(mean - gain * bg[i]!) > threshold) {
          x0 = Math.min(x0, c * cell);
          y0 = Math.min(y0, r * cell);
          x1 = Math.max(x1, Math.min(this.#width, (c + 1) * cell));
          y1 = Math.max(y1, Math.min(this.#height, (r + 1) * cell));
        }
        bg[i] = bg[i]! + alpha * (mean - bg[i]!);
      }
    }
    return x1 > x0 ? [x0, y0, x1, y1] : undefined;
  }
}

/** Start of a span of `size` centred on [a, b], moved inside [0, limit). */
function centred(a: number, b: number, size: number, limit: number): number {
  return Math.round(Math.min(Math.max(0, (a + b) / 2 - size / 2), limit - size));
}
