import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { project } from '../../bench/scenes/camera.js';
import { groundConfig, groundRect, type NPoint } from '../../bench/scenes/scenario.js';
import { streetScene } from '../../bench/scenes/street.js';
import type { Box, DetectionSource, Frame, ObjectDetection, Point } from '../sdk/index.js';
import { CrowdCounter } from './counter.js';
import { countDetectionsInZones } from './detections.js';
import { PERSON_FILL, PERSON_HEIGHT_M, PersonScale } from './perspective.js';

const W = 640;
const H = 360;
const scene = streetScene({ name: 'unit', width: W, height: H });
const ground = groundConfig(scene);
/** Two zones on the right verge, near and far, and the road. */
const zones: Record<string, NPoint[]> = { near: groundRect(scene, 4, 9, 10, 17), far: groundRect(scene, 4, 12, 20, 32) };
const road = groundRect(scene, -3.6, 3.6, 0.5, 200);

/** A person's silhouette as a box: PERSON_FILL of the width of a 0.5 m × 1.7 m person standing at ground (x, z). */
function person(x: number, z: number, dx = 0): Box {
  const feet = project(scene.camera, [x, 0, z])!;
  const head = project(scene.camera, [x, PERSON_HEIGHT_M, z])!;
  const left = project(scene.camera, [x - 0.25, 0, z])!;
  const right = project(scene.camera, [x + 0.25, 0, z])!;
  const w = (right[0] - left[0]) * PERSON_FILL;
  return { x: feet[0] - w / 2 + dx, y: head[1], w, h: feet[1] - head[1] };
}

/** A textured grey frame with sensor noise and the given boxes drawn dark (under half the background: darker than any shadow). */
function frame(seq: number, boxes: Box[]): Frame {
  const y = new Uint8Array(W * H);
  const u = new Uint8Array((W / 2) * (H / 2)).fill(128);
  const v = new Uint8Array((W / 2) * (H / 2)).fill(128);
  let seed = seq * 7919 + 1;
  for (let i = 0; i < y.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    y[i] = 120 + ((i * 37) % 11) + ((seed >>> 24) % 5);
  }
  boxes.forEach((b, k) => {
    for (let r = Math.max(0, Math.round(b.y)); r < Math.min(H, Math.round(b.y + b.h)); r++) {
      for (let c = Math.max(0, Math.round(b.x)); c < Math.min(W, Math.round(b.x + b.w)); c++) y[r * W + c] = 25 + 10 * (k % 3);
    }
  });
  return { cameraId: 'c', pts: 0, capturedAt: seq * 200, seq, width: W, height: H, format: 'i420', y, u, v, strideY: W, strideUV: W / 2 };
}

/** A counter that has learnt the empty scene, then sees `boxes(k)` on frame k for `frames` frames; returns the last reading. */
async function run(counter: CrowdCounter, boxes: (k: number) => Box[], frames = 6) {
  for (let k = 0; k < 40; k++) await counter.read(frame(k, []));
  let last;
  for (let k = 0; k < frames; k++) last = await counter.read(frame(40 + k, boxes(k)));
  return last!;
}

describe('PersonScale', () => {
  const grid = { step: 2, width: W / 2, height: H / 2 };
  const px = ground.map((r) => ({ image: [r.image[0] * W, r.image[1] * H] as Point, ground: r.ground }));
  const scale = PersonScale.fromReferencePoints(px, W, H, grid)!;

  it('sizes a standing person at each row as the camera sees them', () => {
    for (const z of [8, 15, 30]) {
      const b = person(0, z);
      const gy = Math.floor((b.y + b.h) / 2);
      assert.ok(Math.abs(scale.heightCells[gy]! * 2 - b.h) / b.h < 0.05, `height at Z=${z}: ${scale.heightCells[gy]! * 2} vs ${b.h}`);
      assert.ok(Math.abs(scale.perCell[gy]! * PERSON_FILL * scale.heightCells[gy]! * scale.widthCells[gy]! - 1) < 1e-9, 'one person is one');
    }
    // Farther is smaller; above the horizon there is nobody.
    assert.ok(scale.heightCells[60]! < scale.heightCells[160]!, 'farther is smaller');
  });

  it('puts the feet of a person half their height below their middle', () => {
    for (let gy = 10; gy < grid.height - 30; gy += 7) {
      const f = scale.footOfMid[gy]!;
      assert.ok(f - scale.heightCells[f]! / 2 >= gy && f - 1 - scale.heightCells[f - 1]! / 2 < gy, `row ${gy} → ${f}`);
    }
  });

  it('cannot size anything for a view straight down', () => {
    const down = [[0, 0], [1, 0], [1, 1], [0, 1]].map(([a, b]) => ({ image: [a! * W, b! * H] as Point, ground: [a! * 10, -b! * 10] as Point }));
    assert.equal(PersonScale.fromReferencePoints(down, W, H, grid), undefined);
  });
});

