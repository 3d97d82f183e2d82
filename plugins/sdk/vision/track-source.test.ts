import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidStateError } from '../../../core/errors.js';
import type { Frame } from '../types.js';
import { TrackSource } from './track-source.js';
import { Tracker } from './tracker.js';
import type { DetectionSource, ObjectDetection } from './types.js';

const frame = (seq: number, capturedAt: number, pts = 0): Frame => ({
  cameraId: 'cam',
  pts,
  capturedAt,
  seq,
  width: 640,
  height: 360,
  format: 'gray',
  y: new Uint8Array(0),
  strideY: 640,
  strideUV: 0,
});
const det = (cx: number, score = 0.9): ObjectDetection => ({ box: { x: cx - 20, y: 100, w: 40, h: 30 }, score });

/** Replays a script of detections, one entry per detect call, optionally after a delay (ms). */
class ScriptedSource implements DetectionSource {
  calls: number[] = [];
  closes = 0;
  constructor(private script: Array<{ detections: ObjectDetection[] | Error; delayMs?: number }>) {}
  async detect(f: Frame): Promise<ObjectDetection[]> {
    this.calls.push(f.seq);
    const step = this.script[f.seq]!;
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (step.detections instanceof Error) throw step.detections;
    return step.detections;
  }
  close() {
    this.closes++;
  }
}

describe('TrackSource', () => {
  it('feeds a source’s detections to the tracker with the frame’s capture time', async () => {
    const source = new ScriptedSource(Array.from({ length: 8 }, (_, i) => ({ detections: [det(100 + 10 * i)] })));
    const ts = new TrackSource(source, new Tracker());
    let tracks;
    for (let i = 0; i < 8; i++) tracks = await ts.track(frame(i, 1_700_000_000_000 + 250 * i)); // 4 fps: 40 px/s
    assert.equal(tracks!.length, 1);
    assert.equal(tracks![0]!.state, 'confirmed');
    assert.ok(Math.abs(tracks![0]!.velocity.x - 40) < 3, `vx ${tracks![0]!.velocity.x}`);
  });

  it('takes another clock when told (here the 90 kHz pts)', async () => {
    const source = new ScriptedSource(Array.from({ length: 8 }, (_, i) => ({ detections: [det(100 + 10 * i)] })));
    const ts = new TrackSource(source, new Tracker(), (f) => f.pts / 90);
    let tracks;
    for (let i = 0; i < 8; i++) tracks = await ts.track(frame(i, 0, 9000 * i)); // 100 ms apart: 100 px/s
    assert.ok(Math.abs(tracks![0]!.velocity.x - 100) < 6, `vx ${tracks![0]!.velocity.x}`);
  });

  it('updates the tracker in call order even when an earlier detect is slower', async () => {
    const source = new ScriptedSource([
      { detections: [det(100)], delayMs: 30 },
      { detections: [det(104)] },
      { detections: [det(108)], delayMs: 10 },
    ]);
    const ts = new TrackSource(source, new Tracker());
    const results = await Promise.all([0, 1, 2].map((i) => ts.track(frame(i, 200 * i))));
    assert.deepEqual(source.calls, [0, 1, 2]);
    assert.deepEqual(
      results.map((r) => r[0]!.hits),
      [3, 3, 3], // the same live track object, seen after all three updates
    );
    assert.deepEqual(
      ts.tracker.tracks[0]!.history.map((p) => p.t),
      [0, 200, 400],
    );
  });

  it('rejects only the call whose detect failed', async () => {
    const source = new ScriptedSource([{ detections: [det(100)] }, { detections: new Error('detector crashed') }, { detections: [det(104)] }]);
    const ts = new TrackSource(source, new Tracker());
    const [a, b, c] = await Promise.allSettled([0, 1, 2].map((i) => ts.track(frame(i, 200 * i))));
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'rejected');
    assert.match(String((b as PromiseRejectedResult).reason), /detector crashed/);
    assert.equal(c.status, 'fulfilled');
    assert.equal(ts.tracker.tracks[0]!.hits, 2);
  });

  it('closes its source once and refuses frames afterwards, including those already queued', async () => {
    const source = new ScriptedSource([{ detections: [det(100)], delayMs: 10 }, { detections: [det(100)] }]);
    const ts = new TrackSource(source, new Tracker());
    const first = ts.track(frame(0, 0));
    const queued = ts.track(frame(1, 200));
    await new Promise((r) => setTimeout(r, 1)); // the first detect is under way
    assert.deepEqual(source.calls, [0]);
    ts.close();
    ts.close();
    assert.equal(source.closes, 1);
    assert.ok(ts.closed);
    await assert.rejects(first, InvalidStateError); // its detect finished after close: not fed to the tracker
    await assert.rejects(queued, /TrackSource is closed/);
    await assert.rejects(ts.track(frame(2, 400)), InvalidStateError);
    assert.deepEqual(source.calls, [0]);
    assert.deepEqual(ts.tracker.tracks, []);
  });
});
