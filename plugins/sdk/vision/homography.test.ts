import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.js';
import type { Point } from '../types.js';
import { GroundPlane, groundVelocity, Homography, type Matrix3, type ReferencePoint, speedKmh, type TrackSample } from './homography.js';
import { prng } from '../../../core/testing/prng.js';

type Vec3 = [number, number, number];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

/**
 * A pinhole camera over a flat road (ground z = 0, metres; y along the road): mounted `height` m up
 * at ground (x0, 0), yawed by `yaw` and pitched down by `pitch` (radians), focal length `focal` px,
 * principal point at the centre of a width × height frame.
 */
function camera(o: { height: number; x0: number; yaw: number; pitch: number; focal: number; width: number; heightPx: number }) {
  const c: Vec3 = [o.x0, 0, o.height];
  const forward: Vec3 = [Math.sin(o.yaw) * Math.cos(o.pitch), Math.cos(o.yaw) * Math.cos(o.pitch), -Math.sin(o.pitch)];
  const right: Vec3 = [Math.cos(o.yaw), -Math.sin(o.yaw), 0];
  const down = cross(forward, right); // right × down = forward for x right, y down, z forward
  const cx = o.width / 2;
  const cy = o.heightPx / 2;
  /** Image pixel of a ground point, by perspective projection. */
  const project = ([x, y]: Point): Point => {
    const p = sub([x, y, 0], c);
    const z = dot(forward, p);
    return [cx + (o.focal * dot(right, p)) / z, cy + (o.focal * dot(down, p)) / z];
  };
  // The same map as a matrix: K · [r1 r2 t], with R's rows right, down, forward and t = -R·c.
  const t: Vec3 = [-dot(right, c), -dot(down, c), -dot(forward, c)];
  const k = [o.focal, 0, cx, 0, o.focal, cy, 0, 0, 1];
  const rt = [right[0], right[1], t[0], down[0], down[1], t[1], forward[0], forward[1], t[2]];
  const g: number[] = [];
  for (let r = 0; r < 3; r++) for (let col = 0; col < 3; col++) g.push(k[3 * r] * rt[col] + k[3 * r + 1] * rt[3 + col] + k[3 * r + 2] * rt[6 + col]);
  return { project, groundToImage: new Homography(g as unknown as Matrix3), horizonY: cy - o.focal * Math.tan(o.pitch) };
}

const cam = camera({ height: 8, x0: -2, yaw: 0.12, pitch: 0.26, focal: 1000, width: 1280, heightPx: 720 });
/** A lane-wide rectangle painted on the road, 15 to 40 m out, as a surveyor would measure it. */
const groundRefs: Point[] = [[-3.5, 15], [3.5, 15], [3.5, 40], [-3.5, 40]];
const refs: ReferencePoint[] = groundRefs.map((ground) => ({ image: cam.project(ground), ground }));
const plane = GroundPlane.fromReferencePoints(refs);

const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;
const relErr = (got: number, want: number) => Math.abs(got - want) / want;

