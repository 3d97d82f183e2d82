import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Morphology, type StructuringElement } from './morphology.js';
import { parseMask } from './testdata/masks.js';

function show(mask: Uint8Array, w: number, h: number): string[] {
  const rows: string[] = [];
  for (let y = 0; y < h; y++) rows.push([...mask.subarray(y * w, y * w + w)].map((v) => (v ? '#' : '.')).join(''));
  return rows;
}

type Op = 'erode' | 'dilate' | 'open' | 'close';

function run(op: Op, rows: string[], r: number, shape: StructuringElement = 'square'): string[] {
  const { w, h, mask } = parseMask(rows);
  const dst = new Uint8Array(w * h);
  new Morphology(w, h)[op](mask, dst, r, shape);
  return show(dst, w, h);
}

/** Reference: the definition, pixel by pixel, with windows clipped at the border. */
function naive(op: Op, src: Uint8Array, w: number, h: number, r: number, shape: StructuringElement): Uint8Array {
  const basic = (m: Uint8Array, erode: boolean) => {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let on = erode;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            if (shape === 'cross' && dx !== 0 && dy !== 0) continue;
            const xx = x + dx;
            const yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            if (erode && !m[yy * w + xx]) on = false;
            if (!erode && m[yy * w + xx]) on = true;
          }
        }
        out[y * w + x] = on ? 255 : 0;
      }
    }
    return out;
  };
  if (op === 'erode') return basic(src, true);
  if (op === 'dilate') return basic(src, false);
  if (op === 'open') return basic(basic(src, true), false);
  return basic(basic(src, false), true);
}

const A = [
  '........',
  '.###....',
  '.###..#.',
  '.###....',
  '........',
  '########',
  '########',
];

const PLUS = ['.....', '..#..', '.###.', '..#..', '.....'];

describe('Morphology', () => {
  it('erodes with a square: blocks shrink, specks vanish, the frame edge does not erode', () => {
    assert.deepEqual(run('erode', A, 1), ['........', '........', '..#.....', '........', '........', '........', '########']);
  });

  it('dilates with a square', () => {
    assert.deepEqual(run('dilate', A, 1), ['#####...', '########', '########', '########', '########', '########', '########']);
  });

  it('opens: removes the speck, restores the blocks', () => {
    assert.deepEqual(run('open', A, 1), ['........', '.###....', '.###....', '.###....', '........', '########', '########']);
  });

  it('closes: fills a hole and a one-pixel gap', () => {
    const rows = ['...........', '...........', '..###.###..', '..#.#.###..', '..###.###..', '...........', '...........'];
    assert.deepEqual(run('close', rows, 1), ['...........', '...........', '..#######..', '..#######..', '..#######..', '...........', '...........']);
  });

  it('tells the cross from the square', () => {
    assert.deepEqual(run('erode', PLUS, 1, 'cross'), ['.....', '.....', '..#..', '.....', '.....']);
    assert.deepEqual(run('erode', PLUS, 1, 'square'), ['.....', '.....', '.....', '.....', '.....']);
    const dot = ['.......', '.......', '.......', '...#...', '.......', '.......', '.......'];
    assert.deepEqual(run('dilate', dot, 2, 'cross'), ['.......', '...#...', '...#...', '.#####.', '...#...', '...#...', '.......']);
    assert.deepEqual(run('dilate', dot, 2, 'square'), ['.......', '.#####.', '.#####.', '.#####.', '.#####.', '.#####.', '.......']);
  });

  it('radius 0 only binarises, and in-place use gives the same result', () => {
    assert.deepEqual(run('erode', A, 0), A);
    const { w, h, mask } = parseMask(A);
    const m = new Morphology(w, h);
    const out = new Uint8Array(w * h);
    m.open(mask, out, 1);
    m.open(mask, mask, 1);
    assert.deepEqual(mask, out);
  });

  it('matches the definition on random masks for every op, shape and radius 0..4', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let trial = 0; trial < 120; trial++) {
      const w = 1 + Math.floor(rand() * 23);
      const h = 1 + Math.floor(rand() * 17);
      const density = 0.2 + rand() * 0.6;
      const src = new Uint8Array(w * h).map(() => (rand() < density ? 1 + Math.floor(rand() * 255) : 0));
      const m = new Morphology(w, h);
      const dst = new Uint8Array(w * h);
      for (const shape of ['square', 'cross'] as const) {
        for (const op of ['erode', 'dilate', 'open', 'close'] as const) {
          const r = Math.floor(rand() * 5);
          m[op](src, dst, r, shape);
          assert.deepEqual(dst, naive(op, src, w, h, r, shape), `${op} ${shape} r=${r} on ${w}x${h}`);
        }
      }
    }
  });

  it('rejects short buffers and bad radii', () => {
    const m = new Morphology(4, 4);
    assert.throws(() => m.erode(new Uint8Array(15), new Uint8Array(16), 1), /16 bytes/);
    assert.throws(() => m.dilate(new Uint8Array(16), new Uint8Array(16), -1), /radius/);
  });
});
