import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WaterlineFinder } from './waterline.js';
import { BAND, BOARD_BOTTOM, BOARD_ZONE, gaugeFrame, H, W } from './testgauge.js';

const finder = () => new WaterlineFinder(BOARD_ZONE, W, H, 2 * BAND, 0.45);

describe('WaterlineFinder', () => {
  it('finds the waterline to within a row wherever it falls in the band pattern, through noise and ripples', () => {
    const f = finder();
    for (let row = 40; row <= 130; row += 3) {
      for (const seed of [1, 2, 3]) {
        const r = f.find(gaugeFrame(row, { seed, noise: 6, t: seed }), W);
        assert.equal(r.state, 'line', `row ${row}`);
        assert.ok(Math.abs(r.row - row) <= 1, `water at ${row}, found ${r.row.toFixed(2)} (seed ${seed})`);
        f.learnDry(r);
      }
    }
    assert.ok(f.reference > 0);
  });

  it('reads the same row when the light halves (texture is divided by the mean luma)', () => {
    const f = finder();
    const bright = f.find(gaugeFrame(77), W);
    f.learnDry(bright);
    const dim = f.find(gaugeFrame(77, { gain: 0.5 }), W);
    assert.ok(Math.abs(bright.row - 77) <= 1 && Math.abs(dim.row - bright.row) <= 1, `${bright.row} vs ${dim.row}`);
  });

  it('says dry when the marks reach the zone\'s bottom, hidden when there are none', () => {
    const f = finder();
    const dry = f.find(gaugeFrame(H), W);
    assert.equal(dry.state, 'dry');
    assert.equal(dry.row, BOARD_BOTTOM);
    f.learnDry(dry);
    const under = f.find(gaugeFrame(0), W);
    assert.equal(under.state, 'hidden');
    assert.ok(Number.isNaN(under.row));
  });

  it('does not take the reflection or a ripple for marks: the water starts where the board ends', () => {
    const f = finder();
    // Strong noise and a row only a few rows into the zone: most of the gauge is water with its reflection.
    const r = f.find(gaugeFrame(30, { noise: 8, seed: 9 }), W);
    assert.equal(r.state, 'line');
    assert.ok(Math.abs(r.row - 30) <= 1.5, `found ${r.row}`);
  });
});
