/**
 * One motorbike track's rider counts over the frames it was counted in. A single frame's count is
 * unreliable: riders hide behind each other, a detector splits one rider into two boxes for a frame
 * or misses a child between two adults. The count that stands is the mode over the frames, and the
 * frames themselves are kept (the last few) so the one that shows the count best can be the evidence.
 */
import { bottomCentre, type Box, type TrackPoint } from '../sdk/index.js';
import type { PreviousFrame } from './riders.js';

/** One frame of a ride: when, how many riders, the motorbike's and the riders' boxes (pixels). */
export interface RideFrame {
  t: number;
  riders: number;
  bike: Box;
  people: Box[];
}

/** Per-frame records a ride keeps (the newest): as many as the plugin's frame history holds. */
export const RIDE_FRAMES = 25;

/** The rider counts of one motorbike track, and what the next frame's counting needs of its last. */
export class Ride {
  /**
   * Its bottom-centre as detected over the last VELOCITY_WINDOW_MS, oldest first. Not the tracker's
   * filtered box: a new track's filter starts at rest and lags the motorbike for a second.
   */
  readonly path: TrackPoint[] = [];
  /** Its previous frame, for heldPlace. */
  previous: PreviousFrame | undefined;
  /** Frames counted, and how many of them saw each rider count. */
  frames = 0;
  readonly histogram = new Map<number, number>();
  /** The newest RIDE_FRAMES frames, oldest first. */
  readonly recent: RideFrame[] = [];
  /** Capture time of the first frame counted, epoch ms. */
  firstMs = 0;
  /** Whether the event for this track has been raised. */
  raised = false;

  /** Notes where the motorbike was detected at `t` (every frame it is matched, counted or not). */
  moved(t: number, box: Box): void {
    this.path.push({ t, point: bottomCentre(box) });
    while (this.path.length > 1 && t - this.path[0]!.t > VELOCITY_WINDOW_MS) this.path.shift();
  }

  /** Counts one frame. */
  add(f: RideFrame): void {
    if (this.frames === 0) this.firstMs = f.t;
    this.frames++;
    this.histogram.set(f.riders, (this.histogram.get(f.riders) ?? 0) + 1);
    this.recent.push(f);
    if (this.recent.length > RIDE_FRAMES) this.recent.shift();
  }

  /** The most frequent count; on a tie the smaller one (a 2-or-3 motorbike is not raised as 3). */
  get mode(): number {
    let best = 0;
    let bestFrames = 0;
    for (const [riders, n] of this.histogram) {
      if (n > bestFrames || (n === bestFrames && riders < best)) {
        best = riders;
        bestFrames = n;
      }
    }
    return best;
  }

  /**
   * The frame that shows `riders` best among `recent` for which `available(t)` holds (the frame is
   * still in the history): the largest motorbike box (nearest the camera), the newest on a tie.
   */
  bestFrame(riders: number, available: (t: number) => boolean): RideFrame | undefined {
    let best: RideFrame | undefined;
    for (const f of this.recent) {
      if (f.riders !== riders || !available(f.t)) continue;
      if (!best || f.bike.w * f.bike.h >= best.bike.w * best.bike.h) best = f;
    }
    return best;
  }

  /** The histogram as a plain object ({ '2': 1, '3': 6 }), for the event's attributes. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.histogram].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]));
  }
}

/** A velocity, px/s. */
export interface Velocity {
  x: number;
  y: number;
}

/** Span of path a velocity is measured over, ms, and the least that gives one. */
const VELOCITY_WINDOW_MS = 1000;
const MIN_VELOCITY_SPAN_MS = 300;

/**
 * Velocity along a path, px/s, first point to last (over a second this smooths the detector's
 * jitter more than frame to frame); undefined while the path spans less than MIN_VELOCITY_SPAN_MS.
 */
export function pathVelocity(path: readonly TrackPoint[]): Velocity | undefined {
  const first = path[0];
  const last = path.at(-1);
  if (!first || !last || last.t - first.t < MIN_VELOCITY_SPAN_MS) return undefined;
  const dt = (last.t - first.t) / 1000;
  return { x: (last.point[0] - first.point[0]) / dt, y: (last.point[1] - first.point[1]) / dt };
}
