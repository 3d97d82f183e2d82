/**
 * The rules that judge a vehicle against the lane it is in: wrong way, wrong lane and speeding. Each
 * looks at the vehicle's log after every update and returns a Finding once its condition holds; the
 * plugin makes sure each fires at most once per vehicle. Runs are measured back to where they began
 * (the lane entry, say), so a rule fires as soon as its thresholds are met since then, not only once
 * they are met again after the tracker has a velocity for the vehicle.
 */
import type { Severity } from '../sdk/index.js';
import type { LaneConfig } from './config.js';
import { laneAcross, metres, type Lane, type TrackLog } from './lanes.js';

/** What a rule found about one vehicle. */
export interface Finding {
  type: string;
  severity: Severity;
  attributes: Record<string, unknown>;
  /** Capture time (ms) where the violation began, for the first evidence image. */
  since: number;
  /** One line for the evidence images. */
  caption: string;
}

/** One rule over every vehicle; keeps per-vehicle state until `forget`. */
export interface LaneRule {
  readonly type: string;
  check(log: TrackLog, lanes: readonly Lane[]): Finding | undefined;
  forget(id: number): void;
}

const dot = (a: readonly number[], b: readonly number[]) => a[0]! * b[0]! + a[1]! * b[1]!;
const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Against the lane's direction for minUpdates updates and minMetres. A vehicle that moved into an
 * opposing lane while driving with its old lane's traffic is overtaking (the solid-line rule's
 * business), not driving the wrong way, until it is back with the traffic of some lane.
 */
export class WrongWayRule implements LaneRule {
  readonly type = 'wrong-way';
  readonly #state = new Map<number, { overtaking: boolean; withTrafficAt: number }>();
  constructor(private readonly cfg: LaneConfig['wrongWay']) {}

  check(log: TrackLog, lanes: readonly Lane[]): Finding | undefined {
    const s = log.last;
    const st = this.#state.get(log.id) ?? { overtaking: false, withTrafficAt: -Infinity };
    this.#state.set(log.id, st);
    const v = log.velocity;
    if (s.lane < 0) {
      // Out of the lanes, nothing is known about the direction it should have: start afresh.
      [st.overtaking, st.withTrafficAt] = [false, s.t];
      return undefined;
    }
    const lane = lanes[s.lane]!;
    const min = this.cfg.minSpeedKmh / 3.6;
    const prev = log.samples[log.samples.length - 2];
    // Where it came from: its lane, or beyond the lane polygons the lane strip it drove in (a vehicle
    // that pulled out to overtake before it came into the zones, with no update in its own lane).
    const from = !prev ? -1 : prev.lane >= 0 ? prev.lane : laneAcross(lanes, prev.g);
    if (prev && from >= 0 && from !== s.lane && dot(lanes[from]!.dir, lane.dir) < 0) {
      // The step itself says which way it went: a new track has no velocity yet.
      const dt = (s.t - prev.t) / 1000;
      const step = [(s.g[0] - prev.g[0]) / dt, (s.g[1] - prev.g[1]) / dt];
      if (dot(v ?? step, lanes[from]!.dir) > min) st.overtaking = true;
    }
    if (!v) return undefined;
    const along = dot(v, lane.dir);
    if (along > min || st.overtaking) {
      if (along > min) st.overtaking = false;
      st.withTrafficAt = s.t;
      return undefined;
    }
    if (along >= -min) return undefined;
    // The run: back while in lanes of this direction and after it last drove with the traffic.
    const samples = log.samples;
    let i = samples.length - 1;
    while (i > 0) {
      const p = samples[i - 1]!;
      if (p.t <= st.withTrafficAt || p.lane < 0 || dot(lanes[p.lane]!.dir, lane.dir) <= 0) break;
      i--;
    }
    const start = samples[i]!;
    const against = -((s.g[0] - start.g[0]) * lane.dir[0] + (s.g[1] - start.g[1]) * lane.dir[1]);
    const updates = samples.length - i;
    if (updates < this.cfg.minUpdates || against < this.cfg.minMetres) return undefined;
    return {
      type: this.type, severity: 'critical', since: start.t, caption: `WRONG WAY ${Math.round(against)} M IN ${lane.name}`,
      attributes: { cls: s.cls, lane: lane.name, metres: round1(against), updates, speedKmh: round1(Math.hypot(v[0], v[1]) * 3.6) },
    };
  }

