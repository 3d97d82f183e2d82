/**
 * Background subtraction: a Gaussian mixture per pixel over luma, after Zivkovic's MOG2
 * ("Improved adaptive Gaussian mixture model for background subtraction", ICPR 2004; "Efficient
 * adaptive density estimation per image pixel", PRL 2006) as OpenCV's BackgroundSubtractorMOG2
 * implements it: up to K modes per pixel, sorted by weight; the first modes whose weights add up to
 * `backgroundRatio` are the background; a Dirichlet prior (`complexityReduction`) prunes modes that
 * stop being seen, so most pixels run on one or two.
 *
 * Shadows (OpenCV's detectShadows, Prati et al., PAMI 2003): a pixel that matches no background mode
 * but is a background mode's luma scaled by a ratio in [shadowRatio, shadowMaxRatio], with its chroma
 * (when U/V are given) still the background's, is marked 127. A shadow keeps the chroma of what it
 * falls on: either unchanged (grey surfaces, or chroma as the tests render it) or scaled toward 128 by
 * the same ratio as luma (a true dimming of RGB); both are accepted, within `shadowChroma` levels.
 *
 * Lighting: a cloud or the camera's auto-exposure moves every pixel at once, which the slow learning
 * rate would report as a frame full of foreground for hundreds of frames. Exposure scales luma (a
 * power-law transfer keeps ratios), so each frame measures the global gain G: the median, over a
 * sample of cells, of luma / the cell's strongest mode. Two signs raise the learning rate to
 * `lightingRate` for the next `lightingFrames` frames: most of the 4×4 tiles changed at once (a step),
 * or |G − 1| ≥ `lightingGain` (a ramp the model lags behind, caught before it floods). While raised,
 * only cells that the gain explains (luma within the background threshold of G × mode mean) learn at
 * the raised rate; the rest (vehicles, shadows) keep the normal rate, so a car is not absorbed into
 * the background because the sun came out.
 *
 * Speed: the model may run on a grid of every `step`-th pixel of every `step`-th row; the mask then
 * has `maskWidth × maskHeight` = ceil(width/step) × ceil(height/step) cells, cell (gx, gy) being
 * pixel (gx·step, gy·step). All state is preallocated in the constructor; `apply` allocates nothing.
 */
import type { Frame } from '../types.js';

/** Mask value of a background cell. */
export const MASK_BACKGROUND = 0;
/** Mask value of a shadow cell (OpenCV's default nShadowDetection). */
export const MASK_SHADOW = 127;
/** Mask value of a foreground cell. */
export const MASK_FOREGROUND = 255;

/** The planes `apply` reads. */
export type BackgroundFrame = Pick<Frame, 'y' | 'strideY' | 'u' | 'v' | 'strideUV' | 'width' | 'height'>;

/** Options of a BackgroundModel; all but the size default to OpenCV's MOG2 values where it has one. */
export interface BackgroundModelOptions {
  width: number;
  height: number;
  /** Model every step-th pixel of every step-th row (1 = every pixel). Default 1. */
  step?: number;
  /** Gaussians per pixel, K (1..8). Default 4. */
  modes?: number;
  /** Frames the automatic learning rate averages over: 1/min(2·frames, history). Default 500. */
  history?: number;
  /** Squared Mahalanobis distance within which a pixel is background (Tb). Default 16. */
  varThreshold?: number;
  /** Squared distance within which a pixel updates an existing mode instead of starting one (Tg). Default 9. */
  varThresholdGen?: number;
  /** Share of the weight the background modes cover (TB). Default 0.9. */
  backgroundRatio?: number;
  /** Variance of a new mode. Default 15. */
  varInit?: number;
  /** Variance bounds. Defaults 4 and 75. */
  varMin?: number;
  varMax?: number;
  /** Dirichlet prior that prunes unused modes (cT). Default 0.05. */
  complexityReduction?: number;
  /** Mark shadows 127 instead of foreground 255. Default true. */
  detectShadows?: boolean;
  /** Darkest shadow, as luma / background luma (OpenCV's tau). Default 0.5. */
  shadowRatio?: number;
  /** Lightest shadow, as luma / background luma. Default 1 (OpenCV). */
  shadowMaxRatio?: number;
  /** Largest chroma change (U or V levels) a shadow may carry, when chroma is given. Default 10. */
  shadowChroma?: number;
  /** Raise the learning rate on global lighting changes. Default true. */
  adaptToLighting?: boolean;
  /** The raised learning rate, for cells the lighting change explains. Default 0.1. */
  lightingRate?: number;
  /** Frames the raised rate holds after the last sign of a lighting change. Default 20. */
  lightingFrames?: number;
  /** Share of the 4×4 tiles that must be more than half changed to count as a lighting step. Default 0.6. */
  lightingTileShare?: number;
  /** Global gain change |G − 1| that counts as a lighting ramp. Default 0.025. */
  lightingGain?: number;
  /**
   * Covered cells (foreground or shadow this frame) follow the global lighting too, as held cells do:
   * their modes are scaled as the background around them learns the gain. Without it, a background
   * mode hidden under someone who stood through a lighting ramp is stale when they leave, and a slow
   * model sees a ghost there for minutes. Default false (MOG2: a hidden mode does not change).
   */
  coveredFollowLighting?: boolean;
}

