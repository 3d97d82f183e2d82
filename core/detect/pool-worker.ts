/**
 * Piscina task of the DetectorService: runs the model on frames read in place from cameras'
 * FrameRings (shared memory: the plugin that asked holds the frame pinned until it has its answer).
 * Each pool thread opens its own session once (one intra-op thread, so that the pool, sized to the
 * cores, does not oversubscribe them) and stacks a task's frames into one batched run when the
 * model's batch dimension is dynamic.
 */
import { workerData } from 'node:worker_threads';
import { FrameRing } from '../decode/frame-ring.js';
import type { Box } from '../../plugins/sdk/vision/types.js';
import { OnnxDetector } from './models/detector.js';
import type { Detection } from './models/decoders.js';
import type { ModelSpec } from './models/spec.js';

/** One frame to look at: its camera's ring, the slot, and optionally a region of it. */
export interface DetectFrame {
  sab: SharedArrayBuffer;
  slot: number;
  /** The frame's sequence number: checked against the slot's, so a reused slot is not read as this frame. */
  seq: number;
  region?: Box;
}

/** One task: frames of one or more cameras due at once. */
export interface DetectTask {
  frames: DetectFrame[];
}

/** Per frame, its detections, or the reason there are none. */
export type DetectResult = { detections: Detection[] } | { error: string };

const { spec, maxBatch } = workerData as { spec: ModelSpec; maxBatch: number };
let detector: Promise<OnnxDetector> | undefined;

/** Runs the model on every frame of the task. */
export default async function detect(task: DetectTask): Promise<DetectResult[]> {
  detector ??= OnnxDetector.create(spec, { maxBatch });
  const d = await detector;
  const out: DetectResult[] = task.frames.map(() => ({ error: 'not run' }));
  const requests: { image: Parameters<OnnxDetector['detect']>[0]; region?: Box }[] = [];
  const index: number[] = [];
  const pinned: { ring: FrameRing; ref: { slot: number; seq: number; pts: number; capturedAt: number } }[] = [];
  try {
    task.frames.forEach((f, i) => {
      // Each task brings its own SharedArrayBuffer object for the ring's memory: attach (views only, no copy).
      const ring = FrameRing.attach(f.sab);
      const ref = { slot: f.slot, seq: f.seq, pts: 0, capturedAt: 0 };
      // Our own pin for the read (the asking plugin's holds too, unless it gave up waiting).
      if (!ring.pin(ref)) {
        out[i] = { error: `frame ${f.seq} is no longer in its slot` };
        return;
      }
      pinned.push({ ring, ref });
      const { width, height, format } = ring.layout;
      const p = ring.planes(f.slot);
      requests.push({ image: { format, width, height, y: p.y, u: p.u, v: p.v, strideY: p.strideY, strideUV: p.strideUV }, ...(f.region ? { region: f.region } : {}) });
      index.push(i);
    });
    if (requests.length === 0) return out;
    const found = await d.detectMany(requests);
    found.forEach((dets, k) => (out[index[k]!] = { detections: dets }));
    return out;
  } finally {
    for (const p of pinned) p.ring.unpin(p.ref);
  }
}
