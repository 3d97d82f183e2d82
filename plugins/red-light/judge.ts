/**
 * The red-light rule, track by track, on the vehicle's ground point (its box's bottom-centre: the
 * rear of a vehicle driving away from the camera, the front of one coming towards it).
 *
 * 1. The point crosses the stop line towards the junction: seen at least MIN_APPROACH times beyond
 *    the hysteresis band on the approach side, then beyond it on the junction side, on the drawn
 *    segment. A track first seen past the line (born in the junction, or a track switch) has no
 *    crossing. The crossing time is interpolated to where the point met the line.
 * 2. The signal was red at that time for at least the grace time: a vehicle caught by the change
 *    from amber, or clearing the line as the red comes on, is not a violation.
 * 3. The point then reaches the junction before that red ends. A vehicle that stops just past the
 *    line and moves on only on green has not run the light (it may have broken another rule).
 * 4. The event is due once the 'after' evidence frame exists: `afterMs` past the crossing.
 * One violation per track.
 *
 * Coherence check: a vehicle moving along the road moves its whole box: the top of its box moves
 * with the bottom, the same way, by a share that depends on the camera (about half for a car seen
 * from 8 m). A box whose bottom rises while its top stays put is no vehicle moving: it is a standing
 * vehicle's blob losing its lower part to the background, or a track that switched from a vehicle
 * standing at the line to a blob beyond it (cross traffic touches queued vehicles in the image).
 * Neither may cross the line or enter the junction: such a track is not judged for SUSPECT_MS,
 * and a candidate it carried is dropped. A ground point that jumps faster than MAX_SPEED between
 * two frames is treated the same way.
 */
import { pointInPolygon, type Point, type Vehicle } from '../sdk/index.js';
import type { SignalState } from './signal.js';

/** Samples on the approach side a track needs before its crossing counts. */
const MIN_APPROACH = 2;
/** Box edges are compared over this span (ms): long enough for a moving vehicle to move clearly. */
const WINDOW_MS = 500;
/** The bottom must move at least this much (pixels, and a tenth of the box height) for the check to apply. */
const MIN_MOVE_PX = 3;
/** Share of the bottom's move the top must follow in the same direction. */
const FOLLOW = 0.15;
/** Fastest plausible ground-point speed between two frames, m/s (150 km/h). */
const MAX_SPEED = 42;
/** How long a track stays suspect after moving implausibly, ms. */
const SUSPECT_MS = 2000;

/** How the rule is applied. */
export interface JudgeOptions {
  graceMs: number;
  afterMs: number;
  /** Half-width of the band around the stop line, pixels. */
  bandPx: number;
  /** Frame height, pixels: a box cut by the bottom edge has no ground point. */
  height: number;
}

/** A vehicle that crossed the stop line on red after the grace time. */
export interface RedCrossing {
  trackId: number;
  cls: string;
  /** Capture ms when its ground point met the line (interpolated between frames). */
  crossedAt: number;
  /** Capture ms of the first frame that saw it past the line. */
  seenAt: number;
  redSince: number;
  redForMs: number;
  speedKmh?: number;
  /** Capture ms of the first frame that saw its ground point in the junction: the violation. */
  junctionAt?: number;
}

interface TrackState {
  /** Signed distance of the last sample from the line, pixels (positive: the junction's side). */
  d: number;
  t: number;
  approach: number;
  /** When the point last passed from the approach side to the junction side. */
  zeroAt?: number;
  /** Judged (crossed, or found unjudgeable): nothing more to do for this track. */
  judged: boolean;
  /** Until when its motion is not trusted (see the coherence check). */
  suspectUntil: number;
  /** Box top and bottom over the last second, pixels, and the last ground point. */
  edges: { t: number; top: number; bottom: number }[];
  ground?: [number, number];
  /** When its box last touched the frame's top or bottom edge. */
  cutAt: number;
  candidate?: RedCrossing;
}

/** Applies the rule to tracked vehicles; one per camera, geometry in pixels. */
export class RedLightJudge {
  readonly #from: Point;
  readonly #dx: number;
  readonly #dy: number;
  readonly #len: number;
  /** +1 when the junction lies on the line's positive side. */
  readonly #sign: number;
  readonly #junction: readonly Point[];
  readonly #opts: JudgeOptions;
  readonly #tracks = new Map<number, TrackState>();

  constructor(line: { from: Point; to: Point }, junction: readonly Point[], opts: JudgeOptions) {
    this.#from = line.from;
    this.#dx = line.to[0] - line.from[0];
    this.#dy = line.to[1] - line.from[1];
    this.#len = Math.hypot(this.#dx, this.#dy);
    this.#junction = junction;
    this.#opts = opts;
    const cx = junction.reduce((s, p) => s + p[0], 0) / junction.length;
    const cy = junction.reduce((s, p) => s + p[1], 0) / junction.length;
    this.#sign = this.#side(cx, cy) >= 0 ? 1 : -1;
  }

  /** Tracks with state (to check that removed tracks are forgotten). */
  get size(): number {
    return this.#tracks.size;
  }

