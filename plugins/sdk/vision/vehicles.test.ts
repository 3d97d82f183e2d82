import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { I420Canvas } from '../../../bench/scenes/canvas.js';
import { gateScene, renderFrame, Trip, VEHICLE_SIZES, type TrafficScene, type VehicleClass } from '../../../bench/scenes/traffic.js';
import { groundConfig, lanePolygon } from '../../../bench/scenes/scenario.js';
import { project } from '../../../bench/scenes/camera.js';
import { prng } from '../../../core/testing/prng.js';
import type { Frame, Point } from '../types.js';
import type { Box } from './types.js';
import { calibrateRoadCamera } from './calibration.js';
import { GroundPlane } from './homography.js';
import { courseOffset, fitVehicleClass, fitVehicleMask, groundAxis, laneCuts } from './road.js';
import { iou as iouOf } from './tracker.js';
import { DEFAULT_VEHICLE_CLASSES, VehicleTracker, vehicleTrackingShape, type Vehicle } from './vehicles.js';
import { pointInPolygon, pointToPixels } from './geometry.js';

const shape = z.strictObject(vehicleTrackingShape);

/**
 * Runs a VehicleTracker over a scene at 10 fps; returns the confirmed vehicles per fed frame, and
 * pushes the scene's true boxes per fed frame into `truth` when given.
 */
async function track(scene: TrafficScene, splitBy: boolean, seconds = scene.durationS, truth?: Box[][]): Promise<Vehicle[][]> {
  const zones = Object.fromEntries(scene.road.laneCentres.map((_, i) => [`lane${i}`, lanePolygon(scene, i, scene.road.nearZ, scene.road.farZ)]));
  const config = shape.parse({ ground: groundConfig(scene), splitBy: splitBy ? Object.keys(zones) : [] });
  const vt = new VehicleTracker({ config, zones, where: 'test' });
  const { width, height } = scene.camera;
  const canvas = new I420Canvas(width, height);
  const rand = prng(1);
  const out: Vehicle[][] = [];
  for (let i = 0; i < seconds * scene.fps; i++) {
    const drawn = renderFrame(scene, i, canvas, rand);
    if (i % Math.round(scene.fps / 10)) continue;
    truth?.push(drawn.vehicles.map(({ box: [x, y, w, h] }) => ({ x, y, w, h })));
    const frame: Frame = { cameraId: 't', pts: i, capturedAt: 1e12 + (i * 1000) / scene.fps, seq: i, width, height, format: 'i420', y: canvas.y, u: canvas.u, v: canvas.v, strideY: width, strideUV: canvas.cw };
    out.push((await vt.update(frame)).filter((v) => v.confirmed && v.missed === 0).map((v) => ({ ...v })));
  }
  vt.close();
  return out;
}

const base = gateScene({ seed: 1, durationS: 10, width: 320, height: 180 }); // small frames keep the minute-long scene quick
const car = (id: number, lane: number, path: Trip, cls: VehicleClass = 'car') => ({ id, cls, lane, enterS: 0, speedKmh: 0, colour: [200, 128, 128] as [number, number, number], path: path.points });

