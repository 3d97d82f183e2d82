import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateWindow } from './rate-window.js';

describe('RateWindow', () => {
  it('measures a steady 25 fps / 1 Mbit/s', () => {
    const w = new RateWindow(2000, 100);
    // 5000 bytes per frame at 25 fps = 125000 B/s = 1 Mbit/s
    for (let t = 0; t <= 5000; t += 40) w.add(t, 1, 5000);
    const r = w.rates(5000);
    assert.ok(Math.abs(r.perSecond - 25) < 1, `fps ${r.perSecond}`);
    assert.ok(Math.abs(r.bitsPerSecond - 1e6) < 5e4, `bps ${r.bitsPerSecond}`);
  });

  it('follows a rate change within the window', () => {
    const w = new RateWindow(2000, 100);
    for (let t = 0; t < 5000; t += 40) w.add(t, 1, 0);
    for (let t = 5000; t <= 10000; t += 100) w.add(t, 1, 0);
    const r = w.rates(10000);
    assert.ok(Math.abs(r.perSecond - 10) < 1, `fps ${r.perSecond}`);
  });

  it('decays to zero when samples stop', () => {
    const w = new RateWindow(2000, 100);
    for (let t = 0; t <= 1000; t += 40) w.add(t, 1, 100);
    assert.ok(w.rates(1000).perSecond > 20);
    assert.deepEqual(w.rates(3200), { perSecond: 0, bitsPerSecond: 0 });
  });

  it('is not diluted by time before the first sample', () => {
    const w = new RateWindow(2000, 100);
    for (let t = 100000; t <= 100400; t += 40) w.add(t, 1, 0);
    const r = w.rates(100400);
    assert.ok(r.perSecond > 20 && r.perSecond < 30, `fps ${r.perSecond}`);
  });

  it('reset forgets every sample', () => {
    const w = new RateWindow();
    w.add(10, 1, 10);
    w.reset();
    assert.equal(w.rates(10).perSecond, 0);
  });
});