describe('Homography', () => {
  it('fits an affine map exactly and inverts it', () => {
    const h = Homography.fromPoints([[0, 0], [1, 0], [1, 1], [0, 1]], [[10, 20], [30, 20], [30, 60], [10, 60]]);
    const p = h.map([0.25, 0.5])!;
    assert.ok(near(p[0], 15, 1e-9) && near(p[1], 40, 1e-9), String(p));
    const q = h.inverse().map([15, 40])!;
    assert.ok(near(q[0], 0.25, 1e-12) && near(q[1], 0.5, 1e-12), String(q));
  });

  it('maps each reference point onto its partner', () => {
    for (const { image, ground } of refs) {
      const g = plane.imageToGround(image)!;
      assert.ok(near(g[0], ground[0], 1e-9) && near(g[1], ground[1], 1e-9), `${g} vs ${ground}`);
    }
  });

  it('recovers the camera matrix (up to scale)', () => {
    const fitted = plane.toImage.matrix;
    const truth = cam.groundToImage.matrix;
    const s = fitted[8] / truth[8];
    for (let i = 0; i < 9; i++) assert.ok(near(fitted[i], s * truth[i], 1e-9 * Math.abs(s) * 1000), `m[${i}]`);
  });

  it('round-trips image → ground → image below the horizon, and ground → image → ground', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1280, noNaN: true }), fc.double({ min: cam.horizonY + 20, max: 720, noNaN: true }), (u, v) => {
        const g = plane.imageToGround([u, v]);
        assert.ok(g);
        const back = plane.groundToImage(g)!;
        assert.ok(near(back[0], u, 1e-6) && near(back[1], v, 1e-6), `${back} vs ${[u, v]}`);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.double({ min: -20, max: 20, noNaN: true }), fc.double({ min: 3, max: 150, noNaN: true }), (x, y) => {
        const back = plane.imageToGround(plane.groundToImage([x, y])!)!;
        assert.ok(near(back[0], x, 1e-6) && near(back[1], y, 1e-6), `${back} vs ${[x, y]}`);
      }),
      { numRuns: 500 },
    );
  });

  it('returns null above the horizon and behind the camera', () => {
    assert.equal(plane.imageToGround([640, cam.horizonY - 30]), null);
    assert.notEqual(plane.imageToGround([640, cam.horizonY + 30]), null);
    assert.equal(plane.groundToImage([0, -20]), null);
  });

  it('works the same with reference points in normalised image coordinates', () => {
    const norm = (p: Point): Point => [p[0] / 1280, p[1] / 720];
    const nplane = GroundPlane.fromReferencePoints(refs.map((r) => ({ image: norm(r.image), ground: r.ground })));
    const d = nplane.metresBetween(norm(cam.project([0, 20])), norm(cam.project([0, 30])))!;
    assert.ok(relErr(d, 10) < 1e-9, String(d));
  });
});

describe('GroundPlane in a synthetic perspective scene', () => {
  it('gives back known ground distances within 1%, inside and outside the reference quadrilateral', () => {
    const pairs: [Point, Point][] = [
      [[0, 20], [0, 30]], // 10 m along the road
      [[-3.5, 25], [3.5, 25]], // a lane width across
      [[-1, 8], [2, 12]], // nearer than the references: 5 m
      [[5, 60], [5, 90]], // beyond them: 30 m
      [[-6, 45], [6, 54]], // diagonal: 15 m
    ];
    for (const [a, b] of pairs) {
      const truth = Math.hypot(b[0] - a[0], b[1] - a[1]);
      const got = plane.metresBetween(cam.project(a), cam.project(b))!;
      assert.ok(relErr(got, truth) < 0.01, `${a} → ${b}: ${got} m, want ${truth}`);
    }
  });

  it('survives reference points clicked to the nearest pixel (distances within 1%)', () => {
    const clicked = GroundPlane.fromReferencePoints(
      refs.map((r) => ({ image: [Math.round(r.image[0]), Math.round(r.image[1])] as Point, ground: r.ground })),
    );
    const got = clicked.metresBetween(cam.project([0, 20]), cam.project([0, 35]))!;
    assert.ok(relErr(got, 15) < 0.01, String(got));
  });

  /** A vehicle's ground contact point, seen at `fps` for `seconds`, moving at `kmh` along a heading. */
  function drive(kmh: number, heading: number, start: Point, fps: number, seconds: number, noisePx = 0, seed = 1): TrackSample[] {
    const rnd = prng(seed);
    const v = kmh / 3.6;
    const t0 = 1_763_800_000_000; // epoch ms, as Frame.capturedAt gives
    return Array.from({ length: Math.round(fps * seconds) + 1 }, (_, i) => {
      const s = i / fps;
      const [u, w] = cam.project([start[0] + v * s * Math.sin(heading), start[1] + v * s * Math.cos(heading)]);
      return { t: t0 + s * 1000, point: [u + noisePx * (2 * rnd() - 1), w + noisePx * (2 * rnd() - 1)] as Point };
    });
  }

  it('a vehicle at a known speed gives km/h within 2%', () => {
    for (const [kmh, heading, start] of [
      [50, 0, [1.5, 15]],
      [30, Math.PI, [-1.5, 45]], // coming towards the camera
      [90, 0.1, [-3, 20]], // changing lanes
      [12, 0, [0, 70]], // slow and far
    ] as [number, number, Point][]) {
      const got = speedKmh(plane, drive(kmh, heading, start, 10, 2), { windowMs: 1000 })!;
      assert.ok(relErr(got, kmh) < 0.02, `${kmh} km/h: got ${got}`);
    }
    const v = groundVelocity(plane, drive(36, 0, [0, 20], 10, 2))!;
    assert.ok(near(v.vx, 0, 1e-6) && near(v.vy, 10, 1e-6) && v.samples === 11, JSON.stringify(v));
  });

  it('stays within 2% with ±1 px of box jitter, and beats the two endpoints alone', () => {
    let lsqWorst = 0;
    let endpointsWorst = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const history = drive(60, 0, [1, 25], 10, 1, 1, seed);
      lsqWorst = Math.max(lsqWorst, relErr(speedKmh(plane, history, { windowMs: 1000 })!, 60));
      const a = plane.imageToGround(history[0].point)!;
      const b = plane.imageToGround(history[history.length - 1].point)!;
      endpointsWorst = Math.max(endpointsWorst, relErr(Math.hypot(b[0] - a[0], b[1] - a[1]) * 3.6, 60)); // over 1 s
    }
    assert.ok(lsqWorst < 0.02, `least squares worst ${lsqWorst}`);
    assert.ok(endpointsWorst > lsqWorst, `endpoints worst ${endpointsWorst}, least squares ${lsqWorst}`);
  });

  it('uses only the window, needs minSamples, skips points above the horizon', () => {
    // Parked for 5 s, then 50 km/h for 1 s: a 1 s window sees only the motion.
    const parked = drive(0, 0, [0, 20], 10, 5).slice(0, -1);
    const moving = drive(50, 0, [0, 20], 10, 1).map((s) => ({ t: s.t + 5000, point: s.point }));
    const history = [...parked, ...moving];
    assert.ok(relErr(speedKmh(plane, history, { windowMs: 1000 })!, 50) < 0.02);
    assert.ok(speedKmh(plane, history, { windowMs: 6000 })! < 20);
    assert.equal(speedKmh(plane, moving.slice(0, 4)), null); // 4 < minSamples 5
    assert.notEqual(speedKmh(plane, moving.slice(0, 4), { minSamples: 3 }), null);
    assert.equal(speedKmh(plane, []), null);
    assert.equal(speedKmh(plane, [moving[0], { ...moving[0] }, { ...moving[0] }, { ...moving[0] }, { ...moving[0] }]), null); // no time spread
    const withSky = moving.map((s, i) => (i % 3 ? s : { t: s.t, point: [640, cam.horizonY - 50] as Point }));
    assert.ok(relErr(speedKmh(plane, withSky, { minSamples: 3 })!, 50) < 0.02);
  });
});