  forget(id: number): void {
    this.#state.delete(id);
  }
}

/** A class the lane does not allow, for minSeconds and minMetres in that one lane. */
export class WrongLaneRule implements LaneRule {
  readonly type = 'wrong-lane';
  constructor(private readonly cfg: LaneConfig['wrongLane']) {}

  check(log: TrackLog, lanes: readonly Lane[]): Finding | undefined {
    const s = log.last;
    const lane = lanes[s.lane];
    if (!lane?.allowed || lane.allowed.has(s.cls)) return undefined;
    // The stay: back while in this lane with a class it does not allow.
    const samples = log.samples;
    let i = samples.length - 1;
    while (i > 0 && samples[i - 1]!.lane === s.lane && !lane.allowed.has(samples[i - 1]!.cls)) i--;
    const start = samples[i]!;
    const seconds = (s.t - start.t) / 1000;
    const driven = metres(s, start);
    if (seconds < this.cfg.minSeconds || driven < this.cfg.minMetres) return undefined;
    return {
      type: this.type, severity: 'warning', since: start.t, caption: `${s.cls} IN ${lane.name} (${[...lane.allowed].join(' ')} ONLY)`,
      attributes: { cls: s.cls, lane: lane.name, allowed: [...lane.allowed], seconds: round1(seconds), metres: round1(driven) },
    };
  }

  forget(): void {}
}

/**
 * Faster than the lane's limit plus the tolerance over the last minDistanceM driven inside the
 * lanes. The speed is the lower of two estimates over that section: end to end (a section speed,
 * steady against box jitter) and the median of the update-to-update speeds along it (steady against
 * one bad box, e.g. a vehicle's lower half lost to the background for a frame, which moves its foot
 * metres at once).
 */
export class SpeedingRule implements LaneRule {
  readonly type = 'speeding';
  readonly #steps: number[] = [];
  constructor(private readonly cfg: LaneConfig['speeding']) {}

  check(log: TrackLog, lanes: readonly Lane[]): Finding | undefined {
    const s = log.last;
    const lane = lanes[s.lane];
    if (lane?.limitKmh === undefined) return undefined;
    const samples = log.samples;
    const n = samples.length;
    let j = n - 2;
    for (; j >= 0; j--) {
      if (samples[j]!.lane < 0) return undefined;
      if (metres(s, samples[j]!) >= this.cfg.minDistanceM) break;
    }
    if (j < 0) return undefined;
    const p = samples[j]!;
    const d = metres(s, p);
    const section = (d / ((s.t - p.t) / 1000)) * 3.6;
    const threshold = lane.limitKmh + this.cfg.toleranceKmh;
    if (!(section > threshold)) return undefined;
    const ux = (s.g[0] - p.g[0]) / d;
    const uz = (s.g[1] - p.g[1]) / d;
    const steps = this.#steps;
    steps.length = 0;
    for (let k = j + 1; k < n; k++) {
      const a = samples[k - 1]!;
      const b = samples[k]!;
      steps.push((((b.g[0] - a.g[0]) * ux + (b.g[1] - a.g[1]) * uz) / ((b.t - a.t) / 1000)) * 3.6);
    }
    steps.sort((a, b) => a - b);
    const median = steps.length % 2 ? steps[steps.length >> 1]! : (steps[steps.length / 2 - 1]! + steps[steps.length / 2]!) / 2;
    const kmh = Math.min(section, median);
    if (!(kmh > threshold)) return undefined;
    return {
      type: this.type, severity: 'warning', since: p.t, caption: `${Math.round(kmh)} KM/H IN ${lane.limitKmh} ZONE`,
      attributes: { cls: s.cls, lane: lane.name, speedKmh: round1(kmh), limit: lane.limitKmh, toleranceKmh: this.cfg.toleranceKmh, overMetres: round1(d) },
    };
  }

  forget(): void {}
}
