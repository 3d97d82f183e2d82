import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import { WaterExtent, type ExtentPlanes } from './extent.js';

const W = 64;
const H = 48;
const OPTS = { cell: 8, textureRatio: 0.55, chromaChange: 6, lumaChange: 0.2 };

/**
 * An asphalt-like frame: grain of ±12 per pixel around luma 92, grey chroma; columns from `waterFrom`
 * on are muddy water (smooth, a gentle gradient, brownish chroma). `gain` scales luma, `add` adds to it.
 */
function frame(o: { waterFrom?: number; gain?: number; add?: number; seed?: number } = {}): ExtentPlanes {
  const { waterFrom = W, gain = 1, add = 0, seed = 1 } = o;
  const rand = prng(seed);
  const y = new Uint8Array(W * H);
  const u = new Uint8Array((W / 2) * (H / 2)).fill(128);
  const v = new Uint8Array((W / 2) * (H / 2)).fill(128);
  for (let r = 0; r < H; r++) {
    for (let x = 0; x < W; x++) {
      const noise = (rand() + rand() - 1) * 3;
      const base = x >= waterFrom ? 96 + 4 * Math.sin(0.1 * x + 0.2 * r) : 92 + (rand() - 0.5) * 24;
      y[r * W + x] = Math.max(0, Math.min(255, base * gain + add + noise));
      if (x >= waterFrom && !(r & 1) && !(x & 1)) {
        u[(r >> 1) * (W / 2) + (x >> 1)] = 121;
        v[(r >> 1) * (W / 2) + (x >> 1)] = 135;
      }
    }
  }
  return { y, strideY: W, u, v, strideUV: W / 2 };
}

function learnt(): WaterExtent {
  const e = new WaterExtent([[0, 0], [1, 0], [1, 1], [0, 1]], W, H, OPTS);
  for (let i = 0; i < 5; i++) e.measure(frame({ seed: i + 1 }), true);
  return e;
}

describe('WaterExtent', () => {
  it('measures the share of the zone under water', () => {
    const e = learnt();
    assert.equal(e.cells, 48);
    assert.equal(e.measure(frame({ seed: 20 }), false), 0);
    assert.equal(e.measure(frame({ waterFrom: 32, seed: 21 }), false), 0.5);
    assert.equal(e.measure(frame({ waterFrom: 16, seed: 22 }), false), 0.75);
  });

  it('is not fooled by a cloud, the sun on a wet road, or a shadow: the grain is still there', () => {
    const e = learnt();
    assert.equal(e.measure(frame({ gain: 0.6, seed: 30 }), false), 0, 'a shadow or a cloud');
    assert.equal(e.measure(frame({ gain: 1.4, seed: 31 }), false), 0, 'brighter light');
    assert.equal(e.measure(frame({ add: 25, seed: 32 }), false), 0, 'a shine over the grain');
  });

  it('only counts cells inside the zone', () => {
    const e = new WaterExtent([[0, 0], [0.5, 0], [0.5, 1], [0, 1]], W, H, OPTS);
    for (let i = 0; i < 3; i++) e.measure(frame({ seed: i + 1 }), true);
    assert.equal(e.cells, 24);
    assert.equal(e.measure(frame({ waterFrom: 32, seed: 40 }), false), 0);
    assert.equal(e.measure(frame({ waterFrom: 16, seed: 41 }), false), 0.5);
  });
});