  /**
   * Feeds one frame's vehicles and the signal. Returns the new red crossings (take 'before' and 'at'
   * evidence now), the candidates dropped (the vehicle stayed short of the junction while red), and
   * the violations due (take the 'after' frame and emit).
   */
  update(now: number, vehicles: readonly Vehicle[], signal: { state: SignalState; since: number }): { crossed: RedCrossing[]; dropped: number[]; due: RedCrossing[] } {
    const crossed: RedCrossing[] = [];
    const dropped: number[] = [];
    const due: RedCrossing[] = [];
    for (const v of vehicles) {
      if (!v.confirmed || v.missed > 0) continue;
      const d = this.#sign * this.#side(v.foot[0], v.foot[1]);
      const st = this.#tracks.get(v.id);
      if (!st) {
        this.#tracks.set(v.id, { d, t: now, approach: d < -this.#opts.bandPx ? 1 : 0, judged: d > this.#opts.bandPx, suspectUntil: 0, edges: [], cutAt: -Infinity });
        continue;
      }
      if (!this.#coherent(st, v, now)) {
        st.suspectUntil = now + SUSPECT_MS;
        // A violation already established stands: blobs merge in the junction's traffic afterwards.
        if (st.candidate && st.candidate.junctionAt === undefined) {
          dropped.push(v.id);
          st.candidate = undefined;
        }
      }
      const suspect = now < st.suspectUntil;
      if (!st.judged) {
        if (st.d <= 0 && d > 0) st.zeroAt = st.t + (now - st.t) * (-st.d / (d - st.d));
        if (d < -this.#opts.bandPx) st.approach++;
        else if (d > this.#opts.bandPx && st.approach >= MIN_APPROACH) {
          st.judged = true;
          const crossedAt = st.zeroAt ?? now;
          const along = ((v.foot[0] - this.#from[0]) * this.#dx + (v.foot[1] - this.#from[1]) * this.#dy) / (this.#len * this.#len);
          if (!suspect && along >= 0 && along <= 1 && signal.state === 'red' && crossedAt - signal.since >= this.#opts.graceMs) {
            st.candidate = {
              trackId: v.id, cls: v.cls, crossedAt, seenAt: now, redSince: signal.since, redForMs: crossedAt - signal.since,
              ...(v.speedKmh !== undefined ? { speedKmh: v.speedKmh } : {}),
            };
            crossed.push(st.candidate);
          }
        } else if (d > this.#opts.bandPx) st.judged = true; // past the line without an approach: not judged
        st.d = d;
        st.t = now;
      }
      const c = st.candidate;
      if (!c) continue;
      if (c.junctionAt === undefined) {
        // The red this vehicle crossed on is over (or unreadable): it stopped short of the junction.
        if (signal.state !== 'red' || signal.since !== c.redSince) {
          dropped.push(v.id);
          st.candidate = undefined;
          continue;
        }
        if (pointInPolygon(v.foot, this.#junction)) c.junctionAt = now;
      }
      if (c.junctionAt !== undefined && now >= c.crossedAt + this.#opts.afterMs) {
        due.push(c);
        st.candidate = undefined;
      }
    }
    return { crossed, dropped, due };
  }

  /**
   * Forgets removed tracks. Returns their violations that were still waiting for the 'after' frame
   * (emit them with the latest frame) and the ids of their dropped candidates.
   */
  forget(ids: readonly number[]): { due: RedCrossing[]; dropped: number[] } {
    const due: RedCrossing[] = [];
    const dropped: number[] = [];
    for (const id of ids) {
      const c = this.#tracks.get(id)?.candidate;
      if (c?.junctionAt !== undefined) due.push(c);
      else if (c) dropped.push(id);
      this.#tracks.delete(id);
    }
    return { due, dropped };
  }

  /** Records the vehicle's box and says whether its motion is that of a vehicle (see the file comment). */
  #coherent(st: TrackState, v: Vehicle, now: number): boolean {
    const top = v.box.y;
    const bottom = v.box.y + v.box.h;
    const prevGround = st.ground;
    const prevT = st.edges.at(-1)?.t;
    st.ground = v.ground;
    st.edges.push({ t: now, top, bottom });
    while (st.edges.length > 2 && st.edges[0]!.t < now - 2 * WINDOW_MS) st.edges.shift();
    if (prevGround && v.ground && prevT !== undefined && now > prevT) {
      const speed = Math.hypot(v.ground[0] - prevGround[0], v.ground[1] - prevGround[1]) / ((now - prevT) / 1000);
      if (speed > MAX_SPEED) return false;
    }
    // A box cut by the frame's top or bottom edge moves only one of its edges, and the tracker's
    // filtered box takes a moment to settle once the vehicle is wholly in view.
    if (top <= 1 || bottom >= this.#opts.height - 1) st.cutAt = now;
    if (now - st.cutAt < 2 * WINDOW_MS) return true;
    let mid: { t: number; top: number; bottom: number } | undefined;
    for (let i = st.edges.length - 1; i >= 0 && !mid; i--) if (st.edges[i]!.t <= now - WINDOW_MS) mid = st.edges[i];
    if (!mid) return true;
    const db = bottom - mid.bottom;
    const dt = top - mid.top;
    if (Math.abs(db) < Math.max(MIN_MOVE_PX, 0.1 * v.box.h)) return true;
    return Math.sign(dt) === Math.sign(db) && Math.abs(dt) >= FOLLOW * Math.abs(db);
  }

  /** Signed distance from the line (pixels), positive on its right as drawn (y down). */
  #side(x: number, y: number): number {
    return (this.#dx * (y - this.#from[1]) - this.#dy * (x - this.#from[0])) / this.#len;
  }
}