describe('VehicleTracker', () => {
  it('keeps two cars side by side in neighbouring lanes apart when the lanes split the foreground', async () => {
    const scene: TrafficScene = { ...base, durationS: 6, vehicles: [
      car(1, 2, new Trip(0, 2.55, 8).to(2.55, 50, 36)),
      car(2, 3, new Trip(0, 4.45, 8).to(4.45, 50, 36)), // both hugging the lane line between them, 0.1 m apart
    ] };
    const count = (frames: Vehicle[][]) => Math.max(...frames.slice(-30).map((f) => f.length));
    assert.equal(count(await track(scene, false)), 1, 'one merged blob without lanes');
    assert.equal(count(await track(scene, true)), 2, 'two vehicles with splitBy');
  });

  it('keeps a car that stops for over a minute, with its standing time, speed and ground position', async () => {
    // It arrives once the background has been learnt (10 s), as a car does on a road the camera has watched.
    const scene: TrafficScene = { ...base, durationS: 85, vehicles: [car(1, 2, new Trip(10, 1.75, 8).to(1.75, 25, 30).wait(70))] };
    const frames = await track(scene, false);
    // Frames are fed every 3rd of 25 fps; the car leaves the scene at 82 s.
    const at = (t: number) => frames[Math.floor((t * scene.fps) / 3)]!;
    const last = at(80);
    assert.equal(last.length, 1, `tracked after 70 s standing: ${last.length} vehicles`);
    const v = last[0]!;
    assert.ok(v.stationaryMs > 65_000, `standing ${v.stationaryMs} ms`);
    assert.ok((v.speedKmh ?? 99) < 1, `speed ${v.speedKmh}`);
    // The foot is the near end: centre Z 25 minus half the car's 4.4 m.
    assert.ok(Math.abs(v.ground![1] - 22.8) < 0.6 && Math.abs(v.ground![0] - 1.75) < 0.5, `ground ${v.ground}`);
    assert.equal(v.cls, 'car');
    const moving = at(11.6)[0]!; // 1.6 s after it set off: its box whole in the frame for the last second
    assert.ok(Math.abs(moving.speedKmh! - 30) < 3, `speed while driving ${moving.speedKmh}`);
  });

  it('keeps one track per car through a lane that dark cars cover a third of the time', async () => {
    // A car every 3 s at 20 km/h: each pixel of the lane is under a dark car about a third of the
    // time. Were moving vehicles learnt, that colour would become one of the lane's background modes:
    // the later cars fall apart into parts, each a track of its own.
    const dark: [number, number, number] = [45, 150, 120];
    const vehicles = Array.from({ length: 14 }, (_, k) => ({ ...car(k + 1, 2, new Trip(8 + 3 * k, 1.75, 8).to(1.75, 60, 20)), colour: dark }));
    const scene: TrafficScene = { ...base, durationS: 52, vehicles };
    const truth: Box[][] = [];
    const frames = await track(scene, false, scene.durationS, truth);
    const ids = new Set(frames.flat().map((v) => v.id));
    // Each car inside the frame is covered by a confirmed track (not at the far end, where the cars are a few pixels).
    const inside = truth.map((boxes) => boxes.filter(({ y, h }) => y >= 10 && y + h <= scene.camera.height - 2 && h >= 12));
    const cars = inside.reduce((n, boxes) => n + boxes.length, 0);
    const seen = inside.reduce((n, boxes, k) => n + boxes.filter((b) => frames[k]!.some((v) => iouOf(v.box, b) >= 0.3)).length, 0);
    // Learning moving cars (the hold only once a car has stood for 1 s): 27 tracks, 68 % covered.
    assert.ok(seen / cars >= 0.72, `covered in ${seen} of ${cars} car-frames`);
    assert.ok(ids.size <= vehicles.length + 1, `${ids.size} confirmed tracks for ${vehicles.length} cars`);
  });
});

describe('VehicleTracker identity', () => {
  it('restarts a track that moves on to the vehicle behind (its foot jumps back), and not one that drives on', async () => {
    // A blob of a car with the one 10 m behind it merged above: the box's top is the follower's roof,
    // its foot the leader's; at 1.5 s the leader is gone and the foot jumps back to the follower's.
    const scene = gateScene({ seed: 1, durationS: 4 });
    const config = shape.parse({ ground: groundConfig(scene), splitBy: [] });
    const plane = GroundPlane.fromReferencePoints(config.ground!.map((r) => ({ image: [r.image[0] * 640, r.image[1] * 360] as [number, number], ground: r.ground })));
    const x = scene.road.laneCentres[1]!;
    let i = 0;
    const source = {
      detect() {
        const lead = 30 - i; // 10 m/s towards the camera at 10 fps
        const foot = plane.groundToImage([x, i < 15 ? lead : lead + 10])!;
        const top = plane.groundToImage([x, lead + 15])![1] - 30;
        return [{ box: { x: foot[0] - 20, y: top, w: 40, h: foot[1] - top }, score: 0.8 }];
      },
    };
    const vt = new VehicleTracker({ config, zones: {}, where: 'test', source });
    const seen: Vehicle[] = [];
    const blank = new Uint8Array(640 * 360);
    for (; i < 25; i++) {
      const live = await vt.update({ cameraId: 't', pts: i, capturedAt: 1e12 + i * 100, seq: i, width: 640, height: 360, format: 'i420', y: blank, u: blank, v: blank, strideY: 640, strideUV: 320 });
      assert.equal(live.length, 1, `one track at frame ${i}`);
      seen.push({ ...live[0]!, history: [...live[0]!.history] });
    }
    assert.equal(seen[14]!.identity ?? 0, 0, 'the same vehicle while it drives on');
    assert.equal(seen[15]!.identity, 1, 'a new vehicle once the foot jumps 10 m back');
    assert.equal(seen[15]!.history.length, 1, 'its history starts at the jump');
    assert.equal(seen[24]!.identity, 1, 'and it stays that vehicle');
  });
});

