/**
 * Vehicles are not people: a car or truck passing in front of a zone is a large foreground blob, and
 * the roof of a near truck covers the zone in the image. People walk at up to about 2 m/s and run at
 * 3–6 m/s; traffic passes at 8 m/s and more. Blobs are tracked from frame to frame (the SDK's
 * Tracker), and a blob moving faster than `maxSpeedMps` is a vehicle: it is not counted, and its
 * cells are not held out of the background. Near trucks that still slip through (entering at the
 * frame's edge, where a speed is hard to measure) are what the plugin's `ignore` zones are for.
 *
 * Speed in metres: how fast the blob's bottom edge (its feet, or wheels) and the middle of its width
 * move in the image, times the metres per pixel on the ground at its foot row (PersonScale). A
 * vehicle entering at the frame's bottom edge has no bottom edge in view: its top edge is measured
 * instead, at the scale of the row it is on. A blob is a vehicle while it has moved that fast over the
 * last FAST_UPDATES frames, so one jump of a box (two groups merging) does not make one.
 */
import { Tracker, type Box, type ObjectDetection } from '../sdk/index.js';

/** Updates in a row a blob must move at vehicle speed to be one: a box that jumps once (two groups merging) is not. */
const FAST_UPDATES = 2;

/** Tracks blobs and tells which of them move at vehicle speed. */
export class FastMovers {
  readonly #tracker = new Tracker({ minHits: 1, iouBuffer: 0.25, minIou: 0.1, minIouTentative: 0.1, maxLostMs: 800 });
  /** Per live track: its last box and time, and how many updates in a row it moved at vehicle speed. */
  readonly #seen = new Map<number, { box: Box; t: number; streak: number }>();

  constructor(readonly maxSpeedMps: number) {}

  /**
   * Feeds one frame's blobs (`boxes`, pixels of a frame `height` rows tall) taken at `timeMs`;
   * `metresPerPx(row)` is the ground scale at a row. Writes into `fast[i]` whether blob i is a vehicle.
   */
  update(boxes: readonly Box[], height: number, metresPerPx: (row: number) => number, timeMs: number, fast: boolean[]): void {
    const detections: ObjectDetection[] = boxes.map((box) => ({ box, score: 1 }));
    const tracks = this.#tracker.update(detections, timeMs);
    for (const t of this.#tracker.removed) this.#seen.delete(t.id);
    fast.length = boxes.length;
    fast.fill(false);
    for (const t of tracks) {
      if (t.missed > 0) continue;
      const i = detections.findIndex((d) => d.box === t.detected);
      if (i < 0) continue;
      const box = boxes[i]!;
      const last = this.#seen.get(t.id);
      const dt = last ? (timeMs - last.t) / 1000 : 0;
      let streak = 0;
      if (last && dt > 0) {
        const bottom = box.y + box.h;
        const clipped = bottom >= height - 1;
        const dy = clipped ? box.y - last.box.y : bottom - (last.box.y + last.box.h);
        const dx = box.x + box.w / 2 - (last.box.x + last.box.w / 2);
        const mps = (Math.hypot(dx, dy) / dt) * metresPerPx(clipped ? box.y : bottom);
        streak = mps > this.maxSpeedMps ? last.streak + 1 : 0;
      }
      this.#seen.set(t.id, { box, t: timeMs, streak });
      const isFast = streak >= FAST_UPDATES;
      fast[i] = isFast;
    }
  }
}
