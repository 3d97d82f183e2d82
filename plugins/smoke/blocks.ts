/**
 * Per-block smoke evidence: does a block look like its background seen through a veil?
 *
 * Smoke between the camera and a surface blends the surface toward the smoke's grey with some
 * opacity a (and low-passes it a little): the surface's edges are still there, in the same places,
 * only weaker, and its colour fades toward neutral. An opaque object instead replaces the edges
 * with its own; a cloud shadow or an exposure change scales luma, its edges and its chroma
 * together; fog does what smoke does, but over the whole frame at once.
 *
 * So each block of B × B pixels compares the frame with a slowly learnt background (a per-pixel
 * running mean of luma and chroma, which also averages the sensor noise away):
 * - edges: one-level Haar details (LH, HL, HH of every 2 × 2 cell) of frame (c) and background (b).
 *   The projection gain k = Σ c·b / Σ b·b is how much of the background's edge pattern is still
 *   there, and the residual Σ (c − k b)² is new structure that the background did not have (the
 *   edges of a person or a car, or noise). k is divided by the block's luma ratio (less the black
 *   level), so a shadow or exposure change, which scales edges and luma alike, keeps a normalised
 *   gain of 1 while a veil, which weakens edges but not the block's brightness, drops below it.
 * - chroma: mean |U − 128| + |V − 128| of frame over background, divided by the same luma ratio
 *   (a camera's chroma scales with light, as luma does; a veil greys it out).
 * Blocks with too little background texture (below a multiple of the frame's noise) or colour give
 * no edge or chroma evidence. The frame's noise level is the median residual over all blocks: most
 * blocks are background, where the residual is the sensor's noise.
 *
 * Where a block has texture, a veil must show in both cues. Where it has none (a flat lawn, a
 * painted wall), chroma is the only evidence, and its normalisation rests on chroma scaling with the
 * light, which a real scene only roughly keeps (a shadow lit by blue skylight, a camera's white
 * balance drifting, or a renderer that darkens luma alone). So there the colour must also really be
 * gone: a veil blends chroma toward neutral whatever it does to luma, so the raw chroma ratio
 * (frame over background, before normalising) must have fallen as well, below RAW_FADE of its band's.
 * A patch that only brightened — where a cloud shadow lay while the background was learnt, now lit —
 * keeps its raw colour, and only its normalised ratio looks faded (a held-out clouds scene raised a
 * false smoke that way).
 *
 * Fog and exposure are frame-wide: each block's normalised gain is compared with the median gain of
 * its band of block rows (fog thickens with distance, which in a ground scene is the row), so a
 * block only counts when it has lost clearly more than its surroundings.
 *
 * The background learns with time constant `backgroundS`, 16 times slower in blocks that show smoke,
 * so a plume is not absorbed while it lasts, but anything left for good is learnt in the end.
 *
 * A block's background can also hold something that was only standing in front of it: a truck
 * stopped at a light, or one in view while the background was first averaged together. When it
 * leaves, the surface it reveals differs from that background the way a veil does — the truck's
 * paint and edges are gone and the road is greyer — yet nothing is veiled. What tells the two apart
 * is how the change came: smoke thickens over seconds, a departing vehicle uncovers the block from
 * one frame to the next. So a block whose mean luma or colour jumps between frames (a step) is
 * watched until it has been still for SETTLE_S; if it then looks veiled, and did not look so before
 * the step, the step and not a veil made the difference, and the block's background is taken from
 * the frame at once. A person crossing a block that smoke already veils is a step too, but the block
 * was smoky before it, so the smoke is kept.
 */

