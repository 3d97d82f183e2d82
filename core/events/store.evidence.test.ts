import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProtocolError } from '../errors.js';
import { failOnUnhandledRejection } from '../testing/wait.js';
import { MAX_SNAPSHOT_BYTES, validateEventInput, type EventInput, type EvidenceInput } from './model.js';
import { EventStore, type EventStoreOptions } from './store.js';

failOnUnhandledRejection();

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const path = mkdtempSync(join(tmpdir(), 'streamsight-evidence-'));
  dirs.push(path);
  return path;
}

const T0 = Date.UTC(2026, 0, 1);
/** JPEG-looking bytes (SOI … EOI) of length n, filled with `fill` so images are told apart. */
const JPEG = (n: number, fill = 7): Uint8Array => {
  const b = new Uint8Array(n).fill(fill);
  b.set([0xff, 0xd8], 0);
  b.set([0xff, 0xd9], n - 2);
  return b;
};
const images = (...sizes: number[]): EvidenceInput[] => sizes.map((n, i) => ({ label: ['before', 'at', 'after'][i] ?? `e${i}`, capturedAt: T0 + 40 * i, jpeg: JPEG(n, i + 1) }));
const ev = (over: Partial<EventInput> = {}): EventInput => ({ camera: 'gate1', plugin: 'red-light', type: 'violation', severity: 'critical', startedAt: T0, ...over });

describe('event evidence in the store', () => {
  const open = (opts: Omit<EventStoreOptions, 'path'> = {}, path = tempDir()) => EventStore.open({ path, ...opts });

  it('round-trips each image by index and lists label, time and size on the record', async () => {
    const store = await open();
    try {
      const input = images(300, 400, 500);
      const e = await store.append(ev({ evidence: input }));
      assert.deepEqual(e.evidence, [
        { label: 'before', capturedAt: T0, bytes: 300 },
        { label: 'at', capturedAt: T0 + 40, bytes: 400 },
        { label: 'after', capturedAt: T0 + 80, bytes: 500 },
      ]);
      assert.deepEqual(store.get(e.id), e);
      for (let i = 0; i < 3; i++) assert.deepEqual(new Uint8Array(store.evidence(e.id, i)!), input[i]!.jpeg);
      assert.equal(store.evidence(e.id, 3), undefined);
      assert.equal(store.evidence(e.id, -1), undefined);
      assert.equal(store.evidence(e.id, 1.5), undefined);
      assert.equal(store.evidence('nope', 0), undefined);
      const plain = await store.append(ev({ startedAt: T0 + 1, evidence: [] }));
      assert.equal(plain.evidence, undefined, 'an empty list stores no evidence');
      assert.equal(store.evidence(plain.id, 0), undefined);
    } finally {
      await store.close();
    }
  });

  it('counts the images in the byte estimate', async () => {
    const store = await open();
    try {
      await store.append(ev());
      const without = store.stats.bytes;
      await store.append(ev({ startedAt: T0 + 1, evidence: images(10_000, 20_000) }));
      const added = store.stats.bytes - without;
      assert.ok(added >= without + 30_000 && added < without + 30_000 + 200, `an event with 30 000 bytes of evidence added ${added} (a bare one ${without})`);
    } finally {
      await store.close();
    }
  });

  it('deletes the images with their event by age and by size, and frees their bytes', async () => {
    const byAge = await open({ maxAgeMs: 60_000 });
    try {
      const old = await byAge.append(ev({ startedAt: Date.now() - 120_000, evidence: images(1000, 1000) }));
      const fresh = await byAge.append(ev({ startedAt: Date.now(), evidence: images(1000) }));
      await byAge.enforceRetention();
      assert.equal(byAge.get(old.id), undefined);
      assert.equal(byAge.evidence(old.id, 0), undefined);
      assert.equal(byAge.evidence(old.id, 1), undefined);
      assert.ok(byAge.evidence(fresh.id, 0));
    } finally {
      await byAge.close();
    }
    // Evidence alone pushes these events over maxBytes: only its accounting can make retention act.
    const bySize = await open({ maxBytes: 40_000 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await bySize.append(ev({ startedAt: T0 + i, evidence: images(4000, 4000) }))).id);
      await bySize.enforceRetention();
      const { bytes, deletedByRetention } = bySize.stats;
      assert.ok(bytes <= 40_000, `estimate ${bytes}`);
      assert.ok(deletedByRetention >= 5, `deleted ${deletedByRetention}`);
      assert.equal(bySize.evidence(ids[0]!, 0), undefined);
      assert.ok(bySize.evidence(ids[9]!, 1));
    } finally {
      await bySize.close();
    }
  });

  it('keeps the images and the byte estimate across a reopen', async () => {
    const path = tempDir();
    const first = await open({}, path);
    const input = images(700, 800);
    const e = await first.append(ev({ evidence: input }));
    const bytes = first.stats.bytes;
    await first.close();
    const second = await open({}, path);
    try {
      assert.deepEqual(second.get(e.id), e);
      assert.deepEqual(new Uint8Array(second.evidence(e.id, 1)!), input[1]!.jpeg);
      assert.equal(second.stats.bytes, bytes);
    } finally {
      await second.close();
    }
  });

  it('rejects bad evidence naming the field, and stores nothing of that event', async () => {
    const one = (over: Partial<EvidenceInput>) => [{ label: 'at', capturedAt: T0, jpeg: JPEG(10), ...over }];
    const cases: Array<[unknown, RegExp]> = [
      ['x', /^invalid event: evidence must be an array$/],
      [images(...Array(9).fill(10)), /^invalid event: evidence must hold at most 8 images$/],
      [one({ label: 'x'.repeat(33) }), /^invalid event: evidence\[0\]\.label must be at most 32 characters$/],
      [one({ label: '' }), /evidence\[0\]\.label must be a non-empty string/],
      [one({ jpeg: Uint8Array.of(1, 2, 3, 4) }), /^invalid event: evidence\[0\]\.jpeg is not a JPEG \(no SOI marker\)$/],
      [one({ jpeg: JPEG(MAX_SNAPSHOT_BYTES + 1) }), /evidence\[0\]\.jpeg must be at most 8388608 bytes/],
      [one({ capturedAt: -1 }), /evidence\[0\]\.capturedAt must be epoch milliseconds/],
      [[{ label: 'at', capturedAt: T0, jpeg: JPEG(10), url: 'x' }], /evidence\[0\]\.url is not an evidence field/],
    ];
    for (const [evidence, message] of cases) {
      assert.throws(() => validateEventInput(ev({ evidence: evidence as EvidenceInput[] })), (err: Error) => err instanceof ProtocolError && message.test(err.message), String(message));
    }
    const store = await open();
    try {
      await assert.rejects(store.append(ev({ evidence: images(...Array(9).fill(10)) })), ProtocolError);
      assert.equal(store.query({}).events.length, 0);
      assert.equal(store.stats.rejected, 1);
    } finally {
      await store.close();
    }
  });
});
