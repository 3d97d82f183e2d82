/**
 * How plugins consume detections: any DetectionSource (the blob detector now, a neural detector
 * later) feeding a Tracker, one frame at a time. A plugin holds a TrackSource and calls
 * `await tracks.track(frame)` in onFrame; swapping the detector changes nothing in the plugin.
 */
import { InvalidStateError } from '../../../core/errors.js';
import type { Frame } from '../types.js';
import type { Track, Tracker } from './tracker.js';
import type { DetectionSource } from './types.js';

/** The tracker's clock for a frame: its capture time (epoch ms) unless the TrackSource is told otherwise. */
export const captureTimeMs = (frame: Frame): number => frame.capturedAt;

/** A DetectionSource and a Tracker run as one; it owns the source and closes it. */
export class TrackSource {
  private closedFlag = false;
  /** The previous frame's work: frames reach the tracker in call order even when detect is async. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    readonly source: DetectionSource,
    readonly tracker: Tracker,
    private readonly timeOf: (frame: Frame) => number = captureTimeMs,
  ) {}

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Detects in `frame` and updates the tracker; resolves to the live tracks. Await it inside onFrame:
   * the frame's planes are only valid until then. A failed detect rejects this call only.
   */
  track(frame: Frame): Promise<readonly Track[]> {
    const run = async (): Promise<readonly Track[]> => {
      if (this.closedFlag) throw new InvalidStateError('TrackSource is closed');
      const detections = await this.source.detect(frame);
      if (this.closedFlag) throw new InvalidStateError('TrackSource is closed');
      return this.tracker.update(detections, this.timeOf(frame));
    };
    const result = this.chain.then(run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Closes the source (once); later `track` calls reject with InvalidStateError. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.source.close?.();
  }
}