/** Block side in analysis pixels (8 × 8 Haar cells, 8 × 8 chroma samples). */
export const BLOCK = 16;
/** Black level: luma ratios are taken above it (BT.601 limited range). */
const BLACK = 16;
/** Block rows per band for the frame-wide reference. */
const BAND_ROWS = 3;
/** Fewest informative blocks for a band's own median; fewer and the frame's median is used. */
const BAND_MIN = 6;
/** Learning in blocks showing smoke is this many times slower. */
const SLOW = 16;
/**
 * A step: the block's mean luma, or mean |ΔU| + |ΔV|, moves at least this many levels from one frame
 * to the next, at 4 fps or more. Frames further apart need a proportionally larger move, so that a
 * plume thickening at its usual pace is no step at a low frame rate either.
 */
const STEP_LUMA = 8;
const STEP_CHROMA = 8;
const STEP_FRAME_S = 0.25;
/** Seconds a block must stay without a step after one before it is judged (see the file comment). */
const SETTLE_S = 1;

/** The planes a SmokeBlocks reads: analysis-size luma and chroma with their strides. */
export interface SmokePlanes {
  y: Uint8Array;
  u: Uint8Array;
  v: Uint8Array;
  strideY: number;
  strideUV: number;
}

/** Thresholds of the per-block test. */
export interface BlockThresholds {
  /** A block's normalised edge gain must be below this share of its band's median. */
  edgeDrop: number;
  /** A block's normalised chroma ratio must be below this share of its band's median. */
  chromaDrop: number;
  /** Time constant of the background, seconds. */
  backgroundS: number;
}

/** What one frame's analysis says of each block (valid until the next `update`). */
export interface BlockEvidence {
  /** 1 where the block looks veiled this frame. */
  cue: Uint8Array;
  /** Normalised edge gain (NaN where the background has no texture). */
  gain: Float32Array;
  /** Normalised chroma ratio (NaN where the background has no colour). */
  chroma: Float32Array;
}

/** The per-block smoke test of one analysis size; see the file comment. */
export class SmokeBlocks {
  readonly width: number;
  readonly height: number;
  /** Blocks across and down (partial blocks at the right and bottom edges are left out). */
  readonly cols: number;
  readonly rows: number;
  readonly #bgY: Float32Array;
  readonly #bgU: Float32Array;
  readonly #bgV: Float32Array;
  readonly #cw: number;
  readonly #frames: { n: number };
  readonly #evidence: BlockEvidence;
  /** Raw chroma ratio, frame over background, not normalised by luma (NaN where no colour). */
  readonly #rawChroma: Float32Array;
  readonly #residual: Float32Array;
  readonly #texture: Float32Array;
  readonly #sort: Float32Array;
  /** Each block's mean luma, U and V in the last frame, to find steps. */
  readonly #meanY: Float32Array;
  readonly #meanU: Float32Array;
  readonly #meanV: Float32Array;
  /** Seconds since the block's last step, while a step waits to be judged (NaN: none waits). */
  readonly #stillS: Float32Array;
  /** 1 where the block looked smoky just before its waiting run of steps began. */
  readonly #smokyBefore: Uint8Array;

  constructor(width: number, height: number) {
    if (width < 2 * BLOCK || height < 2 * BLOCK) throw new RangeError(`SmokeBlocks: ${width}x${height} is too small`);
    this.width = width;
    this.height = height;
    this.cols = Math.floor(width / BLOCK);
    this.rows = Math.floor(height / BLOCK);
    this.#cw = Math.ceil(width / 2);
    this.#bgY = new Float32Array(width * height);
    this.#bgU = new Float32Array(this.#cw * Math.ceil(height / 2));
    this.#bgV = new Float32Array(this.#bgU.length);
    this.#frames = { n: 0 };
    const n = this.cols * this.rows;
    this.#evidence = { cue: new Uint8Array(n), gain: new Float32Array(n), chroma: new Float32Array(n) };
    this.#rawChroma = new Float32Array(n);
    this.#residual = new Float32Array(n);
    this.#texture = new Float32Array(n);
    this.#sort = new Float32Array(n);
    this.#meanY = new Float32Array(n);
    this.#meanU = new Float32Array(n);
    this.#meanV = new Float32Array(n);
    this.#stillS = new Float32Array(n).fill(NaN);
    this.#smokyBefore = new Uint8Array(n);
  }

