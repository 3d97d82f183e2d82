import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InvalidStateError, ProtocolError } from '../errors.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';
import type { EventInput, StoredEvent } from './model.js';
import { EventStore, type EventStoreOptions } from './store.js';

failOnUnhandledRejection();

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function openStore(opts: Omit<EventStoreOptions, 'path'> = {}, path?: string): Promise<EventStore> {
  if (!path) {
    path = mkdtempSync(join(tmpdir(), 'streamsight-events-'));
    dirs.push(path);
  }
  return EventStore.open({ path, ...opts });
}

const T0 = Date.UTC(2026, 0, 1);
const JPEG = (n: number): Uint8Array => {
  const b = new Uint8Array(n).fill(7);
  b.set([0xff, 0xd8], 0);
  b.set([0xff, 0xd9], n - 2);
  return b;
};

function ev(over: Partial<EventInput> = {}): EventInput {
  return { camera: 'gate1', plugin: 'brightness', type: 'dark', severity: 'info', startedAt: T0, ...over };
}

/** Every page of a query, following `next`. */
function allPages(store: EventStore, q: Parameters<EventStore['query']>[0]): StoredEvent[][] {
  const pages: StoredEvent[][] = [];
  let cursor: string | undefined;
  do {
    const page = store.query({ ...q, ...(cursor ? { cursor } : {}) });
    pages.push(page.events);
    cursor = page.next;
    assert.ok(pages.length < 1000, 'paging terminates');
  } while (cursor);
  return pages;
}

test('append → get round-trips every field; snapshot stored apart; event emitted after commit', async () => {
  const store = await openStore();
  try {
    const seen: StoredEvent[] = [];
    let visibleInListener = false;
    store.on('event', (e) => {
      seen.push(e);
      visibleInListener = store.get(e.id) !== undefined;
    });
    const input = ev({
      severity: 'critical',
      endedAt: T0 + 500,
      trackId: 7,
      zone: 'door',
      boxes: [{ label: 'person', score: 0.9, box: [0.1, 0.2, 0.3, 0.4], trackId: 7 }],
      attributes: { luma: 12.5, nested: { list: [1, 'a', null, true] } },
      snapshot: JPEG(300),
    });
    const stored = await store.append(input);
    const { snapshot: _s, ...rest } = input;
    assert.deepEqual(stored, { id: stored.id, ...rest, hasSnapshot: true });
    assert.deepEqual(store.get(stored.id), stored);
    assert.deepEqual(Array.from(store.snapshot(stored.id)!), Array.from(input.snapshot!));
    assert.deepEqual(seen, [stored]);
    assert.ok(visibleInListener, "'event' fires after the commit, when get() sees it");

    const plain = await store.append(ev());
    assert.equal(plain.hasSnapshot, false);
    assert.equal(store.snapshot(plain.id), undefined);
    assert.equal(store.get('nope'), undefined);
    assert.equal(store.get('0'.repeat(26)), undefined);
    assert.equal(store.stats.appended, 2);
    assert.ok(store.stats.bytes > 300);
  } finally {
    await store.close();
  }
});

test('query filters by camera, plugin, type and time range, newest first', async () => {
  const store = await openStore();
  try {
    const all: StoredEvent[] = [];
    for (let i = 0; i < 40; i++) {
      all.push(
        await store.append(
          ev({ camera: `cam${i % 2}`, plugin: i % 4 < 2 ? 'a' : 'b', type: i % 3 === 0 ? 'x' : 'y', startedAt: T0 + i * 1000 }),
        ),
      );
    }
    const newestFirst = (pred: (e: StoredEvent) => boolean): string[] => all.filter(pred).reverse().map((e) => e.id);
    const ids = (q: Parameters<EventStore['query']>[0]): string[] => store.query(q).events.map((e) => e.id);

    assert.deepEqual(ids({}), newestFirst(() => true));
    assert.deepEqual(ids({ camera: 'cam1' }), newestFirst((e) => e.camera === 'cam1'));
    assert.deepEqual(ids({ plugin: 'b' }), newestFirst((e) => e.plugin === 'b'));
    assert.deepEqual(ids({ type: 'x' }), newestFirst((e) => e.type === 'x'));
    assert.deepEqual(
      ids({ camera: 'cam0', plugin: 'a', type: 'y' }),
      newestFirst((e) => e.camera === 'cam0' && e.plugin === 'a' && e.type === 'y'),
    );
    // from/to are inclusive bounds on startedAt.
    assert.deepEqual(ids({ from: T0 + 5000, to: T0 + 9000 }), newestFirst((e) => e.startedAt >= T0 + 5000 && e.startedAt <= T0 + 9000));
    assert.deepEqual(ids({ from: T0 + 5500, to: T0 + 8999 }), newestFirst((e) => e.startedAt >= T0 + 5500 && e.startedAt <= T0 + 8999));
    assert.deepEqual(
      ids({ camera: 'cam1', from: T0 + 10_000 }),
      newestFirst((e) => e.camera === 'cam1' && e.startedAt >= T0 + 10_000),
    );
    assert.deepEqual(ids({ type: 'x', to: T0 + 20_000 }), newestFirst((e) => e.type === 'x' && e.startedAt <= T0 + 20_000));
    assert.deepEqual(ids({ camera: 'nobody' }), []);
    assert.deepEqual(ids({ from: T0 + 9000, to: T0 + 5000 }), []);
    assert.deepEqual(ids({ limit: 3 }), newestFirst(() => true).slice(0, 3));
  } finally {
    await store.close();
  }
});

