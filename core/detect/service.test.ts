/**
 * DetectorService: frames named by ring slot are read in place by the pool, requests for one frame
 * share a run, frames of cameras due at once batch into one run (dynamic batch), malformed and
 * overflowing requests are answered with errors, and the model is validated at start. Also the
 * plugin side (RemoteDetectionSource) against the service, and the motion gate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MessagePort } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { FrameRing, type FrameRef } from '../decode/frame-ring.js';
import type { Frame } from '../../plugins/sdk/types.js';
import { MotionGate } from './gate.js';
import { modelSchema } from './models/config.js';
import { writeTestModel } from './models/test-models.js';
import { RemoteDetectionSource } from './remote.js';
import { DetectorService, type DetectReplyMessage } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-detect-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// An nms-format model at 640 × 640: one person at x 100..200 of the input, moved right by 100 px
// times the image's largest value (0 black, 1 white).
const values = new Float32Array(10 * 6);
values.set([100, 100, 200, 200, 0.875, 0]);
const shift = new Float32Array(10 * 6);
shift.set([100, 0, 100, 0]);

/** A gray 640 × 640 ring with one frame of luma `v` committed; its ref. */
function ringWith(v: number): { ring: FrameRing; ref: FrameRef } {
  const ring = FrameRing.create({ slots: 3, width: 640, height: 640, format: 'gray' });
  const slot = ring.beginWrite();
  ring.pixels(slot).fill(v);
  return { ring, ref: ring.commit(slot, 0, 1_700_000_000_000) };
}

function ask(port: MessagePort, id: number, ring: FrameRing, ref: FrameRef): Promise<DetectReplyMessage> {
  return new Promise((resolve) => {
    const on = (m: DetectReplyMessage) => {
      if (m.id !== id) return;
      port.off('message', on);
      resolve(m);
    };
    port.on('message', on);
    port.postMessage({ type: 'detect', id, sab: ring.sab, slot: ref.slot, seq: ref.seq, capturedAt: ref.capturedAt });
  });
}

const xs = (m: DetectReplyMessage) => (m.type === 'detections' ? m.detections.map((d) => [d.label, Math.round(d.box.x)]) : m.message);

describe('DetectorService', { timeout: 60_000 }, () => {
  it('answers frames read in place from the ring, one run for a frame two plugins ask for, one batch for cameras due at once', async () => {
    const path = writeTestModel(dir, 'batch.onnx', { input: ['batch', 3, 640, 640], output: [10, 6], values, shift });
    const service = await DetectorService.start({ spec: modelSchema.parse({ path, format: 'nms' }), workers: 1, maxBatch: 4, batchWindowMs: 20, gate: false });
    try {
      assert.equal(service.layout.dynamicBatch, true);
      const black = ringWith(0);
      const white = ringWith(255);
      const a = service.connect('cam-a');
      const a2 = service.connect('cam-a');
      const b = service.connect('cam-b');
      const got = await Promise.all([ask(a, 1, black.ring, black.ref), ask(a2, 7, black.ring, black.ref), ask(b, 1, white.ring, white.ref)]);
      // Gray frames are read as full range; the box maps back 1:1 (640 → 640).
      assert.deepEqual(got.map(xs), [[['person', 100]], [['person', 100]], [['person', 200]]]);
      const s = service.stats();
      assert.deepEqual([s.requests, s.frames, s.runs], [3, 2, 1]);
      for (const p of [a, a2, b]) p.close();
    } finally {
      await service.close();
    }
  });

  it('answers a malformed request, a frame no longer in its slot, and more frames than maxPending with errors', async () => {
    const path = writeTestModel(dir, 'single.onnx', { input: [1, 3, 640, 640], output: [10, 6], values, shift });
    const service = await DetectorService.start({ spec: modelSchema.parse({ path, format: 'nms' }), workers: 1, maxPending: 1, batchWindowMs: 20, gate: false });
    try {
      const port = service.connect('cam');
      const { ring, ref } = ringWith(0);
      const bad = await new Promise<DetectReplyMessage>((resolve) => {
        port.once('message', resolve);
        port.postMessage({ type: 'detect', id: 3, sab: 'nope', slot: 0, seq: 1, capturedAt: 0 });
      });
      assert.deepEqual(bad, { type: 'error', id: 3, message: 'malformed request' });
      const gone = await ask(port, 4, ring, { ...ref, seq: ref.seq + 5 });
      assert.equal(gone.type, 'error');
      const other = ringWith(255);
      const port2 = service.connect('cam2');
      const [first, second] = await Promise.all([ask(port, 5, ring, ref), ask(port2, 6, other.ring, other.ref)]);
      assert.equal(first.type, 'detections');
      assert.match(xs(second) as string, /detector busy/);
      assert.equal(service.stats().dropped, 1);
      port.close();
      port2.close();
    } finally {
      await service.close();
    }
  });

  it('fails at start, with the config path, on a model that does not fit its format', async () => {
    const path = writeTestModel(dir, 'wrong.onnx', { input: [1, 3, 640, 640], output: [10, 6], values, shift });
    await assert.rejects(DetectorService.start({ spec: modelSchema.parse({ path, format: 'yolov8' }), configPath: 'detector.model', gate: false }),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith('detector.model.format: format \'yolov8\''));
  });

  it('serves a plugin worker\'s RemoteDetectionSource, sharing one request between trackers on one frame', async () => {
    const path = writeTestModel(dir, 'remote.onnx', { input: [1, 3, 640, 640], output: [10, 6], values, shift });
    const service = await DetectorService.start({ spec: modelSchema.parse({ path, format: 'nms' }), workers: 1, gate: false });
    try {
      const { ring, ref } = ringWith(255);
      const p = ring.planes(ref.slot);
      const frame: Frame = { cameraId: 'cam', pts: 0, capturedAt: ref.capturedAt, seq: ref.seq, width: 640, height: 640, format: 'gray', y: p.y, strideY: p.strideY, strideUV: 0 };
      const source = new RemoteDetectionSource(service.connect('cam'), (f) => (f === frame ? { sab: ring.sab, slot: ref.slot, seq: ref.seq } : undefined));
      const [one, two] = await Promise.all([source.detect(frame), source.detect(frame)]);
      assert.equal(one, two);
      assert.deepEqual(one.map((d) => [d.label, Math.round(d.box.x)]), [['person', 200]]);
      assert.equal(service.stats().requests, 1);
      // A frame that is not in a ring gets nothing, counted.
      assert.deepEqual(await source.detect({ ...frame }), []);
      assert.equal(source.failed, 1);
      source.close();
    } finally {
      await service.close();
    }
  });
});

