/**
 * Reads a traffic signal's state from the lamps' image regions.
 *
 * Each lamp is judged against its own learned off-state, not against fixed levels: housings,
 * visors, exposure and dirt make an unlit lamp anything from black to mid-grey. A lamp learns its
 * off-state (mean Y, U, V) only in frames where it is not the brightest lamp, so a lamp that stays
 * lit for a whole red still never learns its lit look. A lamp reads 'on' in a frame when
 * - its luma rose well above the off-state (`rise`), which also holds for a lamp that saturates
 *   the sensor to a white core: the core has lost its colour but not its brightness; or
 * - its chroma moved towards the lamp's colour (`chroma`) and its luma rose at least a little:
 *   red LEDs are dim in luma but strongly coloured.
 * LED lamps are pulse-width modulated and a camera's shutter catches some frames between pulses, so
 * a lamp is lit when it read on in `minOn` of the last `window` frames, and the signal keeps its
 * state through frames where no lamp is lit for up to `holdMs`. A lit lamp's onset is the first
 * on-frame of its window, so the smoothing delays the state, not the time it reports. A frame in
 * which every lamp reads on is taken as the signal hidden behind something bright and skipped.
 */
import { pointInPolygon, type Frame, type Point } from '../sdk/index.js';

/** The state the signal shows; 'unknown' when no lamp has been lit for longer than the hold time. */
export type SignalState = 'red' | 'amber' | 'green' | 'unknown';
/** A lamp's colour. */
export type LampColour = Exclude<SignalState, 'unknown'>;

/** Direction (U, V) from grey of each lamp colour lit (unit vectors; red LEDs ≈ (255, 0, 0) in RGB, amber ≈ (255, 190, 0), green ≈ (0, 255, 150)). */
const HUE: Record<LampColour, [number, number]> = { red: [-0.32, 0.95], amber: [-0.91, 0.41], green: [-0.16, -0.99] };
/** Off-state learning rate per frame: follows lighting drift within seconds. */
const LEARN = 0.05;
/** At most this many samples per lamp region, however large it is drawn. */
const MAX_SAMPLES = 1024;

/** How lamps are judged; see the file comment. */
export interface SignalOptions {
  /** Luma rise over the off-state that alone reads as on. */
  rise: number;
  /** Chroma shift towards the lamp's colour that reads as on (with a quarter of `rise` in luma). */
  chroma: number;
  window: number;
  minOn: number;
  holdMs: number;
}

/** One lamp's region and what it read in the last frame. */
export interface Lamp {
  readonly colour: LampColour;
  readonly polygon: readonly Point[];
  /** Mean Y, U, V of the region now, and of its learned off-state (NaN before the first frame). */
  y: number;
  u: number;
  v: number;
  offY: number;
  offU: number;
  offV: number;
  /** Read on in this frame, and lit after smoothing. */
  on: boolean;
  lit: boolean;
  /** Capture ms of the first on-frame of the current lit spell. */
  litSince: number;
}

interface LampState extends Lamp {
  /** Pixel offsets of the Y samples and of the U/V samples for the current frame layout. */
  ys: Int32Array;
  uvs: Int32Array;
  /** Last `window` frames: read on (1/0) and their capture times, as rings. */
  ring: Uint8Array;
  times: Float64Array;
}

/** Turns lamp regions into the signal's state, frame by frame; one per camera. */
export class SignalReader {
  readonly #lamps: LampState[];
  readonly #opts: SignalOptions;
  #layout = '';
  #frames = 0;
  #state: SignalState = 'unknown';
  #since = 0;
  #lastLit = -Infinity;

