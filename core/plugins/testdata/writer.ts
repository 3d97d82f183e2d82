/** Test stand-in for the Decoder: writes flat gray frames into a real FrameRing at a fixed rate. */
import { Emitter } from '../../emitter.js';
import { FrameRing, type FrameRef } from '../../decode/frame-ring.js';

/** Emits 'ring' and 'frame' like core/decode Decoder; `luma` is the value of every pixel of the next frames. */
export class RingWriter extends Emitter<{ ring: [FrameRing]; frame: [FrameRef] }> {
  ring: FrameRing;
  luma = 128;
  written = 0;
  #timer: NodeJS.Timeout | undefined;
  #pts = 0;

  constructor(readonly width = 64, readonly height = 48, slots = 8) {
    super();
    this.ring = FrameRing.create({ slots, width, height, format: 'gray' });
  }

  /** Starts writing at `fps`. */
  start(fps = 25): void {
    this.#timer = setInterval(() => this.writeOne(), 1000 / fps);
  }

  /** Writes and announces one frame. */
  writeOne(): void {
    const slot = this.ring.beginWrite();
    if (slot < 0) return;
    this.ring.pixels(slot).fill(this.luma);
    this.#pts += 3600;
    const ref = this.ring.commit(slot, this.#pts, Date.now());
    this.written++;
    this.emit('frame', ref);
  }

  /** Replaces the ring (a resolution change). */
  resize(width: number, height: number): void {
    this.ring = FrameRing.create({ slots: 8, width, height, format: 'gray' });
    this.emit('ring', this.ring);
  }

  /** Slots the writer could claim right now (all but the latest when no reader holds a pin); gives them back. */
  claimableSlots(): number {
    const claimed: number[] = [];
    for (let i = 0; i < this.ring.layout.slots; i++) {
      const slot = this.ring.beginWrite();
      if (slot < 0) break;
      claimed.push(slot);
    }
    for (const slot of claimed) this.ring.abort(slot);
    return claimed.length;
  }

  /** Stops writing. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
