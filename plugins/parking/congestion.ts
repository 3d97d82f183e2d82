/**
 * Lane occupancy and congestion. Occupancy is the share of a lane's road surface that is covered,
 * in the image, by foreground or by a tracked vehicle's box. Each grid cell of the lane polygon
 * counts with the ground area it sees (from the homography), so a metre of lane far away weighs as
 * much as a metre near the camera: without that, the near end (most of the polygon's pixels) would
 * decide alone, and a queue growing back from a far stop line would hardly register until it
 * reached the camera.
 *
 * Congestion follows the per-second occupancy averaged over `windowS`: it starts once that average
 * reached `occupancy` and has not dropped below `clearOccupancy` for `minDurationS` (a red phase
 * fills a lane for less than a minute; a jam does not clear), and clears when the average drops
 * below `clearOccupancy` (the gap between the two is the hysteresis).
 */
import type { Box, GroundPlane, Point } from '../sdk/index.js';
import { pointInPolygon } from '../sdk/index.js';

/** The detector's cell grid: cell (gx, gy) is pixel (gx·step, gy·step). */
export interface CellGrid {
  step: number;
  width: number;
  height: number;
}

interface LaneCells {
  name: string;
  cells: Int32Array;
  weights: Float32Array;
  total: number;
}

/** Ground-weighted occupancy of some lane polygons; buffers are allocated once. */
export class LaneOccupancy {
  readonly #grid: CellGrid;
  readonly #lanes: LaneCells[];
  /** Cells inside a vehicle box this frame (reused). */
  readonly #boxMask: Uint8Array;

  /** `lanes`: name and pixel polygon; cells whose ground the plane cannot place are left out. */
  constructor(lanes: readonly { name: string; polygon: readonly Point[] }[], plane: GroundPlane, grid: CellGrid) {
    this.#grid = grid;
    this.#boxMask = new Uint8Array(grid.width * grid.height);
    const half = grid.step / 2;
    this.#lanes = lanes.map(({ name, polygon }) => {
      const cells: number[] = [];
      const weights: number[] = [];
      for (let gy = 0; gy < grid.height; gy++) {
        for (let gx = 0; gx < grid.width; gx++) {
          const x = gx * grid.step;
          const y = gy * grid.step;
          if (!pointInPolygon([x, y], polygon)) continue;
          // Ground area under the cell: its width times its depth in metres.
          const across = plane.metresBetween([x - half, y], [x + half, y]);
          const along = plane.metresBetween([x, y - half], [x, y + half]);
          if (across === null || along === null || !Number.isFinite(across * along)) continue;
          cells.push(gy * grid.width + gx);
          weights.push(across * along);
        }
      }
      return { name, cells: Int32Array.from(cells), weights: Float32Array.from(weights), total: weights.reduce((a, b) => a + b, 0) };
    });
  }

  /** Lane names, in the order `measure` reports them. */
  get names(): string[] {
    return this.#lanes.map((l) => l.name);
  }

  /** Occupancy 0..1 of each lane now, from the foreground (non-zero = covered; optional) and vehicle boxes (pixels). */
  measure(foreground: Uint8Array | undefined, boxes: readonly Box[], out: Float64Array = new Float64Array(this.#lanes.length)): Float64Array {
    const { step, width: gw, height: gh } = this.#grid;
    const mask = this.#boxMask;
    mask.fill(0);
    for (const b of boxes) {
      const x0 = Math.max(0, Math.ceil(b.x / step));
      const x1 = Math.min(gw - 1, Math.floor((b.x + b.w) / step));
      const y0 = Math.max(0, Math.ceil(b.y / step));
      const y1 = Math.min(gh - 1, Math.floor((b.y + b.h) / step));
      if (x1 >= x0) for (let gy = y0; gy <= y1; gy++) mask.fill(1, gy * gw + x0, gy * gw + x1 + 1);
    }
    const fg = foreground && foreground.length === mask.length ? foreground : undefined;
    this.#lanes.forEach((lane, k) => {
      let covered = 0;
      const { cells, weights } = lane;
      for (let i = 0; i < cells.length; i++) {
        const c = cells[i]!;
        if (mask[c] !== 0 || (fg !== undefined && fg[c] !== 0)) covered += weights[i]!;
      }
      out[k] = lane.total > 0 ? covered / lane.total : 0;
    });
    return out;
  }
}

/** Congestion thresholds; see the file comment. */
export interface CongestionOptions {
  occupancy: number;
  clearOccupancy: number;
  windowS: number;
  minDurationS: number;
}

/** A change of a lane's congestion state, at `atMs`. */
export interface CongestionChange {
  type: 'congestion' | 'congestion-cleared';
  atMs: number;
  /** Window average occupancy when it changed. */
  occupancy: number;
  /** Since the average first reached the threshold. */
  durationS: number;
  /** When the average first reached the threshold (the congestion's start). */
  sinceMs: number;
}

/** One lane's congestion state from its occupancy samples; see the file comment. */
export class CongestionMonitor {
  readonly #o: CongestionOptions;
  /** Per-second means, the last windowS of them (ring). */
  readonly #seconds: Float64Array;
  #filled = 0;
  #next = 0;
  #second: number | undefined;
  #sum = 0;
  #count = 0;
  #since: number | undefined;
  #active = false;
  /** The last window average (undefined until the window has filled). */
  average: number | undefined;

  constructor(o: CongestionOptions) {
    this.#o = o;
    this.#seconds = new Float64Array(Math.max(1, Math.round(o.windowS)));
  }

  /** Whether the lane is congested now. */
  get active(): boolean {
    return this.#active;
  }

  /** Adds one occupancy sample taken at `atMs`; returns a change when one happened. */
  push(atMs: number, occupancy: number): CongestionChange | undefined {
    const second = Math.floor(atMs / 1000);
    let change: CongestionChange | undefined;
    if (this.#second !== undefined && second !== this.#second && this.#count > 0) {
      // The first sample of a new second closes the previous one: decide on the window now.
      this.#seconds[this.#next] = this.#sum / this.#count;
      this.#next = (this.#next + 1) % this.#seconds.length;
      this.#filled = Math.min(this.#filled + 1, this.#seconds.length);
      this.#sum = 0;
      this.#count = 0;
      if (this.#filled === this.#seconds.length) change = this.#decide(atMs);
    }
    this.#second = second;
    this.#sum += occupancy;
    this.#count++;
    return change;
  }

  #decide(atMs: number): CongestionChange | undefined {
    let sum = 0;
    for (let i = 0; i < this.#seconds.length; i++) sum += this.#seconds[i]!;
    const avg = sum / this.#seconds.length;
    this.average = avg;
    const o = this.#o;
    if (this.#since === undefined) {
      if (avg >= o.occupancy) this.#since = atMs;
    } else if (avg < o.clearOccupancy) {
      const since = this.#since;
      const was = this.#active;
      this.#since = undefined;
      this.#active = false;
      if (was) return { type: 'congestion-cleared', atMs, occupancy: avg, durationS: (atMs - since) / 1000, sinceMs: since };
      return undefined;
    }
    if (this.#since !== undefined && !this.#active && atMs - this.#since >= o.minDurationS * 1000) {
      this.#active = true;
      return { type: 'congestion', atMs, occupancy: avg, durationS: (atMs - this.#since) / 1000, sinceMs: this.#since };
    }
    return undefined;
  }
}
