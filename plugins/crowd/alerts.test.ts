import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatheringWatch, ThresholdAlert, WindowMean } from './alerts.js';

describe('crowd alerts', () => {
  it('averages over the last window only', () => {
    const m = new WindowMean(1000);
    assert.equal(m.push(0, 10), 10);
    assert.equal(m.push(500, 20), 15);
    // At 1000 the sample at 0 is a whole window old and drops out.
    assert.equal(m.push(1000, 30), 25);
    assert.equal(m.push(5000, 4), 4);
  });

  it('raises at the threshold and clears only below threshold − hysteresis', () => {
    const a = new ThresholdAlert(10, 3);
    const changes = [9, 10, 8, 7.5, 9.9, 6.9, 7, 10].map((v, i) => a.push(i * 1000, v));
    assert.deepEqual(changes, [undefined, 'raised', undefined, undefined, undefined, 'cleared', undefined, 'raised']);
    assert.equal(a.sinceMs, 7000);
    assert.equal(a.active, true);
  });

  it('finds a gathering only after the density rose from low and held for holdS', () => {
    const g = new GatheringWatch({ fromDensity: 0.05, density: 0.2, holdS: 3 });
    // Already dense at start-up: not a gathering (never seen low).
    const fired = (samples: [number, number][]) => samples.filter(([t, d]) => g.push(t * 1000, d)).map(([t]) => t);
    assert.deepEqual(fired([[0, 0.3], [1, 0.3], [2, 0.3], [5, 0.3]]), []);
    // Low, then high from 10 s with a dip at 11.5 s (restarts the hold), then held from 12 s to 15 s.
    assert.deepEqual(fired([[6, 0.01], [10, 0.25], [11, 0.25], [11.5, 0.1], [12, 0.25], [14, 0.25], [15, 0.25], [16, 0.3]]), [15]);
    // Once per gathering: it must fall below fromDensity before another.
    assert.deepEqual(fired([[20, 0.1], [21, 0.3], [30, 0.3], [31, 0.02], [32, 0.3], [35, 0.3]]), [35]);
  });
});
