import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling up to the cap', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    const delays = Array.from({ length: 7 }, () => b.next());
    assert.deepEqual(delays, [99, 199, 399, 799, 999, 999, 999]);
  });

  it('full jitter: a random of 0 gives 0, and delays stay below the ceiling', () => {
    const zero = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    assert.equal(zero.next(), 0);
    const b = new Backoff({ initialMs: 50, maxMs: 400 });
    for (let i = 0; i < 100; i++) {
      const ceiling = b.ceilingMs;
      const d = b.next();
      assert.ok(d >= 0 && d < ceiling, `delay ${d} within [0, ${ceiling})`);
    }
  });

  it('reset returns to the initial ceiling', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0.5 });
    b.next();
    b.next();
    b.next();
    assert.equal(b.ceilingMs, 800);
    b.reset();
    assert.equal(b.attempt, 0);
    assert.equal(b.next(), 50);
  });

  it('stays finite after very many attempts', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 30_000, random: () => 0.5 });
    for (let i = 0; i < 2000; i++) b.next();
    assert.equal(b.next(), 15_000);
  });
});
