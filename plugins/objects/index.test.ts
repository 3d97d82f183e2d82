import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import type { Frame, ObservedObject, Point } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import objects from './index.js';

/** A 320×180 grey textured yard (no ground reference points: kinds from the blob's shape). */
const [W, H] = [320, 180];

/** A blob to draw: its box in pixels at frame i (undefined: not there). */
type Blob = (i: number) => { x: number; y: number; w: number; h: number } | undefined;

/** Frame i at 5 fps with the blobs drawn bright on the texture; one buffer, redrawn per frame. */
function frames(): (i: number, blobs: Blob[]) => Frame {
  const y = new Uint8Array(W * H);
  const uv = new Uint8Array((W / 2) * (H / 2)).fill(128);
  return (i, blobs) => {
    for (let k = 0; k < y.length; k++) y[k] = 90 + ((k * 2654435761) >>> 29);
    for (const blob of blobs) {
      const b = blob(i);
      if (b) for (let r = b.y; r < b.y + b.h; r++) y.fill(200, r * W + b.x, r * W + b.x + b.w);
    }
    return { cameraId: 'yard', pts: i, capturedAt: 1_000_000 + i * 200, seq: i, width: W, height: H, format: 'i420', y, u: uv, v: uv, strideY: W, strideUV: W / 2 };
  };
}

/** Runs the plugin over `n` frames (the first 20 empty, for the background) and returns what it observed, closing it at the end. */
async function play(config: Record<string, unknown>, blobs: Blob[], n: number, zones: Record<string, Point[]> = {}): Promise<ObservedObject[]> {
  const seen: ObservedObject[] = [];
  const plugin = await objects.create(testContext(objects, config, {
    cameraId: 'yard', geometry: { zones },
    onEvent: () => assert.fail('object statistics raise no events'), onCount: () => assert.fail('nor count crossings'), onObserve: (o) => seen.push(o),
  }));
  const frame = frames();
  for (let i = 0; i < n; i++) await plugin.onFrame(frame(i, i < 20 ? [] : blobs));
  plugin.close?.();
  return seen;
}

/** A person-shaped blob (12 × 34 px) walking right 3 px a frame along row `top`, from x0, from frame `from`. */
const walker = (x0: number, top: number, from = 20): Blob => (i) => (i >= from && x0 + (i - from) * 3 + 12 < W ? { x: x0 + (i - from) * 3, y: top, w: 12, h: 34 } : undefined);
/** A vehicle-shaped blob (60 × 24 px) driving left 5 px a frame. */
const car = (x0: number, top: number, from = 20): Blob => (i) => (i >= from && x0 - (i - from) * 5 > 0 ? { x: x0 - (i - from) * 5, y: top, w: 60, h: 24 } : undefined);

describe('objects plugin', () => {
  it('counts a person walking through and a vehicle driving through, once each, when first seen', async () => {
    const seen = await play({}, [walker(10, 40), car(250, 120)], 90);
    assert.deepEqual(seen.map((o) => o.cls).sort(), ['person', 'vehicle']);
    for (const o of seen) {
      assert.ok(o.at! >= 1_000_000 + 20 * 200 && o.at! <= 1_000_000 + 26 * 200, `${o.cls} seen at frame ${(o.at! - 1_000_000) / 200}, soon after it appeared`);
      assert.equal(typeof o.trackId, 'number');
    }
  });

  it('counts nothing on frames where nothing moves, nor a blob seen for less than minSeenS', async () => {
    assert.deepEqual(await play({}, [], 60), []);
    // A flash of 3 frames (0.6 s), as a reflection would make.
    assert.deepEqual(await play({}, [(i) => (i >= 30 && i < 33 ? { x: 100, y: 60, w: 12, h: 34 } : undefined)], 60), []);
  });

  it('counts only in the configured zones', async () => {
    // The left half of the frame; the person walks in the right half all along, the car passes through both.
    const left: Point[] = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]];
    const seen = await play({ zones: ['left'] }, [walker(170, 40), car(300, 120)], 80, { left });
    assert.deepEqual(seen.map((o) => o.cls), ['vehicle']);
  });

  it('refuses bad config with the path and a clear message', async () => {
    const create = (config: Record<string, unknown>, zones: Record<string, Point[]> = {}) =>
      objects.create(testContext(objects, config, { cameraId: 'park1', geometry: { zones } }));
    assert.throws(() => create({ zones: ['gate'] }, { lawn: [[0, 0], [1, 0], [1, 1]] }), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.park1.plugins.objects.config.zones[0]: names zone 'gate', which is not among the zones (lawn)");
    const bad = (config: Record<string, unknown>) => objects.configSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(bad({ settleS: -1 }), ['settleS: Too small: expected number to be >=0']);
    assert.deepEqual(bad({ minSeen: 1 }), [': Unrecognized key: "minSeen"']);
    assert.match(bad({ sizes: { person: { minHeightM: 2, maxHeightM: 1 } } })![0]!, /^sizes\.person: min must not exceed max/);
  });
});
