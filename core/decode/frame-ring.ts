/**
 * FrameRing: a camera's decoded frames in fixed slots of ONE SharedArrayBuffer (Frigate's
 * shared-memory frame slots). The decoder writes, plugin workers read; only a FrameRef
 * `{ slot, seq, pts, capturedAt }` travels between threads, the pixels never move.
 *
 *   byte 0                 64                64 + 64*slots                       (64-aligned)
 *   | header (Int32 x 16) | slot meta x slots | slot 0 pixels | slot 1 pixels | ...
 *
 *   header  [0] magic  [1] version  [2] slots  [3] width  [4] height  [5] format (0 i420, 1 gray)
 *           [6] last seq  [7] latest slot (-1: none yet)  [8] written  [9] dropped  [10] write cursor
 *   meta    Int32 [0] state = pins | WRITING   [1] seq (0: never published)
 *           Float64 [1] pts   [2] capturedAt             (one 64-byte line per slot: no false sharing)
 *   pixels  i420: Y w*h, U cw*ch, V cw*ch with cw = ceil(w/2), ch = ceil(h/2); gray: Y only
 *
 * Torn reads are impossible. The slot's state word carries the reader pin count in its low bits
 * and the WRITING bit (1 << 30):
 *   - writer, beginWrite: Atomics.compareExchange(state, 0, WRITING) on a slot that is not the
 *     latest; it succeeds only when no reader holds a pin at that instant.
 *   - writer, commit: store pts/capturedAt, Atomics.store(seq, next), Atomics.sub(state, WRITING),
 *     then Atomics.store(latest, slot).
 *   - reader, pin(ref): old = Atomics.add(state, 1); if old has WRITING, undo and fail; then
 *     Atomics.load(seq) must equal ref.seq, else undo and fail.
 * All of these are sequentially consistent operations on the same word, so they have one total
 * order. If the reader's add comes first, the state is non-zero and the writer's CAS fails (the
 * writer moves to another slot or drops the frame). If the writer's CAS comes first, either the
 * reader's add sees WRITING (fail), or it comes after commit's sub, and then the seq check sees
 * the new seq (fail: the frame was overwritten). So after a successful pin the slot holds exactly
 * ref.seq and cannot be taken for writing until the matching unpin; the pixel writes of that
 * frame happened before the seq store the reader observed, so the reader sees all of them.
 * A reader's transient add during WRITING is harmless: commit subtracts only the WRITING bit,
 * and the reader subtracts its own 1. The writer never waits: a pinned slot is skipped, and
 * when every candidate is pinned the frame is dropped and counted.
 *
 * seq is a wrapping Int32 that skips 0; refs are compared for equality only, so wrapping after
 * 2^32 frames is harmless.
 */

/** Pixel layout of a frame: planar YUV 4:2:0 (ffmpeg `yuv420p`) or 8-bit luma only. */
export type PixelFormat = 'i420' | 'gray';

/** Shape of a ring: how many slots and what each frame looks like. */
export interface FrameRingLayout {
  slots: number;
  width: number;
  height: number;
  format: PixelFormat;
}

/** What crosses threads for one frame. */
export interface FrameRef {
  slot: number;
  seq: number;
  pts: number;
  /** Epoch ms, Date.now() domain. */
  capturedAt: number;
}

/** Zero-copy views of one slot's planes. */
export interface FramePlanes {
  y: Uint8Array;
  u?: Uint8Array;
  v?: Uint8Array;
  strideY: number;
  strideUV: number;
}

const MAGIC = 0x53534652; // 'SSFR'
const VERSION = 1;
const LINE = 64;
const HEADER_BYTES = LINE;
const META_BYTES = LINE;
const WRITING = 1 << 30;
const LATEST_ATTEMPTS = 64;
const MAX_SLOTS = 1024;
const MAX_SIDE = 16384;

