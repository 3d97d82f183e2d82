/**
 * Timestamps of the units fed to a decoder, handed back in ascending pts order. A decoder outputs
 * pictures in display order, so the n-th picture out carries the smallest pts not yet handed out:
 * with B-frames a unit fed later can come out earlier, and when a picture leaves, every picture
 * that displays before it has been fed already. Units arrive almost sorted, so the insert scans
 * from the tail and costs O(1) without B-frames. Fixed arrays: nothing is allocated per unit.
 */

/** A bounded queue of (pts, capturedAt) pairs, shifted out smallest pts first. */
export class PtsQueue {
  #pts: Float64Array;
  #captured: Float64Array;
  #head = 0;
  #size = 0;
  /** Entries thrown away because the decoder never emitted them and the queue filled up. */
  overflows = 0;

  constructor(capacity = 512) {
    this.#pts = new Float64Array(capacity);
    this.#captured = new Float64Array(capacity);
  }

  /** Entries waiting for their picture. */
  get size(): number {
    return this.#size;
  }

  /** Records a fed unit. When full, the oldest entry goes (a picture the decoder must have lost). */
  push(pts: number, capturedAt: number): void {
    const cap = this.#pts.length;
    if (this.#size === cap) {
      this.#head = (this.#head + 1) % cap;
      this.#size--;
      this.overflows++;
    }
    // Insertion sort from the tail: shift larger entries one place towards the tail.
    let i = this.#size;
    while (i > 0) {
      const prev = (this.#head + i - 1) % cap;
      if (this.#pts[prev]! <= pts) break;
      const at = (this.#head + i) % cap;
      this.#pts[at] = this.#pts[prev]!;
      this.#captured[at] = this.#captured[prev]!;
      i--;
    }
    const at = (this.#head + i) % cap;
    this.#pts[at] = pts;
    this.#captured[at] = capturedAt;
    this.#size++;
  }

  /** Smallest pending pts; undefined when empty. */
  peekPts(): number | undefined {
    return this.#size ? this.#pts[this.#head] : undefined;
  }

  /** capturedAt of the smallest pending pts; undefined when empty. */
  peekCapturedAt(): number | undefined {
    return this.#size ? this.#captured[this.#head] : undefined;
  }

  /** Drops the smallest entry (after reading it with the peeks). */
  shift(): void {
    if (!this.#size) return;
    this.#head = (this.#head + 1) % this.#pts.length;
    this.#size--;
  }

  /** Forgets every entry. */
  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }
}