test('cursor paging over 250 events returns each exactly once, in order', async () => {
  const store = await openStore();
  try {
    const appended: StoredEvent[] = [];
    // Same-millisecond bursts too: ids keep append order within one ms.
    for (let i = 0; i < 250; i++) appended.push(await store.append(ev({ camera: `cam${i % 2}`, startedAt: T0 + Math.floor(i / 5) })));
    const expected = appended.map((e) => e.id).reverse();
    assert.deepEqual([...expected].sort().reverse(), expected, 'ids sort in append order');

    const pages = allPages(store, {});
    assert.deepEqual(pages.map((p) => p.length), [100, 100, 50]);
    assert.deepEqual(pages.flat().map((e) => e.id), expected);

    const small = allPages(store, { camera: 'cam1', limit: 7 });
    assert.deepEqual(small.flat().map((e) => e.id), expected.filter((id) => store.get(id)!.camera === 'cam1'));
    assert.ok(small.slice(0, -1).every((p) => p.length === 7));

    // A page that ends exactly at the last event has no `next`.
    const exact = allPages(store, { limit: 125 });
    assert.deepEqual(exact.map((p) => p.length), [125, 125]);

    assert.equal(store.query({ limit: 10_000 }).events.length, 250, 'a limit above 500 is capped, not refused');
  } finally {
    await store.close();
  }
});

test('a sparse filter returns short pages with a cursor instead of scanning without bound', async () => {
  const store = await openStore();
  try {
    const rare: StoredEvent[] = [];
    for (let i = 0; i < 3; i++) rare.push(await store.append(ev({ type: 'rare', startedAt: T0 + i })));
    await Promise.all(Array.from({ length: 10_500 }, (_, i) => store.append(ev({ type: 'common', startedAt: T0 + 10 + i }))));
    const first = store.query({ camera: 'gate1', type: 'rare' });
    assert.deepEqual(first.events, [], 'the first 10 000 index entries hold no match');
    assert.ok(first.next, 'but the page says where to continue');
    const pages = allPages(store, { camera: 'gate1', type: 'rare' });
    assert.deepEqual(pages.flat().map((e) => e.id), rare.map((e) => e.id).reverse());
  } finally {
    await store.close();
  }
});

test('query rejects wrongly typed values with ProtocolError naming them; limit is capped at 500', async () => {
  const store = await openStore();
  try {
    for (let i = 0; i < 3; i++) await store.append(ev({ startedAt: T0 + i }));
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ camera: 5 }, /query\.camera/],
      [{ from: 'yesterday' }, /query\.from/],
      [{ to: Number.NaN }, /query\.to/],
      [{ limit: 0 }, /query\.limit/],
      [{ limit: 1.5 }, /query\.limit/],
      [{ cursor: 'not-a-cursor' }, /query\.cursor/],
      [{ cursor: 7 }, /query\.cursor/],
    ];
    for (const [q, message] of bad) assert.throws(() => store.query(q as never), (err: Error) => err instanceof ProtocolError && message.test(err.message));
    assert.equal(store.query({ limit: 501 }).events.length, 3);
  } finally {
    await store.close();
  }
});

test('a bad event is rejected with a clear error, counted, and the store keeps working', async () => {
  const store = await openStore();
  try {
    const bad: [unknown, RegExp][] = [
      [{ ...ev(), camera: '' }, /camera must be a non-empty string/],
      [{ ...ev(), severity: 'loud' }, /severity/],
      [{ ...ev(), startedAt: Number.NaN }, /startedAt/],
      [{ ...ev(), endedAt: T0 - 1 }, /endedAt must not be before startedAt/],
      [{ ...ev(), boxes: [{ label: 'car', score: 1, box: [0, 0, 1] }] }, /boxes\[0\]\.box/],
      [{ ...ev(), attributes: { f: () => 1 } }, /attributes\.f/],
      [{ ...ev(), attributes: { n: Number.POSITIVE_INFINITY } }, /attributes\.n/],
      [{ ...ev(), snapshot: new Uint8Array([1, 2, 3, 4]) }, /snapshot is not a JPEG/],
      [{ ...ev(), snapshot: true }, /snapshot must be a Uint8Array/],
      [{ ...ev(), color: 'red' }, /color is not an event field/],
      [null, /event must be an object/],
    ];
    for (const [input, message] of bad) {
      await assert.rejects(store.append(input as EventInput), (err: Error) => err instanceof ProtocolError && message.test(err.message));
    }
    assert.equal(store.stats.rejected, bad.length);
    const ok = await store.append(ev());
    assert.deepEqual(store.query({}).events.map((e) => e.id), [ok.id]);
    assert.equal(store.stats.appended, 1);
  } finally {
    await store.close();
  }
});