describe('MotionGate', () => {
  const W = 640;
  const H = 360;
  const still = new Uint8Array(W * H).fill(100);
  it('sends the first frame whole, then nothing while nothing moves and nothing is followed, then the region around motion, whole again every fullEveryMs', () => {
    const gate = new MotionGate({ fullEveryMs: 5000, minSize: 128 });
    assert.deepEqual(gate.decide(still, W, W, H, 0, []), { kind: 'full' });
    assert.deepEqual(gate.decide(still, W, W, H, 200, []), { kind: 'skip' });
    // Something bright moves in at x 400..440, y 100..160.
    const moved = still.slice();
    for (let y = 100; y < 160; y++) moved.fill(250, y * W + 400, y * W + 440);
    const d = gate.decide(moved, W, W, H, 400, []);
    assert.equal(d.kind, 'region');
    const box = (d as { box: { x: number; y: number; w: number; h: number } }).box;
    // At least minSize on each side, inside the frame, around the motion.
    assert.ok(box.w >= 128 && box.h >= 128 && box.x <= 400 && box.x + box.w >= 440 && box.y <= 96 && box.y + box.h >= 160 && box.x + box.w <= W && box.y + box.h <= H, JSON.stringify(box));
    // No motion but an object found last time: the region around it, of its aspect (not made
    // square): padded by 15% of its larger side (300 → 390), minSize on the short one, moved inside the frame.
    assert.deepEqual(gate.decide(still, W, W, H, 600, [{ x: 10, y: 10, w: 300, h: 40 }]), { kind: 'region', box: { x: 0, y: 0, w: 390, h: 130 } });
    // Something spanning the frame's height (vtest's people walking top to bottom) stays a region,
    // clamped to the frame: made square, 468 px wide, it went whole.
    assert.deepEqual(gate.decide(still, W, W, H, 800, [{ x: 300, y: 0, w: 60, h: 360 }]), { kind: 'region', box: { x: 246, y: 0, w: 168, h: 360 } });
    assert.deepEqual(gate.decide(still, W, W, H, 5000, []), { kind: 'full' });
    // A region that would cover most of the frame is the frame.
    assert.deepEqual(gate.decide(still, W, W, H, 5200, [{ x: 0, y: 0, w: 600, h: 300 }]), { kind: 'full' });
  });
  it('takes a change of the whole frame\'s brightness for no motion', () => {
    const gate = new MotionGate({ fullEveryMs: 60_000 });
    const scene = new Uint8Array(W * H);
    for (let i = 0; i < scene.length; i++) scene[i] = 60 + ((i % W) >> 3);
    assert.deepEqual(gate.decide(scene, W, W, H, 0, []), { kind: 'full' });
    // The light rises by a fifth within a second: every cell changes by 12–30, nothing moves.
    const brighter = scene.map((v) => Math.round(v * 1.2));
    assert.deepEqual(gate.decide(brighter, W, W, H, 500, []), { kind: 'skip' });
    // Someone walks in as well: motion where they are.
    for (let y = 200; y < 260; y++) brighter.fill(250, y * W + 100, y * W + 120);
    assert.equal(gate.decide(brighter, W, W, H, 1000, []).kind, 'region');
  });
});
