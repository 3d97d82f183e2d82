/**
 * Static-region evidence from a dual background, after Porikli, Ivanov & Haga ("Robust abandoned
 * object detection using dual foregrounds", EURASIP J. Adv. Signal Process., 2008). Two background
 * models watch the same cells: a long-term one that learns a new still thing only after minutes and
 * a short-term one that learns it within seconds. A cell's pair of answers says what is there:
 *
 *   long fg, short fg   something moving (or just arrived)
 *   long fg, short bg   something that has come and stood still, or gone from where it stood:
 *                       static-region evidence
 *   long bg, short fg   a spot just uncovered (the short-term model had learnt what left)
 *   long bg, short bg   the scene as it has been
 *
 * Porikli counts evidence per pixel up while the condition holds and down otherwise. Here each cell
 * keeps the time its current run of long-term foreground began (`onset`), so a region's age is read
 * off directly as "now − when it changed" instead of being counted up from the moment the
 * short-term model settled (which would put every event a settling time late). A run survives short
 * breaks (`gapMs`): sensor noise, or a passer-by in clothes the colour of the pavement. A cell becomes
 * a candidate once the short-term model has learnt it and it has stayed still for `stillMs`; it stays
 * one while someone walks over it (both models see the walker as foreground: long fg persists), and
 * stops being one when the long-term model sees its old background again for longer than the gap —
 * the object was taken back, or the long-term model has learnt it at last.
 *
 * The long-term model does not learn under a cell while it is in a run (BackgroundModel's `hold`:
 * held cells still follow the global lighting), until the run is `absorbMs` old: only then does it
 * start learning what stands there, and the cell stops being a candidate (`expired`) for as long as
 * the run lasts. So an object is never half learnt before it is reported — which a slow rate alone
 * does not give: MOG2 raises its rate for every cell a lighting change explains, and a bag close to
 * the pavement's luma is "explained" and learnt in a second — and a thing that has stood for
 * absorbMs (a reported bag, a parked car) becomes scenery without leaving pieces that come and go.
 * The long-term model is also more sensitive than MOG2's default (3σ instead of 4σ): it is what finds
 * the object, and a bag only a dozen levels darker than the pavement must still differ from it; the
 * noise this lets through is single cells that do not last, which the runs and medians ignore.
 *
 * Rates: the models get an explicit per-frame rate from the frame interval, so the times hold at any
 * frame rate. A new mode becomes background once its weight reaches 1 − backgroundRatio = 0.1 (MOG2),
 * i.e. after about n frames with (1 − α)^n = 0.9: α = 1 − 0.9^(dt / T) learns a still thing in T ms.
 * The long-term model learns at T = absorbMs (what is not held: the background itself, and expired
 * runs), the short-term one at T = settleMs. The first WARMUP_FRAMES use MOG2's start-up rate
 * 1/(2·frames) when faster, so that whatever stood in the very first frame (a passer-by, a car) does
 * not leave a ghost in the long-term model.
 *
 * Also kept, with I420 frames: `tinted`, cells whose colour (U, V) differs from a slow chroma reference
 * of the background (learnt where no run is), whatever their luma. Both models are luma only, and a
 * person in grey trousers on a grey pavement is a head and shoulders to them; the legs still show in
 * colour, which is all the plugin asks of it (is something standing under this region?).
 *
 * Also kept: `still`, the luma of each cell averaged over the last second or so in which it was not
 * moving (short-term background), a noise-free picture of what stands there now for the edge test
 * (edges.ts), which a passer-by crossing the region does not disturb.
 */
import { BackgroundModel, MASK_FOREGROUND, type BackgroundFrame } from '../sdk/index.js';

/** Frames at the start on which both models learn at least at MOG2's start-up rate 1/(2·frames). */
export const WARMUP_FRAMES = 10;
/** The long-term model's squared Mahalanobis threshold: 3σ (MOG2's default, 16, is 4σ). */
const LONG_VAR_THRESHOLD = 9;
/** A cell is tinted when |ΔU| + |ΔV| against the chroma reference exceeds this many levels. */
const TINT_LEVELS = 16;
/** Longest frame interval a rate is computed for: after a pause the models should not jump. */
const MAX_DT_MS = 2000;