// header Int32 indexes
const H_MAGIC = 0;
const H_VERSION = 1;
const H_SLOTS = 2;
const H_WIDTH = 3;
const H_HEIGHT = 4;
const H_FORMAT = 5;
const H_SEQ = 6;
const H_LATEST = 7;
const H_WRITTEN = 8;
const H_DROPPED = 9;
const H_CURSOR = 10;

const FORMATS: readonly PixelFormat[] = ['i420', 'gray'];

const align = (n: number) => Math.ceil(n / LINE) * LINE;

/** Bytes of one frame's pixels in this layout. */
function frameBytesOf(l: FrameRingLayout): number {
  const luma = l.width * l.height;
  if (l.format === 'gray') return luma;
  return luma + 2 * Math.ceil(l.width / 2) * Math.ceil(l.height / 2);
}

function checkLayout(l: FrameRingLayout): void {
  const int = (v: number, lo: number, hi: number, name: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`FrameRing ${name} must be an integer in ${lo}..${hi}, got ${v}`);
  };
  // Two slots minimum: the latest is never overwritten, so one slot could never be written again.
  int(l.slots, 2, MAX_SLOTS, 'slots');
  int(l.width, 1, MAX_SIDE, 'width');
  int(l.height, 1, MAX_SIDE, 'height');
  if (!FORMATS.includes(l.format)) throw new RangeError(`FrameRing format must be one of ${FORMATS.join(', ')}, got ${String(l.format)}`);
}

/** Fixed-slot shared frame buffer of one camera: one writer thread, any number of reader threads. */
export class FrameRing {
  /** The shared memory; post it in a message (never in a transfer list) and `attach` on the other side. */
  readonly sab: SharedArrayBuffer;
  /** Slots and frame shape, read from the header. */
  readonly layout: FrameRingLayout;
  /** Bytes of one frame's pixels. */
  readonly frameBytes: number;

  readonly #header: Int32Array;
  readonly #meta: Int32Array; // META_BYTES / 4 ints per slot
  readonly #metaF64: Float64Array; // META_BYTES / 8 doubles per slot
  readonly #pixels: Uint8Array[];
  readonly #planes: FramePlanes[];
  readonly #stats: { readonly written: number; readonly dropped: number };

  /** Bytes of the SharedArrayBuffer a ring with this layout needs (header + slot meta + pixels). */
  static byteLength(layout: FrameRingLayout): number {
    checkLayout(layout);
    return HEADER_BYTES + META_BYTES * layout.slots + align(frameBytesOf(layout)) * layout.slots;
  }

  /** A new, empty ring in a fresh SharedArrayBuffer. */
  static create(layout: FrameRingLayout): FrameRing {
    const sab = new SharedArrayBuffer(FrameRing.byteLength(layout));
    const h = new Int32Array(sab, 0, HEADER_BYTES / 4);
    h[H_VERSION] = VERSION;
    h[H_SLOTS] = layout.slots;
    h[H_WIDTH] = layout.width;
    h[H_HEIGHT] = layout.height;
    h[H_FORMAT] = FORMATS.indexOf(layout.format);
    h[H_LATEST] = -1;
    Atomics.store(h, H_MAGIC, MAGIC); // last: the buffer is a ring only once the header is complete
    return new FrameRing(sab);
  }

  /** The ring living in `sab` (in a worker); the layout comes from the header. Throws on a foreign buffer. */
  static attach(sab: SharedArrayBuffer): FrameRing {
    return new FrameRing(sab);
  }

