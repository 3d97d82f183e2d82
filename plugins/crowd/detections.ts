/**
 * The seam for a neural person detector: when one is configured, people are counted as its 'person'
 * detections instead of by foreground area. Each detection is counted in the zones its foot point
 * (the middle of its box's bottom edge, where the person stands) falls in, as the blob path counts
 * a person by the zone under their feet.
 */
import { bottomCentre, pointInPolygon, type ObjectDetection, type Point } from '../sdk/index.js';

/** The label a detector gives people. */
export const PERSON_LABEL = 'person';

/**
 * People per zone among `detections` (boxes in pixels of a `width` × `height` frame): those labelled
 * `label` with a score of at least `minScore`, each counted in every zone (normalised polygons) that
 * holds its foot point. Returns one count per zone, in the order given.
 */
export function countDetectionsInZones(
  detections: readonly ObjectDetection[], zones: readonly (readonly Point[])[], width: number, height: number, minScore = 0.3, label = PERSON_LABEL,
): number[] {
  const counts = zones.map(() => 0);
  for (const d of detections) {
    if (d.label !== label || d.score < minScore) continue;
    const [x, y] = bottomCentre(d.box);
    const foot: Point = [x / width, y / height];
    zones.forEach((z, k) => {
      if (pointInPolygon(foot, z)) counts[k]!++;
    });
  }
  return counts;
}
