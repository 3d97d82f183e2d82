/**
 * Vehicles that vanish behind another and come back as a new track. A motorbike overtaken by a truck
 * in the next lane is hidden for longer than the tracker keeps a lost track, and when it shows again
 * it has a new id: if it crossed the line meanwhile, neither track is ever seen crossing it.
 *
 * Tracks that ended while moving are kept for a few seconds with their last observed ground position
 * and velocity; a new track that starts where one of them would be by now (along its path within
 * what a constant speed can be off by, across it within half a lane) takes over from it. The counting
 * plugin replays, for each line, where the old track last stood clear of its band (else its last
 * position) into the new track's line state, so that a crossing made out of sight is counted once,
 * under the new track; the lane plugin carries the old track's
 * log on, so that a vehicle is judged once over its whole path (an overtaker that reappears in the
 * oncoming lane is still overtaking, and a line crossed twice is one event).
 */
import { courseOffset } from './road.js';
import type { Point } from '../types.js';

/** Where a track that ended was last seen. */
export interface EndedTrack {
  id: number;
  /** Time of its last detection, ms. */
  t: number;
  /** Its foot at that time, pixels. */
  foot: Point;
  ground: [number, number];
  /** Ground velocity, m/s. */
  velocity: { vx: number; vz: number };
}

/** A vehicle slower than this (m/s) is not carried: a stopped one that vanished is not hidden by traffic. */
const MIN_SPEED = 1;
/** Across its path, a hidden vehicle stays within this many metres of where it was heading (half a lane). */
const ACROSS_M = 1.5;
/** Along its path: this many metres, plus this share of the distance it drove out of sight. */
const ALONG_M = 2;
const ALONG_SHARE = 0.25;

/**
 * Ended tracks waiting to be taken over, for `keepMs` after they were last seen. A plugin keeps what
 * it needs to carry on in its own fields of T (the counting plugin: the side of each line).
 */
export class OcclusionStitcher<T extends EndedTrack = EndedTrack> {
  readonly #ended: T[] = [];

  constructor(readonly keepMs = 3000) {}

  /** Keeps a track that has just ended, if it was moving. */
  ended(track: T): void {
    if (Math.hypot(track.velocity.vx, track.velocity.vz) < MIN_SPEED) return;
    this.#ended.push(track);
  }

  /** Takes back a track kept by `ended` (it was only lost, and the tracker found it again). */
  withdraw(id: number): void {
    const i = this.#ended.findIndex((e) => e.id === id);
    if (i >= 0) this.#ended.splice(i, 1);
  }

  /**
   * The ended track (removed from the list) that a new track first seen at `ground` at time `t` (ms)
   * continues, or undefined: the nearest one within the bounds of the file comment.
   */
  takeOver(t: number, ground: [number, number]): T | undefined {
    // Forget the old ones first: removing while searching would shift the index of the best so far.
    for (let i = this.#ended.length - 1; i >= 0; i--) if (t - this.#ended[i]!.t > this.keepMs) this.#ended.splice(i, 1);
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < this.#ended.length; i++) {
      const e = this.#ended[i]!;
      const dt = (t - e.t) / 1000;
      if (dt <= 0) continue;
      const speed = Math.hypot(e.velocity.vx, e.velocity.vz);
      // Offset of the new track from where the old one would be now, along and across its path.
      const { along, across } = courseOffset(e.ground, e.velocity, dt, ground)!;
      if (Math.abs(across) > ACROSS_M || Math.abs(along) > ALONG_M + ALONG_SHARE * speed * dt) continue;
      const d = Math.hypot(along, across);
      if (d < bestD) [best, bestD] = [i, d];
    }
    return best < 0 ? undefined : this.#ended.splice(best, 1)[0];
  }
}
