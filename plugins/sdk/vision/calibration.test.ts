import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { project, type PinholeCamera } from '../../../bench/scenes/camera.js';
import { calibrateRoadCamera } from './calibration.js';
import { GroundPlane } from './homography.js';

/** A plane from 4 exact reference points of a known pinhole camera. */
function planeOf(cam: PinholeCamera): GroundPlane {
  const ground: [number, number][] = [[-7, 15], [7, 15], [7, 45], [-7, 45]];
  return GroundPlane.fromReferencePoints(ground.map((g) => ({ image: project(cam, [g[0], 0, g[1]])!, ground: g })));
}

describe('camera calibration from the road plane', () => {
  for (const cam of [
    { width: 640, height: 360, focalPx: 576, heightM: 8, pitchRad: (22 * Math.PI) / 180 },
    { width: 1280, height: 720, focalPx: 900, heightM: 6, pitchRad: (12 * Math.PI) / 180 },
    { width: 640, height: 480, focalPx: 400, heightM: 12, pitchRad: (40 * Math.PI) / 180 },
  ]) {
    it(`recovers focal length, height and projects heights (f ${cam.focalPx}, ${cam.heightM} m, ${Math.round((cam.pitchRad * 180) / Math.PI)}°)`, () => {
      const rc = calibrateRoadCamera(planeOf(cam), cam.width, cam.height)!;
      assert.ok(rc, 'calibrated');
      assert.ok(Math.abs(rc.focalPx - cam.focalPx) < 0.5, `f ${rc.focalPx}`);
      assert.ok(Math.abs(rc.heightM - cam.heightM) < 0.01, `height ${rc.heightM}`);
      assert.ok(Math.hypot(rc.foot[0], rc.foot[1]) < 0.01, `foot ${rc.foot}`);
      for (const [x, z, h] of [[0, 20, 0], [-5, 12, 3.2], [6, 40, 1.5], [2, 25, 4]] as const) {
        const want = project(cam, [x, h, z])!;
        const got = rc.project(x, z, h)!;
        assert.ok(Math.hypot(got[0] - want[0], got[1] - want[1]) < 0.05, `(${x}, ${z}, ${h}): ${got} vs ${want}`);
      }
    });
  }

  it('gives no camera for a view straight down, where one plane cannot fix the focal length', () => {
    const down = GroundPlane.fromReferencePoints([[0, 0], [2, 0], [2, 2], [0, 2]].map((g) => ({ image: [100 + 50 * g[0]!, 100 + 50 * g[1]!] as [number, number], ground: g as [number, number] })));
    assert.equal(calibrateRoadCamera(down, 640, 360), undefined);
  });
});
