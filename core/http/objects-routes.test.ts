import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountStore } from '../events/counts.js';
import { storeApp } from './testdata/store-app.js';

/** GET /api/reports/objects on the real lmdb CountStore; the memory server's cameras are gate1 and yard. */
describe('object statistics API', () => {
  /** Local wall-clock times on 2026-11-20 (buckets and the report are in the server's zone). */
  const at = (h: number, m: number) => new Date(2026, 10, 20, h, m).getTime();
  const api = storeApp('objects', (path) => CountStore.open({ path }), async (store) => {
    const observe = (camera: string, cls: string, t: number, n: number) => Promise.all(Array.from({ length: n }, () => store.observe({ camera, cls, at: t })));
    await observe('gate1', 'person', at(7, 10), 4);
    await observe('gate1', 'car', at(7, 50), 2);
    await observe('gate1', 'person', at(18, 0), 1);
    await observe('yard', 'truck', at(9, 30), 3);
    await observe('yard', 'person', new Date(2026, 10, 21, 0, 5).getTime(), 9); // the next day
  });
  const { server, get } = api;
  interface Tally { total: number; byClass: Record<string, number>; hours: { hour: number; total: number; byClass: Record<string, number> }[] }
  type Report = Tally & { date: string; camera?: string; cameras: (Tally & { camera: string })[] };

  it('answers 503 until the store is open', async () => {
    const r = await get('/api/reports/objects?date=2026-11-20');
    assert.equal(r.status, 503);
    server.counts = api.store;
  });

  it("gives one camera's day: totals per class and per-hour counts per class", async () => {
    const r = await get('/api/reports/objects?camera=gate1&date=2026-11-20');
    assert.equal(r.status, 200);
    const report = r.body as Report;
    assert.deepEqual([report.date, report.camera, report.total, report.byClass], ['2026-11-20', 'gate1', 7, { person: 5, car: 2 }]);
    assert.deepEqual(report.hours.filter((h) => h.total > 0), [
      { hour: 7, total: 6, byClass: { person: 4, car: 2 } }, { hour: 18, total: 1, byClass: { person: 1 } },
    ]);
    assert.deepEqual(report.cameras.map((c) => c.camera), ['gate1']);
  });

  it('without a camera gives every camera, each on its own, and the day ends at local midnight', async () => {
    const report = (await get('/api/reports/objects?date=2026-11-20')).body as Report;
    assert.equal(report.camera, undefined);
    assert.deepEqual(report.byClass, { person: 5, car: 2, truck: 3 });
    assert.deepEqual(report.cameras.map((c) => [c.camera, c.total]), [['gate1', 7], ['yard', 3]]);
    const next = (await get('/api/reports/objects?date=2026-11-21&camera=yard')).body as Report;
    assert.deepEqual([next.total, next.hours[0]!.byClass], [9, { person: 9 }]);
    const empty = (await get('/api/reports/objects?date=2026-11-19&camera=yard')).body as Report;
    assert.deepEqual([empty.total, empty.cameras.map((c) => [c.camera, c.total])], [0, [['yard', 0]]]);
  });

  it('refuses a missing or invalid date and bad parameters with 400 naming them', async () => {
    for (const [q, message] of [
      ['', /^date: required, YYYY-MM-DD/], ['date=2026-02-30', /^date: expected a date YYYY-MM-DD/], ['date=20261120', /^date/],
      ['date=2026-11-20&date=2026-11-21', /^date: given more than once/], ['date=2026-11-20&camera=Gate%201', /^camera: expected an id/],
      ['date=2026-11-20&cam=gate1', /^cam: unknown parameter \(expected one of camera, date\)/],
    ] as const) {
      const r = await get(`/api/reports/objects?${q}`);
      assert.equal(r.status, 400, q);
      assert.match((r.body as { error: string }).error, message, q);
    }
  });

  it('answers 404 for an unknown camera', async () => {
    const r = await get('/api/reports/objects?camera=nope&date=2026-11-20');
    assert.equal(r.status, 404);
    assert.equal((r.body as { error: string }).error, "unknown camera 'nope'");
  });
});
