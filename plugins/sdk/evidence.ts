/**
 * Evidence frames for events: a plugin keeps the last few frames in a FrameHistory (the frame lent to
 * onFrame is valid only during the call), picks the ones that tell the story (before, at and after the
 * stop line) and hands detached snapshots of them to `ctx.emit({ evidence })`.
 *
 *   const history = new FrameHistory(50);                       // 2 s at 25 fps
 *   onFrame(f) {
 *     history.push(f);
 *     ...
 *     ctx.emit({ type: 'red_light.violation', evidence: [
 *       { label: 'before', frame: history.snapshot(history.at(crossedAt - 500)!), boxes: [vehicle] },
 *       { label: 'at', frame: history.snapshot(history.latest!), track, caption: 'RED 2.4S' },
 *     ] });
 *   }
 *
 * Memory: a history holds `capacity` frames of `width × height` bytes (gray) or `1.5 × width × height`
 * (i420) each, allocated once on the first push and again only when the frame size changes: 50 i420
 * frames of 1280×720 are 69 MB, of 640×360 17 MB. Push costs one copy per plane and no allocation.
 */
import type { Frame, EvidenceImage, FrameCopy, PixelFormat } from './types.js';

/** Most evidence images one event may carry. */
export const MAX_EVIDENCE_IMAGES = 8;
/** Longest evidence label, characters. */
export const MAX_EVIDENCE_LABEL_LENGTH = 32;
/** Largest capacity of a FrameHistory (a bound against a typo allocating gigabytes). */
const MAX_CAPACITY = 1024;

/** Buffers made by FrameHistory.snapshot: owned by that copy alone, so emit may move them to the host. */
const detachedBuffers = new WeakSet<ArrayBufferLike>();

/** Bytes of one tightly packed frame. */
export function frameBytes(width: number, height: number, format: PixelFormat): number {
  return width * height + (format === 'i420' ? 2 * ((width + 1) >> 1) * ((height + 1) >> 1) : 0);
}

/** An empty FrameCopy whose planes are views into one new buffer. */
function allocateCopy(width: number, height: number, format: PixelFormat): FrameCopy {
  const buf = new Uint8Array(frameBytes(width, height, format));
  const ySize = width * height;
  const copy: FrameCopy = { width, height, format, capturedAt: 0, pts: 0, y: buf.subarray(0, ySize) };
  if (format === 'i420') {
    const cSize = ((width + 1) >> 1) * ((height + 1) >> 1);
    copy.u = buf.subarray(ySize, ySize + cSize);
    copy.v = buf.subarray(ySize + cSize, ySize + 2 * cSize);
  }
  return copy;
}

/** Copies `rows` rows of `width` bytes from a strided plane into a tight one. */
function copyPlane(src: Uint8Array, stride: number, dst: Uint8Array, width: number, rows: number): void {
  if (stride === width) {
    dst.set(src.subarray(0, width * rows));
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * stride, r * stride + width), r * width);
}

/** The last `capacity` frames, copied into buffers allocated once and reused; see the file comment. */
export class FrameHistory {
  /** How many frames are kept. */
  readonly capacity: number;
  #slots: FrameCopy[] = [];
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(`FrameHistory capacity must be an integer 1..${MAX_CAPACITY}, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Frames held now (up to capacity). */
  get size(): number {
    return this.#count;
  }

  /** Bytes of the preallocated buffers (0 before the first push). */
  get bytes(): number {
    const s = this.#slots[0];
    return s ? this.#slots.length * frameBytes(s.width, s.height, s.format) : 0;
  }

  /** The newest copy, or undefined when empty. */
  get latest(): FrameCopy | undefined {
    return this.#count === 0 ? undefined : this.#slots[(this.#next + this.capacity - 1) % this.capacity];
  }

  /**
   * Copies `frame` over the oldest slot and returns that slot. The returned copy (like every copy this
   * history returns) is reused `capacity` pushes later: snapshot() it to keep it.
   */
  push(frame: Frame): FrameCopy {
    const { width, height, format } = frame;
    const first = this.#slots[0];
    if (!first || first.width !== width || first.height !== height || first.format !== format) {
      // A resolution or format change: the old frames could not be mixed with new ones anyway.
      this.#slots = Array.from({ length: this.capacity }, () => allocateCopy(width, height, format));
      this.#next = 0;
      this.#count = 0;
    }
    const slot = this.#slots[this.#next]!;
    copyPlane(frame.y, frame.strideY, slot.y, width, height);
    if (format === 'i420') {
      if (!frame.u || !frame.v) throw new TypeError('an i420 frame needs u and v planes');
      const cw = (width + 1) >> 1;
      const ch = (height + 1) >> 1;
      copyPlane(frame.u, frame.strideUV, slot.u!, cw, ch);
      copyPlane(frame.v, frame.strideUV, slot.v!, cw, ch);
    }
    slot.capturedAt = frame.capturedAt;
    slot.pts = frame.pts;
    this.#next = (this.#next + 1) % this.capacity;
    this.#count = Math.min(this.#count + 1, this.capacity);
    return slot;
  }

  /** The copy whose capturedAt is nearest `capturedAt` (the older one on a tie), or undefined when empty. */
  at(capturedAt: number): FrameCopy | undefined {
    let best: FrameCopy | undefined;
    let bestDistance = Infinity;
    // Oldest to newest, so a strict `<` keeps the older of two equally near frames.
    for (let i = 0; i < this.#count; i++) {
      const slot = this.#slots[(this.#next - this.#count + i + this.capacity) % this.capacity]!;
      const d = Math.abs(slot.capturedAt - capturedAt);
      if (d < bestDistance) {
        best = slot;
        bestDistance = d;
      }
    }
    return best;
  }

  /** A copy in new buffers, unaffected by later pushes; emit takes ownership of it (see EvidenceImage). */
  snapshot(copy: FrameCopy): FrameCopy {
    const out = allocateCopy(copy.width, copy.height, copy.format);
    out.capturedAt = copy.capturedAt;
    out.pts = copy.pts;
    out.y.set(copy.y.subarray(0, out.y.length));
    if (out.u && out.v && copy.u && copy.v) {
      out.u.set(copy.u.subarray(0, out.u.length));
      out.v.set(copy.v.subarray(0, out.v.length));
    }
    detachedBuffers.add(out.y.buffer);
    return out;
  }

  /** Forgets every frame (the buffers stay allocated for the next push). */
  clear(): void {
    this.#next = 0;
    this.#count = 0;
  }
}

/**
 * The buffers of `images` that emit may move to the host instead of copying: those FrameHistory.snapshot
 * made and that are not already moved (a detached buffer reads as 0 bytes). Anything else, such as a
 * history's own slots, is copied by postMessage, so the plugin's memory is never taken from it.
 */
export function transferableBuffers(images: readonly EvidenceImage[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const image of images) {
    for (const plane of [image?.frame?.y, image?.frame?.u, image?.frame?.v]) {
      const buf = plane instanceof Uint8Array ? plane.buffer : undefined;
      if (buf instanceof ArrayBuffer && buf.byteLength > 0 && detachedBuffers.has(buf)) out.add(buf);
    }
  }
  return [...out];
}
