/**
 * The lane plugin's detection source: the blob detector with the foreground cut along the borders
 * of the lanes (VehicleTracker's `splitBy`: vehicles side by side in two lanes stay two), except that
 * a vehicle changing lanes, which the cut slices in two, is joined again. Without the join its track
 * would end at the lane line and a new one start beyond it, just where the solid-line and wrong-way
 * rules need to follow it across.
 *
 * Join test: two blobs side by side across a cut (touching sideways, overlapping in height, their
 * bottoms on about the same image row) whose union is no wider on the ground, across its bottom edge,
 * than one vehicle's box can be (JOIN_WIDTH_M). Two vehicles in two lanes are at least a lane width
 * plus a vehicle width apart at their outer edges.
 *
 * The background is held under moving tracked vehicles, as VehicleTracker does for the detector it
 * builds itself (it cannot for a source it is given).
 */
import { BlobDetector, laneCuts, markBox, pointToPixels, VEHICLE_BLOBS, type Box, type DetectionSource, type Frame, type GroundPlane, type ObjectDetection, type Point, type Vehicle } from '../sdk/index.js';

/**
 * Widest a single vehicle's box measures across its bottom, metres: a car's box takes in its side
 * face off the camera's axis (about 3 m for a 1.8 m car two lanes off the axis near the camera);
 * two vehicles in neighbouring 3.5 m lanes measure at least 4 m.
 */
const JOIN_WIDTH_M = 3.2;

/** Blob detector with lane cuts, joined straddlers and a hold under moving vehicles; see the file comment. */
export class LaneBlobSource implements DetectionSource {
  readonly blobs = new BlobDetector(VEHICLE_BLOBS);
  readonly #travelled = new Map<number, number>();
  #size = '';
  #grid = { step: 2, width: 0, height: 0 };

  /**
   * `lanes`: normalised polygons to cut between; `plane`: the ground plane in normalised image units;
   * `minArea`: smallest blob as a share of the frame.
   */
  constructor(private readonly lanes: Point[][], private readonly plane: GroundPlane, private readonly minArea: number) {}

  detect(frame: Frame): ObjectDetection[] {
    const { width, height } = frame;
    if (this.#size !== `${width}x${height}`) {
      this.#size = `${width}x${height}`;
      this.#grid = this.blobs.gridFor(width, height);
      this.blobs.cuts = laneCuts(this.lanes.map((poly) => poly.map((p) => pointToPixels(p, width, height))), this.#grid);
      this.blobs.hold = new Uint8Array(this.#grid.width * this.#grid.height);
      this.blobs.minArea = Math.max(16, this.minArea * width * height);
    }
    return this.#join(this.blobs.detect(frame), width, height);
  }

  /** Holds the background, in the next detect, under confirmed vehicles that have moved half their box height. */
  hold(vehicles: readonly Vehicle[], removed: readonly number[]): void {
    for (const id of removed) this.#travelled.delete(id);
    const hold = this.blobs.hold;
    if (!hold) return;
    hold.fill(0);
    for (const v of vehicles) {
      const first = v.history[0]?.foot ?? v.foot;
      const moved = Math.max(this.#travelled.get(v.id) ?? 0, Math.hypot(v.foot[0] - first[0], v.foot[1] - first[1]));
      this.#travelled.set(v.id, moved);
      // A blob that never moved is a ghost (where a parked vehicle left): the background takes it back.
      if (!v.confirmed || moved < v.box.h / 2) continue;
      markBox(hold, this.#grid, v.box);
    }
  }

  close(): void {
    this.blobs.close();
  }

  /** Joins pairs that are one vehicle across a cut, until none is left. */
  #join(dets: ObjectDetection[], width: number, height: number): ObjectDetection[] {
    if (!this.blobs.cuts) return dets;
    const gap = 3 * this.#grid.step;
    for (let joined = true; joined;) {
      joined = false;
      for (let i = 0; i < dets.length && !joined; i++) {
        for (let j = i + 1; j < dets.length && !joined; j++) {
          const a = dets[i]!.box;
          const b = dets[j]!.box;
          if (!this.#oneVehicle(a, b, gap, width, height)) continue;
          const u = union(a, b);
          const score = Math.min(1, (dets[i]!.score * a.w * a.h + dets[j]!.score * b.w * b.h) / (u.w * u.h));
          dets[i] = { box: u, score };
          dets.splice(j, 1);
          joined = true;
        }
      }
    }
    return dets;
  }

  #oneVehicle(a: Box, b: Box, gap: number, width: number, height: number): boolean {
    const sideGap = Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w);
    const overlap = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    const tall = Math.max(a.h, b.h);
    if (sideGap > gap || overlap < 0.5 * Math.min(a.h, b.h) || Math.abs(a.y + a.h - (b.y + b.h)) > 0.25 * tall + gap) return false;
    const u = union(a, b);
    const bottom = (u.y + u.h) / height;
    const wide = this.plane.metresBetween([u.x / width, bottom], [(u.x + u.w) / width, bottom]);
    return wide !== null && wide <= JOIN_WIDTH_M;
  }
}

function union(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
