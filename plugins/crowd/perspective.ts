/**
 * How big one standing person looks at each row of the image. The camera calibrated from the 4 ground
 * reference points (calibrateRoadCamera) projects a person's feet and head: a person whose feet are on
 * row y is h(y) pixels tall and w(y) wide, and covers about PERSON_FILL of that box. Each foreground
 * cell then stands for 1 / (person cells at the row of the feet of the person it belongs to).
 *
 * Which row is that? A cell belongs to a person whose feet are lower in the image. Within one column,
 * the foreground run a cell is in goes on down to the feet of the nearest person in it: a cell less
 * than one person height above the run's bottom belongs to that person (its feet are the run's
 * bottom). Higher up the run, behind that person, the cell belongs to someone farther away, whose
 * feet are unseen; with the cell anywhere on their body from feet to head, their feet are on average
 * half a person height below it (`footOfMid`).
 *
 * Rows are taken at the image's centre column: for a camera without roll every point of a ground row
 * is at the same depth, so a person is the same size anywhere along it.
 */
import { calibrateRoadCamera, GroundPlane, pointInPolygon, type Point, type ReferencePoint, type RoadCamera } from '../sdk/index.js';

/** A standing adult: width across the shoulders and height, metres. */
export const PERSON_WIDTH_M = 0.5;
export const PERSON_HEIGHT_M = 1.7;
/**
 * Share of a standing person's box (PERSON_WIDTH_M × PERSON_HEIGHT_M) that their silhouette fills:
 * legs apart and arms by the sides leave the corners beside the head and between the legs empty.
 * A rough figure (a torso, two legs and a head in the box): a lone person counts 1 whatever it is,
 * and for groups its error is absorbed by the fitted calibration (counter.ts CROWD_CALIBRATION).
 */
export const PERSON_FILL = 0.55;

/** The analysis grid: `step` frame pixels per cell, `width` × `height` cells (BlobDetector.gridFor). */
export interface CellGrid {
  step: number;
  width: number;
  height: number;
}

/** A standing person's size per grid row, for frames of one size; see the file comment. */
export class PersonScale {
  /** Person height, in cells, with the feet on grid row gy; 0 where no ground is seen (above the horizon). */
  readonly heightCells: Float64Array;
  /** Person width, in cells, with the feet on row gy. */
  readonly widthCells: Float64Array;
  /** 1 / the cells one person covers with the feet on row gy; 0 where no ground is seen. */
  readonly perCell: Float64Array;
  /** The row of the feet of a person whose middle is on row gy (≥ gy; the last row when off the frame). */
  readonly footOfMid: Int32Array;

  /**
   * `ground`: the reference points in the frame's pixels. Undefined when the camera cannot be
   * calibrated from them (a view straight down): sizes in perspective are then unknown.
   */
  static fromReferencePoints(ground: readonly ReferencePoint[], width: number, height: number, grid: CellGrid): PersonScale | undefined {
    const plane = GroundPlane.fromReferencePoints(ground);
    const camera = calibrateRoadCamera(plane, width, height);
    return camera ? PersonScale.fromCamera(plane, camera, width, grid) : undefined;
  }

  /** The same from a plane and the camera already calibrated on it (`width`: the frame's, pixels). */
  static fromCamera(plane: GroundPlane, camera: RoadCamera, width: number, grid: CellGrid): PersonScale {
    const gh = grid.height;
    const heightCells = new Float64Array(gh);
    const widthCells = new Float64Array(gh);
    const cx = width / 2;
    for (let gy = 0; gy < gh; gy++) {
      const g = plane.imageToGround([cx, (gy + 0.5) * grid.step]);
      if (!g) continue;
      const feet = camera.project(g[0], g[1], 0);
      const head = camera.project(g[0], g[1], PERSON_HEIGHT_M);
      const left = camera.project(g[0] - PERSON_WIDTH_M / 2, g[1], 0);
      const right = camera.project(g[0] + PERSON_WIDTH_M / 2, g[1], 0);
      if (!feet || !head || !left || !right || !(feet[1] > head[1])) continue;
      heightCells[gy] = Math.hypot(feet[0] - head[0], feet[1] - head[1]) / grid.step;
      widthCells[gy] = Math.hypot(right[0] - left[0], right[1] - left[1]) / grid.step;
    }
    return new PersonScale(heightCells, widthCells);
  }

  constructor(heightCells: Float64Array, widthCells: Float64Array) {
    const gh = heightCells.length;
    this.heightCells = heightCells;
    this.widthCells = widthCells;
    this.perCell = new Float64Array(gh);
    for (let gy = 0; gy < gh; gy++) {
      const cells = PERSON_FILL * heightCells[gy]! * widthCells[gy]!;
      // Under a cell a person is never counted more than once per cell.
      this.perCell[gy] = heightCells[gy]! > 0 ? 1 / Math.max(1, cells) : 0;
    }
    this.footOfMid = new Int32Array(gh);
    // Heights grow down the image, so the first foot row at least half a person below gy is the answer;
    // it moves down monotonically with gy.
    let f = 0;
    for (let gy = 0; gy < gh; gy++) {
      if (f < gy) f = gy;
      while (f < gh - 1 && (heightCells[f] === 0 || f - heightCells[f]! / 2 < gy)) f++;
      this.footOfMid[gy] = f;
    }
  }
}

/** Which zones (normalised polygons, at most 8) each grid cell's centre is in: bit k for zone k. */
export function zoneCells(zones: readonly (readonly Point[])[], width: number, height: number, grid: CellGrid): Uint8Array {
  const out = new Uint8Array(grid.width * grid.height);
  for (let gy = 0, i = 0; gy < grid.height; gy++) {
    for (let gx = 0; gx < grid.width; gx++, i++) {
      const p: Point = [((gx + 0.5) * grid.step) / width, ((gy + 0.5) * grid.step) / height];
      let bits = 0;
      zones.forEach((z, k) => {
        if (pointInPolygon(p, z)) bits |= 1 << k;
      });
      out[i] = bits;
    }
  }
  return out;
}
