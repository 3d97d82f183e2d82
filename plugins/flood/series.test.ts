import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RiseRate, TimedMedian } from './series.js';

describe('TimedMedian', () => {
  it('ignores a short burst of outliers (a passer-by hiding the gauge)', () => {
    const m = new TimedMedian(10_000, 64);
    for (let t = 0; t < 20; t++) m.push(t * 500, 0.45 + (t % 3) * 0.002);
    for (let t = 20; t < 24; t++) m.push(t * 500, 0.8); // 2 s of readings on a person's head
    assert.ok(Math.abs(m.value - 0.452) < 0.003, `median ${m.value}`);
  });

  it('forgets readings older than its window', () => {
    const m = new TimedMedian(5000, 64);
    for (let t = 0; t <= 10; t++) m.push(t * 1000, t < 5 ? 1 : 2);
    assert.equal(m.value, 2);
    assert.equal(m.size, 6);
    m.clear();
    assert.ok(Number.isNaN(m.value));
  });

  it('keeps the newest readings when more arrive than it was sized for', () => {
    const m = new TimedMedian(60_000, 4);
    for (let t = 0; t < 10; t++) m.push(t, t);
    assert.equal(m.size, 4);
    assert.equal(m.value, 7.5);
  });
});

describe('RiseRate', () => {
  it('fits the slope of a ramp, per second, once the window is mostly filled', () => {
    const r = new RiseRate(30_000, 256);
    let first = NaN;
    for (let t = 0; t <= 40_000; t += 500) {
      r.push(t, 0.3 + (0.5 / 60_000) * t + (t % 1000 ? 0.004 : -0.004)); // 50 cm/min with jitter
      if (Number.isNaN(first) && !Number.isNaN(r.perSecond(t))) first = t;
    }
    assert.equal(first, 24_000); // 0.8 of the window
    const cmPerMin = r.perSecond(40_000) * 6000;
    assert.ok(Math.abs(cmPerMin - 50) < 1.5, `${cmPerMin} cm/min`);
  });

  it('after a restart from a known point, fits from it over a quarter of the window instead of waiting for most of it', () => {
    const r = new RiseRate(40_000, 256);
    // A flat floor at 0.2 (the water somewhere under it) for 30 s: restart at every such reading.
    for (let t = 0; t <= 30_000; t += 500) r.restart(t, 0.2);
    assert.ok(Number.isNaN(r.perSecond(30_000, 0.8, 0.25)));
    // Then 60 cm/min out of it: a rate once 10 s have passed, and that rate, not one diluted by the flat floor.
    let first = NaN;
    for (let t = 30_500; t <= 45_000; t += 500) {
      r.push(t, 0.2 + (0.6 / 60_000) * (t - 30_000) + (t % 1000 ? 0.003 : -0.003));
      if (Number.isNaN(first) && !Number.isNaN(r.perSecond(t, 0.8, 0.25))) first = t;
    }
    assert.equal(first, 40_000);
    assert.ok(Math.abs(r.perSecond(45_000, 0.8, 0.25) * 6000 - 60) < 3);
    // clear() is a fresh start again: most of the window before a rate.
    r.clear();
    for (let t = 0; t <= 20_000; t += 500) r.push(t, 0.5);
    assert.ok(Number.isNaN(r.perSecond(20_000, 0.8, 0.25)));
  });

  it('reads a steady level as no rise', () => {
    const r = new RiseRate(20_000, 128);
    for (let t = 0; t <= 30_000; t += 500) r.push(t, 0.5);
    assert.equal(r.perSecond(30_000), 0);
  });
});
