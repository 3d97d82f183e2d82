/** Messages between the PluginHost (main thread) and a plugin worker (core/plugins/worker.ts). */
import type { MessagePort } from 'node:worker_threads';
import type { FrameRef, FramePlanes, PixelFormat } from '../decode/frame-ring.js';
import type { CountInput, Detection, EvidenceImage, Geometry, ObservedObject, PluginEventInput } from '../../plugins/sdk/index.js';

/**
 * Host → worker. The ring's SharedArrayBuffer is sent in `init` and again in `ring`, never
 * transferred. `detector`, when the camera's frames go to the neural detector (core/detect), is a
 * port to the detector service, transferred.
 */
export type ToWorker =
  | { type: 'init'; pluginUrl: string; cameraId: string; config: unknown; geometry: Geometry; sab?: SharedArrayBuffer; detector?: MessagePort }
  | { type: 'ring'; sab: SharedArrayBuffer }
  | { type: 'frame'; ref: FrameRef }
  | { type: 'close' };

/** A copy of a frame's planes for a snapshot (only made when the plugin asked for one). */
export interface SnapshotFrame {
  planes: FramePlanes;
  width: number;
  height: number;
  format: PixelFormat;
}

/**
 * Worker → host. A `frame` is pinned by the host until its `result` (see core/plugins/runner.ts).
 * An event's `evidence` travels beside it (not inside `event`); buffers made by FrameHistory.snapshot
 * are in the transfer list, so they arrive moved, not copied. The host checks it as untrusted input.
 */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; seq: number; detections?: Detection[]; processMs: number }
  | { type: 'event'; event: Omit<PluginEventInput, 'evidence'>; at: number; frame?: SnapshotFrame; evidence?: EvidenceImage[] }
  | { type: 'count'; count: CountInput; at: number }
  | { type: 'observe'; object: ObservedObject; at: number }
  | { type: 'log'; msg: string };