describe('fitVehicleClass', () => {
  it('names the class whose 3-D box explains the image box, in every lane', () => {
    const cam = base.camera;
    const ref = groundConfig(base);
    const plane = GroundPlane.fromReferencePoints(ref.map((r) => ({ image: [r.image[0] * cam.width, r.image[1] * cam.height], ground: r.ground })));
    const rc = calibrateRoadCamera(plane, cam.width, cam.height)!;
    for (const cls of ['motorbike', 'car', 'truck', 'bus'] as const) {
      for (const x of [-5.25, -1.75, 1.75, 5.25]) {
        const { length, width, height } = VEHICLE_SIZES[cls];
        const pts = [];
        for (const dx of [-width / 2, width / 2]) for (const h of [0, height]) for (const z of [18, 18 + length]) pts.push(project(cam, [x + dx, h, z])!);
        const xs = pts.map((p) => p[0]);
        const ys = pts.map((p) => p[1]);
        const box = { x: Math.min(...xs), y: Math.min(...ys), w: Math.max(...xs) - Math.min(...xs), h: Math.max(...ys) - Math.min(...ys) };
        const foot = plane.imageToGround([box.x + box.w / 2, box.y + box.h])!;
        const fit = fitVehicleClass(rc, [foot[0], foot[1]], [[0, 1]], box, DEFAULT_VEHICLE_CLASSES, cam.width, cam.height);
        assert.equal(fit.cls, cls, `${cls} in the lane at ${x} m: ${fit.cls} (IoU ${fit.iou.toFixed(2)})`);
      }
    }
  });
});

describe('fitVehicleMask', () => {
  const cam = base.camera;
  const ref = groundConfig(base);
  const plane = GroundPlane.fromReferencePoints(ref.map((r) => ({ image: [r.image[0] * cam.width, r.image[1] * cam.height], ground: r.ground })));
  const rc = calibrateRoadCamera(plane, cam.width, cam.height)!;
  const grid = { step: 2, width: cam.width / 2, height: cam.height / 2 };
  /** The image silhouette (convex hull of the 8 corners) of a vehicle whose near end's middle is at (x, z). */
  const silhouette = (cls: VehicleClass, x: number, z: number): Point[] => {
    const { length, width, height } = VEHICLE_SIZES[cls];
    const pts: Point[] = [];
    for (const dx of [-width / 2, width / 2]) for (const h of [0, height]) for (const dz of [0, length]) pts.push(project(cam, [x + dx, h, z + dz])! as Point);
    pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const turn = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
    const hull: Point[] = [];
    for (const p of [...pts, ...pts.slice(0, -1).reverse()]) {
      while (hull.length >= 2 && turn(hull[hull.length - 2]!, hull[hull.length - 1]!, p) <= 0) hull.pop();
      hull.push(p);
    }
    return hull.slice(0, -1);
  };
  /** Marks the grid cells whose centre lies in the polygon; returns the cells' bounding box in pixels. */
  const fill = (fg: Uint8Array, poly: Point[]): Box => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let gy = 0; gy < grid.height; gy++) {
      for (let gx = 0; gx < grid.width; gx++) {
        if (!pointInPolygon([gx * 2 + 1, gy * 2 + 1], poly)) continue;
        fg[gy * grid.width + gx] = 1;
        x0 = Math.min(x0, gx * 2); y0 = Math.min(y0, gy * 2); x1 = Math.max(x1, gx * 2 + 2); y1 = Math.max(y1, gy * 2 + 2);
      }
    }
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  };
  const footOf = (box: Box): [number, number] => {
    const g = plane.imageToGround([box.x + box.w / 2, box.y + box.h])!;
    return [g[0], g[1]];
  };

  it("names the class whose 3-D box covers the blob's cells, in every lane", () => {
    for (const cls of ['motorbike', 'car', 'truck', 'bus'] as const) {
      for (const x of [-5.25, -1.75, 1.75, 5.25]) {
        const fg = new Uint8Array(grid.width * grid.height);
        const box = fill(fg, silhouette(cls, x, 18));
        const fit = fitVehicleMask(rc, footOf(box), [[0, 1]], fg, grid, box, DEFAULT_VEHICLE_CLASSES, cam.width, cam.height);
        assert.equal(fit.cls, cls, `${cls} in the lane at ${x} m: ${fit.cls} (IoU ${fit.iou.toFixed(2)})`);
        assert.ok(fit.iou > 0.75, `${cls} at ${x} m: IoU ${fit.iou.toFixed(2)}`);
      }
    }
  });

  it("keeps a truck a truck when the rear of the next vehicle touches its roof and widens its box", () => {
    // A truck coming towards the camera, and the lower corner of the one behind it touching its far
    // roof, off to one side: the blob's box is much wider than the truck, its cells barely more.
    const fg = new Uint8Array(grid.width * grid.height);
    const truck = fill(fg, silhouette('truck', -5.25, 14));
    const piece = { x: truck.x + truck.w - 4, y: truck.y, w: Math.round(truck.w * 0.2) * 2, h: Math.round(truck.h * 0.075) * 2 };
    for (let gy = piece.y / 2; gy < (piece.y + piece.h) / 2; gy++) for (let gx = piece.x / 2; gx < (piece.x + piece.w) / 2; gx++) fg[gy * grid.width + gx] = 1;
    const box = { x: truck.x, y: truck.y, w: piece.x + piece.w - truck.x, h: truck.h };
    const byBox = fitVehicleClass(rc, footOf(box), [[0, 1]], box, DEFAULT_VEHICLE_CLASSES, cam.width, cam.height);
    const byCells = fitVehicleMask(rc, footOf(box), [[0, 1]], fg, grid, box, DEFAULT_VEHICLE_CLASSES, cam.width, cam.height);
    assert.notEqual(byBox.cls, 'truck', `the box alone reads ${byBox.cls} (IoU ${byBox.iou.toFixed(2)})`);
    assert.equal(byCells.cls, 'truck', `the cells read ${byCells.cls} (IoU ${byCells.iou.toFixed(2)})`);
    assert.ok(byCells.iou > byBox.iou, `cells IoU ${byCells.iou.toFixed(2)}, box IoU ${byBox.iou.toFixed(2)}`);
  });
});