describe('CrowdCounter', () => {
  it('counts lone people as one each, in the zone under their feet', async () => {
    const counter = new CrowdCounter({ ground, zones, calibration: { gain: 1, exponent: 1 } });
    const r = await run(counter, () => [person(5, 12), person(7.5, 14), person(6, 24), person(9, 28), person(-8, 20)]);
    assert.deepEqual(r.zones.map((z) => [z.zone, Math.round(z.count * 100) / 100]), [['near', 2], ['far', 2]], JSON.stringify(r));
    assert.equal(r.people.length, 5);
    assert.ok(Math.abs(r.zones[0]!.density - 2 / r.zones[0]!.areaM2) < 1e-9, 'density');
    assert.ok(r.zones[0]!.areaM2 > 20 && r.zones[0]!.areaM2 < 35, `near zone ${r.zones[0]!.areaM2} m²`);
  });

  it('counts a group by its weighted area, through the calibration curve', async () => {
    // Six people shoulder to shoulder, their silhouettes touching (no gap for splitPeople to cut at): one blob of about six people's area.
    const group = () => [0, 1, 2, 3, 4, 5].map((i) => person(5 + i * 0.26, 26));
    const linear = await run(new CrowdCounter({ ground, zones, calibration: { gain: 1, exponent: 1 } }), group);
    assert.equal(linear.groups.length, 1);
    assert.ok(Math.abs(linear.zones[1]!.count - linear.groups[0]!.weight) < 1e-9, 'linear: count = weight');
    assert.ok(linear.groups[0]!.weight > 4 && linear.groups[0]!.weight < 7.5, `weight ${linear.groups[0]!.weight}`);
    const curved = await run(new CrowdCounter({ ground, zones, calibration: { gain: 1.2, exponent: 1.3 } }), group);
    assert.ok(Math.abs(curved.zones[1]!.count - 1.2 * linear.groups[0]!.weight ** 1.3) < 0.05, `curved: ${curved.zones[1]!.count}`);
  });

  it('cuts people side by side apart at the dip between their heads, one each', async () => {
    // Two people shoulder to shoulder, each a body and a narrower head: one blob whose top dips between the heads.
    const pair = () => [5.2, 5.75].flatMap((x) => {
      const b = person(x, 22);
      const head = b.h * 0.25;
      return [{ x: b.x, y: b.y + head, w: b.w * 1.2, h: b.h - head }, { x: b.x + b.w * 0.35, y: b.y, w: b.w * 0.5, h: head + 1 }];
    });
    const r = await run(new CrowdCounter({ ground, zones }), pair);
    assert.equal(r.groups.length, 0, JSON.stringify(r.groups));
    assert.equal(r.people.length, 2);
    assert.equal(r.zones[1]!.count, 2);
  });

  it('does not count a strip far lower than a person', async () => {
    // A dark kerb-like strip 12 people wide and a fifth of a person tall on the far zone.
    const b = person(6, 24);
    const r = await run(new CrowdCounter({ ground, zones }), () => [{ x: b.x - 3 * b.w, y: b.y + b.h * 0.8, w: b.w * 12, h: b.h * 0.2 }]);
    assert.deepEqual(r.zones.map((z) => z.count), [0, 0]);
  });

  it('does not count what stands on an ignored zone, even where it covers a zone in the image', async () => {
    // A truck-sized dark box standing on the road at Z 9-14, rising into the far zone's rows.
    const feet = project(scene.camera, [3.4, 0, 9])!;
    const top = project(scene.camera, [3.4, 3.5, 14])!;
    const truck: Box = { x: feet[0] - 180, y: top[1], w: 180, h: feet[1] - top[1] };
    const plain = await run(new CrowdCounter({ ground, zones }), () => [truck]);
    const ignoring = await run(new CrowdCounter({ ground, zones, ignore: [road] }), () => [truck]);
    assert.ok(plain.zones.some((z) => z.count > 0.5), 'without the road ignored, the truck is counted');
    assert.deepEqual(ignoring.zones.map((z) => z.count), [0, 0]);
  });

  it('lets a near truck whose roof reaches over a zone hide the people it joins, not add people', async () => {
    // Fresh seed 1008 of the quiet crowd scene: a truck in the near lane, its roof over the verge in the
    // image, joined the people standing there into one blob: the zone counted 15 for 7.
    const feet = project(scene.camera, [3.4, 0, 9])!;
    const top = project(scene.camera, [3.4, 3.5, 14])!;
    const body: Box = { x: feet[0] - 180, y: top[1], w: 180, h: feet[1] - top[1] };
    // The roof's far edge, over the verge: columns whose foreground ends on the zone, not the road.
    const roof: Box = { x: feet[0] - 2, y: top[1], w: 60, h: 0.45 * body.h };
    const standing = [person(6.5, 22), person(7.5, 23)];
    const counter = new CrowdCounter({ ground, zones, ignore: [road] });
    for (let k = 0; k < 40; k++) await counter.read(frame(k, []));
    const seen: number[] = [];
    for (let k = 0; k < 10; k++) seen.push((await counter.read(frame(40 + k, k < 5 ? standing : [...standing, body, roof]))).zones[1]!.count);
    assert.equal(seen[4], 2, `before the truck: ${seen}`);
    for (const n of seen.slice(5)) assert.ok(n <= 2 + 1e-9 && n >= 1, `with the truck: ${seen}`);
  });

  it('does not count a blob moving at vehicle speed', async () => {
    // 40 px a frame at 5 fps at Z ≈ 12 (about 50 px a metre there): about 8 m/s.
    const walking = await run(new CrowdCounter({ ground, zones }), (k) => [person(5, 12, 2 * k)], 8);
    const speeding = await run(new CrowdCounter({ ground, zones }), (k) => [person(5, 12, -140 + 40 * k)], 8);
    assert.equal(walking.zones[0]!.count, 1);
    assert.equal(speeding.zones[0]!.count, 0);
  });

  it('counts the people of a person detector instead, when one is given', async () => {
    const seen: number[] = [];
    const detector: DetectionSource = {
      detect(f) {
        seen.push(f.seq);
        const b = person(6, 13);
        return [{ box: b, score: 0.9, label: 'person' }, { box: person(7, 25), score: 0.8, label: 'person' }, { box: person(8, 26), score: 0.9, label: 'car' }];
      },
    };
    const counter = new CrowdCounter({ ground, zones, detector });
    const r = await counter.read(frame(1, []));
    assert.deepEqual(r.zones.map((z) => z.count), [1, 1]);
    assert.equal(r.people.length, 2);
    assert.deepEqual(seen, [1]);
  });
});

describe('countDetectionsInZones', () => {
  it('counts person detections by their foot point, above the score floor', () => {
    const square: Point[] = [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]];
    const left: Point[] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
    const d = (x: number, y: number, w: number, h: number, label = 'person', score = 0.9): ObjectDetection => ({ box: { x, y, w, h }, score, label });
    const found = [
      d(60, 40, 10, 30), // foot (65, 70): in the square
      d(60, 10, 10, 30), // foot (65, 40): above the square, on its right: in neither
      d(10, 40, 10, 30), // foot (15, 70): left
      d(10, 40, 10, 30, 'person', 0.1), // too unsure
      d(60, 40, 10, 30, 'bicycle'),
    ];
    assert.deepEqual(countDetectionsInZones(found, [square, left], 100, 100), [1, 1]);
    assert.deepEqual(countDetectionsInZones(found, [square, left], 100, 100, 0.05), [1, 2]);
  });
});
