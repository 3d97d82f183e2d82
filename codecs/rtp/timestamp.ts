/**
 * RTP timestamps are 32-bit and wrap (RFC 3550 §5.1); about every 13 h at 90 kHz.
 *
 *   raw:       ... 0xFFFFFF00  0xFFFFFFF0  0x00000010 ...
 *   unwrapped: ... 4294967040  4294967280  4294967312 ...
 *
 * Each timestamp is read as a signed 32-bit step from the previous one, so a small step
 * backwards (B-frames, audio/video interleave) stays small instead of jumping 2^32 ahead.
 */

/** Turns 32-bit RTP timestamps into an unbounded number line. */
export class TimestampUnwrapper {
  private last = 0;
  private lastRaw = 0;
  private started = false;

  /** Returns the unwrapped value of `ts` (the first one is returned as is). */
  unwrap(ts: number): number {
    ts >>>= 0;
    if (!this.started) {
      this.started = true;
      this.last = ts;
    } else {
      this.last += (ts - this.lastRaw) | 0; // signed 32-bit difference
    }
    this.lastRaw = ts;
    return this.last;
  }

  /** Forgets the history; the next timestamp starts a new line. */
  reset(): void {
    this.started = false;
  }
}
