import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ownTop } from './profile.js';

const grid = { step: 2, width: 80, height: 60 };

/** A mask with, per row y, the cells [from, to) set, for each span given. */
function mask(spans: Record<number, [number, number][]>): Uint8Array {
  const m = new Uint8Array(grid.width * grid.height);
  for (const [y, list] of Object.entries(spans)) for (const [a, b] of list) m.fill(1, Number(y) * grid.width + a, Number(y) * grid.width + b);
  return m;
}

/** Spans for rows y0..y1 (inclusive) from a width at the top to one at the bottom, centred on cx. */
function trapezoid(y0: number, y1: number, top: number, bottom: number, cx = 40): Record<number, [number, number][]> {
  const out: Record<number, [number, number][]> = {};
  for (let y = y0; y <= y1; y++) {
    const w = Math.round(top + ((bottom - top) * (y - y0)) / Math.max(1, y1 - y0));
    out[y] = [[cx - Math.floor(w / 2), cx - Math.floor(w / 2) + w]];
  }
  return out;
}

/** The box (pixels) of every set cell. */
function boxOf(m: Uint8Array) {
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (let i = 0; i < m.length; i++) {
    if (!m[i]) continue;
    const x = i % grid.width, y = Math.floor(i / grid.width);
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  return { x: x0 * grid.step, y: y0 * grid.step, w: (x1 - x0 + 1) * grid.step, h: (y1 - y0 + 1) * grid.step };
}

describe('ownTop', () => {
  it('cuts off the narrower top of a vehicle behind a truck, where the truck roof begins', () => {
    // Truck: roof from row 20 (24 cells wide) widening to its front face (30 cells) down to row 50;
    // the car behind shows above the roof as a 10-cell cap on rows 12..19.
    const m = mask({ ...trapezoid(12, 19, 10, 10, 41), ...trapezoid(20, 50, 24, 30) });
    const box = boxOf(m);
    assert.equal(box.y, 24);
    assert.deepEqual(ownTop(m, grid, box), { x: box.x, y: 40, w: box.w, h: 51 * 2 - 40 });
  });

  it('cuts off a cap made of two narrow parts side by side (the vehicle behind and one in the next lane)', () => {
    const m = mask({ ...trapezoid(20, 50, 24, 30) });
    for (let y = 14; y < 20; y++) m.fill(1, y * grid.width + 26, y * grid.width + 33);
    for (let y = 16; y < 20; y++) m.fill(1, y * grid.width + 42, y * grid.width + 46);
    for (let y = 20; y < 24; y++) m.fill(1, y * grid.width + 26, y * grid.width + 29); // the neighbour's side, beside the roof
    const box = boxOf(m);
    assert.equal(ownTop(m, grid, box).y, 40);
  });

  it('cuts off the cap of a gate-camera frame: a car in the next lane and a motorbike behind, on a truck', () => {
    // Foreground (2-pixel cells) of gate-13 at 19.6 s: truck 31's blob, which had the car beside it
    // (left) and the motorbike behind it (right) on top, and fitted a bus. Its roof starts on row 8.
    const rows = [
      '.....###############...........................',
      '....################...........................',
      '....################...........................',
      '...#################...........................',
      '..##################...........................',
      '.###################...............#######.....',
      '####################................#####......',
      '####################...............######......',
      '###########################..###############...',
      '##########################..################...',
      '##########################..################...',
      '#########################..####################',
      '#########################..####################',
      '########################..#####################',
      '########################..#####################',
      '########################..#####################',
      '#######################..######################',
      '#######################..######################',
      '.#####################..#######################',
      '.#####################..#######################',
      '........##############..#######################',
      '........#############..########################',
      '........#############..########################',
      '........############..#########################',
      '........############..#########################',
      '.......#############..#########################',
      '.......############..##########################',
      '......#############..##########################',
      '.....#############..###########################',
      '.....#############..###########################',
      '....##############..###########################',
      '....#############..############################',
    ];
    while (rows.length < 86) rows.push(rows.at(-1)!); // the truck's body goes on down
    const g = { step: 2, width: rows[0]!.length, height: rows.length };
    const m = new Uint8Array(g.width * g.height);
    rows.forEach((r, y) => { for (let x = 0; x < r.length; x++) m[y * g.width + x] = r[x] === '#' ? 1 : 0; });
    const box = { x: 0, y: 0, w: 2 * g.width, h: 2 * g.height };
    assert.deepEqual(ownTop(m, g, box), { x: 0, y: 16, w: box.w, h: box.h - 16 });
  });

  it('cuts off a motorbike over a long bus near the camera, whose far roof edge is under half its near end', () => {
    // Gate-23 at 11 s (and gate-16, gate-18): a motorbike 12 m behind a bus leaving at the frame's
    // bottom showed above the bus's roof and was never counted. The bus's far roof edge (20 cells)
    // is under half its near end (70 cells), which once hid the step from a test against the widest row.
    const m = mask({ ...trapezoid(10, 19, 8, 8, 41), ...trapezoid(20, 58, 20, 70) });
    const box = boxOf(m);
    assert.equal(box.y, 20);
    assert.deepEqual(ownTop(m, grid, box), { x: box.x, y: 40, w: box.w, h: 59 * 2 - 40 });
  });

  it('leaves a convex silhouette alone, however much it widens: a long roof seen at an angle', () => {
    for (const [top, bottom] of [[10, 30], [18, 30], [30, 30]] as const) {
      const m = mask(trapezoid(5, 50, top, bottom));
      const box = boxOf(m);
      assert.deepEqual(ownTop(m, grid, box), box, `${top} → ${bottom}`);
    }
    // A short roof that reaches its full width in ten rows (a vehicle farther away).
    const m = mask({ ...trapezoid(5, 15, 12, 30), ...trapezoid(16, 30, 30, 30) });
    assert.deepEqual(ownTop(m, grid, boxOf(m)), boxOf(m));
  });

  it('leaves a box alone when the narrow part is low down (a vehicle beside the lower part is not a cap)', () => {
    // Narrow over the top 70 % of the rows, wide below: too tall a "cap" to be a vehicle behind.
    const m = mask({ ...trapezoid(10, 40, 10, 10), ...trapezoid(41, 52, 30, 30) });
    const box = boxOf(m);
    assert.deepEqual(ownTop(m, grid, box), box);
  });

  it('leaves a one-row fringe on the roof alone', () => {
    const m = mask({ ...trapezoid(20, 20, 8, 8), ...trapezoid(21, 50, 26, 30) });
    const box = boxOf(m);
    assert.deepEqual(ownTop(m, grid, box), box);
  });
});