/** Tiles per side of the grid the lighting-step test counts changed pixels in. */
const TILES = 4;
/** Gain histogram: bins of 1/GAIN_SCALE over 0..GAIN_BINS/GAIN_SCALE; every GAIN_SAMPLE-th cell is counted. */
const GAIN_SCALE = 256;
const GAIN_BINS = 1024;
const GAIN_SAMPLE = 8;
/** Slots of BackgroundModel's per-frame statistics. */
const FOREGROUND = 0;
const SHADOW = 1;
const RATE = 2;
const GAIN = 3;
const TILES_CHANGED = 4;

/** A per-pixel Gaussian-mixture background model producing foreground / shadow masks. */
export class BackgroundModel {
  /** Frame size the model was built for. */
  readonly width: number;
  readonly height: number;
  /** Grid step; the mask is maskWidth × maskHeight. */
  readonly step: number;
  readonly maskWidth: number;
  readonly maskHeight: number;

  private readonly k: number;
  private readonly history: number;
  private readonly tb: number;
  private readonly tg: number;
  private readonly bgRatio: number;
  private readonly varInit: number;
  private readonly varMin: number;
  private readonly varMax: number;
  private readonly ct: number;
  private readonly detectShadows: boolean;
  private readonly tau: number;
  private readonly tauMax: number;
  private readonly chromaTol: number;
  private readonly adapt: boolean;
  private readonly coveredFollow: boolean;
  private readonly lightingRate: number;
  private readonly lightingFrames: number;
  private readonly lightingTileShare: number;
  private readonly lightingGain: number;

  /**
   * Weight, mean and variance of mode m of cell p at [m · cells + p]: mode-major planes, so the
   * common one-mode pixel touches only the first plane of each (a quarter of the memory at K = 4).
   */
  private readonly wt: Float32Array;
  private readonly mu: Float32Array;
  private readonly va: Float32Array;
  private readonly cells: number;
  private readonly used: Uint8Array;
  /**
   * Background chroma (U, V) per chroma sample, learnt while the cell over its top-left luma pixel
   * is background (at step 1; at larger steps each sample has at most one cell over it).
   */
  private readonly bgChroma: Float32Array;
  private readonly chromaWidth: number;
  private chromaReady = false;
  private readonly tileCol: Uint8Array;
  private readonly tileRow: Uint8Array;
  private readonly tileSize: Float64Array;
  private readonly tileChanged: Int32Array;
  private readonly gainHist = new Int32Array(GAIN_BINS);
  /** What the pixel loop counted: foreground, shadow, gain samples. */
  private readonly counters = new Float64Array(3);

  private frames = 0;
  private boostLeft = 0;
  /**
   * The last frame's statistics, by the slot constants above. A typed array, not an object literal:
   * the second model built in a process got a literal whose map V8 had since changed (its fields
   * came to hold doubles), and storing it discarded the optimised pixel loop: a frame interpreted,
   * then 70-160 ms of CPU recompiling it (seen in bench plugins as a spike on an early frame).
   */
  private readonly stats = Float64Array.of(0, 0, 0, 1, 0);

