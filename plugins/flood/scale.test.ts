import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LevelScale } from './scale.js';

describe('LevelScale', () => {
  const marks = [{ y: 0.8, level: 0 }, { y: 0.6, level: 0.5 }, { y: 0.5, level: 1 }];

  it('interpolates linearly between neighbouring marks (piecewise)', () => {
    const s = new LevelScale(marks, 0.3);
    assert.equal(s.level(0.8).level, 0);
    assert.ok(Math.abs(s.level(0.7).level - 0.25) < 1e-12);
    // The upper segment is steeper in rows: 0.1 of the frame per half metre.
    assert.ok(Math.abs(s.level(0.55).level - 0.75) < 1e-12);
    assert.ok(Math.abs(s.rowsPerMetre(0.7) - 0.4) < 1e-12 && Math.abs(s.rowsPerMetre(0.55) - 0.2) < 1e-12);
    for (const level of [0, 0.1, 0.6, 0.95]) assert.ok(Math.abs(s.level(s.row(level)).level - level) < 1e-12, `row(${level}) inverts level()`);
  });

  it('extrapolates the end segments only up to the limit, then clamps and says so', () => {
    const s = new LevelScale(marks, 0.3);
    const below = s.level(0.84); // 0.1 m under the lowest mark
    assert.ok(Math.abs(below.level + 0.1) < 1e-12 && !below.clamped);
    const far = s.level(0.99);
    assert.deepEqual(far, { level: -0.3, clamped: true });
    const high = s.level(0.1);
    assert.deepEqual(high, { level: 1.3, clamped: true });
    assert.deepEqual(s.range, [-0.3, 1.3]);
  });

  it('refuses fewer than 2 marks, and marks whose levels do not fall down the image', () => {
    assert.throws(() => new LevelScale([{ y: 0.5, level: 1 }], 0.3), /at least 2 marks/);
    assert.throws(() => new LevelScale([{ y: 0.5, level: 1 }, { y: 0.6, level: 1.2 }], 0.3), /lower levels/);
    assert.throws(() => new LevelScale([{ y: 0.5, level: 1 }, { y: 0.5, level: 0.5 }], 0.3), /distinct rows/);
  });
});
