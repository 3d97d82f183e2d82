import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.js';
import type { Point } from '../types.js';
import {
  bottomCentre,
  boxFractionInPolygon,
  boxFromNormalised,
  boxToNormalised,
  LineCrossingDetector,
  type LineCrossing,
  pointInPolygon,
  pointToNormalised,
  pointToPixels,
  polygonArea,
  segmentDistance,
} from './geometry.js';

const square: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
/** An L shape: the 10×10 square minus its top-right 5×5 quarter (y down). */
const ell: Point[] = [[0, 0], [5, 0], [5, 5], [10, 5], [10, 10], [0, 10]];

describe('pointInPolygon', () => {
  it('inside, outside and the concave notch', () => {
    assert.ok(pointInPolygon([5, 5], square));
    assert.ok(!pointInPolygon([11, 5], square));
    assert.ok(!pointInPolygon([-0.1, 5], square));
    assert.ok(pointInPolygon([2, 2], ell));
    assert.ok(!pointInPolygon([7, 2], ell)); // in the notch
    assert.ok(pointInPolygon([7, 7], ell));
  });

  it('works the same in normalised coordinates, whatever the winding', () => {
    const zone: Point[] = [[0.1, 0.5], [0.9, 0.5], [0.9, 0.95], [0.1, 0.95]];
    assert.ok(pointInPolygon([0.5, 0.7], zone));
    assert.ok(pointInPolygon([0.5, 0.7], [...zone].reverse()));
    assert.ok(!pointInPolygon([0.5, 0.3], zone));
  });

  it('boundary: left and top edges inside, right and bottom outside', () => {
    assert.ok(pointInPolygon([0, 5], square));
    assert.ok(pointInPolygon([5, 0], square));
    assert.ok(!pointInPolygon([10, 5], square));
    assert.ok(!pointInPolygon([5, 10], square));
  });

  it('a point on an edge shared by two polygons belongs to exactly one', () => {
    const left: Point[] = [[0, 0], [4, 0], [6, 10], [0, 10]];
    const right: Point[] = [[4, 0], [10, 0], [10, 10], [6, 10]];
    for (let y = 0.5; y < 10; y += 0.5) {
      const onEdge: Point = [4 + (2 * y) / 10, y];
      assert.equal(Number(pointInPolygon(onEdge, left)) + Number(pointInPolygon(onEdge, right)), 1, `y=${y}`);
    }
  });

  it('even-odd: the overlap of a self-intersecting outline is a hole', () => {
    // A pentagram: its centre is crossed twice by any ray.
    const star: Point[] = [0, 2, 4, 1, 3].map((k) => {
      const a = -Math.PI / 2 + (k * 2 * Math.PI) / 5;
      return [Math.cos(a), Math.sin(a)];
    });
    assert.ok(!pointInPolygon([0, 0], star));
    assert.ok(pointInPolygon([0, -0.8], star)); // in the top point
  });

  it('a degenerate polygon contains nothing', () => {
    assert.ok(!pointInPolygon([0, 0], []));
    assert.ok(!pointInPolygon([1, 1], [[0, 0], [2, 2]]));
  });
});

describe('segmentDistance', () => {
  it('measures to the nearest point of the segment: across its middle, past either end, and to a segment of no length', () => {
    assert.equal(segmentDistance([5, 3], [0, 0], [10, 0]), 3);
    assert.equal(segmentDistance([13, 4], [0, 0], [10, 0]), 5);
    assert.equal(segmentDistance([-3, -4], [0, 0], [10, 0]), 5);
    assert.equal(segmentDistance([3, 4], [0, 0], [0, 0]), 5);
  });
});

describe('box helpers', () => {
  it('bottomCentre is the middle of the bottom edge', () => {
    assert.deepEqual(bottomCentre({ x: 10, y: 20, w: 30, h: 40 }), [25, 60]);
  });

  it('box and point conversions round-trip through normalised coordinates', () => {
    const box = { x: 64, y: 36, w: 128, h: 72 };
    assert.deepEqual(boxToNormalised(box, 640, 360), [0.1, 0.1, 0.2, 0.2]);
    assert.deepEqual(boxFromNormalised([0.1, 0.1, 0.2, 0.2], 640, 360), box);
    assert.deepEqual(pointToPixels([0.5, 0.25], 1280, 720), [640, 180]);
    assert.deepEqual(pointToNormalised([640, 180], 1280, 720), [0.5, 0.25]);
  });

  it('polygonArea by the shoelace formula, either winding', () => {
    assert.equal(polygonArea(square), 100);
    assert.equal(polygonArea([...ell].reverse()), 75);
    assert.equal(polygonArea([[0, 0], [4, 0], [0, 3]]), 6);
    assert.equal(polygonArea([]), 0);
  });
});

