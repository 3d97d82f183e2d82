/**
 * The reporter node's ingestion of count rows: idempotent (a redelivered row counted once, also
 * after a restart), additive (a late second row for a minute adds), own cameras skipped; and over a
 * real Mosquitto, rows published while the reporter is down arrive when it returns.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { bucketStart, CountStore } from '../events/counts.js';
import type { MinuteCount } from '../mqtt/minute-counts.js';
import { MqttPublisher } from '../mqtt/publisher.js';
import { TestBroker } from '../mqtt/testdata/broker.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';
import { CountReporter, type ReporterOptions } from './reporter.js';

failOnUnhandledRejection();

/** A minute that is over (a past one is released by the publisher at once). */
const MINUTE = bucketStart('minute', Date.now()) - 5 * 60_000;

function row(over: Partial<MinuteCount> = {}): MinuteCount {
  return {
    camera: 'south-gate', gate: 'south', cls: 'car', minute: new Date(MINUTE).toISOString(), in: 2, out: 1, total: 3,
    lines: { l1: { in: 2 }, l2: { out: 1 } }, node: 'b', id: 'b:0001:1', ...over,
  };
}

/** Sum of minute counts per `line/direction` of a camera. */
function minuteTotals(store: CountStore, camera: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of store.query({ camera, bucket: 'minute', from: MINUTE - 3_600_000, to: Date.now() })) out[`${r.line}/${r.direction}`] = (out[`${r.line}/${r.direction}`] ?? 0) + r.count;
  return out;
}

describe('CountReporter.ingest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-reporter-'));
  let store: CountStore;
  const opts: ReporterOptions = { url: 'mqtt://127.0.0.1:1', clientId: 'unused', topicPrefix: 'x', node: 'a', isOwn: (c) => c === 'north-gate' };

  before(async () => {
    store = await CountStore.open({ path: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a row by line, direction and gate to its minute, hour and day', async () => {
    const reporter = new CountReporter(opts, store);
    assert.equal(await reporter.ingest(JSON.stringify(row())), 'applied');
    assert.deepEqual(minuteTotals(store, 'south-gate'), { 'l1/in': 2, 'l2/out': 1 });
    const hour = store.query({ gate: 'south', bucket: 'hour', from: bucketStart('hour', MINUTE), to: bucketStart('hour', MINUTE) });
    assert.deepEqual(hour.map((r) => [r.camera, r.gate, r.line, r.cls, r.direction, r.count]), [['south-gate', 'south', 'l1', 'car', 'in', 2], ['south-gate', 'south', 'l2', 'car', 'out', 1]]);
    assert.equal(store.query({ camera: 'south-gate', bucket: 'day', from: bucketStart('day', MINUTE), to: bucketStart('day', MINUTE) }).reduce((n, r) => n + r.count, 0), 3);
  });

  it('counts a redelivered row once, also after the store is closed and reopened', async () => {
    const reporter = new CountReporter(opts, store);
    assert.equal(await reporter.ingest(JSON.stringify(row())), 'duplicate');
    await store.close();
    store = await CountStore.open({ path: dir });
    assert.equal(await new CountReporter(opts, store).ingest(JSON.stringify(row())), 'duplicate');
    assert.deepEqual(minuteTotals(store, 'south-gate'), { 'l1/in': 2, 'l2/out': 1 });
    assert.equal(reporter.stats().duplicates, 1);
  });

  it('adds a late second row for the same minute (its own id) to the first', async () => {
    const reporter = new CountReporter(opts, store);
    assert.equal(await reporter.ingest(JSON.stringify(row({ id: 'b:0001:7', in: 1, out: 0, total: 1, lines: { l1: { in: 1 } } }))), 'applied');
    assert.deepEqual(minuteTotals(store, 'south-gate'), { 'l1/in': 3, 'l2/out': 1 });
  });

  it('skips its own node\'s rows and its own cameras\' rows (counted locally already)', async () => {
    const reporter = new CountReporter(opts, store);
    assert.equal(await reporter.ingest(JSON.stringify(row({ node: 'a', id: 'a:1:1', camera: 'elsewhere' }))), 'own');
    assert.equal(await reporter.ingest(JSON.stringify(row({ node: 'b', id: 'b:1:99', camera: 'north-gate' }))), 'own');
    assert.deepEqual(minuteTotals(store, 'elsewhere'), {});
    assert.deepEqual(minuteTotals(store, 'north-gate'), {});
    assert.equal(reporter.stats().own, 2);
  });

  it('drops malformed rows without touching the store', async () => {
    const reporter = new CountReporter(opts, store);
    const bad = [
      'not json', 'null', JSON.stringify({ ...row(), id: undefined }), JSON.stringify(row({ minute: 'yesterday', id: 'b:x:1' })),
      JSON.stringify(row({ lines: { l1: { in: -1 } }, id: 'b:x:2' })), JSON.stringify(row({ lines: { l1: { in: 1.5 } }, id: 'b:x:3' })),
      JSON.stringify(row({ camera: '', id: 'b:x:4' })),
    ];
    for (const text of bad) assert.equal(await reporter.ingest(text), 'invalid', text);
    assert.deepEqual(minuteTotals(store, 'south-gate'), { 'l1/in': 3, 'l2/out': 1 });
  });

  it('forgets applied ids of old minutes only', async () => {
    assert.equal(await store.forgetApplied(MINUTE), 0);
    assert.equal(await store.forgetApplied(MINUTE + 60_000), 2);
    // Forgotten: the same id would now be applied again (ids are kept far longer than any redelivery takes).
    assert.equal(await new CountReporter(opts, store).ingest(JSON.stringify(row())), 'applied');
  });
});

