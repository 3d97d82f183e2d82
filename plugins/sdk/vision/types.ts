/**
 * Types shared by the vision toolkit (background model, blobs, tracker, geometry). The toolkit
 * works in pixels of the frame it analyses; plugins convert to the SDK's normalised coordinates
 * (plugins/sdk/types.ts) only where they report or compare with configured geometry.
 */
import type { Frame } from '../types.js';

/** An axis-aligned box in pixels: top-left corner, width and height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One object found in one frame, as the tracker takes it. */
export interface ObjectDetection {
  box: Box;
  /** Confidence 0..1. The tracker's second pass uses the low-confidence ones (ByteTrack). */
  score: number;
  /** Class when the source knows it ('car', 'motorbike', 'person', ...); blobs leave it out. */
  label?: string;
}

/**
 * Where a tracker's detections come from: the blob detector now, a neural detector later. A plugin
 * holds a DetectionSource and never depends on which one it is.
 */
export interface DetectionSource {
  detect(frame: Frame): ObjectDetection[] | Promise<ObjectDetection[]>;
  close?(): void;
}

/** The host's detector for this plugin instance; see setHostDetectionSource. */
let hostSource: DetectionSource | undefined;

/**
 * Sets the detector the host runs for this plugin instance's camera: a neural model configured under
 * the server's `detector:` (core/plugins/worker.ts sets it before the plugin's create()). Trackers
 * and counters built without a `source` of their own use it instead of the blob detector, so that
 * no plugin changes its code to get model classes. Each plugin instance runs in its own worker
 * thread, so this is per instance. The host owns it: it has no `close` for a tracker to call.
 */
export function setHostDetectionSource(source: DetectionSource | undefined): void {
  hostSource = source && { detect: (frame) => source.detect(frame) };
}

/** The host's detector for this plugin instance, if it set one (setHostDetectionSource). */
export function hostDetectionSource(): DetectionSource | undefined {
  return hostSource;
}
