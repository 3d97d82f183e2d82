import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectedComponents } from './components.js';
import { parseMask } from './testdata/masks.js';

function label(rows: string[]) {
  const { w, h, mask } = parseMask(rows);
  const cc = new ConnectedComponents(w, h);
  const count = cc.label(mask);
  return { cc, count, comps: cc.components() };
}

/** Reference: flood fill from each unlabelled pixel in raster order (so numbering matches). */
function floodFill(mask: Uint8Array, w: number, h: number): Int32Array {
  const out = new Int32Array(w * h);
  let next = 0;
  const stack: number[] = [];
  for (let i = 0; i < w * h; i++) {
    if (!mask[i] || out[i]) continue;
    out[i] = ++next;
    stack.push(i);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const q = yy * w + xx;
          if (mask[q] && !out[q]) {
            out[q] = next;
            stack.push(q);
          }
        }
      }
    }
  }
  return out;
}

describe('ConnectedComponents', () => {
  it('merges the arms of a U into one component (found apart in the first pass)', () => {
    const { count, comps } = label(['#...#', '#...#', '#####']);
    assert.equal(count, 1);
    assert.deepEqual(comps[0], { label: 1, area: 9, x: 0, y: 0, w: 5, h: 3, cx: 18 / 9, cy: 12 / 9 });
  });

  it('merges a comb, a staircase and a spiral, each with several provisional labels', () => {
    assert.deepEqual(label(['#.#.#.#', '#.#.#.#', '#######']).comps.map((c) => c.area), [15]);
    assert.deepEqual(label(['...##', '..##.', '.##..', '##...']).comps.map((c) => [c.area, c.x, c.y, c.w, c.h]), [[8, 0, 0, 5, 4]]);
    const spiral = ['#######', '#.....#', '#.###.#', '#.#.#.#', '#.#...#', '#.#####'];
    const { count, comps } = label(spiral);
    assert.equal(count, 1);
    assert.equal(comps[0]!.area, [...spiral.join('')].filter((c) => c === '#').length);
  });

  it('joins diagonal neighbours both ways (8-connectivity)', () => {
    assert.equal(label(['#..', '.#.', '..#']).count, 1);
    assert.equal(label(['..#', '.#.', '#..']).count, 1);
    assert.equal(label(['#.#', '.#.', '#.#']).count, 1);
  });

  it('numbers components by their first pixel in raster order, with exact areas, boxes and centroids', () => {
    const { cc, count, comps } = label(['##..#', '##..#', '.....', '..###']);
    assert.equal(count, 3);
    assert.deepEqual(comps, [
      { label: 1, area: 4, x: 0, y: 0, w: 2, h: 2, cx: 0.5, cy: 0.5 },
      { label: 2, area: 2, x: 4, y: 0, w: 1, h: 2, cx: 4, cy: 0.5 },
      { label: 3, area: 3, x: 2, y: 3, w: 3, h: 1, cx: 3, cy: 3 },
    ]);
    assert.deepEqual([...cc.labels], [1, 1, 0, 0, 2, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3]);
  });

  it('handles empty and full masks, and reuses its buffers from call to call', () => {
    const cc = new ConnectedComponents(6, 4);
    assert.equal(cc.label(new Uint8Array(24)), 0);
    assert.deepEqual(cc.components(), []);
    assert.equal(cc.label(new Uint8Array(24).fill(1)), 1);
    assert.deepEqual(cc.component(1), { label: 1, area: 24, x: 0, y: 0, w: 6, h: 4, cx: 2.5, cy: 1.5 });
    assert.equal(cc.label(new Uint8Array(24)), 0);
    assert.throws(() => cc.component(1), RangeError);
  });

  it('has room for the most provisional labels a mask can start', () => {
    // Isolated pixels staggered so every row starts w/4 labels: w·h/4 components in all.
    const w = 64;
    const h = 48;
    const mask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = (y & 1) * 2; x < w; x += 4) mask[y * w + x] = 1;
    const cc = new ConnectedComponents(w, h);
    assert.equal(cc.label(mask), (w * h) / 4);
    const dots = new Uint8Array(w * h);
    for (let y = 0; y < h; y += 2) for (let x = 0; x < w; x += 2) dots[y * w + x] = 1;
    assert.equal(cc.label(dots), (w / 2) * (h / 2));
  });

  it('labels random masks exactly as a flood fill does', () => {
    let seed = 99;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let trial = 0; trial < 300; trial++) {
      const w = 1 + Math.floor(rand() * 40);
      const h = 1 + Math.floor(rand() * 30);
      const density = rand();
      const mask = new Uint8Array(w * h).map(() => (rand() < density ? 255 : 0));
      const cc = new ConnectedComponents(w, h);
      const count = cc.label(mask);
      const ref = floodFill(mask, w, h);
      assert.deepEqual(cc.labels, ref, `labels on ${w}x${h}`);
      assert.equal(count, Math.max(0, ...ref));
      for (const c of cc.components()) {
        let area = 0;
        for (let i = 0; i < w * h; i++) if (ref[i] === c.label) area++;
        assert.equal(c.area, area);
      }
    }
  });
});