describe('groundAxis', () => {
  it('gives each lane of the gate scene its direction along the road on the ground', () => {
    const cam = base.camera;
    const plane = GroundPlane.fromReferencePoints(groundConfig(base).map((r) => ({ image: [r.image[0] * cam.width, r.image[1] * cam.height], ground: r.ground })));
    base.road.laneCentres.forEach((_, i) => {
      const polygon = lanePolygon(base, i, base.road.nearZ, base.road.farZ).map((p) => pointToPixels(p, cam.width, cam.height));
      const axis = groundAxis(plane, polygon)!;
      // The road runs along z: the axis is (0, ±1) within half a degree.
      assert.ok(Math.abs(axis[0]) < 0.01 && Math.abs(Math.abs(axis[1]) - 1) < 1e-4, `lane ${i}: ${axis}`);
    });
    // A polygon reaching above the horizon has no ground axis.
    assert.equal(groundAxis(plane, [[0, -10 * cam.height], [cam.width, -10 * cam.height], [cam.width, cam.height], [0, cam.height]]), undefined);
  });
});

describe('courseOffset', () => {
  it('measures where a vehicle stands against where its speed would have taken it, along and across its travel', () => {
    // From (1, 2) at 10 m/s along +z, 0.5 s later it should be at (1, 7).
    const off = courseOffset([1, 2], { vx: 0, vz: 10 }, 0.5, [2, 3])!;
    assert.ok(Math.abs(off.along + 4) < 1e-12, `4 m behind: ${off.along}`);
    assert.ok(Math.abs(Math.abs(off.across) - 1) < 1e-12, `1 m aside: ${off.across}`);
    assert.equal(courseOffset([0, 0], { vx: 0, vz: 0 }, 1, [1, 1]), undefined);
  });
});

describe('laneCuts', () => {
  it('marks exactly the cells where two lanes meet, as a polygon test per cell centre would', () => {
    // The reference: each cell takes the first lane holding its centre; cuts on both sides of every change.
    const reference = (lanes: Point[][], step: number, gw: number, gh: number) => {
      const region = new Uint8Array(gw * gh);
      for (let i = 0; i < gw * gh; i++) region[i] = lanes.findIndex((p) => pointInPolygon([(i % gw) * step + step / 2, Math.floor(i / gw) * step + step / 2], p)) + 1;
      const cuts = new Uint8Array(gw * gh);
      for (let i = 0; i < gw * gh; i++) {
        for (const j of [(i % gw) + 1 < gw ? i + 1 : -1, i + gw < gw * gh ? i + gw : -1]) {
          if (j >= 0 && region[i] && region[j] && region[i] !== region[j]) cuts[i] = cuts[j] = 1;
        }
      }
      return cuts;
    };
    const rand = prng(7);
    // A gate scene's four lanes, then random quads and pentagons that overlap and leave the frame.
    const scene = gateScene({ seed: 3, durationS: 10 });
    const cases: Point[][][] = [scene.road.laneCentres.map((_, i) => lanePolygon(scene, i, scene.road.nearZ, scene.road.farZ).map((p) => pointToPixels(p, 640, 360)))];
    for (let c = 0; c < 20; c++) {
      cases.push(Array.from({ length: 2 + (c % 3) }, () => Array.from({ length: 4 + (c % 2) }, (): Point => [rand() * 760 - 60, rand() * 440 - 40])));
    }
    let marked = 0;
    for (const lanes of cases) {
      const got = laneCuts(lanes, { step: 2, width: 320, height: 180 })!;
      assert.deepEqual(got, reference(lanes, 2, 320, 180));
      marked += got.reduce((a, b) => a + b, 0);
    }
    assert.ok(marked > 1000, `${marked} cut cells in all`);
    assert.equal(laneCuts(cases[0]!.slice(0, 1), { step: 2, width: 320, height: 180 }), undefined, 'one lane has no borders');
  });
});
