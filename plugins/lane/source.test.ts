import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import { I420Canvas } from '../../bench/scenes/canvas.js';
import { lanePlugins, laneScene } from '../../bench/scenes/lane.js';
import { renderFrame, type TrafficScene, type VehicleClass } from '../../bench/scenes/traffic.js';
import { BlobDetector, GroundPlane, laneCuts, pointToPixels, type Frame, type ObjectDetection } from '../sdk/index.js';
import { LaneBlobSource } from './source.js';

/**
 * The detections of a LaneBlobSource (cut between the four lanes of the lane scenarios) 0.4 s after
 * `parked` vehicles appear on the empty road it has learnt for 3 s.
 */
function detect(parked: { cls: VehicleClass; x: number; z: number }[], join = true): ObjectDetection[] {
  const base = laneScene('source', { seed: 1, durationS: 4, fps: 5, scripted: [] });
  const scene: TrafficScene = {
    ...base, noise: 2, lighting: undefined,
    vehicles: parked.map((p, i) => ({ id: i + 1, cls: p.cls, lane: 0, enterS: 3, speedKmh: 0, colour: [200, 128, 128], path: [{ t: 3, x: p.x, z: p.z }, { t: 9, x: p.x, z: p.z }] })),
  };
  const cfg = lanePlugins(scene).lane!;
  const plane = GroundPlane.fromReferencePoints((cfg.config!.ground as { image: [number, number]; ground: [number, number] }[]));
  const lanes = Object.values(cfg.zones!);
  const source = new LaneBlobSource(lanes, plane, 0.0004);
  // The same detector and cuts without the join.
  const plain = new BlobDetector({ minArea: 16, background: { step: 2 } });
  plain.cuts = laneCuts(lanes.map((poly) => poly.map((p) => pointToPixels(p, 640, 360))), plain.gridFor(640, 360));
  plain.minArea = 0.0004 * 640 * 360;
  const canvas = new I420Canvas(640, 360);
  const rand = prng(1);
  let out: ObjectDetection[] = [];
  for (let i = 0; i <= 17; i++) {
    renderFrame(scene, i, canvas, rand);
    const frame: Frame = { cameraId: 'c', pts: 0, capturedAt: i * 200, seq: i, width: 640, height: 360, format: 'i420', y: canvas.y, u: canvas.u, v: canvas.v, strideY: 640, strideUV: 320 };
    out = join ? source.detect(frame) : plain.detect(frame);
  }
  return out;
}

describe('LaneBlobSource', () => {
  it('keeps a car straddling the centre line whole, which the plain cut splits in two', () => {
    const halves = detect([{ cls: 'car', x: 0.1, z: 25 }], false);
    assert.equal(halves.length, 2, 'the lane cut halves it');
    const whole = detect([{ cls: 'car', x: 0.1, z: 25 }]);
    assert.equal(whole.length, 1);
    const [a, b, w] = [halves[0]!.box, halves[1]!.box, whole[0]!.box];
    assert.equal(w.x, Math.min(a.x, b.x));
    assert.equal(w.x + w.w, Math.max(a.x + a.w, b.x + b.w), 'one box across both halves');
  });

  it('keeps vehicles side by side in two lanes apart', () => {
    // Two cars passing each other close to the centre line touch in the image: cut apart, and their
    // union is wider than one vehicle, so they stay two.
    const close = [{ cls: 'car' as const, x: -0.95, z: 25 }, { cls: 'car' as const, x: 0.95, z: 25 }];
    assert.equal(detect(close, false).length, 2);
    assert.equal(detect(close).length, 2);
    assert.equal(detect([{ cls: 'car', x: -1.75, z: 25 }, { cls: 'truck', x: 1.75, z: 27 }]).length, 2);
  });
});
