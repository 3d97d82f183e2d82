import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoadShedder } from './shedder.js';

/** Feeds one sample a second from `from` for `seconds` at `lag` ms; returns the time after. */
function feed(s: LoadShedder, from: number, seconds: number, lag: number): number {
  let t = from;
  for (let i = 0; i < seconds; i++, t += 1000) s.sample(lag, t);
  return t;
}

describe('load shedder', () => {
  it('skips frames first (halving the fps per level), then pauses the lowest priority groups, never the highest', () => {
    const s = new LoadShedder({ lagHighMs: 50, lagLowMs: 15, escalateAfterMs: 2000, relaxAfterMs: 10_000, minFpsScale: 0.25, warmupMs: 0 });
    s.setPriorities([5, 1, 9, 5]);
    assert.equal(s.maxLevel, 2 + 2, 'two fps steps, then priorities 1 and 5 (9 is never paused)');
    assert.deepEqual(s.for(1), { fpsScale: 1, paused: false });
    let t = feed(s, 0, 3, 80);
    assert.equal(s.level, 1);
    assert.deepEqual(s.for(1), { fpsScale: 0.5, paused: false });
    t = feed(s, t, 2, 80);
    assert.equal(s.level, 2);
    assert.equal(s.fpsScale, 0.25);
    t = feed(s, t, 2, 80);
    assert.equal(s.level, 3);
    assert.deepEqual([s.for(1), s.for(5), s.for(9)].map((x) => x.paused), [true, false, false]);
    t = feed(s, t, 2, 80);
    assert.deepEqual([s.for(1), s.for(5), s.for(9)].map((x) => x.paused), [true, true, false]);
    t = feed(s, t, 20, 500);
    assert.equal(s.level, 4, 'the highest priority group keeps running whatever the delay');
    assert.equal(s.for(9).paused, false);
    assert.equal(s.state.pausedUpTo, 5);
  });

  it('waits escalateAfterMs of high delay before rising, and ignores a spike', () => {
    const s = new LoadShedder({ escalateAfterMs: 2000, warmupMs: 0 });
    s.setPriorities([0]);
    s.sample(200, 0);
    s.sample(10, 1000); // one spike, then calm
    s.sample(200, 2000);
    assert.equal(s.level, 0);
    s.sample(200, 3000);
    s.sample(200, 4000);
    assert.equal(s.level, 1);
  });

  it('relaxes one level per relaxAfterMs of low delay, and holds between the thresholds', () => {
    const s = new LoadShedder({ lagLowMs: 15, minFpsScale: 0.25, warmupMs: 0 });
    s.setPriorities([0, 1]);
    let t = feed(s, 0, 20, 100);
    assert.equal(s.level, 3);
    t = feed(s, t, 30, 30); // between lagLowMs and lagHighMs: hold
    assert.equal(s.level, 3);
    t = feed(s, t, 11, 5);
    assert.equal(s.level, 2);
    t = feed(s, t, 40, 5);
    assert.equal(s.level, 0);
    assert.deepEqual(s.for(0), { fpsScale: 1, paused: false });
    assert.ok(s.state.changes >= 6);
  });

  it('judges nothing during the warm-up', () => {
    const s = new LoadShedder({ escalateAfterMs: 0, warmupMs: 20_000 });
    s.setPriorities([0]);
    feed(s, 5000, 20, 500); // samples at 5 s .. 24 s: within 20 s of the first
    assert.equal(s.level, 0, 'starting everything lags the loop; that is not overload');
    s.sample(500, 25_000);
    assert.equal(s.level, 1);
  });

  it('refuses thresholds that would flap', () => {
    assert.throws(() => new LoadShedder({ lagLowMs: 50, lagHighMs: 50 }), /lagLowMs/);
  });
});
