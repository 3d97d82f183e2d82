import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import { ConnectedComponents } from '../sdk/index.js';
import { contourEdges, decideChange } from './edges.js';

const GW = 40;
const GH = 30;
/** The object's cells: x 15..24, y 10..17. */
const OBJ = { x: 15, y: 10, w: 10, h: 8 };

/** Ground with a fine texture and a little noise, as a background model's mean or a still image would hold it. */
function ground(seed: number): Float32Array {
  const rand = prng(seed);
  const img = new Float32Array(GW * GH);
  for (let i = 0; i < img.length; i++) img[i] = 140 + ((i * 7) % 5) - 2 + (rand() - 0.5) * 2;
  return img;
}

/** `img` with the rectangle set to `luma` (an object), or scaled by `gain` (light falling on the ground). */
function withRect(img: Float32Array, r: typeof OBJ, luma: number | { gain: number }): Float32Array {
  const out = img.slice();
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) out[y * GW + x] = typeof luma === 'number' ? luma : out[y * GW + x]! * luma.gain;
  return out;
}

/** The changed region as labelled components (label 1), as the plugin gets it; `grow` cells bigger than the object, all round. */
function regionOf(r: typeof OBJ, grow = 0): { labels: Int32Array; box: typeof OBJ } {
  const mask = new Uint8Array(GW * GH);
  const g = { x: r.x - grow, y: r.y - grow, w: r.w + 2 * grow, h: r.h + 2 * grow };
  for (let y = g.y; y < g.y + g.h; y++) for (let x = g.x; x < g.x + g.w; x++) mask[y * GW + x] = 255;
  const cc = new ConnectedComponents(GW, GH);
  assert.equal(cc.label(mask), 1);
  return { labels: cc.labels, box: g };
}

describe('contour edges: left or taken', () => {
  const before = ground(1);
  const now = ground(2);

  it('finds an object left: an outline now that the background lacks', () => {
    const { labels, box } = regionOf(OBJ);
    const e = contourEdges(withRect(now, OBJ, 60), before, labels, GW, GH, 1, box);
    // The step of 80 levels reads about 80 at the cells next to it. The band: the object's own edge
    // cells (2(w + h) − 4) and the cells outside that share a side with it (2(w + h), no corners).
    assert.ok(e.current > 30 && e.background < 5, JSON.stringify(e));
    assert.equal(e.cells, 4 * (OBJ.w + OBJ.h) - 4);
    assert.equal(decideChange(e, 1.5, 5), 'left');
  });

  it('finds an object taken: the background has the outline, the frame now plain ground', () => {
    const { labels, box } = regionOf(OBJ);
    const e = contourEdges(now, withRect(before, OBJ, 60), labels, GW, GH, 1, box);
    assert.ok(e.background > 30 && e.current < 5, JSON.stringify(e));
    assert.equal(decideChange(e, 1.5, 5), 'removed');
  });

  it('still finds it when the region is a cell larger than the object (the mask boundary off the edge)', () => {
    const { labels, box } = regionOf(OBJ, 1);
    assert.equal(decideChange(contourEdges(withRect(now, OBJ, 200), before, labels, GW, GH, 1, box), 1.5, 5), 'left');
    assert.equal(decideChange(contourEdges(now, withRect(before, OBJ, 200), labels, GW, GH, 1, box), 1.5, 5), 'removed');
  });

  it('is neither for light on the ground: a patch a little brighter, with no outline of its own', () => {
    // A soft-edged patch of sunlight: 6 % brighter, ramping in over two cells.
    const inner = { x: OBJ.x + 1, y: OBJ.y + 1, w: OBJ.w - 2, h: OBJ.h - 2 };
    const lit = withRect(withRect(now, OBJ, { gain: 1.03 }), inner, { gain: 1.03 });
    const { labels, box } = regionOf(OBJ);
    const e = contourEdges(lit, before, labels, GW, GH, 1, box);
    assert.equal(decideChange(e, 1.5, 5), undefined, JSON.stringify(e));
  });

  it('is neither when one object stands where another stood (both have the outline)', () => {
    const { labels, box } = regionOf(OBJ);
    const e = contourEdges(withRect(now, OBJ, 60), withRect(before, OBJ, 220), labels, GW, GH, 1, box);
    assert.equal(decideChange(e, 1.5, 5), undefined, JSON.stringify(e));
  });

  it('needs both the ratio and the margin', () => {
    assert.equal(decideChange({ current: 4, background: 1, cells: 10 }, 1.5, 5), undefined);
    assert.equal(decideChange({ current: 40, background: 30, cells: 10 }, 1.5, 5), undefined);
    assert.equal(decideChange({ current: 46, background: 30, cells: 10 }, 1.5, 5), 'left');
    assert.equal(decideChange({ current: 0, background: 0, cells: 0 }, 1.5, 5), undefined);
  });

  it('leaves out the grid border, where Sobel has no neighbourhood', () => {
    const corner = { x: 0, y: 0, w: 5, h: 4 };
    const { labels, box } = regionOf(corner);
    const e = contourEdges(withRect(now, corner, 60), before, labels, GW, GH, 1, box);
    // Only the band's cells inside x, y ≥ 1: the outer boundary row and column beyond the object.
    assert.ok(e.cells > 0 && e.current > 20, JSON.stringify(e));
  });
});