/** How a DualBackground is built; times in ms. */
export interface DualBackgroundOptions {
  /** Size of the frames it is given (the analysis size). */
  width: number;
  height: number;
  /** Model every step-th pixel of every step-th row. */
  step: number;
  /** Time the long-term model takes to learn a still new thing (must exceed the dwell time). */
  absorbMs: number;
  /** Time the short-term model takes to learn it. */
  settleMs: number;
  /** A cell must have stayed still (short-term background) this long to become a candidate. */
  stillMs: number;
  /** Breaks in a cell's long-term foreground up to this long do not end its run. */
  gapMs: number;
}

/** The per-frame rate that learns a still new thing in `ms` at frame interval `dtMs` (see the file comment). */
export function rateFor(ms: number, dtMs: number): number {
  return 1 - Math.pow(0.9, dtMs / ms);
}

/** Two background models over one grid and the evidence per cell; see the file comment. */
export class DualBackground {
  readonly long: BackgroundModel;
  readonly short: BackgroundModel;
  /** Grid size (the models' mask size). */
  readonly gw: number;
  readonly gh: number;
  readonly step: number;
  /** The last masks of each model (0 background, 127 shadow, 255 foreground). */
  readonly longMask: Uint8Array;
  readonly shortMask: Uint8Array;
  /** Epoch ms the cell's current run of long-term foreground began; 0 when not in one. */
  readonly onset: Float64Array;
  /** 255 where the cell holds static-region evidence (see the file comment), else 0. */
  readonly candidate: Uint8Array;
  /** 255 where the cell is a candidate seen changed now, and not moving (not covered by a passer-by, not in a break). */
  readonly visible: Uint8Array;
  /**
   * Non-zero where the cell's change has been reported (set by the plugin); cleared when its run ends.
   * A reported object that breaks up and comes back in pieces is then recognised as already reported.
   */
  readonly spent: Uint8Array;
  /** 255 where the cell's colour differs from the background's (I420 frames only; see the file comment). */
  readonly tinted: Uint8Array;
  /** The background's U and V per cell, learnt at the long-term rate where no run is. */
  readonly #chroma: Float32Array;
  /** Luma per cell averaged over the recent frames in which it was still (short-term background). */
  readonly still: Float32Array;
  /** Non-zero where the long-term model must not learn (a cell in a run younger than absorbMs). */
  readonly #hold: Uint8Array;
  /** Non-zero where the cell's run is older than absorbMs: learnt, no longer evidence. */
  readonly #expired: Uint8Array;
  readonly #offSince: Float64Array;
  readonly #moved: Float64Array;
  readonly #opts: DualBackgroundOptions;
  #lastMs = -1;
  #frames = 0;

  constructor(opts: DualBackgroundOptions) {
    if (!(opts.absorbMs > opts.settleMs && opts.settleMs > 0)) throw new RangeError('DualBackground: need absorbMs > settleMs > 0');
    this.#opts = opts;
    this.step = opts.step;
    // Shadows are told apart in both models (127) and count as background here: a shadow is not an object.
    this.long = new BackgroundModel({ width: opts.width, height: opts.height, step: opts.step, varThreshold: LONG_VAR_THRESHOLD, coveredFollowLighting: true });
    this.short = new BackgroundModel({ width: opts.width, height: opts.height, step: opts.step });
    this.gw = this.long.maskWidth;
    this.gh = this.long.maskHeight;
    const cells = this.gw * this.gh;
    this.longMask = new Uint8Array(cells);
    this.shortMask = new Uint8Array(cells);
    this.onset = new Float64Array(cells);
    this.candidate = new Uint8Array(cells);
    this.visible = new Uint8Array(cells);
    this.spent = new Uint8Array(cells);
    this.tinted = new Uint8Array(cells);
    this.#chroma = new Float32Array(2 * cells);
    this.still = new Float32Array(cells);
    this.#hold = new Uint8Array(cells);
    this.#expired = new Uint8Array(cells);
    this.#offSince = new Float64Array(cells);
    this.#moved = new Float64Array(cells);
  }

  /** True once past the start-up frames, when onsets mean something. */
  get ready(): boolean {
    return this.#frames > WARMUP_FRAMES;
  }