  /** `lamps`: each lamp's colour and its region (normalised polygon). */
  constructor(lamps: readonly { colour: LampColour; polygon: readonly Point[] }[], opts: SignalOptions) {
    this.#opts = opts;
    this.#lamps = lamps.map((l) => ({
      colour: l.colour, polygon: l.polygon, y: NaN, u: NaN, v: NaN, offY: NaN, offU: NaN, offV: NaN, on: false, lit: false, litSince: 0,
      ys: new Int32Array(0), uvs: new Int32Array(0), ring: new Uint8Array(opts.window), times: new Float64Array(opts.window),
    }));
  }

  /** The state after the last update. */
  get state(): SignalState {
    return this.#state;
  }

  /** Capture ms when the current state began (its lamp's onset). */
  get since(): number {
    return this.#since;
  }

  /** The lamps, as read in the last update. */
  get lamps(): readonly Lamp[] {
    return this.#lamps;
  }

  /** Reads the lamps in `frame` and returns the signal's state. */
  update(frame: Frame): SignalState {
    this.#prepare(frame);
    const now = frame.capturedAt;
    let brightest: LampState | undefined;
    for (const l of this.#lamps) {
      measure(l, frame);
      if (!brightest || l.y > brightest.y) brightest = l;
    }
    for (const l of this.#lamps) {
      if (Number.isNaN(l.offY)) {
        // First frame: an unlit lamp is its own off-state; the brightest borrows the dimmest lamp's.
        const dimmest = this.#lamps.reduce((a, b) => (b.y < a.y ? b : a));
        const ref = l === brightest && this.#lamps.length > 1 ? dimmest : l;
        [l.offY, l.offU, l.offV] = [ref.y, ref.u, ref.v];
      }
      l.on = this.#readsOn(l);
    }
    // Every lamp lit at once is no phase of a signal: something bright is in front of it (a truck's
    // side, sun glare). The frame tells nothing: it neither counts nor teaches the off-states.
    if (this.#lamps.length > 1 && this.#lamps.every((l) => l.on)) {
      if (this.#state !== 'unknown' && now - this.#lastLit > this.#opts.holdMs) [this.#state, this.#since] = ['unknown', now];
      return this.#state;
    }
    const slot = this.#frames++ % this.#opts.window;
    for (const l of this.#lamps) {
      if (l !== brightest && !l.on) {
        l.offY += LEARN * (l.y - l.offY);
        l.offU += LEARN * (l.u - l.offU);
        l.offV += LEARN * (l.v - l.offV);
      }
      l.ring[slot] = l.on ? 1 : 0;
      l.times[slot] = now;
      let count = 0;
      let first = Infinity;
      for (let i = 0; i < l.ring.length; i++) {
        if (!l.ring[i]) continue;
        count++;
        if (l.times[i]! < first) first = l.times[i]!;
      }
      const lit = count >= this.#opts.minOn;
      if (lit && !l.lit) l.litSince = first;
      l.lit = lit;
    }
    this.#decide(now);
    return this.#state;
  }

  /** The newest lit lamp wins (at a change the old lamp stays lit for a few smoothed frames); nothing lit holds the state for holdMs. */
  #decide(now: number): void {
    let newest: LampState | undefined;
    for (const l of this.#lamps) if (l.lit && (!newest || l.litSince > newest.litSince)) newest = l;
    if (newest) {
      this.#lastLit = now;
      if (newest.colour !== this.#state) {
        this.#state = newest.colour;
        this.#since = newest.litSince;
      }
    } else if (this.#state !== 'unknown' && now - this.#lastLit > this.#opts.holdMs) {
      this.#state = 'unknown';
      this.#since = now;
    }
  }

  #readsOn(l: LampState): boolean {
    const rise = l.y - l.offY;
    if (rise >= this.#opts.rise) return true;
    if (Number.isNaN(l.u) || rise < this.#opts.rise / 4) return false;
    const [hu, hv] = HUE[l.colour];
    const du = l.u - l.offU;
    const dv = l.v - l.offV;
    const along = du * hu + dv * hv;
    // Towards the lamp's colour, within 45°: a red lamp that turns green-ish is not red.
    return along >= this.#opts.chroma && along >= Math.abs(dv * hu - du * hv);
  }

  /** Sample offsets for the frame's size and strides (recomputed only when they change). */
  #prepare(f: Frame): void {
    const layout = `${f.width}x${f.height}/${f.strideY}/${f.strideUV}/${f.format}`;
    if (layout === this.#layout) return;
    this.#layout = layout;
    for (const l of this.#lamps) [l.ys, l.uvs] = samples(l.polygon, f);
  }
}

/** Mean Y (and U, V for i420) of a lamp's samples. */
function measure(l: LampState, f: Frame): void {
  let sum = 0;
  for (let i = 0; i < l.ys.length; i++) sum += f.y[l.ys[i]!]!;
  l.y = l.ys.length ? sum / l.ys.length : NaN;
  if (!f.u || !f.v || l.uvs.length === 0) {
    l.u = l.v = NaN;
    return;
  }
  let su = 0;
  let sv = 0;
  for (let i = 0; i < l.uvs.length; i++) {
    su += f.u[l.uvs[i]!]!;
    sv += f.v[l.uvs[i]!]!;
  }
  l.u = su / l.uvs.length;
  l.v = sv / l.uvs.length;
}

/** Y-plane and chroma-plane offsets of the pixel centres inside a normalised polygon, thinned to MAX_SAMPLES. */
export function samples(polygon: readonly Point[], f: Frame): [Int32Array, Int32Array] {
  let x0 = 1;
  let y0 = 1;
  let x1 = 0;
  let y1 = 0;
  for (const [x, y] of polygon) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  const px0 = Math.max(0, Math.floor(x0 * f.width));
  const py0 = Math.max(0, Math.floor(y0 * f.height));
  const px1 = Math.min(f.width, Math.ceil(x1 * f.width));
  const py1 = Math.min(f.height, Math.ceil(y1 * f.height));
  const step = Math.max(1, Math.ceil(Math.sqrt(((px1 - px0) * (py1 - py0)) / MAX_SAMPLES)));
  const ys: number[] = [];
  const uvs = new Set<number>();
  for (let y = py0; y < py1; y += step) {
    for (let x = px0; x < px1; x += step) {
      if (!pointInPolygon([(x + 0.5) / f.width, (y + 0.5) / f.height], polygon)) continue;
      ys.push(y * f.strideY + x);
      if (f.format === 'i420') uvs.add((y >> 1) * f.strideUV + (x >> 1));
    }
  }
  return [Int32Array.from(ys), Int32Array.from(uvs)];
}
