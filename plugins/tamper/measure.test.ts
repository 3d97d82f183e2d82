import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRID_COLS, GRID_ROWS, ViewMeasure } from './measure.js';
import { blurred, texture } from './testdata.js';

const plane = (y: Uint8Array, width: number, height: number) => ({ y, strideY: width, width, height });

describe('ViewMeasure', () => {
  it('measures a flat frame as flat: no variance, no edges, its brightness', () => {
    const m = new ViewMeasure(320, 180);
    const s = m.measure(plane(new Uint8Array(320 * 180).fill(77), 320, 180), 235);
    assert.equal(s.brightness, 77);
    assert.equal(s.saturated, 0);
    assert.equal(s.variance.length, GRID_COLS * GRID_ROWS);
    assert.ok(s.variance.every((v) => v === 0) && s.energy.every((e) => e === 0));
    assert.ok(s.thumb.every((v) => v === 77));
    assert.equal(s.thumbWidth, 160);
    assert.equal(s.thumbHeight, 90);
  });

  it('gives a tile holding a vertical step its variance and edge energy, and no other tile any', () => {
    // Tile columns are 40 px wide: the step at x = 60 lies inside the second column of tiles.
    const y = new Uint8Array(320 * 180);
    for (let r = 0; r < 180; r++) for (let x = 0; x < 320; x++) y[r * 320 + x] = x < 60 ? 50 : 150;
    const s = new ViewMeasure(320, 180).measure(plane(y, 320, 180), 235);
    for (let t = 0; t < GRID_COLS * GRID_ROWS; t++) {
      if (t % GRID_COLS === 1) {
        // Half the tile at 50, half at 150: variance 50², one step of 100 per row of 40 pixels.
        assert.ok(Math.abs(s.variance[t]! - 2500) < 1e-6, `variance ${s.variance[t]}`);
        assert.ok(Math.abs(s.energy[t]! - 100 ** 2 / 40) < 1e-6, `energy ${s.energy[t]}`);
      } else {
        assert.equal(s.variance[t], 0);
        assert.equal(s.energy[t], 0);
      }
    }
  });

  it('loses edge energy, not contrast, when the picture is blurred', () => {
    const sharp = texture(320, 180, 3);
    const m = new ViewMeasure(320, 180);
    const a = m.measure(plane(sharp, 320, 180), 235);
    const [va, ea] = [a.variance.reduce((x, y) => x + y), a.energy.reduce((x, y) => x + y)];
    const b = m.measure(plane(blurred(sharp, 320, 180, 2), 320, 180), 235);
    const [vb, eb] = [b.variance.reduce((x, y) => x + y), b.energy.reduce((x, y) => x + y)];
    assert.ok(eb / ea < 0.3, `energy kept ${(eb / ea).toFixed(2)}`);
    assert.ok(vb / va > 0.6, `variance kept ${(vb / va).toFixed(2)}`);
  });

  it('counts saturated pixels at the configured level', () => {
    const y = new Uint8Array(320 * 180).fill(100);
    y.fill(240, 0, 320 * 45); // the top quarter
    const m = new ViewMeasure(320, 180);
    assert.equal(m.measure(plane(y, 320, 180), 235).saturated, 0.25);
    assert.equal(m.measure(plane(y, 320, 180), 245).saturated, 0);
  });

  it('averages large frames down to at most 320 wide, honouring the stride', () => {
    const m = new ViewMeasure(1280, 720);
    assert.equal(m.aw, 320);
    assert.equal(m.ah, 180);
    const stride = 1300;
    const y = new Uint8Array(stride * 720).fill(9); // padding bytes must not be read
    for (let r = 0; r < 720; r++) y.fill(200, r * stride, r * stride + 1280);
    const s = m.measure({ y, strideY: stride, width: 1280, height: 720 }, 235);
    assert.equal(s.brightness, 200);
  });

  it('refuses a frame too small to cut into tiles, and a frame of another size', () => {
    assert.throws(() => new ViewMeasure(12, 8), /too small/);
    const m = new ViewMeasure(320, 180);
    assert.throws(() => m.measure(plane(new Uint8Array(640 * 360), 640, 360), 235), /size changed/);
  });
});