  /** Frames seen so far. */
  get frames(): number {
    return this.#frames.n;
  }

  /**
   * Measures every block of `p` against the background, then updates the background (`dtS` seconds
   * since the last frame; blocks where `smoky` is non-zero learn slower). Returns the evidence.
   */
  update(p: SmokePlanes, dtS: number, smoky: Uint8Array, th: BlockThresholds): BlockEvidence {
    const first = this.#frames.n === 0;
    this.#frames.n++;
    // A running mean over the first frames (a background at once), then the exponential average.
    const alpha = Math.max(1 - Math.exp(-dtS / th.backgroundS), 1 / this.#frames.n);
    const { cue } = this.#evidence;
    const stepScale = Math.max(1, dtS / STEP_FRAME_S);
    for (let by = 0; by < this.rows; by++) {
      for (let bx = 0; bx < this.cols; bx++) {
        const k = by * this.cols + bx;
        if (first) this.#seed(p, bx, by);
        // `cue` still holds the last frame's verdict here.
        this.#watchSteps(k, this.#measure(p, bx, by, k, stepScale) && !first, dtS, smoky[k]! | cue[k]!);
        this.#learn(p, bx, by, smoky[k] ? alpha / SLOW : alpha);
      }
    }
    this.#decide(th);
    this.#relearnUncovered(p);
    return this.#evidence;
  }

  /** Keeps block k's step watch: a step starts or restarts it, stillness runs its clock. */
  #watchSteps(k: number, step: boolean, dtS: number, smokyNow: number): void {
    if (step) {
      if (Number.isNaN(this.#stillS[k]!)) this.#smokyBefore[k] = smokyNow;
      this.#stillS[k] = 0;
    } else if (!Number.isNaN(this.#stillS[k]!)) {
      this.#stillS[k] = this.#stillS[k]! + dtS;
    }
  }

  /**
   * Judges the blocks whose steps have settled: one that looks veiled now but did not before its
   * steps was uncovered, not veiled, so its background becomes this frame (see the file comment).
   */
  #relearnUncovered(p: SmokePlanes): void {
    const { cue } = this.#evidence;
    for (let k = 0; k < cue.length; k++) {
      if (!(this.#stillS[k]! >= SETTLE_S)) continue;
      this.#stillS[k] = NaN;
      if (!cue[k] || this.#smokyBefore[k]) continue;
      this.#seed(p, k % this.cols, Math.floor(k / this.cols));
      cue[k] = 0;
    }
  }

  /** The block's background is the frame's pixels. */
  #seed(p: SmokePlanes, bx: number, by: number): void {
    for (let y = by * BLOCK; y < by * BLOCK + BLOCK; y++) {
      for (let x = bx * BLOCK; x < bx * BLOCK + BLOCK; x++) this.#bgY[y * this.width + x] = p.y[y * p.strideY + x]!;
    }
    for (let y = by * (BLOCK / 2); y < (by + 1) * (BLOCK / 2); y++) {
      for (let x = bx * (BLOCK / 2); x < (bx + 1) * (BLOCK / 2); x++) {
        this.#bgU[y * this.#cw + x] = p.u[y * p.strideUV + x]!;
        this.#bgV[y * this.#cw + x] = p.v[y * p.strideUV + x]!;
      }
    }
  }

  /**
   * Edge gain, residual, texture and chroma ratio of block k; true when its means stepped since the
   * last frame (by `stepScale` times the step thresholds).
   */
  #measure(p: SmokePlanes, bx: number, by: number, k: number, stepScale: number): boolean {
    const W = this.width;
    const bg = this.#bgY;
    let cb = 0;
    let bb = 0;
    let cc = 0;
    let sumC = 0;
    let sumB = 0;
    for (let y = by * BLOCK; y < by * BLOCK + BLOCK; y += 2) {
      let i = y * p.strideY + bx * BLOCK;
      let j = y * W + bx * BLOCK;
      for (let n = 0; n < BLOCK / 2; n++, i += 2, j += 2) {
        const a = p.y[i]!;
        const b = p.y[i + 1]!;
        const c = p.y[i + p.strideY]!;
        const d = p.y[i + p.strideY + 1]!;
        const A = bg[j]!;
        const B = bg[j + 1]!;
        const C = bg[j + W]!;
        const D = bg[j + W + 1]!;
        // Haar details (times 2): horizontal, vertical and diagonal edges.
        const lh = a + b - c - d;
        const hl = a - b + c - d;
        const hh = a - b - c + d;
        const LH = A + B - C - D;
        const HL = A - B + C - D;
        const HH = A - B - C + D;
        cb += lh * LH + hl * HL + hh * HH;
        bb += LH * LH + HL * HL + HH * HH;
        cc += lh * lh + hl * hl + hh * hh;
        sumC += a + b + c + d;
        sumB += A + B + C + D;
      }
    }
    let satC = 0;
    let satB = 0;
    let sumU = 0;
    let sumV = 0;
    for (let y = by * (BLOCK / 2); y < (by + 1) * (BLOCK / 2); y++) {
      let i = y * p.strideUV + bx * (BLOCK / 2);
      let j = y * this.#cw + bx * (BLOCK / 2);
      for (let n = 0; n < BLOCK / 2; n++, i++, j++) {
        sumU += p.u[i]!;
        sumV += p.v[i]!;
        satC += Math.abs(p.u[i]! - 128) + Math.abs(p.v[i]! - 128);
        satB += Math.abs(this.#bgU[j]! - 128) + Math.abs(this.#bgV[j]! - 128);
      }
    }
    const cells = (BLOCK / 2) * (BLOCK / 2);
    const mc = Math.max(4, sumC / (4 * cells) - BLACK);
    const mb = Math.max(4, sumB / (4 * cells) - BLACK);
    const lumaRatio = mc / mb;
    const kGain = bb > 0 ? cb / bb : 0;
    this.#texture[k] = bb / cells;
    this.#residual[k] = Math.max(0, cc - kGain * cb) / cells;
    this.#evidence.gain[k] = kGain / lumaRatio;
    this.#rawChroma[k] = satB / cells >= MIN_CHROMA ? satC / satB : NaN;
    this.#evidence.chroma[k] = this.#rawChroma[k]! / lumaRatio;
    const meanY = sumC / (4 * cells);
    const meanU = sumU / cells;
    const meanV = sumV / cells;
    const step = Math.abs(meanY - this.#meanY[k]!) >= stepScale * STEP_LUMA
      || Math.abs(meanU - this.#meanU[k]!) + Math.abs(meanV - this.#meanV[k]!) >= stepScale * STEP_CHROMA;
    this.#meanY[k] = meanY;
    this.#meanU[k] = meanU;
    this.#meanV[k] = meanV;
    return step;
  }

  /** Moves block (bx, by) of the background toward the frame by alpha. */
  #learn(p: SmokePlanes, bx: number, by: number, alpha: number): void {
    const W = this.width;
    for (let y = by * BLOCK; y < by * BLOCK + BLOCK; y++) {
      let i = y * p.strideY + bx * BLOCK;
      let j = y * W + bx * BLOCK;
      for (let n = 0; n < BLOCK; n++, i++, j++) this.#bgY[j] = this.#bgY[j]! + alpha * (p.y[i]! - this.#bgY[j]!);
    }
    for (let y = by * (BLOCK / 2); y < (by + 1) * (BLOCK / 2); y++) {
      let i = y * p.strideUV + bx * (BLOCK / 2);
      let j = y * this.#cw + bx * (BLOCK / 2);
      for (let n = 0; n < BLOCK / 2; n++, i++, j++) {
        this.#bgU[j] = this.#bgU[j]! + alpha * (p.u[i]! - this.#bgU[j]!);
        this.#bgV[j] = this.#bgV[j]! + alpha * (p.v[i]! - this.#bgV[j]!);
      }
    }
  }

  /** Turns the measurements into cues: texture and colour gates, band references, thresholds. */
  #decide(th: BlockThresholds): void {
    const { cue, gain, chroma } = this.#evidence;
    const n = this.cols * this.rows;
    const noise = median(this.#residual, 0, n, this.#sort, () => true);
    // Textured: background edges well above what noise alone leaves in a running mean.
    const minTexture = 2 * noise + MIN_TEXTURE;
    for (let k = 0; k < n; k++) if (!(this.#texture[k]! >= minTexture)) gain[k] = NaN;
    const frameGain = median(gain, 0, n, this.#sort, Number.isFinite);
    const frameChroma = median(chroma, 0, n, this.#sort, Number.isFinite);
    const frameRaw = median(this.#rawChroma, 0, n, this.#sort, Number.isFinite);
    for (let b0 = 0; b0 < this.rows; b0 += BAND_ROWS) {
      const from = b0 * this.cols;
      const to = Math.min(this.rows, b0 + BAND_ROWS) * this.cols;
      const refGain = bandReference(gain, from, to, this.#sort, frameGain);
      const refChroma = bandReference(chroma, from, to, this.#sort, frameChroma);
      const refRaw = bandReference(this.#rawChroma, from, to, this.#sort, frameRaw);
      for (let k = from; k < to; k++) {
        const g = gain[k]!;
        const s = chroma[k]!;
        // The residual above the noise, as a share of the background's own texture: new edges.
        const fresh = (this.#residual[k]! - noise) / Math.max(this.#texture[k]!, 1);
        const edge = Number.isFinite(g) ? g < th.edgeDrop * refGain && fresh < MAX_FRESH : undefined;
        const colour = Number.isFinite(s) ? s < th.chromaDrop * refChroma : undefined;
        // Colour alone (no texture) needs the raw chroma gone too (see the file comment).
        const faded = edge !== undefined || this.#rawChroma[k]! < RAW_FADE * refRaw;
        cue[k] = (edge ?? colour ?? false) && (colour ?? true) && (edge ?? true) && faded ? 1 : 0;
      }
    }
  }
}

/** Mean |U − 128| + |V − 128| (levels) a background block needs to give chroma evidence. */
const MIN_CHROMA = 8;
/** Background edge energy per cell, above twice the noise, a block needs to give edge evidence. */
const MIN_TEXTURE = 40;
/** New-structure share (residual over background texture) above which a block is not veiled but covered. */
const MAX_FRESH = 0.5;
/** A block with colour but no texture needs its raw chroma below this share of its band's (a fifth gone). */
const RAW_FADE = 0.8;

/** Median of a band's finite values, or `fallback` (capped at 1) when the band has too few. */
function bandReference(values: Float32Array, from: number, to: number, scratch: Float32Array, fallback: number): number {
  let count = 0;
  for (let k = from; k < to; k++) if (Number.isFinite(values[k]!)) count++;
  const m = count >= BAND_MIN ? median(values, from, to, scratch, Number.isFinite) : fallback;
  // A band that has brightened (a reference above 1) does not make its blocks look veiled.
  return Number.isFinite(m) ? Math.min(1, m) : 1;
}

/** Median of values[from..to) that pass `keep`, using `scratch`; NaN when none do. */
export function median(values: Float32Array, from: number, to: number, scratch: Float32Array, keep: (v: number) => boolean): number {
  let n = 0;
  for (let k = from; k < to; k++) if (keep(values[k]!)) scratch[n++] = values[k]!;
  if (n === 0) return NaN;
  const s = scratch.subarray(0, n).sort();
  return n & 1 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
}