describe('CountReporter over MQTT', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-reporter-mqtt-'));
  let broker: TestBroker;
  let store: CountStore;
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    broker = await TestBroker.start();
    store = await CountStore.open({ path: dir });
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await store.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function reporter(): CountReporter {
    const r = new CountReporter({ url: broker.url, clientId: 'rep-test-a-reporter', topicPrefix: 'city', node: 'a', isOwn: () => false, reconnectMs: 200 }, store);
    closers.push(() => r.close());
    r.start();
    return r;
  }

  it('gets the rows published while it was down, and counts a row published twice once', async () => {
    let rep = reporter();
    await waitUntil(() => rep.stats().subscribed, 5000, 'the subscription');
    const pub = new MqttPublisher({ url: broker.url, clientId: 'rep-test-b', topicPrefix: 'city', node: 'b', reconnectMs: 200 }, { cameras: () => [], plugins: () => [] });
    closers.push(() => pub.close(500));
    pub.start();
    const crossing = (line: string, direction: string) => pub.crossing({ camera: 'gate-b', gate: 'south', line, cls: 'car', direction, at: MINUTE + 1000 });
    crossing('l1', 'in');
    crossing('l1', 'in');
    await waitUntil(() => rep.stats().applied === 1, 5000, 'the first row');
    assert.deepEqual(minuteTotals(store, 'gate-b'), { 'l1/in': 2 });

    // The reporter goes away; node b keeps counting (late crossings of a past minute are sent at once).
    await rep.close();
    crossing('l1', 'out');
    crossing('l2', 'in');
    await waitUntil(() => pub.stats().delivered >= 2, 5000, 'the broker to take the row meanwhile');
    assert.deepEqual(minuteTotals(store, 'gate-b'), { 'l1/in': 2 }, 'nothing applied while the reporter is down');

    // A publisher resending the same row (QoS 1 redelivery after a lost PUBACK looks like this).
    const raw = await mqtt.connectAsync(broker.url, { clientId: 'rep-test-raw' });
    closers.push(() => raw.endAsync(true));
    const dup = JSON.stringify({ ...row({ camera: 'gate-b', lines: { l3: { in: 5 } }, in: 5, out: 0, total: 5 }), id: 'b:dup:1' });
    await raw.publishAsync('city/gate-b/counts/car', dup, { qos: 1 });
    await raw.publishAsync('city/gate-b/counts/car', dup, { qos: 1, dup: true });

    rep = reporter();
    await waitUntil(() => rep.stats().applied + rep.stats().duplicates === 3, 10_000, 'the queued rows');
    assert.deepEqual(rep.stats().duplicates, 1);
    assert.deepEqual(minuteTotals(store, 'gate-b'), { 'l1/in': 2, 'l1/out': 1, 'l2/in': 1, 'l3/in': 5 });
  });
});
