import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventStore } from '../events/store.js';
import { FAKE_JPEG } from './testdata/memory-server.js';
import { storeApp } from './testdata/store-app.js';
import { TestWebSocket } from './testdata/ws-client.js';
import type { StoredEventLike } from './types.js';

/** The routes and /ws on the real lmdb EventStore: ULID ids, its cursor, its snapshot table, its 'event'. */
describe('detection API on the real EventStore', () => {
  const T0 = Date.UTC(2026, 2, 1);
  const api = storeApp('events', (path) => EventStore.open({ path }), (store, server) => {
    server.events = store;
    server.onEvent = (listener) => store.on('event', listener);
  });
  const { get } = api;

  it('appends reach /ws after commit, then query, page, show and snapshot over HTTP', async () => {
    const ws = await TestWebSocket.open(api.port);
    try {
      const appended: StoredEventLike[] = [];
      for (let i = 0; i < 7; i++) {
        appended.push(await api.store.append({
          camera: i % 2 ? 'yard' : 'gate1', plugin: 'brightness', type: i % 2 ? 'bright' : 'dark', severity: 'info',
          startedAt: T0 + i * 1000, ...(i === 2 ? { snapshot: FAKE_JPEG } : {}),
        }));
      }
      for (const e of appended) assert.deepEqual(await ws.next(), { type: 'event', event: e });

      const seen: string[] = [];
      let next: string | null = null;
      do {
        const r = await get(`/api/events?camera=gate1&limit=2&from=${T0}&to=2026-03-01T00:00:06Z${next ? `&cursor=${next}` : ''}`);
        assert.equal(r.status, 200);
        const page = r.body as { events: StoredEventLike[]; next: string | null };
        seen.push(...page.events.map((e) => e.id));
        next = page.next;
      } while (next);
      assert.deepEqual(seen, appended.filter((e) => e.camera === 'gate1').map((e) => e.id).reverse());

      const one = await get(`/api/events/${appended[2]!.id}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, appended[2]);
      const jpeg = await get(`/api/events/${appended[2]!.id}/snapshot.jpg`);
      assert.equal(jpeg.type, 'image/jpeg');
      assert.deepEqual(jpeg.body, FAKE_JPEG);
      assert.equal((await get(`/api/events/${appended[1]!.id}/snapshot.jpg`)).status, 404);
      assert.equal((await get('/api/events/01ARZ3NDEKTSV4RRFFQ69G5FAV')).status, 404);
      const forged = await get(`/api/events?cursor=${Buffer.from('nope').toString('base64url')}`);
      assert.equal(forged.status, 400);
      assert.match((forged.body as { error: string }).error, /^cursor: /);
    } finally {
      ws.close();
    }
  });
});
