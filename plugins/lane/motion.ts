/**
 * The rules that judge a vehicle's sideways motion: crossing a solid line (an illegal lane change or
 * overtaking) and weaving (repeated lateral reversals). Both work on the ground, in metres, so a band
 * or a swing means the same near the camera and far from it.
 */
import { ConfigError } from '../../core/errors.js';
import { LineCrossingDetector, type GroundPlane, type Point } from '../sdk/index.js';
import type { LaneConfig } from './config.js';
import type { Lane, TrackLog } from './lanes.js';
import type { Finding, LaneRule } from './rules.js';

/** Longest gap between the two updates a crossing is seen in, ms (two missed updates at 5 fps). */
const MAX_GAP_MS = 600;

/** A solid line on the ground, by name. */
interface SolidLine {
  name: string;
  detector: LineCrossingDetector;
}

/**
 * From beyond the band on one side of a solid line to beyond it on the other, where the vehicle's
 * path meets the line between its ends. Which way does not matter: both are banned.
 */
export class SolidLineRule implements LaneRule {
  readonly type = 'solid-line';
  readonly #lines: SolidLine[];

  /** Maps the named lines (`solidLines`, default all) to the ground; an unknown name is a ConfigError. */
  constructor(cfg: LaneConfig, lines: Record<string, { from: Point; to: Point }>, plane: GroundPlane, where: string) {
    const names = cfg.solidLines ?? Object.keys(lines);
    this.#lines = names.map((name) => {
      const line = lines[name];
      if (!line) throw new ConfigError(`names line '${name}', which is not among the plugin's lines (${Object.keys(lines).join(', ') || 'none'})`, `${where}.solidLines`);
      const from = plane.imageToGround(line.from);
      const to = plane.imageToGround(line.to);
      if (!from || !to) throw new ConfigError(`line '${name}' reaches above the horizon of the ground plane`, `${where}.solidLines`);
      return { name, detector: new LineCrossingDetector({ from, to }, { band: cfg.solidLine.bandM, configPath: `${where}.solidLines` }) };
    });
  }

  check(log: TrackLog, lanes: readonly Lane[]): Finding | undefined {
    const s = log.last;
    const prev = log.samples[log.samples.length - 2];
    // Seen on both sides with no gap between: across missed updates the tracker may have coasted
    // onto another vehicle, so a side change there is no evidence of a crossing.
    const seen = prev !== undefined && s.t - prev.t <= MAX_GAP_MS;
    for (const line of this.#lines) {
      if (!line.detector.update(log.id, s.g) || !seen) continue;
      // The lane it came from: the last sample in a lane other than the one it is in now.
      let from = -1;
      for (let i = log.samples.length - 2; i >= 0 && from < 0; i--) {
        const l = log.samples[i]!.lane;
        if (l >= 0 && l !== s.lane) from = l;
      }
      const attributes: Record<string, unknown> = { cls: s.cls, line: line.name };
      if (from >= 0) attributes.fromLane = lanes[from]!.name;
      if (s.lane >= 0) attributes.lane = lanes[s.lane]!.name;
      // The first evidence image is a second before: the vehicle still on its side of the line.
      return { type: this.type, severity: 'warning', since: s.t - 1000, caption: `CROSSED SOLID LINE ${line.name}`, attributes };
    }
    return undefined;
  }

  forget(id: number): void {
    for (const line of this.#lines) line.detector.forget(id);
  }
}

/** Zig-zag state of one vehicle's lateral position. */
interface Zigzag {
  /** +1 moving to higher lateral, -1 lower, 0 not yet moved a full swing. */
  dir: number;
  lo: number;
  hi: number;
  /** The extreme reached in `dir`, and when. */
  ext: number;
  extT: number;
  /** Times of the turning points within the window. */
  turns: number[];
}

/**
 * Weaving: sideways position across the lanes (metres along the road's lateral axis), as a zig-zag
 * with a minimum swing. A turn counts once the vehicle has come back minSwingM from its extreme; the
 * event when `reversals` turns fall within windowS. Leaving the lanes starts afresh. A lane change
 * is one swing and no turn; out and back round a slow vehicle is one turn.
 */
export class WeavingRule implements LaneRule {
  readonly type = 'weaving';
  readonly #state = new Map<number, Zigzag>();
  constructor(private readonly cfg: LaneConfig['weaving']) {}

  check(log: TrackLog, lanes: readonly Lane[]): Finding | undefined {
    const s = log.last;
    const { minSwingM, reversals, windowS } = this.cfg;
    let z = this.#state.get(log.id);
    if (s.lane < 0) {
      this.#state.delete(log.id);
      return undefined;
    }
    const axis = lanes[s.lane]!.lateral;
    const x = s.g[0] * axis[0] + s.g[1] * axis[1];
    if (!z) {
      z = { dir: 0, lo: x, hi: x, ext: x, extT: s.t, turns: [] };
      this.#state.set(log.id, z);
    }
    if (z.dir === 0) {
      z.lo = Math.min(z.lo, x);
      z.hi = Math.max(z.hi, x);
      // The first full swing sets the direction; it is not a reversal.
      if (x - z.lo >= minSwingM) [z.dir, z.ext, z.extT] = [1, x, s.t];
      else if (z.hi - x >= minSwingM) [z.dir, z.ext, z.extT] = [-1, x, s.t];
      return undefined;
    }
    if ((x - z.ext) * z.dir > 0) {
      [z.ext, z.extT] = [x, s.t];
      return undefined;
    }
    if ((z.ext - x) * z.dir < minSwingM) return undefined;
    z.turns.push(z.extT);
    [z.dir, z.ext, z.extT] = [-z.dir, x, s.t];
    while (z.turns.length > 0 && z.turns[0]! < s.t - windowS * 1000) z.turns.shift();
    if (z.turns.length < reversals) return undefined;
    const seconds = (s.t - z.turns[0]!) / 1000;
    return {
      type: this.type, severity: 'critical', since: z.turns[0]!, caption: `WEAVING ${z.turns.length} REVERSALS IN ${seconds.toFixed(1)} S`,
      attributes: { cls: s.cls, lane: lanes[s.lane]!.name, reversals: z.turns.length, seconds: Math.round(seconds * 10) / 10 },
    };
  }

  forget(id: number): void {
    this.#state.delete(id);
  }
}
