/**
 * The vision toolkit plugins build on: pure TypeScript over the frame's planes, no OpenCV.
 * A background model with shadow suppression, morphology, connected components and a blob
 * detector; geometry and homography for configured zones, lines and ground distances; a
 * multi-object tracker (Kalman + Hungarian, ByteTrack's two passes) fed by any DetectionSource.
 */
export * from './background.js';
export * from './blobs.js';
export * from './components.js';
export * from './morphology.js';
export * from './geometry.js';
export * from './homography.js';
export * from './hungarian.js';
export * from './kalman.js';
export * from './tracker.js';
export * from './track-source.js';
export type * from './types.js';
export { hostDetectionSource, setHostDetectionSource } from './types.js';
export * from './road.js';
export * from './vehicles.js';
export * from './calibration.js';
export * from './stitch.js';
export * from './objects.js';