  private constructor(sab: SharedArrayBuffer) {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('FrameRing.attach needs a SharedArrayBuffer');
    if (sab.byteLength < HEADER_BYTES) throw new TypeError(`not a FrameRing buffer: ${sab.byteLength} bytes is smaller than the header`);
    const h = new Int32Array(sab, 0, HEADER_BYTES / 4);
    const magic = Atomics.load(h, H_MAGIC);
    if (magic !== MAGIC) throw new TypeError(`not a FrameRing buffer: magic 0x${(magic >>> 0).toString(16)} instead of 0x${MAGIC.toString(16)}`);
    if (h[H_VERSION] !== VERSION) throw new TypeError(`FrameRing version ${h[H_VERSION]} is not supported (expected ${VERSION})`);
    const layout: FrameRingLayout = {
      slots: h[H_SLOTS]!,
      width: h[H_WIDTH]!,
      height: h[H_HEIGHT]!,
      format: FORMATS[h[H_FORMAT]!] as PixelFormat,
    };
    const expected = FrameRing.byteLength(layout);
    if (sab.byteLength !== expected) throw new TypeError(`not a FrameRing buffer: ${sab.byteLength} bytes, the header's layout needs ${expected}`);

    this.sab = sab;
    this.layout = Object.freeze(layout);
    this.frameBytes = frameBytesOf(layout);
    this.#header = h;
    this.#meta = new Int32Array(sab, HEADER_BYTES, (META_BYTES / 4) * layout.slots);
    this.#metaF64 = new Float64Array(sab, HEADER_BYTES, (META_BYTES / 8) * layout.slots);

    // Views are made once per slot: handing out a frame allocates nothing.
    const pixelsAt = HEADER_BYTES + META_BYTES * layout.slots;
    const stride = align(this.frameBytes);
    const { width: w, height: hgt } = layout;
    const cw = Math.ceil(w / 2);
    const ch = Math.ceil(hgt / 2);
    this.#pixels = [];
    this.#planes = [];
    for (let s = 0; s < layout.slots; s++) {
      const px = new Uint8Array(sab, pixelsAt + s * stride, this.frameBytes);
      this.#pixels.push(px);
      const y = px.subarray(0, w * hgt);
      this.#planes.push(
        Object.freeze(
          layout.format === 'gray'
            ? { y, strideY: w, strideUV: 0 }
            : { y, u: px.subarray(w * hgt, w * hgt + cw * ch), v: px.subarray(w * hgt + cw * ch), strideY: w, strideUV: cw },
        ),
      );
    }
    this.#stats = Object.freeze({
      get written() {
        return Atomics.load(h, H_WRITTEN);
      },
      get dropped() {
        return Atomics.load(h, H_DROPPED);
      },
    });
  }

  /** Frames committed and frames dropped because every writable slot was pinned; live from the SAB. */
  get stats(): { readonly written: number; readonly dropped: number } {
    return this.#stats;
  }

  // ---- writer (one thread) ----

  /**
   * Claims a slot for the next frame: unpinned, not the latest, round-robin. Never waits.
   * Returns -1 and counts a drop when every candidate is pinned.
   */
  beginWrite(): number {
    const h = this.#header;
    const n = this.layout.slots;
    const latest = Atomics.load(h, H_LATEST);
    const cursor = Atomics.load(h, H_CURSOR);
    for (let i = 0; i < n; i++) {
      const slot = (cursor + i) % n;
      if (slot === latest) continue;
      if (Atomics.compareExchange(this.#meta, slot * (META_BYTES / 4), 0, WRITING) === 0) {
        Atomics.store(h, H_CURSOR, (slot + 1) % n);
        return slot;
      }
    }
    Atomics.add(h, H_DROPPED, 1);
    return -1;
  }

  /** The slot's pixel bytes (Y, then U, then V for i420), to fill between beginWrite and commit. */
  pixels(slot: number): Uint8Array {
    const px = this.#pixels[slot];
    if (!px) throw new RangeError(`FrameRing slot ${slot} out of range 0..${this.layout.slots - 1}`);
    return px;
  }

  /** Publishes the slot claimed by beginWrite with a new seq; it becomes the latest frame. */
  commit(slot: number, pts: number, capturedAt: number): FrameRef {
    const st = this.#stateIndex(slot);
    if ((Atomics.load(this.#meta, st) & WRITING) === 0) throw new RangeError(`FrameRing slot ${slot} was not claimed by beginWrite`);
    const h = this.#header;
    let seq = (Atomics.load(h, H_SEQ) + 1) | 0;
    if (seq === 0) seq = 1;
    Atomics.store(h, H_SEQ, seq);
    const f = slot * (META_BYTES / 8);
    this.#metaF64[f + 1] = pts;
    this.#metaF64[f + 2] = capturedAt;
    Atomics.store(this.#meta, st + 1, seq);
    Atomics.add(h, H_WRITTEN, 1);
    // Release before publishing: this thread is the only writer, so nothing can claim the slot
    // in between, and a reader that finds it as the latest never sees WRITING on it.
    Atomics.sub(this.#meta, st, WRITING);
    Atomics.store(h, H_LATEST, slot);
    return { slot, seq, pts, capturedAt };
  }

  /** Gives a claimed slot back without publishing (the decoder lost the frame half-way). */
  abort(slot: number): void {
    const st = this.#stateIndex(slot);
    if ((Atomics.load(this.#meta, st) & WRITING) === 0) throw new RangeError(`FrameRing slot ${slot} was not claimed by beginWrite`);
    Atomics.sub(this.#meta, st, WRITING);
    Atomics.store(this.#header, H_CURSOR, slot); // reuse it next: its old frame is already stale
  }

  // ---- readers (any thread) ----

  /** Holds the frame against overwriting; false if the slot no longer holds ref.seq. Pair with unpin. */
  pin(ref: FrameRef): boolean {
    if (ref.seq === 0 || !Number.isInteger(ref.slot) || ref.slot < 0 || ref.slot >= this.layout.slots) return false;
    const st = ref.slot * (META_BYTES / 4);
    const meta = this.#meta;
    if (Atomics.add(meta, st, 1) & WRITING) {
      Atomics.sub(meta, st, 1);
      return false;
    }
    if (Atomics.load(meta, st + 1) !== ref.seq) {
      Atomics.sub(meta, st, 1);
      return false;
    }
    return true;
  }

  /** Releases a pin taken by a successful pin(ref); call exactly once per successful pin. */
  unpin(ref: FrameRef): void {
    Atomics.sub(this.#meta, this.#stateIndex(ref.slot), 1);
  }

  /**
   * The most recently committed frame, or undefined before the first commit. The metadata is read
   * under a momentary pin, so seq, pts and capturedAt always belong to the same frame.
   */
  latest(): FrameRef | undefined {
    const h = this.#header;
    const meta = this.#meta;
    for (let attempt = 0; attempt < LATEST_ATTEMPTS; attempt++) {
      const slot = Atomics.load(h, H_LATEST);
      if (slot < 0) return undefined;
      const st = slot * (META_BYTES / 4);
      // The slot may have stopped being the latest and been claimed since we loaded it: retry.
      if (Atomics.add(meta, st, 1) & WRITING) {
        Atomics.sub(meta, st, 1);
        continue;
      }
      const f = slot * (META_BYTES / 8);
      const ref = { slot, seq: Atomics.load(meta, st + 1), pts: this.#metaF64[f + 1]!, capturedAt: this.#metaF64[f + 2]! };
      Atomics.sub(meta, st, 1);
      return ref;
    }
    // Only when the writer lapped this reader LATEST_ATTEMPTS times in a row.
    return undefined;
  }

  /** Zero-copy views of the slot's planes (gray: y only). Valid to read while the frame is pinned. */
  planes(slot: number): FramePlanes {
    const p = this.#planes[slot];
    if (!p) throw new RangeError(`FrameRing slot ${slot} out of range 0..${this.layout.slots - 1}`);
    return p;
  }

  #stateIndex(slot: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.layout.slots) {
      throw new RangeError(`FrameRing slot ${slot} out of range 0..${this.layout.slots - 1}`);
    }
    return slot * (META_BYTES / 4);
  }
}