  constructor(opts: BackgroundModelOptions) {
    const { width, height } = opts;
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new RangeError(`BackgroundModel: bad size ${width}x${height}`);
    }
    const step = opts.step ?? 1;
    const k = opts.modes ?? 4;
    if (!(Number.isInteger(step) && step >= 1)) throw new RangeError(`BackgroundModel: step must be a positive integer`);
    if (!(Number.isInteger(k) && k >= 1 && k <= 8)) throw new RangeError(`BackgroundModel: modes must be 1..8`);
    this.width = width;
    this.height = height;
    this.step = step;
    this.maskWidth = Math.ceil(width / step);
    this.maskHeight = Math.ceil(height / step);
    this.k = k;
    this.history = opts.history ?? 500;
    this.tb = opts.varThreshold ?? 16;
    this.tg = opts.varThresholdGen ?? 9;
    this.bgRatio = opts.backgroundRatio ?? 0.9;
    this.varInit = opts.varInit ?? 15;
    this.varMin = opts.varMin ?? 4;
    this.varMax = opts.varMax ?? 75;
    this.ct = opts.complexityReduction ?? 0.05;
    this.detectShadows = opts.detectShadows ?? true;
    this.tau = opts.shadowRatio ?? 0.5;
    this.tauMax = opts.shadowMaxRatio ?? 1;
    this.chromaTol = opts.shadowChroma ?? 10;
    this.adapt = opts.adaptToLighting ?? true;
    this.coveredFollow = opts.coveredFollowLighting ?? false;
    this.lightingRate = opts.lightingRate ?? 0.1;
    this.lightingFrames = opts.lightingFrames ?? 20;
    this.lightingTileShare = opts.lightingTileShare ?? 0.6;
    this.lightingGain = opts.lightingGain ?? 0.025;

