import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LATENCY_BOUNDS_MS, LatencyHistogram, RateMeter } from './stats.js';

describe('LatencyHistogram', () => {
  it('percentiles land within a bucket (~20%) of the exact values', () => {
    const h = new LatencyHistogram(30_000, () => 0);
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 .. 100 ms, uniform
    const p = h.percentiles();
    for (const [got, want] of [[p.p50, 50], [p.p95, 95], [p.p99, 99]] as const) {
      assert.ok(Math.abs(got - want) / want < 0.2, `got ${got}, want ~${want}`);
    }
    assert.equal(h.count, 1000);
  });

  it('is empty → zeros; huge values go to the +Inf bucket', () => {
    const h = new LatencyHistogram(30_000, () => 0);
    assert.deepEqual(h.percentiles(), { p50: 0, p95: 0, p99: 0 });
    h.record(1e9);
    h.record(0);
    h.record(-5);
    const snap = h.snapshot();
    assert.equal(snap.counts.length, LATENCY_BOUNDS_MS.length + 1);
    assert.equal(snap.counts.at(-1), 1);
    assert.equal(snap.counts[0], 2);
    assert.equal(snap.count, 3);
  });

  it('bucket bounds are inclusive upper bounds', () => {
    const h = new LatencyHistogram(30_000, () => 0);
    for (const b of LATENCY_BOUNDS_MS.slice(0, 40)) h.record(b);
    assert.deepEqual(h.snapshot().counts.slice(0, 40), new Array(40).fill(1));
  });

  it('percentiles follow the recent window; lifetime counts keep everything', () => {
    let now = 0;
    const h = new LatencyHistogram(1000, () => now);
    for (let i = 0; i < 100; i++) h.record(500);
    now = 1000; // rotation: the old half still counts
    for (let i = 0; i < 100; i++) h.record(5);
    assert.ok(h.percentiles().p99 > 400);
    now = 2000; // the 500 ms observations have left the window
    h.record(5);
    assert.ok(h.percentiles().p99 < 6, `p99 ${h.percentiles().p99}`);
    now = 10_000; // idle for several windows: nothing recent
    assert.deepEqual(h.percentiles(), { p50: 0, p95: 0, p99: 0 });
    assert.equal(h.snapshot().count, 201);
  });
});

describe('RateMeter', () => {
  it('averages the complete seconds', () => {
    let now = 0;
    const r = new RateMeter(() => now);
    for (let s = 0; s < 8; s++) {
      now = s * 1000;
      for (let i = 0; i < 10; i++) r.mark();
    }
    now = 8000;
    assert.equal(r.rate(), 10);
    now = 11_000; // three silent seconds out of the last five
    assert.equal(r.rate(), 4);
    now = 60_000;
    assert.equal(r.rate(), 0);
  });

  it('right after creation divides by the seconds elapsed, not five', () => {
    let now = 0;
    const r = new RateMeter(() => now);
    assert.equal(r.rate(), 0);
    for (let i = 0; i < 20; i++) r.mark();
    now = 1000;
    assert.equal(r.rate(), 20);
  });
});
