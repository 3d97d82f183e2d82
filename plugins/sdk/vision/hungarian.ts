/**
 * Linear assignment (Kuhn–Munkres with Jonker–Volgenant style shortest augmenting paths and dual
 * potentials, O(r²·c) for r ≤ c) on a rectangular cost matrix, with a cost limit.
 *
 * With a finite `maxCost` the problem solved is the one ByteTrack hands to `lap.lapjv(cost,
 * extend_cost=True, cost_limit=maxCost)`: leaving a row or a column unassigned costs maxCost / 2, so
 * a pair (i, j) is worth taking only as far as cost[i][j] < maxCost, and the solver minimises
 *
 *     Σ over assigned pairs (cost[i][j] − maxCost)        (pairs with cost > maxCost are forbidden).
 *
 * It may therefore prefer one cheap pair to two dear ones. Without a limit every finite pair is
 * allowed and the result is the classic rectangular assignment: as many pairs as possible
 * (min(rows, cols) when all costs are finite), and the cheapest such set. Non-finite costs
 * (Infinity, NaN) always mean "forbidden".
 *
 * Reduction: rows ≤ cols (transpose otherwise); allowed pairs weigh cost − limit (≤ 0), forbidden
 * pairs weigh 0, which is what leaving the row unassigned costs. A full row → column assignment of
 * minimum weight then has the same optimum as the partial one above, and the pairs that landed on
 * forbidden cells are dropped.
 */

/** A dense row-major matrix: `data[r * cols + c]` is the cost of giving row r column c. */
export interface CostMatrix {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

/** The result of `linearAssignment`: matched pairs in row order, and what is left on each side. */
export interface Assignment {
  /** [row, col] pairs, sorted by row. */
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedCols: number[];
}

/** Builds a CostMatrix from nested arrays (`cols` is needed only when there are no rows). */
export function costMatrix(rows: readonly (readonly number[])[], cols = rows[0]?.length ?? 0): CostMatrix {
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, r) => {
    if (row.length !== cols) throw new RangeError(`costMatrix: row ${r} has ${row.length} columns, expected ${cols}`);
    data.set(row, r * cols);
  });
  return { rows: rows.length, cols, data };
}

/** Solves the assignment problem; pairs costing more than `maxCost` are never assigned. */
export function linearAssignment(cost: CostMatrix, maxCost = Infinity): Assignment {
  const { rows, cols, data } = cost;
  if (data.length < rows * cols) throw new RangeError(`linearAssignment: ${data.length} costs for a ${rows}×${cols} matrix`);
  const transposed = rows > cols;
  const n = transposed ? cols : rows; // the solver's rows: the shorter side
  const m = transposed ? rows : cols;
  const at = transposed ? (i: number, j: number) => data[j * cols + i]! : (i: number, j: number) => data[i * cols + j]!;

  // Without a limit, pick one large enough that any extra pair outweighs every cost difference
  // (2·Σ|c| + 1), so the solver first maximises the number of pairs, then minimises their cost.
  let limit = maxCost;
  if (!(limit < Infinity)) {
    let sum = 0;
    for (let k = 0; k < rows * cols; k++) if (Number.isFinite(data[k]!)) sum += Math.abs(data[k]!);
    limit = 2 * sum + 1;
  }
  const allowed = (c: number) => Number.isFinite(c) && c <= limit;
  const weight = (i: number, j: number) => {
    const c = at(i, j);
    return allowed(c) ? c - limit : 0;
  };

  // e-maxx Hungarian: 1-based, column 0 is the virtual start of each augmenting path.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const owner = new Int32Array(m + 1); // owner[j] = row holding column j (0: free)
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    owner[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = owner[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = weight(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[owner[j]!] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0]!;
      owner[j0] = owner[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }

  const rowTaken = new Uint8Array(rows);
  const colTaken = new Uint8Array(cols);
  const matches: Array<[number, number]> = [];
  for (let j = 1; j <= m; j++) {
    const i = owner[j]!;
    if (i === 0 || !allowed(at(i - 1, j - 1))) continue;
    const [r, c] = transposed ? [j - 1, i - 1] : [i - 1, j - 1];
    matches.push([r, c]);
    rowTaken[r] = 1;
    colTaken[c] = 1;
  }
  matches.sort((a, b) => a[0] - b[0]);
  const unmatchedRows: number[] = [];
  const unmatchedCols: number[] = [];
  for (let r = 0; r < rows; r++) if (!rowTaken[r]) unmatchedRows.push(r);
  for (let c = 0; c < cols; c++) if (!colTaken[c]) unmatchedCols.push(c);
  return { matches, unmatchedRows, unmatchedCols };
}