    const cells = this.maskWidth * this.maskHeight;
    this.cells = cells;
    this.wt = new Float32Array(cells * k);
    this.mu = new Float32Array(cells * k);
    this.va = new Float32Array(cells * k);
    this.used = new Uint8Array(cells);
    this.chromaWidth = Math.ceil(width / 2);
    this.bgChroma = new Float32Array(this.chromaWidth * Math.ceil(height / 2) * 2);
    this.tileCol = new Uint8Array(this.maskWidth);
    this.tileRow = new Uint8Array(this.maskHeight);
    for (let x = 0; x < this.maskWidth; x++) this.tileCol[x] = Math.floor((x * TILES) / this.maskWidth);
    for (let y = 0; y < this.maskHeight; y++) this.tileRow[y] = Math.floor((y * TILES) / this.maskHeight);
    this.tileSize = new Float64Array(TILES * TILES);
    for (let y = 0; y < this.maskHeight; y++) for (let x = 0; x < this.maskWidth; x++) this.tileSize[this.tileRow[y]! * TILES + this.tileCol[x]!]!++;
    this.tileChanged = new Int32Array(TILES * TILES);
  }

  /** Share of the last mask's cells that were foreground (255). */
  get foregroundFraction(): number {
    return this.stats[FOREGROUND]!;
  }

  /** Share of the last mask's cells that were shadow (127). */
  get shadowFraction(): number {
    return this.stats[SHADOW]!;
  }

  /** Learning rate the last `apply` used (for cells the lighting explains, when raised). */
  get learningRate(): number {
    return this.stats[RATE]!;
  }

  /** True while the rate is raised after a lighting change. */
  get adaptingToLighting(): boolean {
    return this.boostLeft > 0;
  }

  /** Global gain G of the last frame against the background (1 = unchanged lighting). */
  get lightingGainLevel(): number {
    return this.stats[GAIN]!;
  }

  /** Frames seen so far. */
  get frameCount(): number {
    return this.frames;
  }

  /** Forgets everything learnt (a camera moved, a scene cut). */
  reset(): void {
    this.used.fill(0);
    this.frames = 0;
    this.boostLeft = 0;
    this.chromaReady = false;
    this.stats.fill(0);
    this.stats[GAIN] = 1;
  }

  /**
   * The background as an image: each cell's heaviest mode's mean luma, rounded (0 for a cell never
   * seen), into `out` (maskWidth × maskHeight). For comparing what the model expects with the frame,
   * e.g. the edges along a changed region's contour.
   */
  backgroundImage(out: Uint8Array): void {
    if (out.length < this.cells) throw new RangeError(`BackgroundModel: image needs ${this.cells} bytes`);
    for (let p = 0; p < this.cells; p++) out[p] = this.used[p]! > 0 ? Math.min(255, Math.round(this.mu[p]!)) : 0;
  }

  /**
   * Classifies `frame` into `mask` (maskWidth × maskHeight, row-major: 0 background, 127 shadow,
   * 255 foreground) and learns from it. `learningRate` < 0 or absent: automatic,
   * 1/min(2·frames, history), raised on lighting changes; 0 freezes the model; > 0 is used as is
   * (still raised on lighting changes). `hold` (maskWidth × maskHeight, optional): cells that are
   * non-zero are classified but not learnt from, so an object known to be there (a tracked vehicle
   * waiting at a light) is not absorbed into the background however long it stands still.
   */
  apply(frame: BackgroundFrame, mask: Uint8Array, learningRate = -1, hold?: Uint8Array): void {
    if (frame.width !== this.width || frame.height !== this.height) {
      throw new RangeError(`BackgroundModel: frame is ${frame.width}x${frame.height}, model is ${this.width}x${this.height}`);
    }
    const gw = this.maskWidth;
    const gh = this.maskHeight;
    if (mask.length < gw * gh) throw new RangeError(`BackgroundModel: mask needs ${gw * gh} bytes`);
    this.frames++;
    const baseAlpha = learningRate >= 0 ? learningRate : 1 / Math.min(2 * this.frames, this.history);
    const boosting = this.boostLeft > 0 && baseAlpha > 0 && this.lightingRate > baseAlpha;
    if (this.boostLeft > 0) this.boostLeft--;
    const boostAlpha = boosting ? this.lightingRate : baseAlpha;
    this.gainHist.fill(0);
    this.tileChanged.fill(0);
    if (hold !== undefined && hold.length < gw * gh) throw new RangeError(`BackgroundModel: hold needs ${gw * gh} bytes`);
    this.classify(frame, mask, baseAlpha, boosting ? boostAlpha : -1, hold);
    if (frame.u !== undefined && frame.v !== undefined) this.chromaReady = true;

    const cells = this.maskWidth * this.maskHeight;
    const fg = this.counters[0]!;
    const sh = this.counters[1]!;
    const gainSamples = this.counters[2]!;
    let tiles = 0;
    for (let t = 0; t < TILES * TILES; t++) if (this.tileChanged[t]! * 2 > this.tileSize[t]!) tiles++;
    let median = gainSamples >> 1;
    let bin = 0;
    while (bin < GAIN_BINS - 1 && median >= this.gainHist[bin]!) median -= this.gainHist[bin++]!;
    const stats = this.stats;
    stats[GAIN] = gainSamples > 0 ? (bin + 0.5) / GAIN_SCALE : 1;
    stats[FOREGROUND] = fg / cells;
    stats[SHADOW] = sh / cells;
    stats[RATE] = boostAlpha;
    stats[TILES_CHANGED] = tiles / (TILES * TILES);
    // Either sign holds the raised rate for the next lightingFrames frames.
    if (this.adapt && this.frames > 1) {
      const jump = stats[TILES_CHANGED]! >= this.lightingTileShare;
      const ramp = Math.abs(stats[GAIN]! - 1) >= this.lightingGain;
      if (jump || ramp) this.boostLeft = this.lightingFrames;
    }
  }

  /**
   * The pixel loop: match, update, classify. `boostAlpha` < 0 means no raised rate this frame.
   * Kept apart from the bookkeeping in `apply` so V8 optimises it as one tight function; the rare
   * paths (a new mode, the shadow test) are functions of their own for the same reason.
   */
  private classify(frame: BackgroundFrame, mask: Uint8Array, baseAlpha: number, boostAlpha: number, hold: Uint8Array | undefined): void {
    const gw = this.maskWidth;
    const gh = this.maskHeight;
    const boosting = boostAlpha >= 0;
    const gain = this.stats[GAIN]!;
    const ct = this.ct;
    const { k, tb, tg, bgRatio, varMin, varMax, wt, mu, va, cells, used, bgChroma, tileCol, tileChanged, gainHist, coveredFollow } = this;
    const shadows = this.detectShadows;
    const yp = frame.y;
    const strideY = frame.strideY;
    const up = frame.u;
    const vp = frame.v;
    const strideUV = frame.strideUV;
    const chroma = up !== undefined && vp !== undefined;
    const initChroma = chroma && !this.chromaReady;
    const step = this.step;
    const chromaOdd = step > 1 ? 0 : 1;
    // A lone mode's weight is 1 − alpha·cT after its update (then renormalised to 1), so its gain is fixed per rate.
    const soloBase = baseAlpha / (1 - baseAlpha * ct);
    const soloBoost = boosting ? boostAlpha / (1 - boostAlpha * ct) : soloBase;

    let fg = 0;
    let sh = 0;
    let gainSamples = 0;
    let sampleIn = 0;
    for (let gy = 0, p = 0; gy < gh; gy++) {
      const y = gy * step;
      const rowY = y * strideY;
      const rowC = (y >> 1) * strideUV;
      const rowQ = (y >> 1) * this.chromaWidth;
      const tileBase = this.tileRow[gy]! * TILES;
      for (let gx = 0; gx < gw; gx++, p++) {
        const x = gx * step;
        const data = yp[rowY + x]!;
        let n = used[p]!;
        let alpha = baseAlpha;
        let solo = soloBase;
        if (n > 0) {
          const mean0 = mu[p]!;
          if (sampleIn-- === 0) {
            sampleIn = GAIN_SAMPLE - 1;
            const q = (((data + 0.5) / (mean0 + 0.5)) * GAIN_SCALE) | 0;
            gainHist[q < GAIN_BINS ? q : GAIN_BINS - 1]!++;
            gainSamples++;
          }
          if (boosting) {
            const d = data - gain * mean0;
            if (d * d < tb * va[p]!) {
              alpha = boostAlpha;
              solo = soloBoost;
            }
          }
        }
        const held = hold !== undefined && hold[p] !== 0 && n > 0;
        if (held) {
          // Held cells learn nothing from what covers them, but follow the lighting as unheld
          // background does (mu += a·(G·mu − mu)); or the spot a long stop uncovers is a ghost.
          const follow = 1 + (boosting ? boostAlpha : baseAlpha) * (gain - 1);
          for (let mo = 0, i = p; mo < n; mo++, i += cells) mu[i] = mu[i]! * follow;
          alpha = 0;
          solo = 0;
        }
        let fits = false;
        let background = false;
        if (n === 1) {
          // Fast path: one mode, and the pixel fits it (most pixels, most frames); its weight stays 1.
          const variance = va[p]!;
          const diff = data - mu[p]!;
          const d2 = diff * diff;
          if (d2 < tg * variance) {
            fits = true;
            background = d2 < tb * variance;
            mu[p] = mu[p]! + solo * diff;
            const vn = variance + solo * (d2 - variance);
            va[p] = vn < varMin ? varMin : vn > varMax ? varMax : vn;
          }
        }
        if (!fits) {
          const alpha1 = 1 - alpha;
          const prune = -alpha * ct;
          let total = 0;
          for (let mo = 0; mo < n; mo++) {
            const i = mo * cells + p;
            let weight = alpha1 * wt[i]! + prune;
            let swaps = 0;
            if (!fits) {
              const variance = va[i]!;
              const diff = data - mu[i]!;
              const d2 = diff * diff;
              if (total < bgRatio && d2 < tb * variance) background = true;
              if (d2 < tg * variance) {
                fits = true;
                weight += alpha;
                const kk = alpha / weight;
                mu[i] = mu[i]! + kk * diff;
                const vn = variance + kk * (d2 - variance);
                va[i] = vn < varMin ? varMin : vn > varMax ? varMax : vn;
                // Keep the modes sorted by weight: bubble the matched one up.
                for (let a = i; a >= cells; a -= cells) {
                  const b = a - cells;
                  if (weight < wt[b]!) break;
                  swaps++;
                  let t = mu[a]!;
                  mu[a] = mu[b]!;
                  mu[b] = t;
                  t = va[a]!;
                  va[a] = va[b]!;
                  va[b] = t;
                  wt[a] = wt[b]!;
                }
              }
            }
            if (weight < -prune) weight = 0;
            wt[i - swaps * cells] = weight;
            total += weight;
          }
          // Pruned modes sort to the end; drop them, then renormalise.
          while (n > 0 && wt[(n - 1) * cells + p] === 0) n--;
          if (total > 0) {
            const inv = 1 / total;
            for (let i = p, mo = 0; mo < n; mo++, i += cells) wt[i] = wt[i]! * inv;
          }
          if (!fits && !held) n = addMode(wt, mu, va, cells, p, n, k, data, alpha, this.varInit);
          used[p] = n;
        }

        const c = chroma ? rowC + (x >> 1) : 0;
        const q = 2 * (rowQ + (x >> 1));
        if (initChroma) {
          bgChroma[q] = up![c]!;
          bgChroma[q + 1] = vp![c]!;
        }
        if (!background && coveredFollow && !held && n > 0) {
          // Covered: the modes follow the lighting as the background around them does (see the option).
          const follow = 1 + (boosting ? boostAlpha : baseAlpha) * (gain - 1);
          for (let mo = 0, i = p; mo < n; mo++, i += cells) mu[i] = mu[i]! * follow;
        }
        if (background) {
          mask[p] = 0;
          if (chroma && alpha > 0 && ((x | y) & chromaOdd) === 0) {
            bgChroma[q] = bgChroma[q]! + alpha * (up![c]! - bgChroma[q]!);
            bgChroma[q + 1] = bgChroma[q + 1]! + alpha * (vp![c]! - bgChroma[q + 1]!);
          }
          continue;
        }
        tileChanged[tileBase + tileCol[gx]!]!++;
        if (shadows && this.isShadow(p, q, n, data, chroma ? up![c]! : -1, chroma ? vp![c]! : -1)) {
          mask[p] = 127;
          sh++;
        } else {
          mask[p] = 255;
          fg++;
        }
      }
    }
    this.counters[0] = fg;
    this.counters[1] = sh;
    this.counters[2] = gainSamples;
  }

  /**
   * OpenCV's detectShadowGMM: darker than one of the background modes (in weight order) by a ratio
   * in [tau, tauMax]; with chroma (u, v ≥ 0), also the background's colour, unchanged or dimmed.
   */
  private isShadow(p: number, q: number, n: number, data: number, u: number, v: number): boolean {
    let tw = 0;
    for (let mo = 0, i = p; mo < n; mo++, i += this.cells) {
      const mean = this.mu[i]!;
      if (mean > 0) {
        const ratio = data / mean;
        if (ratio >= this.tau && ratio <= this.tauMax) {
          if (u < 0) return true;
          const bu = this.bgChroma[q]! - 128;
          const bv = this.bgChroma[q + 1]! - 128;
          const tolU = this.chromaTol + (1 - ratio) * Math.abs(bu);
          const tolV = this.chromaTol + (1 - ratio) * Math.abs(bv);
          if (Math.abs(u - 128 - bu) <= tolU && Math.abs(v - 128 - bv) <= tolV) return true;
        }
      }
      tw += this.wt[i]!;
      if (tw > this.bgRatio) return false;
    }
    return false;
  }
}

/**
 * Starts a mode at `data` for cell p, which no mode explains, replacing the weakest when all k are
 * in use (MOG2): weight alpha (1 if it is the only one), the others scaled by 1 − alpha; then sorts
 * it into place. Returns the cell's new mode count.
 */
function addMode(wt: Float32Array, mu: Float32Array, va: Float32Array, cells: number, p: number, n: number, k: number, data: number, alpha: number, varInit: number): number {
  const mo = n === k ? k - 1 : n++;
  let a = mo * cells + p;
  if (n === 1) {
    wt[a] = 1;
  } else {
    for (let j = 0, i = p; j < n; j++, i += cells) if (j !== mo) wt[i] = wt[i]! * (1 - alpha);
    wt[a] = alpha;
  }
  mu[a] = data;
  va[a] = varInit;
  for (; a >= cells; a -= cells) {
    const b = a - cells;
    if (wt[a]! < wt[b]!) break;
    let t = wt[a]!;
    wt[a] = wt[b]!;
    wt[b] = t;
    t = mu[a]!;
    mu[a] = mu[b]!;
    mu[b] = t;
    t = va[a]!;
    va[a] = va[b]!;
    va[b] = t;
  }
  return n;
}
