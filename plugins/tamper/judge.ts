/**
 * From a frame's comparison with the reference to a verdict, and from verdicts over time to events.
 *
 * Verdicts, checked in this order (the first that holds wins):
 * - blinded:   a share of the frame newly saturated (a torch's bloom) and the contrast elsewhere
 *              washed down by its stray light;
 * - covered:   contrast and edges both collapsed (a hand, a bag, paint: whatever the colour);
 * - defocused: sharpness (edge energy per unit of contrast) fallen while the contrast stays, and no
 *              share of the frame newly saturated; with one, the view is blinded (below);
 * - moved:     a sharp, bright view that no longer lines up with the reference in place: either it
 *              does at a shift of at least minShift (knocked), or at no shift within the search
 *              range (turned away);
 * - otherwise normal. A small shift that lines up well (wind shaking the pole) is normal.
 *
 * Soft edges with fresh glare are a bloom, not a blur. A torch's bloom is a smooth swell of light
 * around a clipped core: it adds contrast to the tiles it spreads over but no edges, so their
 * sharpness falls as a blur's would, and with a strong lamp the veil can leave the median contrast
 * just above the washed-out line (seed 404's second torch flickered between blinded and defocused
 * every few frames and was raised 9 s late). A turned focus ring cannot make a new share of the
 * frame clip: a blur spreads a highlight's light over more pixels and lowers its peak. And an
 * auto-exposure step, which clips the brightest things in view too, scales each tile's contrast and
 * edges together, so its sharpness stays near 1 and it falls into neither branch. So a frame that
 * would be defocused is blinded when at least blindedSaturated of it is newly saturated. This only
 * renames verdicts: the frames that get one are the ones that got one before, and an exposure step
 * gets none. (Calling a view blinded because most of its tiles clip, tried and reverted, raised
 * camera-blinded on exposure steps: a step up clips more than half of the tiles too.)
 *
 * Covered and moved also need the whole view to have gone: a hand over the lens or a turned camera
 * leaves no tile of the old view where it was, while a bus or a truck close to the camera can hide
 * most of the tiles (and collapse the medians) for as long as it takes to pass or to stop at a
 * stop, but the view around it is still there, in place. STEADY_TILES tiles whose detail still
 * lines up in place (shift.ts; against a found shift, better than at the shift) mean the camera is
 * where it was and something in front of it hides the rest: normal.
 *
 * TamperState turns verdicts into events: a verdict must hold for persistS before it is raised (a bus
 * passing, a hand waved past, a flash are shorter), and the view must be normal for clearS before the
 * camera counts as restored. A single normal frame in the middle of a pending verdict (a cover
 * slipping for an instant) does not restart the count; a normal second does.
 */
import type { Comparison } from './reference.js';

/** What can be wrong with the view. */
export type TamperKind = 'covered' | 'blinded' | 'defocused' | 'moved';

/** The judge's thresholds (see the config's descriptions). */
export interface Thresholds {
  coveredContrast: number;
  defocusedSharpness: number;
  blindedSaturated: number;
  movedMatch: number;
  /** Least shift that counts as moved, thumbnail pixels. */
  minShiftPx: number;
}

/** Fewer textured tiles than this (of 48): too little structure to judge contrast, edges or alignment. */
export const MIN_TEXTURED = 4;
/** Stray light from a lamp in view leaves at most this much of the contrast (amplitude) in the median tile. */
const BLINDED_CONTRAST = 0.7;
/** A shift explains the view when the median tile matches this well once shifted. */
export const SHIFT_MATCH = 0.6;
/** A moved view is still a picture: at least this much of the contrast is left. */
const MOVED_CONTRAST = 0.4;
/**
 * Steady tiles (still in place) that make a collapsed or misaligned view a partly hidden one. Lens
 * covers and moved cameras in the scenes leave none (one, by chance, in one frame of hundreds); the
 * worst vehicles seen, two buses passing close to the camera each way at once, left 3 to 6 of 46
 * for the second they hid the most. A logo or a clock burnt into the picture (an OSD) stays in place
 * whatever the camera does: it must cover fewer tiles with structure than this.
 */
export const STEADY_TILES = 3;

/** Whether the view is a sharp picture that does not line up in place: only then is a shift worth searching for. */
export function needsShift(c: Comparison, th: Thresholds): boolean {
  return c.match < th.movedMatch && c.contrast >= MOVED_CONTRAST && c.sharpness >= th.defocusedSharpness;
}

/** The verdict on one frame (with c.shift searched when needsShift), undefined when normal. */
export function classify(c: Comparison, th: Thresholds): TamperKind | undefined {
  const glare = c.saturated - c.refSaturated >= th.blindedSaturated;
  if (glare && !(c.contrast >= BLINDED_CONTRAST)) return 'blinded';
  if (c.textured < MIN_TEXTURED) return undefined;
  if (c.contrast < th.coveredContrast && c.edges < th.coveredContrast) return c.steady >= STEADY_TILES ? undefined : 'covered';
  // Soft with fresh glare: a bloom (see the file comment).
  if (c.sharpness < th.defocusedSharpness) return glare ? 'blinded' : 'defocused';
  if (needsShift(c, th)) {
    const s = c.shift;
    // Lined up at a shift: knocked, unless the shift is shake or part of the view lines up better in place.
    if (s && s.match >= SHIFT_MATCH) return Math.hypot(s.dx, s.dy) >= th.minShiftPx && s.steady < STEADY_TILES ? 'moved' : undefined;
    return c.steady >= STEADY_TILES ? undefined : 'moved';
  }
  return undefined;
}

/** A change of state: a tamper raised (its first frame `since`), or the camera restored after one. */
export type Transition =
  | { raise: TamperKind; since: number }
  | { restored: TamperKind; since: number; at: number };

/** A normal stretch this long (ms) ends a pending verdict; shorter ones are blips. */
const BLIP_MS = 1000;

/** Verdicts over time → events; see the file comment. Times are epoch ms. */
export class TamperState {
  readonly #persistMs: number;
  readonly #clearMs: number;
  #active: { kind: TamperKind; since: number } | undefined;
  #pending: { kind: TamperKind; since: number } | undefined;
  #normalSince: number | undefined;

  constructor(persistS: number, clearS: number) {
    this.#persistMs = persistS * 1000;
    this.#clearMs = clearS * 1000;
  }

  /** The tamper raised and not yet restored. */
  get active(): TamperKind | undefined {
    return this.#active?.kind;
  }

  /** Whether nothing is raised or pending: the frame may teach the reference. */
  get quiet(): boolean {
    return !this.#active && !this.#pending;
  }

  /** Feeds one frame's verdict (undefined = normal) at `at`; returns the transition it causes, if any. */
  update(kind: TamperKind | undefined, at: number): Transition | undefined {
    if (kind === undefined) {
      this.#normalSince ??= at;
      const normalFor = at - this.#normalSince;
      if (this.#pending && normalFor >= BLIP_MS) this.#pending = undefined;
      if (this.#active && normalFor >= this.#clearMs) {
        const ended = this.#active;
        this.#active = undefined;
        this.#pending = undefined;
        return { restored: ended.kind, since: ended.since, at: this.#normalSince };
      }
      return undefined;
    }
    this.#normalSince = undefined;
    if (this.#active?.kind === kind) {
      this.#pending = undefined;
      return undefined;
    }
    if (this.#pending?.kind !== kind) this.#pending = { kind, since: at };
    if (at - this.#pending.since < this.#persistMs) return undefined;
    this.#active = this.#pending;
    this.#pending = undefined;
    return { raise: kind, since: this.#active.since };
  }
}
