import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { project, type PinholeCamera } from '../../../bench/scenes/camera.js';
import { I420Canvas } from '../../../bench/scenes/canvas.js';
import { groundConfig } from '../../../bench/scenes/scenario.js';
import { streetScene, walker } from '../../../bench/scenes/street.js';
import { renderFrame } from '../../../bench/scenes/traffic.js';
import { prng } from '../../../core/testing/prng.js';
import type { Frame } from '../types.js';
import { calibrateRoadCamera } from './calibration.js';
import { GroundPlane } from './homography.js';
import { ObjectTracker, objectTrackingShape } from './objects.js';
import { joinStacked, splitPeople } from './people.js';
import type { Box, DetectionSource, ObjectDetection } from './types.js';

/** The street's camera: 6 m pole, 24° down, 640 × 360. */
const CAM: PinholeCamera = { width: 640, height: 360, focalPx: 576, heightM: 6, pitchRad: (24 * Math.PI) / 180 };
const REF: [number, number][] = [[-5, 8], [5, 8], [5, 40], [-5, 40]];
const plane = GroundPlane.fromReferencePoints(REF.map((g) => ({ image: project(CAM, [g[0], 0, g[1]])!, ground: g })));
const camera = {
  cam: calibrateRoadCamera(plane, CAM.width, CAM.height)!,
  toGround: (p: [number, number]) => {
    const g = plane.imageToGround(p);
    return g ? [g[0], g[1]] as [number, number] : undefined;
  },
};
const GRID = { step: 1, width: CAM.width, height: CAM.height };

/** Fills, in a 640 × 360 mask, the image of a ground-standing upright box x0..x1 (metres across) at depth z, from height h0 to h1. */
function fillUpright(mask: Uint8Array, z: number, x0: number, x1: number, h0: number, h1: number): void {
  const a = project(CAM, [x0, h1, z])!;
  const b = project(CAM, [x1, h0, z])!;
  for (let y = Math.round(a[1]); y < Math.round(b[1]); y++) for (let x = Math.round(a[0]); x < Math.round(b[0]); x++) mask[y * CAM.width + x] = 255;
}

/** A person at (x, z): legs, torso and arms 0.5 m wide up to the shoulders at 1.4 m, a head 0.2 m wide up to 1.7 m. */
function person(mask: Uint8Array, x: number, z: number): void {
  fillUpright(mask, z, x - 0.25, x + 0.25, 0, 1.4);
  fillUpright(mask, z, x - 0.1, x + 0.1, 1.4, 1.7);
}

/** The box of the mask's non-zero pixels. */
function boxOf(mask: Uint8Array): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const x = i % CAM.width, y = Math.floor(i / CAM.width);
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

const centres = (boxes: Box[]) => boxes.map((b) => camera.toGround([b.x + b.w / 2, b.y + b.h])![0]).sort((a, b) => a - b);

describe('splitPeople', () => {
  it('cuts people walking shoulder to shoulder apart at the dips between their heads', () => {
    for (const xs of [[-0.25, 0.25], [-0.75, -0.25, 0.25]]) {
      const mask = new Uint8Array(CAM.width * CAM.height);
      for (const x of xs) person(mask, x, 15);
      const boxes = splitPeople(boxOf(mask), mask, mask, GRID, camera);
      assert.equal(boxes.length, xs.length, JSON.stringify(boxes));
      // Each piece stands where its person does.
      centres(boxes).forEach((x, i) => assert.ok(Math.abs(x - xs[i]!) < 0.15, `${x} vs ${xs[i]}`));
    }
  });

  it('leaves one person, a person with a bag, and a car-shaped blob whole', () => {
    const one = new Uint8Array(CAM.width * CAM.height);
    person(one, 0, 15);
    assert.equal(splitPeople(boxOf(one), one, one, GRID, camera).length, 1);
    // The bag beside the legs widens the blob, but it is no one's head.
    const bag = new Uint8Array(CAM.width * CAM.height);
    person(bag, 0, 15);
    fillUpright(bag, 15, 0.25, 0.7, 0.1, 0.7);
    assert.equal(splitPeople(boxOf(bag), bag, bag, GRID, camera).length, 1);
    // A car seen from behind (a body and a narrower roof): as wide as two people, no dip.
    const car = new Uint8Array(CAM.width * CAM.height);
    fillUpright(car, 15, -0.9, 0.9, 0.2, 0.9);
    fillUpright(car, 15, -0.7, 0.7, 0.9, 1.45);
    assert.equal(splitPeople(boxOf(car), car, car, GRID, camera).length, 1);
    // A blob taller than a person could be (a van's far end) is not looked at.
    const tall = new Uint8Array(CAM.width * CAM.height);
    person(tall, -0.25, 15);
    person(tall, 0.25, 15);
    fillUpright(tall, 15, -0.05, 0.05, 1.7, 2.8);
    assert.equal(splitPeople(boxOf(tall), tall, tall, GRID, camera).length, 1);
  });

  it('measures the dips on the mask, so the closing that joined two heads does not hide them', () => {
    const mask = new Uint8Array(CAM.width * CAM.height);
    person(mask, -0.25, 15);
    person(mask, 0.25, 15);
    const closed = mask.slice();
    fillUpright(closed, 15, -0.35, 0.35, 1.4, 1.7);
    assert.equal(splitPeople(boxOf(closed), closed, closed, GRID, camera).length, 1);
    assert.equal(splitPeople(boxOf(closed), mask, closed, GRID, camera).length, 2);
  });
});

