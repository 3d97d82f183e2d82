import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { costMatrix, linearAssignment, type Assignment } from './hungarian.js';

const solve = (rows: number[][], maxCost?: number, cols?: number) => linearAssignment(costMatrix(rows, cols), maxCost);

/** Checks that the result is a valid partial matching that respects the limit and partitions both sides. */
function checkShape(rows: number[][], cols: number, a: Assignment, maxCost = Infinity) {
  const r = new Set<number>();
  const c = new Set<number>();
  for (const [i, j] of a.matches) {
    assert.ok(!r.has(i) && !c.has(j), 'each row and column used once');
    assert.ok(Number.isFinite(rows[i]![j]!) && rows[i]![j]! <= maxCost, `pair ${i},${j} respects the limit`);
    r.add(i);
    c.add(j);
  }
  assert.deepEqual([...a.unmatchedRows, ...r].sort((x, y) => x - y), [...Array(rows.length).keys()]);
  assert.deepEqual([...a.unmatchedCols, ...c].sort((x, y) => x - y), [...Array(cols).keys()]);
}

/** Every partial matching, scored the way linearAssignment promises: [pairs, cost] for no limit, Σ(c − limit) otherwise. */
function bruteBest(rows: number[][], cols: number, maxCost: number): { pairs: number; cost: number; gain: number } {
  let best = { pairs: 0, cost: 0, gain: 0 };
  const usedCol = new Array<boolean>(cols).fill(false);
  const walk = (i: number, pairs: number, cost: number, gain: number) => {
    if (i === rows.length) {
      const better = maxCost < Infinity ? gain < best.gain - 1e-9 : pairs > best.pairs || (pairs === best.pairs && cost < best.cost - 1e-9);
      if (better) best = { pairs, cost, gain };
      return;
    }
    walk(i + 1, pairs, cost, gain);
    for (let j = 0; j < cols; j++) {
      const c = rows[i]![j]!;
      if (usedCol[j] || !Number.isFinite(c) || c > maxCost) continue;
      usedCol[j] = true;
      walk(i + 1, pairs + 1, cost + c, gain + (c - maxCost));
      usedCol[j] = false;
    }
  };
  walk(0, 0, 0, 0);
  return best;
}

describe('linearAssignment', () => {
  it('finds the known optimum of a square matrix', () => {
    // Classic example: optimum 5 (0→1, 1→0, 2→2) against the greedy 0→0 start.
    const a = solve([
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ]);
    assert.deepEqual(a.matches, [
      [0, 1],
      [1, 0],
      [2, 2],
    ]);
    assert.deepEqual(a.unmatchedRows, []);
    assert.deepEqual(a.unmatchedCols, []);
  });

  it('handles wide and tall rectangles', () => {
    const wide = solve([
      [9, 1, 9, 9],
      [9, 9, 9, 2],
    ]);
    assert.deepEqual(wide.matches, [
      [0, 1],
      [1, 3],
    ]);
    assert.deepEqual(wide.unmatchedCols, [0, 2]);
    const tall = solve([[5], [1], [3]]);
    assert.deepEqual(tall.matches, [[1, 0]]);
    assert.deepEqual(tall.unmatchedRows, [0, 2]);
  });

  it('leaves pairs above the limit unassigned', () => {
    const a = solve(
      [
        [0.1, 0.95],
        [0.9, 0.99],
      ],
      0.8,
    );
    assert.deepEqual(a.matches, [[0, 0]]);
    assert.deepEqual(a.unmatchedRows, [1]);
    assert.deepEqual(a.unmatchedCols, [1]);
  });

  it('with a limit, prefers one cheap pair to two dear ones (lapjv cost_limit semantics)', () => {
    // limit 6: {0→0} gains 1−6 = −5; {0→1, 1→0} gains (5−6)+(5−6) = −2.
    const a = solve(
      [
        [1, 5],
        [5, Infinity],
      ],
      6,
    );
    assert.deepEqual(a.matches, [[0, 0]]);
    // Without a limit the most pairs win.
    assert.deepEqual(solve([
      [1, 5],
      [5, Infinity],
    ]).matches, [
      [0, 1],
      [1, 0],
    ]);
  });

  it('returns nothing when every pair is forbidden', () => {
    const a = solve(
      [
        [Infinity, NaN],
        [Infinity, Infinity],
      ],
    );
    assert.deepEqual(a, { matches: [], unmatchedRows: [0, 1], unmatchedCols: [0, 1] });
    const b = solve([[2, 3]], 1);
    assert.deepEqual(b, { matches: [], unmatchedRows: [0], unmatchedCols: [0, 1] });
  });

  it('handles empty sides', () => {
    assert.deepEqual(solve([], undefined, 3), { matches: [], unmatchedRows: [], unmatchedCols: [0, 1, 2] });
    assert.deepEqual(solve([[], []], undefined, 0), { matches: [], unmatchedRows: [0, 1], unmatchedCols: [] });
  });

  it('resolves ties to a valid optimum', () => {
    const a = solve([
      [1, 1],
      [1, 1],
    ]);
    assert.equal(a.matches.length, 2);
    checkShape(
      [
        [1, 1],
        [1, 1],
      ],
      2,
      a,
    );
  });

  it('rejects a short data array', () => {
    assert.throws(() => linearAssignment({ rows: 2, cols: 2, data: [1, 2, 3] }), /3 costs for a 2×2 matrix/);
    assert.throws(() => costMatrix([[1, 2], [3]]), /row 1 has 1 columns, expected 2/);
  });

  it('matches brute force on random small matrices, with and without a limit', () => {
    const cell = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 20 }) },
      { weight: 1, arbitrary: fc.constant(Infinity) },
    );
    const problem = fc
      .record({ r: fc.integer({ min: 0, max: 5 }), c: fc.integer({ min: 0, max: 5 }) })
      .chain(({ r, c }) =>
        fc.record({
          rows: fc.array(fc.array(cell, { minLength: c, maxLength: c }), { minLength: r, maxLength: r }),
          cols: fc.constant(c),
          maxCost: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 20 })),
        }),
      );
    fc.assert(
      fc.property(problem, ({ rows, cols, maxCost }) => {
        const a = solve(rows, maxCost, cols);
        checkShape(rows, cols, a, maxCost);
        const cost = a.matches.reduce((s, [i, j]) => s + rows[i]![j]!, 0);
        const best = bruteBest(rows, cols, maxCost);
        if (maxCost < Infinity) {
          const gain = a.matches.reduce((s, [i, j]) => s + rows[i]![j]! - maxCost, 0);
          assert.ok(Math.abs(gain - best.gain) < 1e-9, `gain ${gain} vs brute force ${best.gain}`);
        } else {
          assert.equal(a.matches.length, best.pairs);
          assert.ok(Math.abs(cost - best.cost) < 1e-9, `cost ${cost} vs brute force ${best.cost}`);
        }
      }),
      { numRuns: 400, seed: 4 },
    );
  });
});
