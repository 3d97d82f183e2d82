/**
 * tamper: the camera itself covered, blinded, defocused or moved.
 *
 * Each frame is measured on a grid of tiles (measure.ts) and compared with a slowly learnt reference
 * of the normal view (reference.ts): contrast, edge energy and sharpness left per tile, the share of
 * the frame saturated, and how well the view lines up with the reference, in place or shifted
 * (shift.ts). judge.ts turns that into a verdict per frame and verdicts into events:
 *
 * - `camera-covered` (critical), `camera-blinded` (critical), `camera-moved` (critical) and
 *   `camera-defocused` (warning), once the verdict has held for persistS, with the measurements as
 *   attributes, a snapshot, and evidence: the last normal view ('before') and the tampered one ('at');
 * - `camera-restored` (info) once the view has been normal again for clearS, naming the tamper and
 *   how long it lasted. A separate event rather than an `endedAt` on the first: the operator must be
 *   told while the camera is blind, not once it can see again, so the first event cannot wait for
 *   the end; the restore is its own fact, with its own time and snapshot.
 *
 * Works on luma only, averaged down to at most 320 pixels wide.
 */
import { z } from 'zod';
import { definePlugin, FrameHistory, type EvidenceImage, type Frame, type PluginContext } from '../sdk/index.js';
import { classify, needsShift, SHIFT_MATCH, TamperState, type TamperKind, type Thresholds, type Transition } from './judge.js';
import { ViewMeasure } from './measure.js';
import { Reference, type Comparison } from './reference.js';

const configSchema = z.strictObject({
  persistS: z.number().min(0.5).max(600).default(3)
    .describe('Seconds a covered, blinded, defocused or moved view must last before its event: a bus passing close, a hand waved past or a flash are shorter.'),
  clearS: z.number().min(0.5).max(600).default(3).describe('Seconds the view must be normal again before camera-restored.'),
  learnS: z.number().min(1).max(600).default(5).describe('Seconds of the first frames learnt as the reference before anything is judged.'),
  adaptS: z.number().min(2).max(3600).default(20)
    .describe('Time constant (seconds) with which the reference follows a normal view: slow light changes (dusk, clouds) within it are followed, a sudden change is judged.'),
  coveredContrast: z.number().gt(0).max(0.9).default(0.25)
    .describe('Contrast and edge strength left (share of the reference\'s, median tile) under which the view is covered.'),
  defocusedSharpness: z.number().gt(0).max(0.95).default(0.55)
    .describe('Sharpness left (edge energy per unit of contrast, share of the reference\'s, median tile) under which the view is defocused (blinded if blindedSaturated of it is newly saturated: a bloom).'),
  blindedSaturated: z.number().gt(0).max(1).default(0.15)
    .describe('Share of the frame newly saturated (over the reference\'s) from which, with the contrast washed out or the edges softened, the camera is blinded.'),
  saturatedLuma: z.number().int().min(128).max(255).default(235)
    .describe('Luma counted as saturated: 235 is peak white in limited range (most H.264 streams); 250 for full-range cameras.'),
  movedMatch: z.number().gt(0).max(0.95).default(0.4)
    .describe('Median tile correlation with the reference (in place) under which a sharp view no longer lines up: moved.'),
  minShift: z.number().gt(0).max(0.5).default(0.02)
    .describe('Least shift of the view (share of the frame width) that counts as moved; smaller ones are shake.'),
});

/** The parsed config. */
export type TamperConfig = z.infer<typeof configSchema>;

/** Seconds between the copies of a normal frame kept as the 'before' evidence. */
const BEFORE_EVERY_MS = 1000;

export default definePlugin({
  name: 'tamper',
  description: 'The camera covered, blinded, defocused or moved, against a slowly learnt reference view.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 20, input: { format: 'gray' } },
  create(ctx) {
    return new Tamper(ctx);
  },
});

