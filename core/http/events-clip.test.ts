import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventStore } from '../events/store.js';
import type { StoredEvent } from '../events/model.js';
import { createHttpApp, type HttpApp } from './app.js';
import { MemoryDetectionServer } from './testdata/memory-server.js';

/** `GET /api/events/:id/clip.mp4` with byte ranges, on the real lmdb EventStore. */
describe('evidence clips over HTTP', () => {
  const server = new MemoryDetectionServer();
  const clip = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31 + 7) & 0xff);
  let dir = '';
  let store: EventStore;
  let app: HttpApp;
  let base = '';
  let withClip: StoredEvent;
  let without: StoredEvent;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamsight-http-clip-'));
    store = await EventStore.open({ path: dir });
    server.events = store;
    const t = Date.now();
    withClip = await store.append({ camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: t });
    await store.attachClip(withClip.id, clip, { startedAt: t - 5000, endedAt: t + 5000 });
    without = await store.append({ camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: t + 1 });
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: [] });
    base = `http://127.0.0.1:${await app.listen()}`;
  });
  after(async () => {
    app?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (range?: string, id = withClip.id) => fetch(`${base}/api/events/${id}/clip.mp4`, range ? { headers: { Range: range } } : {});
  const body = async (res: Response) => new Uint8Array(await res.arrayBuffer());

  it('serves the whole clip as video/mp4, immutable, announcing byte ranges; the event lists it', async () => {
    const res = await get();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.match(res.headers.get('cache-control') ?? '', /immutable/);
    assert.deepEqual(await body(res), clip);
    const event = (await (await fetch(`${base}/api/events/${withClip.id}`)).json()) as StoredEvent;
    assert.equal(event.clip?.bytes, clip.length);
  });

  it('answers one range with 206 and Content-Range: first bytes, an open end and a suffix', async () => {
    for (const [range, start, end] of [['bytes=0-99', 0, 99], ['bytes=9000-', 9000, 9999], ['bytes=-500', 9500, 9999], ['bytes=9990-20000', 9990, 9999]] as const) {
      const res = await get(range);
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${clip.length}`, range);
      assert.equal(res.headers.get('content-length'), String(end - start + 1), range);
      assert.deepEqual(await body(res), clip.subarray(start, end + 1), range);
    }
  });

  it('answers 416 with the size for a range past the end, and the whole clip for malformed or several ranges', async () => {
    const res = await get('bytes=10000-10010');
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${clip.length}`);
    for (const range of ['bytes=abc', 'items=0-5', 'bytes=0-9,100-109']) {
      const r = await get(range);
      assert.equal(r.status, 200, range);
      assert.equal((await body(r)).length, clip.length, range);
    }
  });

  it('answers 404 for an event without a clip and an unknown event', async () => {
    const res = await get(undefined, without.id);
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: string }).error, /has no clip/);
    assert.equal((await get(undefined, '01JAAAAAAAAAAAAAAAAAAAAAAA')).status, 404);
  });
});
