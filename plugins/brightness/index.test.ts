import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame, Geometry } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import brightness from './index.js';

const W = 64;
const H = 48;

/** A gray frame whose left half has luma `left` and right half `right`. */
function frame(left: number, right = left): Frame {
  const y = new Uint8Array(W * H);
  for (let r = 0; r < H; r++) {
    y.fill(left, r * W, r * W + W / 2);
    y.fill(right, r * W + W / 2, r * W + W);
  }
  return { cameraId: 'c', pts: 0, capturedAt: 0, seq: 1, width: W, height: H, format: 'gray', y, strideY: W, strideUV: 0 };
}

async function run(config: unknown, geometry?: Geometry) {
  const ctx = testContext(brightness, config, { cameraId: 'c', geometry });
  const inst = await brightness.create(ctx);
  return { events: ctx.events, feed: (f: Frame) => inst.onFrame(f) };
}

describe('brightness plugin', () => {
  it('emits scene.dark once, with a snapshot, and only leaves dark past the hysteresis', async () => {
    const { events, feed } = await run({ darkBelow: 40, brightAbove: 200, hysteresis: 10 });
    feed(frame(128));
    assert.equal(events.length, 0);
    feed(frame(20));
    feed(frame(20));
    assert.deepEqual(events, [
      { type: 'scene.dark', severity: 'info', attributes: { luma: 20, threshold: 40 }, snapshot: true },
    ]);
    feed(frame(45)); // above 40 but not above 50: still dark
    feed(frame(30));
    assert.equal(events.length, 1);
    feed(frame(60)); // lit again
    feed(frame(30));
    assert.equal(events.length, 2);
    feed(frame(255));
    assert.equal(events[2]!.type, 'scene.bright');
  });

  it('tracks each zone on its own', async () => {
    const zones = { left: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], right: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] } as Geometry['zones'];
    const { events, feed } = await run({}, { zones, lines: {} });
    feed(frame(10, 128));
    assert.deepEqual(events.map((e) => [e.type, e.zone, e.attributes?.luma]), [['scene.dark', 'left', 10]]);
    feed(frame(10, 250));
    assert.deepEqual(events.map((e) => [e.type, e.zone]), [['scene.dark', 'left'], ['scene.bright', 'right']]);
  });

  it('validates its config', () => {
    assert.deepEqual(brightness.configSchema.parse({}), { darkBelow: 40, brightAbove: 200, hysteresis: 8 });
    assert.equal(brightness.configSchema.safeParse({ darkBelow: 100, brightAbove: 90 }).success, false);
    assert.equal(brightness.configSchema.safeParse({ extra: 1 }).success, false);
  });
});
