/**
 * An I420 frame to draw the synthetic scenes into: polygon fills with a colour and an optional
 * texture, a darkening (shadow) fill, and per-frame sensor noise. Pixel loops over typed arrays;
 * nothing is allocated per pixel.
 */

/** A colour in BT.601 limited range: luma 16..235, chroma 16..240 (128 = grey). */
export type Yuv = [number, number, number];

/** Named colours the scenes use. */
export const COLOURS = {
  asphalt: [92, 128, 128],
  marking: [215, 128, 128],
  kerb: [150, 128, 128],
  grass: [110, 100, 115],
  red: [81, 90, 240],
  amber: [150, 44, 200],
  green: [145, 54, 34],
  lampOff: [40, 128, 128],
  white: [225, 128, 128],
  silver: [170, 128, 126],
  black: [30, 128, 128],
  blue: [60, 190, 110],
  darkRed: [60, 110, 190],
  yellow: [190, 30, 150],
} satisfies Record<string, Yuv>;

export class I420Canvas {
  readonly width: number;
  readonly height: number;
  /** Y, then U, then V, as ffmpeg's yuv420p. */
  readonly data: Uint8Array;
  readonly y: Uint8Array;
  readonly u: Uint8Array;
  readonly v: Uint8Array;
  readonly cw: number;
  readonly ch: number;
  /** Per-row [minX, maxX) spans of the polygon being filled (reused). */
  readonly #xs: Float64Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.cw = Math.ceil(width / 2);
    this.ch = Math.ceil(height / 2);
    const luma = width * height;
    const chroma = this.cw * this.ch;
    this.data = new Uint8Array(luma + 2 * chroma);
    this.y = this.data.subarray(0, luma);
    this.u = this.data.subarray(luma, luma + chroma);
    this.v = this.data.subarray(luma + chroma);
    this.#xs = new Float64Array(64);
  }

  fill(c: Yuv): void {
    this.y.fill(c[0]);
    this.u.fill(c[1]);
    this.v.fill(c[2]);
  }

  /**
   * Fills a simple polygon (even-odd rule, pixel centres) with colour `c`; `texture(x, y)` adds a
   * luma offset per pixel (e.g. asphalt grain), `alpha` < 1 blends over what is there.
   */
  fillPolygon(points: readonly (readonly [number, number])[], c: Yuv, texture?: (x: number, y: number) => number, alpha = 1): void {
    this.#scan(points, (row, x0, x1) => {
      const base = row * this.width;
      for (let x = x0; x < x1; x++) {
        const t = texture ? texture(x, row) : 0;
        const i = base + x;
        this.y[i] = clamp(alpha * (c[0] + t) + (1 - alpha) * this.y[i]!);
      }
      if ((row & 1) === 0) {
        const crow = (row >> 1) * this.cw;
        for (let x = x0 + (x0 & 1); x < x1; x += 2) {
          const j = crow + (x >> 1);
          this.u[j] = clamp(alpha * c[1] + (1 - alpha) * this.u[j]!);
          this.v[j] = clamp(alpha * c[2] + (1 - alpha) * this.v[j]!);
        }
      }
    });
  }

  /** Multiplies luma inside the polygon by `factor` and pulls chroma towards grey a little: a cast shadow. */
  shade(points: readonly (readonly [number, number])[], factor: number): void {
    this.#scan(points, (row, x0, x1) => {
      const base = row * this.width;
      for (let x = x0; x < x1; x++) this.y[base + x] = clamp(16 + (this.y[base + x]! - 16) * factor);
    });
  }

  /** Fills a disc. */
  fillDisc(cx: number, cy: number, r: number, c: Yuv): void {
    const pts: [number, number][] = [];
    for (let i = 0; i < 24; i++) pts.push([cx + r * Math.cos((i / 24) * 2 * Math.PI), cy + r * Math.sin((i / 24) * 2 * Math.PI)]);
    this.fillPolygon(pts, c);
  }

  /** Multiplies luma by `gain` (global lighting) and adds zero-mean noise of amplitude `noise` from `rand`. */
  expose(gain: number, noise: number, rand: () => number): void {
    const y = this.y;
    for (let i = 0; i < y.length; i++) y[i] = clamp(16 + (y[i]! - 16) * gain + (rand() + rand() - 1) * noise);
  }

  /** Calls `span(row, x0, x1)` for every pixel row the polygon covers (even-odd rule). */
  #scan(points: readonly (readonly [number, number])[], span: (row: number, x0: number, x1: number) => void): void {
    const n = points.length;
    if (n < 3) return;
    let minY = Infinity;
    let maxY = -Infinity;
    for (const p of points) {
      minY = Math.min(minY, p[1]);
      maxY = Math.max(maxY, p[1]);
    }
    const r0 = Math.max(0, Math.ceil(minY - 0.5));
    const r1 = Math.min(this.height - 1, Math.floor(maxY - 0.5));
    const xs = this.#xs;
    for (let row = r0; row <= r1; row++) {
      const cy = row + 0.5;
      let k = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi] = points[i]!;
        const [xj, yj] = points[j]!;
        if (yi > cy !== yj > cy && k < xs.length) xs[k++] = xi + ((cy - yi) / (yj - yi)) * (xj - xi);
      }
      const sorted = xs.subarray(0, k).sort(); // typed arrays sort numerically, in place
      for (let m = 0; m + 1 < k; m += 2) {
        const x0 = Math.max(0, Math.ceil(sorted[m]! - 0.5));
        const x1 = Math.min(this.width, Math.ceil(sorted[m + 1]! - 0.5));
        if (x1 > x0) span(row, x0, x1);
      }
    }
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
