import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventStore } from '../events/store.js';
import type { StoredEvent } from '../events/model.js';
import { createHttpApp, type HttpApp } from './app.js';
import { FAKE_JPEG, MemoryDetectionServer } from './testdata/memory-server.js';

/** `GET /api/events/:id/evidence/:n.jpg` on the real lmdb EventStore. */
describe('evidence images over HTTP', () => {
  const server = new MemoryDetectionServer();
  const T0 = Date.UTC(2026, 3, 1);
  const images = [Uint8Array.of(...FAKE_JPEG.subarray(0, -2), 1, 0xff, 0xd9), Uint8Array.of(...FAKE_JPEG.subarray(0, -2), 2, 2, 0xff, 0xd9)];
  let dir = '';
  let store: EventStore;
  let app: HttpApp;
  let base = '';
  let withEvidence: StoredEvent;
  let without: StoredEvent;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamsight-http-evidence-'));
    store = await EventStore.open({ path: dir });
    server.events = store;
    withEvidence = await store.append({
      camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: T0,
      evidence: [{ label: 'before', capturedAt: T0 - 500, jpeg: images[0]! }, { label: 'at', capturedAt: T0, jpeg: images[1]! }],
    });
    without = await store.append({ camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: T0 + 1 });
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: [] });
    base = `http://127.0.0.1:${await app.listen()}`;
  });
  after(async () => {
    app?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(base + path);
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

  it('serves each image as image/jpeg, immutable', async () => {
    for (const [i, bytes] of images.entries()) {
      const res = await get(`/api/events/${withEvidence.id}/evidence/${i}.jpg`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      assert.match(res.headers.get('cache-control') ?? '', /immutable/);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
    }
  });

  it('lists the evidence entries in the event JSON', async () => {
    const res = await get(`/api/events/${withEvidence.id}`);
    const body = (await res.json()) as StoredEvent;
    assert.deepEqual(body.evidence, [
      { label: 'before', capturedAt: T0 - 500, bytes: images[0]!.length },
      { label: 'at', capturedAt: T0, bytes: images[1]!.length },
    ]);
    const listed = (await (await get('/api/events?type=violation')).json()) as { events: StoredEvent[] };
    assert.deepEqual(listed.events.map((e) => e.evidence?.length ?? 0), [0, 2]);
  });

  it('answers 404 for an unknown event, an index past the last image, or an event without evidence', async () => {
    const cases: Array<[string, RegExp]> = [
      [`/api/events/${withEvidence.id}/evidence/2.jpg`, /has no evidence image 2$/],
      [`/api/events/${withEvidence.id}/evidence/999999.jpg`, /has no evidence image 999999$/],
      [`/api/events/${without.id}/evidence/0.jpg`, /has no evidence image 0$/],
      ['/api/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/evidence/0.jpg', /^unknown event/],
      ['/api/events/no%20such/evidence/0.jpg', /^unknown event/],
    ];
    for (const [path, message] of cases) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.match(await errorOf(res), message, path);
    }
  });

  it('answers 400 for a malformed index', async () => {
    for (const file of ['x.jpg', '-1.jpg', '01.jpg', '1.5.jpg', '1.png', '1', '.jpg', '1234567.jpg', '%31.jpeg']) {
      const res = await get(`/api/events/${withEvidence.id}/evidence/${file}`);
      assert.equal(res.status, 400, file);
      assert.match(await errorOf(res), /^evidence: expected <index>\.jpg/, file);
    }
  });
});