test('retention by age deletes events older than maxAgeMs with their indexes and snapshots', async () => {
  const store = await openStore({ maxAgeMs: 60_000 });
  try {
    const now = Date.now();
    const old: StoredEvent[] = [];
    for (let i = 0; i < 5; i++) old.push(await store.append(ev({ startedAt: now - 3_600_000 + i, snapshot: JPEG(100) })));
    // The append itself triggers retention once it sees an event past the cutoff.
    await waitUntil(() => store.stats.deletedByRetention === 5, 5000, 'age retention after append');
    const fresh = await store.append(ev({ startedAt: now }));
    await store.enforceRetention();
    for (const e of old) {
      assert.equal(store.get(e.id), undefined);
      assert.equal(store.snapshot(e.id), undefined);
    }
    assert.deepEqual(store.query({ camera: 'gate1' }).events.map((e) => e.id), [fresh.id]);
    assert.deepEqual(store.query({ plugin: 'brightness' }).events.map((e) => e.id), [fresh.id]);
    assert.deepEqual(store.query({ type: 'dark' }).events.map((e) => e.id), [fresh.id]);
    assert.equal(store.stats.deletedByRetention, 5);
  } finally {
    await store.close();
  }
});

test('retention by bytes deletes the oldest first until the estimate fits', async () => {
  const maxBytes = 20_000;
  const store = await openStore({ maxBytes });
  try {
    const all: StoredEvent[] = [];
    for (let i = 0; i < 60; i++) all.push(await store.append(ev({ startedAt: T0 + i, snapshot: JPEG(1000) })));
    await store.enforceRetention();
    const { bytes, deletedByRetention } = store.stats;
    assert.ok(bytes <= maxBytes, `estimate ${bytes} fits ${maxBytes}`);
    assert.ok(deletedByRetention > 30, `deleted ${deletedByRetention}`);
    const kept = store.query({ limit: 500 }).events.map((e) => e.id);
    // What is kept is exactly the newest events.
    assert.deepEqual(kept, all.slice(all.length - kept.length).map((e) => e.id).reverse());
    assert.equal(kept.length, 60 - deletedByRetention);
    assert.ok(bytes > maxBytes - 2000, 'no more than needed was deleted');
  } finally {
    await store.close();
  }
});

test('the byte estimate and the data survive a reopen', async () => {
  const path = mkdtempSync(join(tmpdir(), 'streamsight-events-'));
  dirs.push(path);
  const first = await openStore({}, path);
  const e = await first.append(ev({ snapshot: JPEG(500) }));
  const bytes = first.stats.bytes;
  await first.close();
  await first.close(); // idempotent
  await assert.rejects(first.append(ev()), InvalidStateError);
  const second = await openStore({}, path);
  try {
    assert.deepEqual(second.get(e.id), e);
    assert.equal(second.stats.bytes, bytes);
  } finally {
    await second.close();
  }
});

test('storage full: append rejects with "event storage full" and reads keep working', async () => {
  const store = await openStore({ mapSize: 512 * 1024 });
  try {
    const stored: StoredEvent[] = [];
    let error: Error | undefined;
    for (let i = 0; i < 200 && !error; i++) {
      try {
        stored.push(await store.append(ev({ startedAt: T0 + i, snapshot: JPEG(16_000) })));
      } catch (err) {
        error = err as Error;
      }
    }
    assert.ok(error, 'the store filled up');
    assert.ok(error instanceof InvalidStateError);
    assert.equal(error.message, 'event storage full');
    assert.ok(stored.length > 5, `stored ${stored.length} before full`);
    assert.equal(store.stats.rejected, 1);
    // Reads still work, and a concurrent burst is refused cleanly too.
    assert.deepEqual(store.get(stored[0]!.id), stored[0]);
    assert.equal(store.snapshot(stored[0]!.id)?.length, 16_000);
    assert.equal(store.query({ limit: 500 }).events.length, stored.length);
    const burst = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.append(ev({ startedAt: T0 + 1000 + i, snapshot: JPEG(16_000) }))));
    assert.ok(burst.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'event storage full'));
  } finally {
    await store.close();
  }
});

test('open rejects nonsensical options with ConfigError naming them', async () => {
  await assert.rejects(EventStore.open({ path: '' }), /events\.path/);
  await assert.rejects(EventStore.open({ path: '/tmp/x', maxAgeMs: -1 }), /events\.maxAgeMs: must be a positive number/);
  await assert.rejects(EventStore.open({ path: '/tmp/x', maxBytes: Number.NaN }), /events\.maxBytes/);
});
