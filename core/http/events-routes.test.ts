import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EventStore } from '../events/store.js';
import type { PluginHost } from '../plugins/host.js';
import { createHttpApp, type HttpApp } from './app.js';
import { FAKE_JPEG, MemoryDetectionServer } from './testdata/memory-server.js';
import type { EventStoreLike, PluginHostLike, StoredEventLike } from './types.js';

/** Compile-time (tsc): the real store and plugin host fit what the routes call. */
export const realPartsFit = (store: EventStore, host: PluginHost): [EventStoreLike, PluginHostLike] => [store, host];

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('detection API routes', () => {
  const server = new MemoryDetectionServer();
  const store = server.memoryStore;
  const all: StoredEventLike[] = [];
  let app: HttpApp;
  let base = '';

  before(async () => {
    // 30 events a minute apart over two cameras, two plugins and three types; every third has a snapshot.
    for (let i = 0; i < 30; i++) {
      all.push(store.add({
        camera: i % 2 ? 'yard' : 'gate1',
        plugin: i % 3 ? 'brightness' : 'intrusion',
        type: ['dark', 'bright', 'zone.enter'][i % 3]!,
        severity: 'info',
        startedAt: T0 + i * 60_000,
      }, i % 3 === 0 ? FAKE_JPEG : undefined));
    }
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: ['https://integrator.example'] });
    base = `http://127.0.0.1:${await app.listen()}`;
  });
  after(() => app.close());

  const get = (path: string, init?: RequestInit) => fetch(base + path, init);
  const page = async (path: string) => {
    const res = await get(path);
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as { events: StoredEventLike[]; next: string | null };
  };
  const ids = (events: StoredEventLike[]) => events.map((e) => e.id);
  const newestFirst = (events: StoredEventLike[]) => [...events].sort((a, b) => (a.id < b.id ? 1 : -1));

  it('lists events newest first with a default page, filters combine', async () => {
    const first = await page('/api/events');
    assert.deepEqual(ids(first.events), ids(newestFirst(all)));
    assert.equal(first.next, null);
    const yardDark = await page('/api/events?camera=yard&type=dark');
    assert.deepEqual(ids(yardDark.events), ids(newestFirst(all.filter((e) => e.camera === 'yard' && e.type === 'dark'))));
    assert.ok(yardDark.events.length > 0);
    const intrusion = await page('/api/events?plugin=intrusion&type=dark');
    assert.deepEqual(ids(intrusion.events), ids(newestFirst(all.filter((e) => e.plugin === 'intrusion'))));
    assert.deepEqual((await page('/api/events?camera=nobody')).events, []);
  });

  it('filters by time given as ISO 8601 (any zone) or epoch ms, both ends inclusive', async () => {
    const from = T0 + 5 * 60_000;
    const to = T0 + 9 * 60_000;
    const want = ids(newestFirst(all.filter((e) => e.startedAt >= from && e.startedAt <= to)));
    assert.equal(want.length, 5);
    assert.deepEqual(ids((await page(`/api/events?from=${from}&to=${to}`)).events), want);
    assert.deepEqual(ids((await page('/api/events?from=2026-01-15T12:05:00Z&to=2026-01-15T12:09:00.000Z')).events), want);
    // 13:05+01:00 is 12:05Z; '+' must travel as %2B.
    assert.deepEqual(ids((await page('/api/events?from=2026-01-15T13:05:00%2B01:00&to=2026-01-15T07:09-05:00')).events), want);
  });

  it('pages with the opaque cursor until next is null, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/events?camera=gate1&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const p = await page(q);
      assert.ok(p.events.length <= 4);
      seen.push(...ids(p.events));
      cursor = p.next;
      pages++;
      assert.ok(pages < 10, 'paging does not end');
    } while (cursor);
    assert.equal(pages, 4); // 15 events, 4 per page
    assert.deepEqual(seen, ids(newestFirst(all.filter((e) => e.camera === 'gate1'))));
    const last = await page('/api/events?limit=500');
    assert.equal(last.events.length, 30);
  });

  it('passes on short pages whose next continues a bounded scan', async () => {
    store.maxScan = 4;
    try {
      const seen: string[] = [];
      let cursor: string | null = null;
      let short = 0;
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 40, 'paging does not end');
        const p: { events: StoredEventLike[]; next: string | null } =
          await page(`/api/events?type=bright&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...ids(p.events));
        if (p.events.length < 5 && p.next) short++;
        cursor = p.next;
        if (!cursor) break;
      }
      assert.ok(short > 0, 'the store cut some pages short');
      assert.deepEqual(seen, ids(newestFirst(all.filter((e) => e.type === 'bright'))));
    } finally {
      store.maxScan = 10_000;
    }
  });

  it('answers 400 naming the cursor for one the store did not issue', async () => {
    const res = await get(`/api/events?cursor=${Buffer.from('not-an-id').toString('base64url')}`);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /^cursor: not one this server issued/);
  });

  it('answers 400 naming the parameter for every bad value', async () => {
    const cases: Array<[string, RegExp]> = [
      ['from=yesterday', /^from: expected an ISO 8601 time or epoch milliseconds$/],
      ['to=2026-02-30T00:00:00Z', /^to: expected an ISO 8601 time/],
      ['to=2026-01-01T24:00:00Z', /^to: expected an ISO 8601 time/],
      ['from=2026-01-15T12:00:00', /^from: expected an ISO 8601 time/], // no zone: ambiguous
      ['from=2026-01-15T13:05:00+01:00', /^from: expected .*encode '\+' as %2B/],
      ['from=-5', /^from: expected/],
      ['from=1.5', /^from: expected/],
      ['from=', /^from: expected/],
      [`from=${T0 + 1}&to=${T0}`, /^from: later than to$/],
      ['limit=0', /^limit: expected an integer from 1 to 500$/],
      ['limit=501', /^limit: expected an integer from 1 to 500$/],
      ['limit=ten', /^limit: expected an integer/],
      ['limit=2.5', /^limit: expected an integer/],
      ['camera=Gate1', /^camera: expected an id/],
      ['camera=', /^camera: expected an id/],
      ['plugin=a%20b', /^plugin: expected an id/],
      [`type=${'x'.repeat(129)}`, /^type: expected an id/],
      ['cursor=a%20b', /^cursor: malformed/],
      ['cursor=', /^cursor: malformed/],
      ['camera=gate1&camera=yard', /^camera: given more than once$/],
      ['camrea=gate1', /^camrea: unknown parameter \(expected one of camera, plugin, type, from, to, cursor, limit\)$/],
      ['limit=5&LIMIT=5', /^LIMIT: unknown parameter/],
      ['camera=%E0%A4%A', /^camera: malformed percent-encoding$/],
    ];
    for (const [query, message] of cases) {
      const res = await get(`/api/events?${query}`);
      assert.equal(res.status, 400, query);
      const body = (await res.json()) as { error: string };
      assert.match(body.error, message, query);
    }
  });

  it('shows one event, 404 for an unknown or impossible id', async () => {
    const res = await get(`/api/events/${all[7]!.id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), all[7]);
    const missing = await get('/api/events/0000000000-zzzzzz');
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /unknown event '0000000000-zzzzzz'/);
    assert.equal((await get(`/api/events/${'a'.repeat(300)}`)).status, 404);
    assert.equal((await get('/api/events/a%20b')).status, 404);
  });

  it('serves an event snapshot as image/jpeg, 404 when the event has none or is unknown', async () => {
    const res = await get(`/api/events/${all[3]!.id}/snapshot.jpg`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), FAKE_JPEG);
    const none = await get(`/api/events/${all[4]!.id}/snapshot.jpg`);
    assert.equal(none.status, 404);
    assert.match(((await none.json()) as { error: string }).error, /has no snapshot/);
    assert.equal((await get('/api/events/nope/snapshot.jpg')).status, 404);
  });

  it('serves a camera snapshot: JPEG, 404 unknown camera, 503 before the first decoded frame', async () => {
    const res = await get('/api/cameras/gate1/snapshot.jpg');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), FAKE_JPEG);
    assert.equal((await get('/api/cameras/nope/snapshot.jpg')).status, 404);
    const early = await get('/api/cameras/yard/snapshot.jpg');
    assert.equal(early.status, 503);
    assert.equal(early.headers.get('retry-after'), '1');
    assert.match(((await early.json()) as { error: string }).error, /no decoded frame yet/);
  });

  it('lists plugin stats (empty without plugins)', async () => {
    assert.deepEqual(await (await get('/api/plugins')).json(), []);
    // No neural detector configured: nothing to show.
    assert.equal((await get('/api/detector')).status, 404);
    server.pluginStats = [
      { camera: 'gate1', plugin: 'brightness', fps: 2, p50: 3.1, p95: 7.5, p99: 9, budgetMs: 50, misses: 0, skipped: 4, restarts: 0, state: 'running' },
    ];
    const res = await get('/api/plugins');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), server.pluginStats);
    server.pluginStats = [];
  });

  it('answers 503 while the event store is not open, but still 400 for a bad query', async () => {
    const saved = server.events;
    server.events = undefined;
    try {
      const res = await get('/api/events');
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { error: string }).error, /event store is not open/);
      assert.equal((await get(`/api/events/${all[0]!.id}`)).status, 503);
      assert.equal((await get('/api/events?limit=0')).status, 400);
    } finally {
      server.events = saved;
    }
  });

  it('adds CORS headers and answers preflight; other methods get 405', async () => {
    const res = await get('/api/events?limit=1', { headers: { origin: 'https://integrator.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://integrator.example');
    const bad = await get('/api/events?limit=0', { headers: { origin: 'https://integrator.example' } });
    assert.equal(bad.headers.get('access-control-allow-origin'), 'https://integrator.example');
    const pre = await get('/api/cameras/gate1/snapshot.jpg', { method: 'OPTIONS', headers: { origin: 'https://integrator.example' } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-methods')!, /GET/);
    assert.equal((await get('/api/events', { method: 'DELETE' })).status, 405);
    assert.equal((await get('/api/plugins', { method: 'POST', body: '{}' })).status, 405);
  });
});
