/**
 * The object tallies of the count store (ctx.observe → CountStore.observe → GET /api/reports/objects):
 * hour and day buckets in the server's local zone, kept across a restart, and the day's report.
 * Vietnam's zone (UTC+7, no DST) makes local days differ from UTC days.
 */
process.env.TZ = 'Asia/Ho_Chi_Minh';

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProtocolError } from '../errors.js';
import { CountStore, objectsReport, type ObjectRow, type Sighting } from './counts.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'streamsight-objects-'));
  dirs.push(d);
  return d;
};

/** Epoch ms of a UTC wall-clock time on 2026-11-20 (local = UTC + 7 h). */
const utc = (h: number, m: number) => Date.UTC(2026, 10, 20, h, m);
const seen = (over: Partial<Sighting>): Sighting => ({ camera: 'park1', cls: 'person', at: utc(1, 0), ...over });
const byClass = (rows: ObjectRow[]) => Object.fromEntries(rows.map((r) => [r.cls, r.count]));

describe('CountStore objects', () => {
  it('tallies each object into its local hour and local day', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      assert.equal(new Date(utc(16, 30)).getHours(), 23, 'the test runs in UTC+7');
      // 16:30 and 16:59 UTC are 23:30 and 23:59 on the 20th locally; 17:10 UTC is 00:10 on the 21st:
      // one UTC day, two local days.
      for (const at of [utc(16, 30), utc(16, 59), utc(17, 10)]) await store.observe(seen({ at }));
      await store.observe(seen({ cls: 'car', at: utc(16, 45) }));
      const dayStart = (d: number) => new Date(2026, 10, d).getTime();
      const days = store.queryObjects({ bucket: 'day', from: dayStart(20), to: dayStart(21) });
      assert.deepEqual(days.map((r) => [r.start, r.cls, r.count]), [[dayStart(20), 'car', 1], [dayStart(20), 'person', 2], [dayStart(21), 'person', 1]]);
      const hours = store.queryObjects({ bucket: 'hour', from: dayStart(20), to: dayStart(22) - 1 });
      assert.deepEqual(hours.map((r) => [new Date(r.start).getDate(), new Date(r.start).getHours(), r.cls, r.count]), [
        [20, 23, 'car', 1], [20, 23, 'person', 2], [21, 0, 'person', 1],
      ]);
      assert.deepEqual(store.query({ bucket: 'hour', from: dayStart(20), to: dayStart(22) }), [], 'objects are not vehicle crossings');
    } finally {
      await store.close();
    }
  });

  it('keeps the tallies across a restart and adds to them; loses nothing when observed at once', async () => {
    const path = tempDir();
    let store = await CountStore.open({ path });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.observe(seen({ cls: i % 5 === 0 ? 'bus' : 'person' }))));
    await store.close();
    store = await CountStore.open({ path });
    try {
      await store.observe(seen({ cls: 'bus', at: utc(1, 59) }));
      const q = { bucket: 'hour' as const, from: utc(1, 0), to: utc(1, 0) };
      assert.deepEqual(byClass(store.queryObjects(q)), { bus: 11, person: 40 });
    } finally {
      await store.close();
    }
  });

  it('filters by camera', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      await store.observe(seen({}));
      await store.observe(seen({ camera: 'school', cls: 'motorbike' }));
      const q = { bucket: 'day' as const, from: 0, to: utc(23, 0) };
      assert.equal(store.queryObjects(q).length, 2);
      assert.deepEqual(store.queryObjects({ ...q, camera: 'school' }).map((r) => [r.camera, r.cls]), [['school', 'motorbike']]);
    } finally {
      await store.close();
    }
  });

  it('refuses bad sightings and queries with a clear error, and nothing is counted', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      await assert.rejects(store.observe(seen({ cls: '' })), (e: Error) => e instanceof ProtocolError && e.message === 'sighting cls must be a non-empty string of at most 64 characters');
      await assert.rejects(store.observe(seen({ cls: 42 as unknown as string })), /sighting cls/);
      await assert.rejects(store.observe(seen({ at: Number.NaN })), /sighting at must be epoch milliseconds/);
      assert.throws(() => store.queryObjects({ bucket: 'minute', from: 0, to: 1 }), /bucket must be one of hour, day/);
      assert.throws(() => store.queryObjects({ bucket: 'day', from: 2, to: 1 }), ProtocolError);
      assert.deepEqual(store.queryObjects({ bucket: 'day', from: 0, to: utc(23, 0) }), []);
      await store.close();
      await assert.rejects(store.observe(seen({})), /closed/);
    } finally {
      await store.close();
    }
  });
});

describe('objectsReport', () => {
  const row = (camera: string, hour: number, cls: string, count: number): ObjectRow => ({
    bucket: 'hour', start: new Date(2026, 10, 20, hour).getTime(), camera, cls, count,
  });
  const rows = [row('park1', 7, 'person', 30), row('park1', 7, 'motorbike', 4), row('park1', 18, 'person', 12), row('school', 7, 'person', 80), row('school', 23, 'car', 1)];

  it('totals per class and per local hour, over all cameras and per camera', () => {
    const r = objectsReport('2026-11-20', rows);
    assert.equal(r.camera, undefined);
    assert.equal(r.total, 127);
    assert.deepEqual(r.byClass, { person: 122, motorbike: 4, car: 1 });
    assert.equal(r.hours.length, 24);
    assert.deepEqual(r.hours[7], { hour: 7, total: 114, byClass: { person: 110, motorbike: 4 } });
    assert.deepEqual(r.hours[23]!.byClass, { car: 1 });
    assert.deepEqual(r.cameras.map((c) => [c.camera, c.total, c.byClass]), [['park1', 46, { person: 42, motorbike: 4 }], ['school', 81, { person: 80, car: 1 }]]);
    assert.deepEqual(r.cameras[0]!.hours[18], { hour: 18, total: 12, byClass: { person: 12 } });
  });

  it('reports one camera, with zeros when it saw nothing', () => {
    const one = objectsReport('2026-11-20', rows, { camera: 'school' });
    assert.deepEqual([one.camera, one.total, one.byClass, one.cameras.length], ['school', 81, { person: 80, car: 1 }, 1]);
    const none = objectsReport('2026-11-20', [], { camera: 'gate9' });
    assert.deepEqual([none.total, none.cameras.map((c) => [c.camera, c.total])], [0, [['gate9', 0]]]);
    assert.ok(none.hours.every((h) => h.total === 0));
  });
});
