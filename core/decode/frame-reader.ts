/**
 * The thread that moves a decoder's raw frames from ffmpeg into the FrameRing (worker entry, started
 * by DecodeProcess). ffmpeg writes rawvideo into a FIFO; this thread reads it with blocking reads
 * straight into a claimed ring slot: one copy, no Buffer per chunk, and none of it on the main
 * thread, which carries the relay. Reading ffmpeg's stdout on the main thread instead cost about
 * 1.2 ms of main-thread CPU per 1280x720 frame (21 'data' events of 64 KiB, each a new Buffer and
 * a copy), and the pipe stalled ffmpeg whenever the event loop was busy elsewhere.
 *
 * Per frame it claims a slot (beginWrite), fills it and posts the slot number; -1 means every slot
 * was pinned, so the frame was read into a scratch buffer and dropped (the ring counted it). The
 * owner commits or aborts each posted slot; this thread never commits. At most MAX_IN_FLIGHT
 * posted slots wait for the owner: beyond that this thread waits (and ffmpeg with it, on the full
 * FIFO) instead of claiming every slot while the owner's event loop is busy, which would drop
 * frames that no reader holds.
 *
 * Stopping: the FIFO is opened read-write, so open never blocks and ffmpeg's exit is no EOF; the
 * owner sets the stop word and then writes one byte into the FIFO. The FIFO is opened before the
 * first look at the stop word, so either the byte wakes a blocked read or the word is already set.
 * A slot claimed when the stop comes is aborted here, so no slot stays claimed after this thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { FrameRing } from './frame-ring.js';

/** What the owner passes in workerData. */
export interface FrameReaderData {
  fifo: string;
  sab: SharedArrayBuffer;
  /** Int32 [CTL_STOP]: non-zero = stop; [CTL_IN_FLIGHT]: slots posted and not yet handled by the owner. */
  control: SharedArrayBuffer;
}

export const CTL_STOP = 0;
export const CTL_IN_FLIGHT = 1;
/** Posted slots the owner may have pending. */
export const MAX_IN_FLIGHT = 2;
/** Longest single wait for the owner; the stop word is checked in between. */
const WAIT_MS = 200;

/** Worker → owner: a filled slot to commit or abort, -1 for a frame dropped (ring full). */
export type FrameReaderMessage = number;

function run(d: FrameReaderData): void {
  const ring = FrameRing.attach(d.sab);
  const ctl = new Int32Array(d.control);
  const stopped = () => Atomics.load(ctl, CTL_STOP) !== 0;
  const frameBytes = ring.frameBytes;
  let scratch: Uint8Array | undefined;
  const fd = openSync(d.fifo, 'r+');
  try {
    while (!stopped()) {
      const inFlight = Atomics.load(ctl, CTL_IN_FLIGHT);
      if (inFlight >= MAX_IN_FLIGHT) {
        Atomics.wait(ctl, CTL_IN_FLIGHT, inFlight, WAIT_MS);
        continue;
      }
      const slot = ring.beginWrite();
      const target = slot >= 0 ? ring.pixels(slot) : (scratch ??= new Uint8Array(frameBytes));
      let filled = 0;
      while (filled < frameBytes && !stopped()) {
        filled += readSync(fd, target, filled, frameBytes - filled, null);
      }
      if (filled < frameBytes) {
        if (slot >= 0) ring.abort(slot);
        break;
      }
      Atomics.add(ctl, CTL_IN_FLIGHT, 1);
      parentPort!.postMessage(slot satisfies FrameReaderMessage);
    }
  } finally {
    closeSync(fd);
  }
}

// The owner imports this module for its constants; only the worker runs it.
if (!isMainThread) run(workerData as FrameReaderData);
