import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import motion from './index.js';

function frame(seq: number, luma: (x: number, y: number) => number): Frame {
  const width = 64;
  const height = 48;
  const y = new Uint8Array(width * height);
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) y[r * width + c] = luma(c, r);
  return { cameraId: 'cam', pts: seq * 3600, capturedAt: Date.now(), seq, width, height, format: 'gray', y, strideY: width, strideUV: 0 };
}

describe('motion plugin', () => {
  it('emits motion.start after minFrames of change and motion.end when the scene is still', async () => {
    const ctx = testContext(motion, { minFrames: 2 });
    const { events } = ctx;
    const instance = await motion.create(ctx);
    const still = (x: number) => (x < 32 ? 40 : 200);
    let seq = 0;
    for (let i = 0; i < 3; i++) await instance.onFrame(frame(seq++, still));
    assert.equal(events.length, 0, 'a still scene raises nothing');
    // A bright square moving 8 px per frame.
    for (let i = 0; i < 3; i++) {
      const at = i * 8;
      await instance.onFrame(frame(seq++, (x, y) => (x >= at && x < at + 24 && y < 24 ? 255 : still(x))));
    }
    assert.deepEqual(events.map((e) => e.type), ['motion.start']);
    assert.equal(events[0]!.snapshot, true);
    for (let i = 0; i < 2; i++) await instance.onFrame(frame(seq++, still));
    assert.deepEqual(events.map((e) => e.type), ['motion.start', 'motion.end']);
  });

  it('rejects a config outside its schema', () => {
    assert.throws(() => motion.configSchema.parse({ threshold: 2 }));
  });
});
