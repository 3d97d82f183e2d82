/**
 * Connected components of a binary mask (non-zero is on), 8-connectivity, by the classic two-pass
 * algorithm with union-find (Rosenfeld & Pfaltz; the neighbour decision tree of Wu, Otoo & Suzuki,
 * "Optimizing two-pass connected-component labeling algorithms", 2009: look at N first, since it
 * touches W, NW and NE, and merge only when NE joins a W or NW run). Pass one gives provisional labels
 * and records equivalences; pass two rewrites each pixel to its final label 1..count, numbered in
 * raster order of the components' first pixels, and gathers area, bounding box and centroid.
 * All buffers are sized in the constructor: at most ceil(width/2) provisional labels start per row,
 * since a new label needs its west neighbour off.
 */

/** One component: label, pixel count, inclusive bounding box as x, y, w, h, and centroid. */
export interface Component {
  label: number;
  area: number;
  x: number;
  y: number;
  w: number;
  h: number;
  cx: number;
  cy: number;
}

/** Labels masks of one size; the results stay valid until the next `label` call. */
export class ConnectedComponents {
  readonly width: number;
  readonly height: number;
  /** Final label per pixel after `label`: 0 off, 1..count on. */
  readonly labels: Int32Array;
  /** Per final label (index 1..count): pixel count, box bounds, coordinate sums. */
  readonly area: Int32Array;
  readonly minX: Int32Array;
  readonly minY: Int32Array;
  readonly maxX: Int32Array;
  readonly maxY: Int32Array;
  readonly sumX: Float64Array;
  readonly sumY: Float64Array;
  private readonly parent: Int32Array;
  private readonly final: Int32Array;
  private n = 0;

  constructor(width: number, height: number) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new RangeError(`ConnectedComponents: bad size ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.labels = new Int32Array(width * height);
    const cap = ((width + 1) >> 1) * height + 1;
    this.parent = new Int32Array(cap);
    this.final = new Int32Array(cap);
    this.area = new Int32Array(cap);
    this.minX = new Int32Array(cap);
    this.minY = new Int32Array(cap);
    this.maxX = new Int32Array(cap);
    this.maxY = new Int32Array(cap);
    this.sumX = new Float64Array(cap);
    this.sumY = new Float64Array(cap);
  }

  /** Components found by the last `label` call. */
  get count(): number {
    return this.n;
  }

  /** Labels `mask` (width × height, row-major); returns the number of components. */
  label(mask: Uint8Array): number {
    const w = this.width;
    const h = this.height;
    if (mask.length < w * h) throw new RangeError(`ConnectedComponents: mask needs ${w * h} bytes`);
    const labels = this.labels;
    const parent = this.parent;
    let next = 1;
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        if (mask[i] === 0) {
          labels[i] = 0;
          continue;
        }
        const up = i - w;
        const n = y > 0 ? labels[up]! : 0;
        if (n !== 0) {
          labels[i] = n;
          continue;
        }
        const ne = y > 0 && x < w - 1 ? labels[up + 1]! : 0;
        const nw = y > 0 && x > 0 ? labels[up - 1]! : 0;
        const west = x > 0 ? labels[i - 1]! : 0;
        if (ne !== 0) {
          labels[i] = ne;
          if (nw !== 0) this.union(ne, nw);
          else if (west !== 0) this.union(ne, west);
        } else if (nw !== 0) {
          labels[i] = nw;
        } else if (west !== 0) {
          labels[i] = west;
        } else {
          parent[next] = next;
          labels[i] = next++;
        }
      }
    }

    // Number the roots in order of first appearance, then relabel and gather statistics.
    const final = this.final;
    let count = 0;
    for (let l = 1; l < next; l++) {
      const root = this.find(l);
      if (root === l) {
        final[l] = ++count;
        this.area[count] = 0;
        this.minX[count] = w;
        this.minY[count] = h;
        this.maxX[count] = -1;
        this.maxY[count] = -1;
        this.sumX[count] = 0;
        this.sumY[count] = 0;
      } else {
        final[l] = final[root]!;
      }
    }
    const { area, minX, minY, maxX, maxY, sumX, sumY } = this;
    for (let y = 0, i = 0; y < h; y++) {
      for (let x = 0; x < w; x++, i++) {
        const l = labels[i]!;
        if (l === 0) continue;
        const f = final[l]!;
        labels[i] = f;
        area[f]!++;
        if (x < minX[f]!) minX[f] = x;
        if (x > maxX[f]!) maxX[f] = x;
        if (y < minY[f]!) minY[f] = y;
        maxY[f] = y;
        sumX[f] = sumX[f]! + x;
        sumY[f] = sumY[f]! + y;
      }
    }
    this.n = count;
    return count;
  }

  /** Component `label` (1..count) of the last call, as an object. */
  component(label: number): Component {
    if (!(label >= 1 && label <= this.n)) throw new RangeError(`ConnectedComponents: no component ${label}`);
    const area = this.area[label]!;
    return {
      label,
      area,
      x: this.minX[label]!,
      y: this.minY[label]!,
      w: this.maxX[label]! - this.minX[label]! + 1,
      h: this.maxY[label]! - this.minY[label]! + 1,
      cx: this.sumX[label]! / area,
      cy: this.sumY[label]! / area,
    };
  }

  /** All components of the last call, in label order. */
  components(): Component[] {
    const out: Component[] = [];
    for (let l = 1; l <= this.n; l++) out.push(this.component(l));
    return out;
  }

  /** Root of a provisional label, halving the path as it goes. */
  private find(l: number): number {
    const parent = this.parent;
    while (parent[l] !== l) {
      const p = parent[parent[l]!]!;
      parent[l] = p;
      l = p;
    }
    return l;
  }

  /** Joins two sets under the smaller root, so a root is always its set's first label. */
  private union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}