  /** Runs both models on `frame` (analysis size), captured at `nowMs`, and updates the evidence. */
  update(frame: BackgroundFrame, nowMs: number): void {
    const o = this.#opts;
    const dt = this.#lastMs < 0 ? 0 : Math.min(MAX_DT_MS, Math.max(1, nowMs - this.#lastMs));
    this.#lastMs = nowMs;
    this.#frames++;
    const start = this.#frames <= WARMUP_FRAMES ? 1 / (2 * this.#frames) : 0;
    // The first frame only initialises (any rate does); later ones learn at their interval's rate.
    const longRate = Math.max(start, dt > 0 ? rateFor(o.absorbMs, dt) : 0);
    const shortRate = Math.max(start, dt > 0 ? rateFor(o.settleMs, dt) : 0);
    this.long.apply(frame, this.longMask, longRate, this.#hold);
    this.short.apply(frame, this.shortMask, shortRate);
    const stillRate = dt > 0 ? Math.min(1, dt / o.stillMs) : 1;
    this.#evidence(frame, nowMs, this.ready, stillRate);
    if (frame.u !== undefined && frame.v !== undefined) this.#tint(frame.u, frame.v, frame.strideUV, this.#frames === 1 ? 1 : longRate);
  }

  /** Forgets everything (a camera moved). */
  reset(): void {
    this.long.reset();
    this.short.reset();
    this.onset.fill(0);
    this.candidate.fill(0);
    this.visible.fill(0);
    this.spent.fill(0);
    this.tinted.fill(0);
    this.#hold.fill(0);
    this.#expired.fill(0);
    this.#offSince.fill(0);
    this.#moved.fill(0);
    this.#lastMs = -1;
    this.#frames = 0;
  }

  /** The per-cell bookkeeping of the file comment; `track` false during start-up (no onsets yet). */
  #evidence(frame: BackgroundFrame, now: number, track: boolean, stillRate: number): void {
    const { gapMs, stillMs, absorbMs } = this.#opts;
    const { gw, gh, step, longMask, shortMask, onset, candidate, visible, spent, still } = this;
    const offSince = this.#offSince;
    const moved = this.#moved;
    const hold = this.#hold;
    const expired = this.#expired;
    const yp = frame.y;
    const stride = frame.strideY;
    const first = this.#frames === 1;
    for (let gy = 0, p = 0; gy < gh; gy++) {
      const row = gy * step * stride;
      for (let gx = 0; gx < gw; gx++, p++) {
        const moving = shortMask[p] === MASK_FOREGROUND;
        const luma = yp[row + gx * step]!;
        if (first) still[p] = luma;
        else if (!moving) still[p] = still[p]! + stillRate * (luma - still[p]!);
        if (moving) moved[p] = now;
        if (!track) continue;
        const changed = longMask[p] === MASK_FOREGROUND;
        if (changed) {
          offSince[p] = 0;
          if (onset[p] === 0) onset[p] = now;
          if (now - onset[p]! >= absorbMs) expired[p] = 1;
          if (expired[p] === 0 && now - moved[p]! >= stillMs) candidate[p] = 255;
        } else if (onset[p] !== 0) {
          if (offSince[p] === 0) offSince[p] = now;
          else if (now - offSince[p]! > gapMs) {
            onset[p] = 0;
            offSince[p] = 0;
            expired[p] = 0;
            spent[p] = 0;
          }
        }
        if (expired[p] !== 0 || onset[p] === 0) candidate[p] = 0;
        hold[p] = onset[p] !== 0 && expired[p] === 0 ? 1 : 0;
        visible[p] = candidate[p] !== 0 && changed && !moving ? 255 : 0;
      }
    }
  }

  /**
   * Marks `tinted` and learns the chroma reference (rate `rate`) where no run is. Chroma is half the
   * luma's size, so grid cell (gx, gy), pixel (gx·step, gy·step), reads chroma sample (gx·step/2, gy·step/2).
   */
  #tint(u: Uint8Array, v: Uint8Array, strideUV: number, rate: number): void {
    const { gw, gh, step, onset, tinted } = this;
    const ref = this.#chroma;
    for (let gy = 0, p = 0; gy < gh; gy++) {
      const row = ((gy * step) >> 1) * strideUV;
      for (let gx = 0; gx < gw; gx++, p++) {
        const c = row + ((gx * step) >> 1);
        const du = u[c]! - ref[2 * p]!;
        const dv = v[c]! - ref[2 * p + 1]!;
        tinted[p] = Math.abs(du) + Math.abs(dv) > TINT_LEVELS ? 255 : 0;
        if (onset[p] === 0) {
          ref[2 * p] = ref[2 * p]! + rate * du;
          ref[2 * p + 1] = ref[2 * p + 1]! + rate * dv;
        }
      }
    }
  }
}
