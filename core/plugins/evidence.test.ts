import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import jpeg from 'jpeg-js';
import { ProtocolError } from '../errors.js';
import type { StoredEvent } from '../events/model.js';
import { JpegEncoder } from '../events/snapshots.js';
import { EventStore } from '../events/store.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';
import { checkEvidence, renderEvidence } from './evidence.js';
import { PluginHost, type SnapshotEncoder } from './host.js';
import { PluginRegistry } from './registry.js';
import evidencePlugin from './testdata/evidence-plugin.js';
import { RingWriter } from './testdata/writer.js';

failOnUnhandledRejection();

const registry = PluginRegistry.of([{ definition: evidencePlugin, url: new URL('./testdata/evidence-plugin.ts', import.meta.url).href }]);
let encoder: JpegEncoder;
let dir = '';
before(async () => {
  encoder = new JpegEncoder();
  dir = await mkdtemp(join(tmpdir(), 'streamsight-evidence-'));
});
after(async () => {
  await encoder.close();
  await rm(dir, { recursive: true, force: true });
});

/** A real store, a host feeding the evidence plugin from a 64×48 gray writer at luma 128; all closed after the test. */
async function run(t: TestContext, config: Record<string, unknown>, snapshotEncoder?: SnapshotEncoder) {
  const store = await EventStore.open({ path: join(dir, t.name.replace(/\W+/g, '-')) });
  const events: StoredEvent[] = [];
  store.on('event', (e) => events.push(e));
  const host = new PluginHost({ registry, events: store, snapshotEncoder: snapshotEncoder ?? ((p, w, h) => encoder.encode(p, w, h)) });
  const writer = new RingWriter();
  writer.start(25);
  t.after(async () => {
    writer.stop();
    await host.close();
    await store.close();
  });
  host.add('cam1', 'evidence', { config }, writer);
  await waitUntil(() => events.some((e) => e.type === 'evidence.check'), 15_000, 'the check event');
  await waitUntil(() => host.stats()[0]!.events === 2, 5000, 'both events counted');
  return { store, events, stats: host.stats()[0]! };
}

/** Luma of a decoded gray JPEG at (x, y) (jpeg-js gives RGBA; gray has R = G = B). */
const lumaAt = (img: { width: number; data: Uint8Array }, x: number, y: number) => img.data[(y * img.width + x) * 4]!;

describe('evidence images through the plugin host', { timeout: 180_000 }, () => {
  it('stores each image as a JPEG of the frame size with the overlays drawn in', async (t) => {
    const { store, events } = await run(t, {});
    // Stored in emit order, after the evidence is encoded.
    assert.deepEqual(events.map((e) => e.type), ['evidence.violation', 'evidence.check']);
    const [violation, check] = events;
    assert.deepEqual(violation!.evidence?.map((e) => e.label), ['before', 'at', 'after']);
    for (const [i, entry] of violation!.evidence!.entries()) {
      const bytes = store.evidence(violation!.id, i);
      assert.ok(bytes, `image ${i}`);
      assert.equal(bytes.length, entry.bytes);
      const img = jpeg.decode(bytes, { useTArray: true });
      assert.deepEqual([img.width, img.height], [64, 48]);
      // Box [0.25, 0.25, 0.5, 0.5] is pixels 16..47 × 12..35: its 2-px outline is white on the 128 gray.
      assert.ok(lumaAt(img, 16, 28) > 200 && lumaAt(img, 47, 28) > 200 && lumaAt(img, 30, 35) > 200, `outline of image ${i}`);
      assert.ok(Math.abs(lumaAt(img, 40, 20) - 128) < 12, `inside of box of image ${i} untouched`);
      assert.ok(Math.abs(lumaAt(img, 58, 44) - 128) < 12, `corner of image ${i} untouched`);
      // The track from (6, 43) to (19, 33) passes (13, 38).
      assert.ok(lumaAt(img, 13, 38) > 180, `track of image ${i}`);
    }
    assert.equal(store.evidence(violation!.id, 3), undefined);
    // The snapshot's buffer was moved to the host (transfer), the history's own slot was copied, not taken.
    assert.deepEqual(check!.attributes, { snapshotBytes: 0, slotBytes: 64 * 48, frame: check!.attributes!.frame });
  });

  it('dates an event back to the startedAt the plugin gives, never ahead of its frame', async (t) => {
    const { events } = await run(t, { images: 1 });
    const [violation, check] = events;
    const a = violation!.attributes as { began: number; frame: number };
    assert.ok(a.began < a.frame);
    assert.equal(violation!.startedAt, a.began);
    assert.equal(check!.startedAt, (check!.attributes as { frame: number }).frame);
  });

  it('drops an event with more than 8 images, counted and warned, and keeps running', async (t) => {
    const { store, events, stats } = await run(t, { images: 9 });
    assert.deepEqual(events.map((e) => e.type), ['evidence.check']);
    assert.equal(stats.eventsDropped, 1);
    assert.equal(store.query({ type: 'evidence.violation' }).events.length, 0);
  });

  it('stores the event without an image whose encoding failed', async (t) => {
    let calls = 0;
    const { events } = await run(t, {}, (p, w, h) => (++calls === 2 ? Promise.reject(new Error('boom')) : encoder.encode(p, w, h)));
    assert.deepEqual(events[0]!.evidence?.map((e) => e.label), ['before', 'after']);
  });
});