describe('ObjectTracker with people together', () => {
  const schema = z.strictObject(objectTrackingShape);

  it('reports two people walking side by side on a rendered street as two (one blob before the split)', async () => {
    // A pair 0.55 m apart walking away along the verge: their blobs touch in every frame.
    const scene = streetScene({
      name: 'pair', seed: 4, durationS: 8, trafficPerMin: 0,
      elements: [walker(1, 0.5, [5.2, 11], [5.2, 19], 1.75, prng(2)), walker(2, 0.5, [5.75, 11], [5.75, 19], 1.7, prng(3))],
    });
    const tracker = new ObjectTracker({ config: schema.parse({ ground: groundConfig(scene) }), where: 'test' });
    const canvas = new I420Canvas(640, 360);
    const r = prng(1);
    const people = new Set<number>();
    let most = 0;
    for (let i = 0; i < 8 * scene.fps; i += 2) {
      renderFrame(scene, i, canvas, r);
      const frame: Frame = { cameraId: 'c', pts: i, capturedAt: 1_700_000_000_000 + i * 100, seq: i, width: 640, height: 360, format: 'i420', y: canvas.y, u: canvas.u, v: canvas.v, strideY: 640, strideUV: canvas.cw };
      const seen = (await tracker.update(frame)).filter((o) => o.kind === 'person');
      for (const o of seen) people.add(o.id);
      most = Math.max(most, seen.length);
    }
    assert.equal(most, 2, `at most ${most} people at once`);
    assert.ok(people.size <= 3, `${people.size} person tracks for 2 people`);
  });

  it('does not move the foot of a person whose box is a little short onto ground they never stood on (vtest, beside the lawn)', async () => {
    // A person 1.75 m tall walking at 20 m under a flapping tape that joined their blob for the
    // first 2 s (their measured height came out over 2 m), then seen with the lowest 0.2 m (feet
    // blending into the ground) lost.
    const box = (x: number, fromM: number, toM: number): Box => {
      const top = project(CAM, [x, toM, 20])!;
      const bottom = project(CAM, [x, fromM, 20])!;
      const half = (project(CAM, [x + 0.25, 0, 20])![0] - project(CAM, [x - 0.25, 0, 20])![0]) / 2;
      return { x: top[0] - half, y: top[1], w: 2 * half, h: bottom[1] - top[1] };
    };
    class Scripted implements DetectionSource {
      i = 0;
      detect(): ObjectDetection[] {
        const i = this.i++;
        return [{ box: i < 20 ? box(-3 + 0.1 * i, 0, 2.1) : box(-3 + 0.1 * i, 0.2, 1.75), score: 0.9, label: 'person' }];
      }
    }
    const ground = REF.map((g) => {
      const p = project(CAM, [g[0], 0, g[1]])!;
      return { image: [p[0] / CAM.width, p[1] / CAM.height] as [number, number], ground: g };
    });
    const tracker = new ObjectTracker({ config: schema.parse({ ground }), where: 'test', source: new Scripted() });
    let z: number | undefined;
    for (let i = 0; i < 28; i++) {
      const frame: Frame = { cameraId: 'c', pts: i, capturedAt: 1_700_000_000_000 + i * 100, seq: i, width: 640, height: 360, format: 'gray', y: new Uint8Array(640 * 360), strideY: 640, strideUV: 0 };
      const o = (await tracker.update(frame))[0];
      if (o) z = o.ground![1];
    }
    assert.ok(z !== undefined);
    // The box's bottom alone puts them a little beyond 20 m; they must not be brought nearer than they stand.
    assert.ok(z > 19.5, `foot at ${z} m, the person stands at 20 m`);
  });
});

describe('joinStacked', () => {
  /** The image box of an upright x0..x1 (metres across) at depth z, from height h0 to h1. */
  const upright = (z: number, x0: number, x1: number, h0: number, h1: number): { box: Box } => {
    const a = project(CAM, [x0, h1, z])!;
    const b = project(CAM, [x1, h0, z])!;
    return { box: { x: a[0], y: a[1], w: b[0] - a[0], h: b[1] - a[1] } };
  };

  it('joins a head to the legs under it when the clothes between match the ground', () => {
    // At 28 m: the head (1.45–1.75 m) and the legs (0–0.8 m) are two blobs; the head alone is no one.
    const head = upright(28, -9.1, -8.9, 1.45, 1.75);
    const legs = upright(28, -9.25, -8.75, 0, 0.8);
    const got = joinStacked([head, legs], camera);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.box, { x: legs.box.x, y: head.box.y, w: legs.box.w, h: legs.box.y + legs.box.h - head.box.y });
    // Either order.
    assert.equal(joinStacked([legs, head], camera).length, 1);
  });

  it('leaves apart a whole far person above a near one, a head beside another, and a fragment over a car', () => {
    // Someone at 34 m seen just over the head of someone at 20 m: whole, so not short.
    assert.equal(joinStacked([upright(34, -0.25, 0.25, 0, 1.7), upright(20, -0.25, 0.25, 0, 1.7)], camera).length, 2);
    // A head not over the legs (half a metre aside): no overlap.
    assert.equal(joinStacked([upright(28, -8.5, -8.3, 1.45, 1.75), upright(28, -9.25, -8.75, 0, 0.8)], camera).length, 2);
    // A short blob over a car: together far taller than a person where the car stands.
    assert.equal(joinStacked([upright(28, -0.1, 0.1, 1.6, 2.2), upright(20, -0.9, 0.9, 0, 1.5)], camera).length, 2);
    // Held items are not joined.
    const head = upright(28, -9.1, -8.9, 1.45, 1.75);
    const legs = upright(28, -9.25, -8.75, 0, 0.8);
    assert.equal(joinStacked([head, legs], camera, (d) => d === legs).length, 2);
  });
});