describe('boxFractionInPolygon', () => {
  it('is exact on hand-computed cases', () => {
    assert.equal(boxFractionInPolygon({ x: 2, y: 2, w: 2, h: 2 }, square), 1);
    assert.equal(boxFractionInPolygon({ x: 20, y: 2, w: 2, h: 2 }, square), 0);
    assert.equal(boxFractionInPolygon({ x: 8, y: 0, w: 4, h: 10 }, square), 0.5);
    assert.equal(boxFractionInPolygon({ x: -5, y: -5, w: 20, h: 20 }, square), 0.25);
    assert.equal(boxFractionInPolygon({ x: 0, y: 0, w: 10, h: 10 }, ell), 0.75);
    assert.equal(boxFractionInPolygon({ x: 4, y: 4, w: 2, h: 2 }, ell), 0.75); // around the notch's corner
    const triangle: Point[] = [[0, 0], [10, 0], [0, 10]];
    assert.ok(Math.abs(boxFractionInPolygon({ x: 0, y: 0, w: 10, h: 10 }, triangle) - 0.5) < 1e-12);
  });

  it('a box with no area counts as its centre', () => {
    assert.equal(boxFractionInPolygon({ x: 5, y: 5, w: 0, h: 3 }, square), 1);
    assert.equal(boxFractionInPolygon({ x: 15, y: 5, w: 0, h: 0 }, square), 0);
  });

  it('agrees with dense sampling on random star-shaped (concave) polygons', () => {
    const arb = fc.record({
      radii: fc.array(fc.double({ min: 0.2, max: 1, noNaN: true }), { minLength: 3, maxLength: 12 }),
      x: fc.double({ min: -1.2, max: 0.8, noNaN: true }),
      y: fc.double({ min: -1.2, max: 0.8, noNaN: true }),
      w: fc.double({ min: 0.05, max: 1.5, noNaN: true }),
      h: fc.double({ min: 0.05, max: 1.5, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, ({ radii, x, y, w, h }) => {
        const poly: Point[] = radii.map((r, i) => {
          const a = (i * 2 * Math.PI) / radii.length;
          return [r * Math.cos(a), r * Math.sin(a)];
        });
        const box = { x, y, w, h };
        const N = 80;
        let hits = 0;
        for (let i = 0; i < N; i++) {
          for (let j = 0; j < N; j++) {
            if (pointInPolygon([x + ((i + 0.5) * w) / N, y + ((j + 0.5) * h) / N], poly)) hits++;
          }
        }
        const exact = boxFractionInPolygon(box, poly);
        assert.ok(exact >= 0 && exact <= 1);
        assert.ok(Math.abs(exact - hits / (N * N)) < 0.03, `exact ${exact} sampled ${hits / (N * N)}`);
      }),
      { numRuns: 200 },
    );
  });
});

/** Feeds one track's points; returns what the detector reported. */
function run(det: LineCrossingDetector, points: Point[], trackId = 1): LineCrossing[] {
  const out: LineCrossing[] = [];
  for (const p of points) {
    const c = det.update(trackId, p);
    if (c) out.push(c);
  }
  return out;
}

/** Points from (x, y0) to (x, y1) in `steps` equal steps. */
function path(x: number, y0: number, y1: number, steps: number): Point[] {
  return Array.from({ length: steps + 1 }, (_, i) => [x, y0 + ((y1 - y0) * i) / steps] as Point);
}

describe('LineCrossingDetector', () => {
  // Drawn left to right across a 640×360 frame at y = 200, from x = 100 to x = 500.
  const line = { from: [100, 200] as Point, to: [500, 200] as Point };
  const make = (band = 10, oncePerTrack = false) => new LineCrossingDetector(line, { band, oncePerTrack });

  it('signedDistance is positive on the right of from → to (below a left-to-right line, y down)', () => {
    const det = make();
    assert.equal(det.signedDistance([300, 250]), 50);
    assert.equal(det.signedDistance([300, 150]), -50);
    assert.equal(det.signedDistance([0, 200]), 0);
  });

  it('sidePoint is where the track last stood clear of the band, and carries its side to another id', () => {
    const det = make();
    assert.equal(det.sidePoint(1), undefined);
    run(det, [[300, 195]]);
    assert.equal(det.sidePoint(1), undefined, 'inside the band: no side yet');
    run(det, [[300, 180], [300, 186], [300, 205]]);
    assert.deepEqual(det.sidePoint(1), [300, 186], 'the last point clear of the band, not the one on the line');
    // Track 2 starts inside the band: alone it never crosses, seeded with track 1's point it does.
    assert.equal(run(det, [[300, 205], [300, 230]], 2).length, 0);
    const seeded = run(det, [det.sidePoint(1)!, [300, 205], [300, 230]], 3);
    assert.deepEqual(seeded.map((c) => c.direction), ['forward']);
  });

  it('moving down across a left-to-right line is forward, up is backward', () => {
    const down = run(make(), path(300, 150, 260, 11));
    assert.equal(down.length, 1);
    assert.equal(down[0].direction, 'forward');
    assert.equal(down[0].trackId, 1);
    assert.deepEqual(down[0].at, [300, 200]);
    assert.equal(down[0].t, 0.5);
    const up = run(make(), path(300, 260, 150, 11));
    assert.deepEqual(up.map((c) => c.direction), ['backward']);
  });

  it('swapping from and to reverses the direction', () => {
    const det = new LineCrossingDetector({ from: line.to, to: line.from }, { band: 10 });
    assert.deepEqual(run(det, path(300, 150, 260, 11)).map((c) => c.direction), ['backward']);
  });

  it('jitter around the line inside the band is never counted', () => {
    const det = make(10);
    const jitter: Point[] = [[300, 150]];
    for (let i = 0; i < 200; i++) jitter.push([300 + i, 200 + 9.5 * Math.sin(i * 1.7)]);
    assert.equal(run(det, jitter).length, 0);
  });

  it('entering the band and leaving on the same side is not counted', () => {
    assert.equal(run(make(), [[300, 150], [300, 195], [300, 205], [300, 195], [300, 150]]).length, 0);
  });

  it('counts once when the point straddles the line for a while before leaving the band', () => {
    const pts: Point[] = [[300, 150], [300, 192]];
    for (let i = 0; i < 50; i++) pts.push([300, i % 2 ? 208 : 192]);
    pts.push([300, 215], [300, 230], [300, 205], [300, 230]);
    assert.deepEqual(run(make(), pts).map((c) => c.direction), ['forward']);
  });

  it('crossing then coming back counts one each way; oncePerTrack keeps the first', () => {
    const there = path(300, 150, 260, 11);
    const back = path(300, 260, 150, 11);
    assert.deepEqual(run(make(), [...there, ...back, ...there]).map((c) => c.direction), ['forward', 'backward', 'forward']);
    assert.deepEqual(run(make(10, true), [...there, ...back, ...there]).map((c) => c.direction), ['forward']);
  });

  it('a crossing of the extension beyond the endpoints is not counted, and not counted later either', () => {
    const det = make();
    assert.equal(run(det, path(50, 150, 260, 11)).length, 0); // left of from
    assert.equal(run(det, path(550, 150, 260, 11), 2).length, 0); // right of to
    // Track 1 is now below; walking right inside the band and leaving below is no crossing.
    assert.equal(run(det, [[100, 205], [300, 205], [300, 240]]).length, 0);
    // Endpoints are part of the segment.
    assert.equal(run(det, path(100, 150, 260, 11), 3).length, 1);
    assert.equal(run(det, path(500, 150, 260, 11), 4).length, 1);
  });

  it('the segment test uses the chord across the band: a diagonal path is judged where it meets the line', () => {
    // From above-left of `from` to below-right of it: the chord meets the line at x = 110, on the segment.
    assert.equal(run(make(), [[60, 180], [160, 220]]).length, 1);
    // The mirror image meets it at x = 90, just outside.
    assert.equal(run(make(), [[140, 180], [40, 220]]).length, 0);
  });

  it('a step that jumps across the whole band in one frame is counted once', () => {
    const det = make(10);
    const c = run(det, [[300, 100], [300, 300], [300, 320], [300, 340]]);
    assert.equal(c.length, 1);
    assert.equal(c[0].direction, 'forward');
    assert.deepEqual(c[0].at, [300, 200]);
  });

  it('a track first seen inside the band is not counted on its first exit', () => {
    assert.equal(run(make(), [[300, 205], [300, 260]]).length, 0);
  });

  it('keeps state per track; forget drops it', () => {
    const det = make();
    assert.equal(det.update(1, [300, 150]), null);
    assert.equal(det.update(2, [300, 260]), null);
    assert.equal(det.update(1, [300, 260])?.direction, 'forward');
    assert.equal(det.update(2, [300, 150])?.direction, 'backward');
    assert.equal(det.trackCount, 2);
    det.forget(1);
    assert.equal(det.trackCount, 1);
    assert.equal(det.update(1, [300, 150]), null); // a new track 1 starts over
    assert.equal(det.update(1, [300, 260])?.direction, 'forward');
  });

  it('ignores non-finite points', () => {
    const det = make();
    assert.equal(run(det, [[300, 150], [NaN, 260], [300, Infinity], [300, 260]]).length, 1);
  });

  it('rejects a zero-length line and a bad band with ConfigError', () => {
    assert.throws(() => new LineCrossingDetector({ from: [1, 1], to: [1, 1] }, { band: 1, configPath: 'lines.in' }),
      (e: unknown) => e instanceof ConfigError && e.message === 'lines.in: line has zero length (from equals to)');
    assert.throws(() => new LineCrossingDetector(line, { band: -1 }), /band must be a finite number >= 0, got -1/);
    assert.throws(() => new LineCrossingDetector(line, { band: NaN }), /band must be a finite number >= 0, got NaN/);
    assert.throws(() => new LineCrossingDetector({ from: [NaN, 0], to: [1, 1] }, { band: 1 }), /line endpoints must be finite numbers/);
  });

  describe('properties', () => {
    /** The sides (±1) of the samples beyond the band, with repeats removed: each change is one side change. */
    function sideChanges(det: LineCrossingDetector, pts: Point[]): number[] {
      const sides: number[] = [];
      for (const p of pts) {
        const d = det.signedDistance(p);
        const side = d > det.band ? 1 : d < -det.band ? -1 : 0;
        if (side !== 0 && side !== sides[sides.length - 1]) sides.push(side);
      }
      return sides;
    }

    const walk = (xMin: number, xMax: number) =>
      fc.array(fc.tuple(fc.double({ min: xMin, max: xMax, noNaN: true }), fc.double({ min: 120, max: 280, noNaN: true })), {
        minLength: 1,
        maxLength: 60,
      }) as fc.Arbitrary<Point[]>;

    // Directions need not alternate here: a track may cross backward, walk round an endpoint (a forward
    // side change off the segment, not counted) and cross backward again.
    it('never more than one count per side change, in the direction of a change', () => {
      fc.assert(
        fc.property(walk(0, 600), fc.double({ min: 0, max: 40, noNaN: true }), (pts, band) => {
          const det = make(band);
          const counted = run(det, pts);
          const changes = sideChanges(det, pts).slice(1);
          const forward = counted.filter((c) => c.direction === 'forward').length;
          assert.ok(forward <= changes.filter((s) => s > 0).length);
          assert.ok(counted.length - forward <= changes.filter((s) => s < 0).length);
          for (const c of counted) assert.ok(c.t >= 0 && c.t <= 1 && Math.abs(det.signedDistance(c.at)) < 1e-9);
        }),
        { numRuns: 1000 },
      );
    });

    it('within the segment, every side change is counted exactly once, in its direction', () => {
      fc.assert(
        fc.property(walk(100, 500), fc.double({ min: 0, max: 40, noNaN: true }), (pts, band) => {
          const det = make(band);
          const counted = run(det, pts).map((c) => (c.direction === 'forward' ? 1 : -1));
          assert.deepEqual(counted, sideChanges(det, pts).slice(1));
        }),
        { numRuns: 1000 },
      );
    });

    it('a walk that stays inside the band is never counted', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.double({ min: 0, max: 600, noNaN: true }), fc.double({ min: 190, max: 210, noNaN: true })), { maxLength: 80 }),
          (pts) => assert.equal(run(make(10), pts as Point[]).length, 0),
        ),
        { numRuns: 500 },
      );
    });

    it('oncePerTrack counts at most one crossing per track', () => {
      fc.assert(
        fc.property(walk(0, 600), (pts) => assert.ok(run(make(10, true), pts).length <= 1)),
        { numRuns: 500 },
      );
    });
  });
});
