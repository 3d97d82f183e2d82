/**
 * When was a frame captured? The camera stamps each picture (RTP timestamp, 90 kHz) on its own
 * steady clock; the server only knows when the picture's last packet arrived, and that arrival
 * wobbles with the network, the publisher and this process's event loop. Plugins measure speeds
 * and dwell times from `capturedAt`, so arrival jitter of 300 ms over a 1 s track turns a 40 km/h
 * car into a 60 km/h speeder. The clock therefore takes the picture's own pts and maps it to epoch
 * ms with the smallest delay (arrival − pts) seen: the least-delayed picture is the best estimate of
 * the fixed part of the path, the rest is jitter.
 *
 * - The delay it maps with creeps up by `leakMsPerS` (1 ms a second), so it follows a camera clock
 *   that runs slow against ours (tens of ppm) and a path that got slower for good, without ever
 *   stepping up: times stay exactly as far apart as the pts say, to 0.1 %.
 * - A less-delayed picture lowers the delay at once: a mapped time is never later than the arrival.
 * - A picture more than `jumpMs` later than the mapping says means the pts origin moved (a camera
 *   that restarted its timestamps) or a long stall; the clock starts over from that picture.
 * - Arrivals older than the last one (the decoder replaying cached pictures) are mapped without
 *   moving the clock.
 */

const TICKS_PER_MS = 90;

/** Maps a stream's 90 kHz pts to the epoch ms it was captured, from the pts and the arrival times. */
export class CaptureClock {
  readonly #leakPerMs: number;
  readonly #jumpMs: number;
  #delay = Number.NaN;
  #last = -Infinity;
  /** Times the clock started over (pts jump, long stall). */
  resets = 0;

  constructor(leakMsPerS = 1, jumpMs = 2_000) {
    this.#leakPerMs = leakMsPerS / 1000;
    this.#jumpMs = jumpMs;
  }

  /** The capture time (epoch ms) of a picture with `pts` (90 kHz) that arrived at `arrivedAt` (epoch ms). */
  map(pts: number, arrivedAt: number): number {
    const ms = pts / TICKS_PER_MS;
    const delay = arrivedAt - ms;
    if (Number.isNaN(this.#delay)) {
      this.#delay = delay;
      this.#last = arrivedAt;
      return arrivedAt;
    }
    if (arrivedAt < this.#last) return Math.min(arrivedAt, ms + this.#delay);
    this.#delay += (arrivedAt - this.#last) * this.#leakPerMs;
    this.#last = arrivedAt;
    if (delay - this.#delay > this.#jumpMs) {
      this.#delay = delay;
      this.resets++;
    } else if (delay < this.#delay) {
      this.#delay = delay;
    }
    return ms + this.#delay;
  }

  /** Forgets the mapping: the next picture starts it over (a new session brings a new pts origin). */
  reset(): void {
    this.#delay = Number.NaN;
    this.#last = -Infinity;
  }
}
