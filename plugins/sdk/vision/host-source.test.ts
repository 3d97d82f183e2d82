import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { z } from 'zod';
import type { Frame } from '../types.js';
import { BlobDetector } from './blobs.js';
import { ObjectTracker, objectTrackingShape } from './objects.js';
import { hostDetectionSource, setHostDetectionSource, type DetectionSource } from './types.js';
import { VehicleTracker } from './vehicles.js';

const config = z.strictObject(objectTrackingShape).parse({});
const frame = (seq: number): Frame => ({ cameraId: 'c', pts: seq, capturedAt: 1_700_000_000_000 + seq * 200, seq, width: 320, height: 180, format: 'gray', y: new Uint8Array(320 * 180), strideY: 320, strideUV: 0 });

describe('the host detection source', () => {
  afterEach(() => setHostDetectionSource(undefined));

  it('is what trackers built without a source detect with, and they cannot close it', async () => {
    const seen: number[] = [];
    let closed = 0;
    const model: DetectionSource = {
      detect: (f) => {
        seen.push(f.seq);
        return [{ box: { x: 100, y: 60, w: 12, h: 40 }, score: 0.9, label: 'person' }];
      },
      close: () => closed++,
    };
    setHostDetectionSource(model);
    const objects = new ObjectTracker({ config, where: 'test' });
    assert.ok(!(objects.source instanceof BlobDetector));
    for (let i = 0; i < 6; i++) await objects.update(frame(i));
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
    // Labelled boxes give the kind (no ground plane: no size filter in metres).
    assert.equal(objects.all[0]?.kind, 'person');
    objects.close();
    assert.equal(closed, 0);
    assert.equal(hostDetectionSource()?.close, undefined);
  });

  it('leaves trackers on the blob detector when the host has none, and an explicit source wins', () => {
    assert.ok(new ObjectTracker({ config, where: 'test' }).source instanceof BlobDetector);
    setHostDetectionSource({ detect: () => [] });
    const own: DetectionSource = { detect: () => [] };
    const v = new VehicleTracker({ config: { ...config, classes: [], splitBy: [] } as never, zones: {}, where: 'test', source: own });
    assert.equal(v.source, own);
  });
});

describe('labelled detections in the vehicle tracker', () => {
  afterEach(() => setHostDetectionSource(undefined));

  it('tracks only the vehicles of a model\'s boxes, by kind (motorcycle → motorbike), and the object tracker every kind', async () => {
    const boxes = [
      { box: { x: 20, y: 60, w: 30, h: 20 }, score: 0.9, label: 'motorcycle' },
      { box: { x: 100, y: 60, w: 60, h: 30 }, score: 0.9, label: 'car' },
      { box: { x: 200, y: 40, w: 12, h: 40 }, score: 0.9, label: 'person' },
      { box: { x: 250, y: 10, w: 6, h: 14 }, score: 0.9, label: 'traffic light' },
    ];
    setHostDetectionSource({ detect: () => boxes.map((b) => ({ ...b, box: { ...b.box } })) });
    const vehicles = new VehicleTracker({ config: { ...config, classes: [], splitBy: [] } as never, zones: {}, where: 'test' });
    const objects = new ObjectTracker({ config, where: 'test' });
    let v: readonly { cls: string }[] = [];
    for (let i = 0; i < 6; i++) {
      v = await vehicles.update(frame(i));
      await objects.update(frame(i));
    }
    assert.deepEqual(v.map((x) => x.cls).sort(), ['car', 'motorbike']);
    assert.deepEqual(objects.all.map((o) => o.kind).sort(), ['car', 'motorbike', 'person', 'traffic light']);
  });
});