/** One camera's tamper watch. */
class Tamper {
  readonly #ctx: PluginContext<TamperConfig>;
  readonly #state: TamperState;
  #measure: ViewMeasure | undefined;
  #reference: Reference | undefined;
  /** The last normal frame (evidence 'before'), and the frame being reported. */
  readonly #before = new FrameHistory(1);
  readonly #now = new FrameHistory(1);
  #last: Comparison | undefined;

  constructor(ctx: PluginContext<TamperConfig>) {
    this.#ctx = ctx;
    this.#state = new TamperState(ctx.config.persistS, ctx.config.clearS);
  }

  onFrame(frame: Frame): void {
    const cfg = this.#ctx.config;
    if (!this.#measure || this.#measure.width !== frame.width || this.#measure.height !== frame.height) {
      // A new size: start over (the old reference does not fit the new picture).
      this.#measure = new ViewMeasure(frame.width, frame.height);
      this.#reference = undefined;
    }
    const stats = this.#measure.measure(frame, cfg.saturatedLuma);
    this.#reference ??= new Reference(stats.thumbWidth, stats.thumbHeight, cfg.learnS, cfg.adaptS);
    const ref = this.#reference;
    const at = frame.capturedAt;
    if (!ref.ready(at)) {
      ref.learn(stats, at);
      return;
    }
    const th: Thresholds = { ...cfg, minShiftPx: cfg.minShift * stats.thumbWidth };
    const c = ref.compare(stats);
    if (needsShift(c, th)) ref.findShift(stats, c);
    const kind = classify(c, th);
    const change = this.#state.update(kind, at);
    if (change) this.#report(change, c, frame);
    if (kind === undefined && this.#state.quiet) {
      ref.learn(stats, at);
      const before = this.#before.latest;
      if (!before || at - before.capturedAt >= BEFORE_EVERY_MS) this.#before.push(frame);
    }
    this.#last = c;
  }

  /** The comparison of the last judged frame (for tests and diagnostics). */
  get last(): Comparison | undefined {
    return this.#last;
  }

  #report(change: Transition, c: Comparison, frame: Frame): void {
    const at = this.#now.push(frame);
    const before = this.#before.latest;
    if ('raise' in change) {
      const kind = change.raise;
      const attributes = this.#attributes(kind, c, frame);
      const evidence: EvidenceImage[] = [];
      if (before) evidence.push({ label: 'before', frame: this.#before.snapshot(before), caption: 'LAST NORMAL VIEW' });
      evidence.push({ label: 'at', frame: this.#now.snapshot(at), caption: `${kind.toUpperCase()} ${((frame.capturedAt - change.since) / 1000).toFixed(1)}S` });
      this.#ctx.emit({ type: `camera-${kind}`, severity: kind === 'defocused' ? 'warning' : 'critical', attributes, snapshot: true, evidence });
      return;
    }
    this.#ctx.emit({
      type: 'camera-restored',
      severity: 'info',
      attributes: { tamper: change.restored, startedAt: change.since, durationS: round((change.at - change.since) / 1000) },
      snapshot: true,
    });
  }

  /** The measurements that back a verdict, rounded for the event store. */
  #attributes(kind: TamperKind, c: Comparison, frame: Frame): Record<string, unknown> {
    const out: Record<string, unknown> = {
      brightness: round(c.brightness), referenceBrightness: round(c.refBrightness),
      contrast: round(c.contrast), edges: round(c.edges), sharpness: round(c.sharpness),
      saturated: round(c.saturated), match: round(c.match),
    };
    if (kind === 'moved' && c.shift && c.shift.match >= SHIFT_MATCH && this.#measure) {
      // Thumbnail pixels to the frame's: the view's content moved by this much (right and down positive).
      const k = frame.width / Math.ceil(this.#measure.aw / 2);
      out.shiftX = Math.round(c.shift.dx * k);
      out.shiftY = Math.round(c.shift.dy * k);
      out.shiftMatch = round(c.shift.match);
    }
    return out;
  }
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 100) / 100 : v;
}