describe('degenerate reference points', () => {
  const good = refs.map((r) => r.image);
  const fails = (image: Point[], ground: Point[], message: RegExp) =>
    assert.throws(
      () => GroundPlane.fromReferencePoints(image.map((p, i) => ({ image: p, ground: ground[i] })), 'cameras.cross.homography'),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith('cameras.cross.homography: ') && message.test(e.message),
    );

  it('rejects three collinear image points, naming them', () => {
    fails([[100, 500], [300, 500], [700, 500], [400, 300]], groundRefs, /reference points 1, 2, 3 of the first set are collinear/);
  });

  it('rejects collinear or repeated ground points', () => {
    fails(good, [[0, 10], [0, 20], [3, 20], [0, 40]], /points 1, 2, 4 of the second set are collinear/);
    fails(good, [[0, 10], [0, 10], [3, 20], [3, 40]], /points 1, 2, 3 of the second set are collinear \(or equal\)/);
  });

  it('rejects nearly collinear points (a fraction of a pixel off a line), accepts a few pixels off', () => {
    fails([[100, 500], [400, 500.2], [700, 500], [400, 300]], groundRefs, /collinear/);
    assert.ok(Homography.fromPoints([[100, 500], [400, 504], [700, 500], [400, 300]], [[0, 0], [3, 1], [6, 0], [3, -20]]));
  });

  it('rejects the two sets listed in different orders (the map would fold the plane)', () => {
    fails([good[0], good[1], good[3], good[2]], groundRefs, /fold the plane: list both sets in the same order/);
  });

  it('rejects a wrong count and non-finite numbers', () => {
    fails(good.slice(0, 3), groundRefs.slice(0, 3), /need exactly 4 reference points on each side, got 3 and 3/);
    fails([...good.slice(0, 3), [NaN, 1]], groundRefs, /must be finite numbers/);
  });

  it('Homography rejects a singular matrix', () => {
    assert.throws(() => new Homography([1, 2, 3, 2, 4, 6, 0, 0, 1]), /singular/);
    assert.throws(() => new Homography([0, 0, 0, 0, 0, 0, 0, 0, 0]), /singular/);
  });
});