describe('checkEvidence', () => {
  const frame = { width: 4, height: 2, format: 'gray', capturedAt: 1, pts: 0, y: new Uint8Array(8) };
  it('accepts well-formed images and returns them typed', () => {
    const out = checkEvidence([{ label: 'at', frame, boxes: [{ label: 'car', score: 1, box: [0, 0, 1, 1] }], track: [[0, 0], [1, 1]], caption: 'RED' }]);
    assert.equal(out[0]!.frame.y, frame.y);
    assert.deepEqual(out[0]!.track, [[0, 0], [1, 1]]);
  });

  it('rejects bad input naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /^invalid event: evidence must be an array$/],
      [Array(9).fill({ label: 'a', frame }), /evidence must hold at most 8 images, got 9/],
      [[{ label: '', frame }], /evidence\[0\]\.label must be a non-empty string/],
      [[{ label: 'x'.repeat(33), frame }], /evidence\[0\]\.label must be at most 32 characters/],
      [[{ label: 'a', frame: { ...frame, width: 0 } }], /evidence\[0\]\.frame\.width must be an integer/],
      [[{ label: 'a', frame: { ...frame, format: 'rgb' } }], /frame\.format must be 'gray' or 'i420'/],
      [[{ label: 'a', frame: { ...frame, y: new Uint8Array(0) } }], /frame\.y holds 0 bytes, needs 8 \(a FrameHistory\.snapshot can be emitted only once\)/],
      [[{ label: 'a', frame: { ...frame, format: 'i420' } }], /frame\.u must be a Uint8Array/],
      [[{ label: 'a', frame, boxes: [{ label: 'car', box: [0, 0, 1] }] }], /boxes\[0\]\.box must be \[x, y, w, h\]/],
      [[{ label: 'a', frame, track: [[0, Number.NaN]] }], /track\[0\]\[1\] must be a finite number/],
      [[{ label: 'a', frame, caption: 'x'.repeat(65) }], /caption must be at most 64 characters/],
    ];
    for (const [input, message] of cases) assert.throws(() => checkEvidence(input), (err: Error) => err instanceof ProtocolError && message.test(err.message), String(message));
  });
});

describe('renderEvidence', () => {
  it('draws each image on planes of its own even when two images share one frame', async () => {
    const y = new Uint8Array(16 * 16).fill(128);
    const frame = { width: 16, height: 16, format: 'gray' as const, capturedAt: 5, pts: 0, y };
    const seen: Uint8Array[] = [];
    const out = await renderEvidence(
      [{ label: 'a', frame, boxes: [{ label: 'x', score: 1, box: [0, 0, 0.5, 0.5] }] }, { label: 'b', frame }],
      async (planes) => (seen.push(planes.y.slice()), Uint8Array.of(0xff, 0xd8, 0xff, 0xd9)),
      () => assert.fail('no encode fails'),
    );
    assert.deepEqual(out.map((e) => [e.label, e.capturedAt]), [['a', 5], ['b', 5]]);
    assert.equal(seen[0]![0], 255, 'the box is drawn on image a');
    assert.ok(seen[1]!.every((v) => v === 128), 'image b has no box of image a');
  });
});
