/**
 * Torn-read probe for frame-ring.test.ts. As a worker thread it reads a FrameRing as fast as it
 * can until the stop flag is set: latest(), pin, verify every byte of the frame, unpin. In the
 * main thread it only exports the frame pattern the writer and the readers agree on.
 *
 * Frame `seq`: a slice of a fixed pseudo-random tape starting at an offset derived from seq, then
 * seq stamped (u32 LE) over bytes 0..3 last. A frame mixing two writes fails the comparison unless
 * both seqs map to the same tape offset (1 in 65536) and the stamp was not caught mid-write either.
 */
import { Buffer } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { FrameRing, type FrameRef } from '../frame-ring.js';

/** pts and capturedAt the writer gives frame `seq`, so readers can check the metadata too. */
export const ptsOf = (seq: number) => seq * 3000;
export const capturedAtOf = (seq: number) => 1_700_000_000_000 + seq;

const TAPE_SPAN = 1 << 16;
const tapeOffset = (seq: number) => Math.imul(seq, 40503) & (TAPE_SPAN - 1);

/** The pseudo-random tape frames are cut from (deterministic: writer and readers build the same one). */
export function makeTape(frameBytes: number): Buffer {
  const tape = Buffer.allocUnsafe(frameBytes + TAPE_SPAN);
  let x = 0x2545f491;
  for (let i = 0; i < tape.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    tape[i] = x & 0xff;
  }
  return tape;
}

/** Writes frame `seq` into `px`. */
export function fillFrame(px: Uint8Array, tape: Buffer, seq: number): void {
  const off = tapeOffset(seq);
  px.set(tape.subarray(off, off + px.length));
  new DataView(px.buffer, px.byteOffset, 4).setUint32(0, seq >>> 0, true);
}

/** The seq a frame claims to be when all of its bytes agree with that claim, else -1 (torn). */
export function checkFrame(px: Buffer, tape: Buffer): number {
  const seq = px.readUInt32LE(0);
  const off = tapeOffset(seq);
  return px.compare(tape, off + 4, off + px.length, 4) === 0 ? seq : -1;
}

/** What a reader worker reports when stopped. */
export interface ReaderReport {
  verified: number; // frames pinned and found whole and matching their ref
  torn: number; // frames whose bytes mix writes, or do not match the ref they were pinned for
  badMeta: number; // refs whose pts/capturedAt do not belong to their seq
  pinFailed: number; // refs overwritten before the pin (expected, not an error)
  backwards: number; // latest() returned a lower seq than before
}

/** workerData of a reader: `unsafe` skips pin/unpin, to prove the probe does detect tearing. */
export interface ReaderOptions {
  sab: SharedArrayBuffer;
  stop: SharedArrayBuffer; // Int32[0] != 0: stop
  unsafe?: boolean;
}

function run(opts: ReaderOptions): ReaderReport {
  const ring = FrameRing.attach(opts.sab);
  const tape = makeTape(ring.frameBytes);
  const views = Array.from({ length: ring.layout.slots }, (_, s) => {
    const px = ring.pixels(s);
    return Buffer.from(px.buffer, px.byteOffset, px.byteLength);
  });
  const stop = new Int32Array(opts.stop);
  const r: ReaderReport = { verified: 0, torn: 0, badMeta: 0, pinFailed: 0, backwards: 0 };
  let last = 0;
  let stale: FrameRef | undefined;
  const verify = (ref: FrameRef) => {
    if (!ring.pin(ref)) {
      r.pinFailed++;
      return;
    }
    if (checkFrame(views[ref.slot]!, tape) === ref.seq) r.verified++;
    else r.torn++;
    ring.unpin(ref);
  };
  while (Atomics.load(stop, 0) === 0) {
    const ref: FrameRef | undefined = ring.latest();
    if (!ref) continue;
    if (ref.seq < last) r.backwards++;
    last = ref.seq;
    if (ref.pts !== ptsOf(ref.seq) || ref.capturedAt !== capturedAtOf(ref.seq)) r.badMeta++;
    if (opts.unsafe) {
      if (checkFrame(views[ref.slot]!, tape) < 0) r.torn++;
      else r.verified++;
      continue;
    }
    verify(ref);
    // Re-pinning an older ref races the writer head-on: its slot is exactly what beginWrite wants.
    if (stale) verify(stale);
    if (!stale || stale.seq !== ref.seq) stale = ref;
  }
  return r;
}

if (parentPort) {
  const port = parentPort;
  const opts = workerData as ReaderOptions;
  port.postMessage('ready');
  port.postMessage(run(opts));
}
