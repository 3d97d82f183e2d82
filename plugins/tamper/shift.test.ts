import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRID_COLS, GRID_ROWS } from './measure.js';
import { detailZncc, median, ViewMatcher, zncc } from './shift.js';
import { noisy, shifted, texture } from './testdata.js';

const W = 160;
const H = 90;
const all = new Uint8Array(GRID_COLS * GRID_ROWS).fill(1);

describe('zncc', () => {
  const a = texture(40, 30, 1);
  it('is 1 for the same window, also under a gain and an offset, and -1 for its negative', () => {
    assert.ok(Math.abs(zncc(a, a, 40, 0, 40, 0, 30, 0, 0) - 1) < 1e-9);
    const lit = Uint8Array.from(a, (v) => Math.round(v * 0.5 + 40));
    assert.ok(zncc(lit, a, 40, 0, 40, 0, 30, 0, 0) > 0.99);
    const neg = Uint8Array.from(a, (v) => 255 - v);
    assert.ok(zncc(neg, a, 40, 0, 40, 0, 30, 0, 0) < -0.999);
  });

  it('is NaN when a window is flat', () => {
    assert.ok(Number.isNaN(zncc(new Uint8Array(1200).fill(90), a, 40, 0, 40, 0, 30, 0, 0)));
  });
});

describe('detailZncc', () => {
  const a = texture(40, 30, 1);
  const ramp = (gx: number, gy: number, base: number) => Uint8Array.from({ length: 1200 }, (_, i) => base + gx * (i % 40) + gy * Math.floor(i / 40));
  it('matches the same structure under a gain, an offset and a ramp of light across it', () => {
    const lit = Uint8Array.from(a, (v, i) => Math.min(255, Math.round(v * 0.6 + 10 + 1.5 * (i % 40))));
    assert.ok(detailZncc(lit, a, 40, 0, 40, 0, 30, 0, 0) > 0.99);
  });

  it('finds no detail in a ramp of light, which zncc lines up with any other ramp', () => {
    const glow = ramp(2, 1, 20);
    assert.ok(zncc(glow, ramp(3, 1.5, 60), 40, 0, 40, 0, 30, 0, 0) > 0.99);
    assert.ok(Number.isNaN(detailZncc(glow, ramp(3, 1.5, 60), 40, 0, 40, 0, 30, 0, 0)));
    assert.ok(Number.isNaN(detailZncc(glow, a, 40, 0, 40, 0, 30, 0, 0)));
  });

  it('is low for other structure and for the same structure moved', () => {
    assert.ok(Math.abs(detailZncc(texture(40, 30, 2), a, 40, 0, 40, 0, 30, 0, 0)) < 0.4);
    assert.ok(detailZncc(shifted(a, 40, 30, 8, 0), a, 40, 0, 40, 0, 30, 0, 0) < 0.5);
  });
});

describe('median', () => {
  it('takes the middle of the first n values', () => {
    assert.equal(median(Float64Array.from([5, 1, 9, 100]), 3), 5);
    assert.equal(median(Float64Array.from([4, 1, 3, 2]), 4), 2.5);
  });
});

describe('ViewMatcher', () => {
  const ref = texture(W, H, 7);

  it('matches the same view (with fresh noise) in place, and not a shifted one', () => {
    const m = new ViewMatcher(W, H);
    assert.ok(m.matchInPlace(noisy(ref.slice(), 3, 1), ref, all) > 0.9);
    assert.ok(m.matchInPlace(shifted(ref, W, H, 6, 0), ref, all) < 0.4);
  });

  it('still matches in place when a third of the tiles are covered by something else (a bus)', () => {
    const cur = ref.slice();
    const other = texture(W, H, 99);
    for (let y = 45; y < H; y++) for (let x = 0; x < 100; x++) cur[y * W + x] = other[y * W + x]!;
    assert.ok(new ViewMatcher(W, H).matchInPlace(cur, ref, all) > 0.9);
  });

  it('finds the shift of a moved view, also beyond the fine search (coarse to fine), with the picture lit differently', () => {
    const m = new ViewMatcher(W, H);
    for (const [dx, dy] of [[5, -3], [-13, 7], [0, 11], [2, 0]] as const) {
      const cur = noisy(Uint8Array.from(shifted(ref, W, H, dx, dy), (v) => v * 0.7 + 20), 2, dx + 50);
      const s = m.findShift(cur, ref, all);
      assert.ok(s, `found for ${dx},${dy}`);
      assert.deepEqual([s.dx, s.dy], [dx, dy]);
      assert.ok(s.match > 0.8, `match ${s.match}`);
    }
  });

  it('counts the tiles still in place around a vehicle as steady, and none of a moved view', () => {
    const m = new ViewMatcher(W, H);
    const hidden = ref.slice();
    const bus = texture(W, H, 55);
    // All but the top row of tiles (15 pixels) and the left column (20 pixels) hidden.
    for (let y = 15; y < H; y++) for (let x = 20; x < W; x++) hidden[y * W + x] = bus[y * W + x]!;
    assert.ok(m.matchInPlace(hidden, ref, all) < 0.4);
    assert.equal(m.steady(), GRID_COLS + GRID_ROWS - 1);
    const s = m.findShift(hidden, ref, all);
    assert.ok(!s || s.match < 0.6 || s.steady >= GRID_COLS, JSON.stringify(s));
    const moved = noisy(shifted(ref, W, H, 7, -3), 2, 5);
    m.matchInPlace(moved, ref, all);
    assert.ok(m.steady() <= 1, `steady ${m.steady()}`);
    const k = m.findShift(moved, ref, all)!;
    assert.deepEqual([k.dx, k.dy, k.steady], [7, -3, 0]);
  });

  it('finds no good shift for a different view', () => {
    const s = new ViewMatcher(W, H).findShift(texture(W, H, 1234), ref, all);
    assert.ok(!s || s.match < 0.4, `match ${s?.match}`);
  });

  it('scores only the textured tiles, and nothing when too few are textured', () => {
    const m = new ViewMatcher(W, H);
    const one = new Uint8Array(GRID_COLS * GRID_ROWS);
    one[0] = 1;
    assert.ok(Number.isNaN(m.matchInPlace(ref, ref, one)));
    assert.equal(m.findShift(ref, ref, one), undefined);
  });
});
