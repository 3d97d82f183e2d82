/**
 * How much of a zone is under water. The zone is cut into square cells; each cell is compared with
 * what it looked like dry (learnt while the plugin starts, then followed slowly wherever the cell
 * stays dry). Standing water changes a surface in two ways at once:
 *
 * - its texture goes: the grain, cracks and markings of asphalt or paving are under a smooth,
 *   reflecting surface. Texture is the mean step between neighbouring pixels divided by the cell's
 *   mean luma, so a cloud, the camera's exposure or a shadow (which scale both) leave it as it was;
 * - its appearance changes: the chroma of muddy or sky-blue water, or a luma clearly off the dry one.
 *
 * A cell is water when both hold. A cell whose dry surface has no texture above the sensor's noise
 * (flat paint, grass seen from afar) cannot lose any, and is water on a strong chroma change alone.
 * Wet asphalt after rain keeps its grain (and a passing cloud's shine brightens it, grain and all),
 * a shadow darkens it, neither is water. A vehicle's smooth body passing is, for a moment: the
 * caller's time rules (a median over seconds, then a hold) keep that out of the alarms.
 */
import { pointInPolygon, type Point } from '../sdk/index.js';

/** The planes a WaterExtent reads: luma and, when there, chroma (I420, half size rounded up). */
export interface ExtentPlanes {
  y: Uint8Array;
  strideY: number;
  u?: Uint8Array;
  v?: Uint8Array;
  strideUV: number;
}

/** How a cell is judged; see the file comment. */
export interface ExtentOptions {
  /** Cell side, pixels (even). */
  cell: number;
  /** A cell is water-smooth below this share of its dry texture. */
  textureRatio: number;
  /** Chroma change (|ΔU| + |ΔV|, levels) that counts as a change of appearance. */
  chromaChange: number;
  /** Luma change (a ratio, e.g. 0.2 = 20 %) that counts as a change of appearance. */
  lumaChange: number;
}

/** Absolute texture (levels per pixel step) under which a dry surface has none to lose: sensor noise. */
const NOISE_TEXTURE = 6;
/** Weight of one frame in the dry reference of a cell that stays dry, once learnt. */
const FOLLOW_RATE = 0.01;

/** Share of a zone under water, per frame; see the file comment. */
export class WaterExtent {
  /** Top-left pixel of each cell inside the zone. */
  readonly cellX: Int32Array;
  readonly cellY: Int32Array;
  /** Per cell: 1 where the last frame judged it water. */
  readonly water: Uint8Array;
  readonly #refTexture: Float32Array;
  readonly #refLuma: Float32Array;
  readonly #refU: Float32Array;
  readonly #refV: Float32Array;
  readonly #o: ExtentOptions;
  #learnt = 0;

  /** `polygon`: the zone, normalised; cells whose centre is inside it are watched. */
  constructor(polygon: readonly Point[], width: number, height: number, o: ExtentOptions) {
    this.#o = o;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let y = 0; y + o.cell <= height; y += o.cell) {
      for (let x = 0; x + o.cell <= width; x += o.cell) {
        if (pointInPolygon([(x + o.cell / 2) / width, (y + o.cell / 2) / height], polygon)) {
          xs.push(x);
          ys.push(y);
        }
      }
    }
    this.cellX = Int32Array.from(xs);
    this.cellY = Int32Array.from(ys);
    const n = xs.length;
    this.water = new Uint8Array(n);
    this.#refTexture = new Float32Array(n);
    this.#refLuma = new Float32Array(n);
    this.#refU = new Float32Array(n);
    this.#refV = new Float32Array(n);
  }

  /** Cells in the zone. */
  get cells(): number {
    return this.cellX.length;
  }

  /** Frames learnt into the dry reference so far. */
  get learnt(): number {
    return this.#learnt;
  }

  /**
   * Judges every cell of the frame and returns the share that is water (NaN for an empty zone).
   * With `learning`, the frame is averaged into the dry reference instead (the start-up frames).
   */
  measure(p: ExtentPlanes, learning: boolean): number {
    const n = this.cells;
    if (n === 0) return NaN;
    const o = this.#o;
    const c = o.cell;
    const half = c >> 1;
    const k = learning ? 1 / (this.#learnt + 1) : FOLLOW_RATE;
    let wet = 0;
    for (let i = 0; i < n; i++) {
      const x0 = this.cellX[i]!;
      const y0 = this.cellY[i]!;
      let sum = 0;
      let steps = 0;
      for (let y = y0; y < y0 + c; y++) {
        const row = y * p.strideY;
        for (let x = x0; x < x0 + c; x++) {
          const q = p.y[row + x]!;
          sum += q;
          if (x + 1 < x0 + c) steps += Math.abs(p.y[row + x + 1]! - q);
          if (y + 1 < y0 + c) steps += Math.abs(p.y[row + p.strideY + x]! - q);
        }
      }
      const luma = sum / (c * c);
      const texture = steps / (2 * c * (c - 1)) / Math.max(16, luma);
      let u = 128;
      let v = 128;
      if (p.u && p.v) {
        let su = 0;
        let sv = 0;
        for (let y = y0 >> 1; y < (y0 >> 1) + half; y++) {
          for (let x = x0 >> 1; x < (x0 >> 1) + half; x++) {
            su += p.u[y * p.strideUV + x]!;
            sv += p.v[y * p.strideUV + x]!;
          }
        }
        u = su / (half * half);
        v = sv / (half * half);
      }
      const isWater = !learning && this.#judge(i, texture, luma, u, v);
      this.water[i] = isWater ? 1 : 0;
      if (isWater) {
        wet++;
        continue;
      }
      // Learn (or follow) the dry look, but not from a cell that looks nothing like it (a vehicle).
      if (!learning && Math.abs(luma - this.#refLuma[i]!) > o.lumaChange * this.#refLuma[i]!) continue;
      this.#refTexture[i]! += k * (texture - this.#refTexture[i]!);
      this.#refLuma[i]! += k * (luma - this.#refLuma[i]!);
      this.#refU[i]! += k * (u - this.#refU[i]!);
      this.#refV[i]! += k * (v - this.#refV[i]!);
    }
    if (learning) this.#learnt++;
    return wet / n;
  }

  #judge(i: number, texture: number, luma: number, u: number, v: number): boolean {
    const o = this.#o;
    const chroma = Math.abs(u - this.#refU[i]!) + Math.abs(v - this.#refV[i]!);
    const refLuma = this.#refLuma[i]!;
    const lumaOff = Math.abs(luma - refLuma) > o.lumaChange * refLuma;
    if (this.#refTexture[i]! * refLuma < NOISE_TEXTURE) return chroma >= 2 * o.chromaChange;
    return texture < o.textureRatio * this.#refTexture[i]! && (chroma >= o.chromaChange || lumaOff);
  }
}
