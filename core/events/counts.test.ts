import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ProtocolError } from '../errors.js';
import { bucketStart, CountStore, trafficReport, type CountRow, type Crossing } from './counts.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'streamsight-counts-'));
  dirs.push(d);
  return d;
};

/** Local-time epoch ms of a wall-clock time on 2026-11-20. */
const at = (h: number, m: number, s = 0) => new Date(2026, 10, 20, h, m, s).getTime();
const cross = (over: Partial<Crossing>): Crossing => ({ camera: 'gate1-in', gate: 'north', line: 'entry', cls: 'car', direction: 'in', at: at(8, 0), ...over });
const total = (rows: CountRow[]) => rows.reduce((n, r) => n + r.count, 0);

describe('CountStore', () => {
  it('rolls every crossing up into its minute, hour and day', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      const times = [at(8, 0, 5), at(8, 0, 50), at(8, 1, 0), at(8, 59, 59), at(9, 0, 0), at(23, 59, 59)];
      for (const t of times) await store.add(cross({ at: t }));
      const day = { from: at(0, 0), to: at(23, 59) };
      const minutes = store.query({ ...day, bucket: 'minute' });
      assert.deepEqual(minutes.map((r) => [new Date(r.start).getHours(), new Date(r.start).getMinutes(), r.count]), [[8, 0, 2], [8, 1, 1], [8, 59, 1], [9, 0, 1], [23, 59, 1]]);
      const hours = store.query({ ...day, bucket: 'hour' });
      assert.deepEqual(hours.map((r) => [new Date(r.start).getHours(), r.count]), [[8, 4], [9, 1], [23, 1]]);
      const days = store.query({ from: bucketStart('day', at(0, 0)), to: at(12, 0), bucket: 'day' });
      assert.deepEqual(days.map((r) => r.count), [6]);
      assert.equal(days[0]!.gate, 'north');
      assert.equal(store.query({ from: at(10, 0), to: at(22, 0), bucket: 'hour' }).length, 0);
    } finally {
      await store.close();
    }
  });

  it('loses no increment when crossings come in at once', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.add(cross({ cls: i % 3 === 0 ? 'bus' : 'motorbike', at: at(8, i % 60) }))));
      const hour = store.query({ from: at(8, 0), to: at(8, 0), bucket: 'hour' });
      assert.deepEqual(Object.fromEntries(hour.map((r) => [r.cls, r.count])), { bus: 100, motorbike: 200 });
      assert.equal(total(store.query({ from: at(8, 0), to: at(8, 59), bucket: 'minute' })), 300);
    } finally {
      await store.close();
    }
  });

  it('keeps the current hour across a restart and adds to it', async () => {
    const path = tempDir();
    let store = await CountStore.open({ path });
    for (let i = 0; i < 5; i++) await store.add(cross({ at: at(8, 10 + i) }));
    await store.close();
    store = await CountStore.open({ path });
    try {
      await store.add(cross({ at: at(8, 30) }));
      assert.deepEqual(store.query({ from: at(8, 0), to: at(8, 0), bucket: 'hour' }).map((r) => r.count), [6]);
    } finally {
      await store.close();
    }
  });

  it('filters by camera or gate and keeps classes and directions apart', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      await store.add(cross({}));
      await store.add(cross({ direction: 'out' }));
      await store.add(cross({ camera: 'gate2-in', gate: 'south', cls: 'truck' }));
      await store.add(cross({ camera: 'yard', gate: undefined }));
      const q = { from: at(8, 0), to: at(8, 0), bucket: 'hour' as const };
      assert.equal(store.query(q).length, 4);
      assert.deepEqual(store.query({ ...q, gate: 'north' }).map((r) => [r.camera, r.direction, r.count]), [['gate1-in', 'in', 1], ['gate1-in', 'out', 1]]);
      assert.deepEqual(store.query({ ...q, camera: 'gate2-in' }).map((r) => [r.cls, r.gate]), [['truck', 'south']]);
      assert.equal(store.query({ ...q, camera: 'yard' })[0]!.gate, undefined);
    } finally {
      await store.close();
    }
  });

  it('refuses bad crossings and bad queries with a clear error', async () => {
    const store = await CountStore.open({ path: tempDir() });
    try {
      await assert.rejects(store.add(cross({ cls: '' })), (e: Error) => e instanceof ProtocolError && /cls/.test(e.message));
      await assert.rejects(store.add(cross({ at: Number.NaN })), /at must be epoch/);
      assert.throws(() => store.query({ from: 2, to: 1, bucket: 'hour' }), ProtocolError);
      assert.throws(() => store.query({ from: 1, to: 2, bucket: 'week' as 'hour' }), /bucket/);
    } finally {
      await store.close();
    }
  });
});

describe('trafficReport', () => {
  const row = (gate: string, hour: number, cls: string, direction: string, count: number): CountRow => ({
    bucket: 'hour', start: at(hour, 0), camera: `${gate}-cam`, gate, line: 'entry', cls, direction, count,
  });

  it("answers the city's questions for a day", () => {
    const r = trafficReport('2026-11-20', [
      row('north', 7, 'motorbike', 'in', 300), row('north', 7, 'car', 'in', 100), row('north', 7, 'motorbike', 'out', 50),
      row('north', 17, 'motorbike', 'in', 120), row('north', 17, 'bus', 'in', 30),
      row('south', 7, 'truck', 'in', 40), row('south', 8, 'car', 'in', 500), row('south', 8, 'car', 'out', 20),
    ]);
    assert.deepEqual(r.gates.map((g) => [g.gate, g.total, g.entering]), [['north', 600, 550], ['south', 560, 540]]);
    const north = r.gates[0]!;
    assert.deepEqual(north.byClass, { motorbike: 470, car: 100, bus: 30 });
    assert.deepEqual(north.hours[7]!.share, { motorbike: 350 / 450, car: 100 / 450 });
    assert.deepEqual(north.busiestHour, { hour: 7, total: 450 });
    assert.equal(north.hours.length, 24);
    assert.deepEqual(r.busiestGate, { gate: 'north', total: 600 });
    assert.deepEqual(r.classEnteringMost, { cls: 'car', count: 600 });
    assert.deepEqual(r.busiestHour, { hour: 8, total: 520 }, 'south at 08:00 outweighs north and south at 07:00 (490)');
  });

  it('reports an empty day without inventing a busiest anything', () => {
    const r = trafficReport('2026-11-21', []);
    assert.deepEqual(r, { date: '2026-11-21', gates: [] });
  });
});
