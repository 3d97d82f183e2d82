/**
 * One plugin instance for one camera, in its own worker thread (started by PluginHost). Frames arrive
 * as FrameRefs; the pixels are read in place from the camera's FrameRing. The host pinned the frame
 * before posting it and unpins it on our result, so the decoder cannot overwrite it meanwhile (the
 * host holds the pin because a worker killed mid-frame could never release its own). An exception
 * from the plugin is not caught here: it ends the worker, and the host restarts it with backoff.
 */
import { parentPort } from 'node:worker_threads';
import { FrameRing, type FrameRef, type FramePlanes } from '../decode/frame-ring.js';
import { transferableBuffers } from '../../plugins/sdk/evidence.js';
import { setHostDetectionSource } from '../../plugins/sdk/vision/types.js';
import { RemoteDetectionSource } from '../detect/remote.js';
import type { Detection, Frame, PluginDefinition, PluginEventInput, PluginInstance } from '../../plugins/sdk/index.js';
import type { FromWorker, SnapshotFrame, ToWorker } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('core/plugins/worker.ts must run in a worker thread');

let ring: FrameRing | undefined;
let cameraId = '';
let instance: PluginInstance | undefined;
/** The frame being processed: ctx.emit snapshots it; undefined between frames. */
let current: Frame | undefined;
/** Frames that arrived before create() finished (the host sends at most one at a time). */
let pending: FrameRef | undefined;
/** The ref of the frame being processed (the detector service reads its pixels in the ring). */
let currentRef: FrameRef | undefined;
let detector: RemoteDetectionSource | undefined;

const post = (m: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer ?? []);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'init':
      void init(m);
      break;
    case 'ring':
      ring = FrameRing.attach(m.sab);
      break;
    case 'frame':
      if (instance) void onFrame(m.ref);
      else pending = m.ref;
      break;
    case 'close':
      try {
        instance?.close?.();
        detector?.close();
      } finally {
        process.exit(0);
      }
  }
});

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  cameraId = m.cameraId;
  if (m.sab) ring = FrameRing.attach(m.sab);
  const def = (await import(m.pluginUrl) as { default: PluginDefinition }).default;
  const config = def.configSchema.parse(m.config ?? {});
  if (m.detector) {
    // The camera's frames go to the neural detector: trackers built without a source of their own use it.
    detector = new RemoteDetectionSource(m.detector, (f) => (ring && currentRef && current === f ? { sab: ring.sab, slot: currentRef.slot, seq: currentRef.seq } : undefined));
    setHostDetectionSource(detector);
  }
  instance = await def.create({
    cameraId,
    config,
    geometry: m.geometry,
    emit,
    count: (c) => post({ type: 'count', count: { ...c }, at: c.at ?? current?.capturedAt ?? Date.now() }),
    observe: (o) => post({ type: 'observe', object: { ...o }, at: o.at ?? current?.capturedAt ?? Date.now() }),
    log: (msg) => post({ type: 'log', msg: String(msg) }),
  });
  post({ type: 'ready' });
  if (pending) {
    const ref = pending;
    pending = undefined;
    void onFrame(ref);
  }
}

async function onFrame(ref: FrameRef): Promise<void> {
  if (!ring) throw new Error('frame before any ring was attached');
  const started = performance.now();
  let detections: void | Detection[];
  try {
    current = frameOf(ring, ref);
    currentRef = ref;
    detections = await instance!.onFrame(current);
  } finally {
    current = undefined; // the frame is lent for this call only: no snapshot of it after the result
    currentRef = undefined;
  }
  post({
    type: 'result',
    seq: ref.seq,
    processMs: performance.now() - started,
    ...(Array.isArray(detections) ? { detections } : {}),
  });
}

function frameOf(r: FrameRing, ref: FrameRef): Frame {
  const p = r.planes(ref.slot);
  const { width, height, format } = r.layout;
  return { cameraId, pts: ref.pts, capturedAt: ref.capturedAt, seq: ref.seq, width, height, format, ...p };
}

function emit(e: PluginEventInput): void {
  const at = current?.capturedAt ?? Date.now();
  const { evidence, ...event } = e;
  const m: Extract<FromWorker, { type: 'event' }> = { type: 'event', event, at };
  // Evidence frames are the plugin's own copies: moved to the host when FrameHistory.snapshot made them,
  // copied by postMessage otherwise. The host checks the shape (and the count) before any work.
  const transfer = evidence === undefined ? [] : transferableBuffers(Array.isArray(evidence) ? evidence : []);
  if (evidence !== undefined) m.evidence = evidence;
  if (e.snapshot && current) {
    m.frame = copyFrame(current);
    transfer.push(m.frame.planes.y.buffer as ArrayBuffer);
  } else {
    // A snapshot can only be of a frame that is still pinned; asked for later, the event is stored without one.
    delete event.snapshot;
  }
  post(m, transfer);
}

/** Copies the planes into one fresh buffer that is transferred (not copied again) to the host. */
function copyFrame(f: Frame): SnapshotFrame {
  const total = f.y.length + (f.u?.length ?? 0) + (f.v?.length ?? 0);
  const buf = new Uint8Array(total);
  buf.set(f.y, 0);
  const planes: FramePlanes = { y: buf.subarray(0, f.y.length), strideY: f.strideY, strideUV: f.strideUV };
  if (f.u && f.v) {
    buf.set(f.u, f.y.length);
    buf.set(f.v, f.y.length + f.u.length);
    planes.u = buf.subarray(f.y.length, f.y.length + f.u.length);
    planes.v = buf.subarray(f.y.length + f.u.length);
  }
  return { planes, width: f.width, height: f.height, format: f.format };
}
