import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountStore, type Crossing } from '../events/counts.js';
import { storeApp } from './testdata/store-app.js';

/** The count API on the real lmdb CountStore. */
describe('count API', () => {
  /** Local wall-clock times on 2026-11-20 (buckets and the report are in the server's zone). */
  const at = (h: number, m: number) => new Date(2026, 10, 20, h, m).getTime();
  const day = { from: at(0, 0), to: new Date(2026, 10, 21).getTime() - 1 };
  const api = storeApp('counts', (path) => CountStore.open({ path }), async (store) => {
    const add = (over: Partial<Crossing>, n: number) =>
      Promise.all(Array.from({ length: n }, () => store.add({ camera: 'gate1', gate: 'north', line: 'entry', cls: 'car', direction: 'in', at: at(7, 10), ...over })));
    await add({}, 5);
    await add({ cls: 'motorbike' }, 12);
    await add({ cls: 'motorbike', direction: 'out', at: at(7, 40) }, 3);
    await add({ cls: 'bus', at: at(17, 5) }, 2);
    await add({ camera: 'gate2', gate: 'south', cls: 'truck', at: at(8, 0) }, 30);
  });
  const { server, get } = api;

  it('answers 503 until the store is open', async () => {
    const r = await get(`/api/counts?from=${day.from}&to=${day.to}`);
    assert.equal(r.status, 503);
    server.counts = api.store;
  });

  it('returns hour buckets for a gate, and minute buckets for a camera', async () => {
    const r = await get(`/api/counts?gate=north&bucket=hour&from=${day.from}&to=${day.to}`);
    assert.equal(r.status, 200);
    const rows = (r.body as { counts: { cls: string; direction: string; count: number; startIso: string }[] }).counts;
    assert.deepEqual(rows.map((x) => [new Date(x.startIso).getHours(), x.cls, x.direction, x.count]), [
      [7, 'car', 'in', 5], [7, 'motorbike', 'in', 12], [7, 'motorbike', 'out', 3], [17, 'bus', 'in', 2],
    ]);
    const minutes = await get(`/api/counts?camera=gate2&bucket=minute&from=${day.from}&to=${day.to}`);
    assert.deepEqual((minutes.body as { counts: { count: number }[] }).counts.map((x) => x.count), [30]);
  });

  it('exports CSV', async () => {
    const r = await get(`/api/counts?gate=south&bucket=day&from=${day.from}&to=${day.to}&format=csv`);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/csv/);
    const lines = (r.body as string).trim().split('\r\n');
    assert.equal(lines[0], 'start,bucket,camera,gate,line,class,direction,count');
    assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(1)), [['day', 'gate2', 'south', 'entry', 'truck', 'in', '30']]);
  });

  it("gives the city's daily report", async () => {
    const r = await get('/api/reports/traffic?date=2026-11-20');
    assert.equal(r.status, 200);
    const report = r.body as { busiestGate: unknown; classEnteringMost: unknown; busiestHour: unknown; gates: { gate: string; total: number }[] };
    assert.deepEqual(report.gates.map((g) => [g.gate, g.total]), [['north', 22], ['south', 30]]);
    assert.deepEqual(report.busiestGate, { gate: 'south', total: 30 });
    assert.deepEqual(report.classEnteringMost, { cls: 'truck', count: 30 });
    assert.deepEqual(report.busiestHour, { hour: 8, total: 30 });
    const empty = await get('/api/reports/traffic?date=2026-11-19');
    assert.deepEqual((empty.body as { gates: unknown[] }).gates, []);
  });

  it('refuses bad parameters with 400 naming them', async () => {
    for (const [q, name] of [
      ['camera=gate1&gate=north', 'camera, gate'], ['bucket=week', 'bucket'], ['format=xml', 'format'], [`from=${day.to}&to=${day.from}`, 'from'],
      ['bucket=minute&from=0&to=2000000000000', 'from, to'], ['nope=1', 'nope'],
    ] as const) {
      const r = await get(`/api/counts?${q}`);
      assert.equal(r.status, 400, q);
      assert.match((r.body as { error: string }).error, new RegExp(`^${name}`), q);
    }
    for (const q of ['', 'date=2026-02-30', 'date=yesterday']) {
      const r = await get(`/api/reports/traffic?${q}`);
      assert.equal(r.status, 400, q);
      assert.match((r.body as { error: string }).error, /^date/);
    }
  });
});
