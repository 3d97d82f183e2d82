import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { project, unprojectGround } from './camera.js';
import { prng } from '../../core/testing/prng.js';
import { I420Canvas } from './canvas.js';
import { crossings, encodeScene, gateScene, renderFrame, signalPhase, Trip, vehiclePosition, vehicleZ, type TrafficScene } from './traffic.js';
import { clipToFrame, groundConfig, imagePoint, lanePolygon, lineAcross } from './scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-scene-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('synthetic traffic scenes', () => {
  const scene = gateScene({ seed: 7, durationS: 30 });

  it('projects the road plane and back', () => {
    for (const [x, z] of [[0, 10], [-5, 20], [6, 55]] as const) {
      const p = project(scene.camera, [x, 0, z])!;
      const g = unprojectGround(scene.camera, p[0], p[1])!;
      assert.ok(Math.abs(g[0] - x) < 1e-9 && Math.abs(g[1] - z) < 1e-9, `${g} for ${[x, z]}`);
    }
    // Farther is higher in the image; behind the camera is not projected.
    assert.ok(project(scene.camera, [0, 0, 50])![1] < project(scene.camera, [0, 0, 10])![1]);
    assert.equal(project(scene.camera, [0, 0, -5]), undefined);
  });

  it('draws each vehicle where its ground truth box says', () => {
    const empty: TrafficScene = { ...scene, vehicles: [], noise: 0, lighting: undefined };
    const still: TrafficScene = { ...scene, noise: 0, lighting: undefined };
    const a = new I420Canvas(640, 360);
    const b = new I420Canvas(640, 360);
    let checked = 0;
    for (let i = 100; i < 700 && checked < 20; i += 37) {
      renderFrame(empty, i, a, prng(1));
      const truth = renderFrame(still, i, b, prng(1));
      for (const v of truth.vehicles) {
        const [x, y, w, h] = v.box.map(Math.round) as [number, number, number, number];
        if (w < 8 || h < 8) continue;
        let changed = 0;
        for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) if (a.y[row * 640 + col] !== b.y[row * 640 + col]) changed++;
        assert.ok(changed / (w * h) > 0.3, `vehicle ${v.id} (${v.cls}) box ${v.box} barely drawn: ${changed}/${w * h}`);
        checked++;
      }
    }
    assert.ok(checked >= 10, `checked ${checked} vehicles`);
  });

  it('nearer vehicles of a class look bigger, and classes keep their real size order', () => {
    const canvas = new I420Canvas(640, 360);
    const widths = new Map<string, number[]>();
    for (let i = 0; i < 750; i += 5) {
      for (const v of renderFrame(scene, i, canvas, prng(2)).vehicles) {
        if (Math.abs(v.ground[1] - 25) < 2 && v.box[2] < 600) (widths.get(v.cls) ?? widths.set(v.cls, []).get(v.cls)!).push(v.box[2]);
      }
    }
    const median = (xs: number[]) => xs.sort((p, q) => p - q)[xs.length >> 1]!;
    assert.ok(median(widths.get('motorbike')!) < median(widths.get('car')!), 'motorbikes are narrower than cars at the same distance');
  });

  it('lists every counting-line crossing, consistent with the vehicles it moves', () => {
    const list = crossings(scene);
    assert.ok(list.length >= 15, `${list.length} crossings in 30 s`);
    assert.ok(list.some((c) => c.direction === 'away') && list.some((c) => c.direction === 'towards'));
    for (const c of list) {
      const v = scene.vehicles.find((p) => p.id === c.id)!;
      assert.ok(Math.abs(vehicleZ(scene, v, c.timeS) - scene.countLineZ!) < 1e-6);
    }
    const counts = new Map<string, number>();
    for (const c of list) counts.set(c.cls, (counts.get(c.cls) ?? 0) + 1);
    assert.ok((counts.get('motorbike') ?? 0) > 0 && (counts.get('car') ?? 0) > 0, JSON.stringify([...counts]));
  });

  it('moves scripted vehicles along their waypoints: stops, lane changes, wrong way', () => {
    const trip = new Trip(1, 1.75, 8).to(1.75, 20, 36).wait(4).to(-1.75, 40, 36);
    const [a, b, c] = [trip.points[1]!, trip.points[2]!, trip.points[3]!];
    assert.ok(Math.abs(a.t - (1 + 12 / 10)) < 1e-9, 'drove 12 m at 10 m/s');
    assert.equal(b.t - a.t, 4);
    assert.ok(Math.abs(trip.timeAtZ(30)! - (b.t + (c.t - b.t) / 2)) < 1e-9);
    const scripted: TrafficScene = { ...scene, countLineZ: 30, vehicles: [
      { id: 1, cls: 'car', lane: 2, enterS: 1, speedKmh: 0, colour: [200, 128, 128], path: trip.points },
      { id: 2, cls: 'motorbike', lane: 2, enterS: 0, speedKmh: 0, colour: [200, 128, 128], path: new Trip(0, 1.75, 50).to(1.75, 10, 30).points },
    ] };
    const v = scripted.vehicles[0]!;
    assert.equal(vehiclePosition(scripted, v, 0.5), undefined, 'not there before its first waypoint');
    assert.deepEqual(vehiclePosition(scripted, v, a.t + 2), [1.75, 20], 'standing still while it waits');
    const mid = vehiclePosition(scripted, v, (b.t + c.t) / 2)!;
    assert.ok(Math.abs(mid[0]) < 1e-9 && Math.abs(mid[1] - 30) < 1e-9, `halfway through the lane change: ${mid}`);
    assert.equal(vehiclePosition(scripted, v, c.t + 0.1), undefined, 'gone after its last waypoint');
    const list = crossings(scripted);
    assert.deepEqual(list.map((x) => [x.id, x.direction]), [[2, 'towards'], [1, 'away']]);
    // Drawn where the truth says, also while stopped.
    const canvas = new I420Canvas(640, 360);
    const truth = renderFrame(scripted, Math.round((a.t + 2) * scripted.fps), canvas, prng(1));
    const car = truth.vehicles.find((x) => x.id === 1)!;
    const foot = imagePoint(scripted, 1.75, 20 - 2.2);
    assert.ok(Math.abs(car.box[1] + car.box[3] - foot[1] * 360) < 3, `box bottom ${car.box[1] + car.box[3]} vs near end ${foot[1] * 360}`);
  });

  it('gives configs normalised geometry that matches the camera', () => {
    const line = lineAcross(scene, 20, -7, 7);
    assert.ok(line.from[0] < line.to[0] && Math.abs(line.from[1] - line.to[1]) < 1e-9);
    const ref = groundConfig(scene);
    assert.equal(ref.length, 4);
    for (const r of ref) assert.ok(r.image.every((v) => v >= 0 && v <= 1), `${r.image}`);
    // The outer lane runs out of the frame at its near end; the config polygon is clipped to it.
    const lane = lanePolygon(scene, 0, scene.road.nearZ, scene.road.farZ);
    assert.ok(lane.every(([x, y]) => x >= 0 && x <= 1 && y >= 0 && y <= 1) && lane.length >= 4, JSON.stringify(lane));
    assert.deepEqual(clipToFrame([[-0.5, 0.5], [0.5, -0.5], [1.5, 0.5], [0.5, 1.5]]).length, 8, 'a diamond over the square keeps 8 corners');
  });

  it('cycles the signal red, green, amber', () => {
    const s = { at: [600, 30] as [number, number], radius: 6, redS: 20, greenS: 15, amberS: 3, offsetS: 0 };
    assert.deepEqual([0, 19.9, 20, 34.9, 35, 37.9, 38].map((t) => signalPhase(s, t)), ['red', 'red', 'green', 'green', 'amber', 'amber', 'red']);
  });

  it('encodes to H.264 with the ground truth beside it', async () => {
    const short = gateScene({ seed: 3, durationS: 3, width: 320, height: 180 });
    const file = join(dir, 'gate.h264');
    const truth = await encodeScene(short, file);
    assert.equal(truth.frames.length, 75);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' });
    assert.equal(probe.stdout.trim(), '320,180,75');
    assert.ok(existsSync(`${file}.truth.json`));
    const saved = JSON.parse(readFileSync(`${file}.truth.json`, 'utf8')) as { frames: unknown[]; reference: { image: unknown[] } };
    assert.equal(saved.frames.length, 75);
    assert.equal(saved.reference.image.length, 4);
  });
});
