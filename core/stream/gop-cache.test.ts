import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GopCache, unitByteLength } from './gop-cache.js';
import { audio, video } from './testdata/units.js';

describe('GopCache', () => {
  it('ignores delta frames before the first keyframe', () => {
    const g = new GopCache();
    g.push(video(1), 100);
    assert.equal(g.size, 0);
  });

  it('holds the units since the last keyframe, keyframe first', () => {
    const g = new GopCache();
    for (const u of [video(1, true), video(2), video(3, true), video(4), video(5)]) g.push(u, 100);
    assert.deepEqual(g.units().map((u) => u.pts), [3, 4, 5]);
    assert.equal(g.bytes, 300);
  });

  it('keeps a handed-out array unchanged after the next keyframe', () => {
    const g = new GopCache();
    g.push(video(1, true), 10);
    g.push(video(2), 10);
    const snapshot = g.units();
    g.push(video(3, true), 10);
    assert.deepEqual(snapshot.map((u) => u.pts), [1, 2]);
  });

  it('drops the GOP when the unit bound is exceeded, until the next keyframe', () => {
    const g = new GopCache(3, 1 << 20);
    for (const u of [video(1, true), video(2), video(3)]) g.push(u, 10);
    assert.equal(g.size, 3);
    g.push(video(4), 10);
    assert.equal(g.size, 0);
    assert.equal(g.overflows, 1);
    assert.equal(g.overflowed, true);
    g.push(video(5), 10);
    assert.equal(g.size, 0, 'no caching until a keyframe');
    g.push(video(6, true), 10);
    assert.deepEqual(g.units().map((u) => u.pts), [6]);
    assert.equal(g.overflowed, false);
  });

  it('drops the GOP when the byte bound is exceeded', () => {
    const g = new GopCache(300, 250);
    g.push(video(1, true), 100);
    g.push(video(2), 100);
    g.push(video(3), 100);
    assert.equal(g.size, 0);
    assert.equal(g.bytes, 0);
    assert.equal(g.overflows, 1);
  });

  it('drops a single keyframe bigger than the byte bound', () => {
    const g = new GopCache(300, 50);
    g.push(video(1, true), 100);
    assert.equal(g.size, 0);
    assert.equal(g.overflows, 1);
  });

  it('reset forgets the GOP', () => {
    const g = new GopCache();
    g.push(video(1, true), 10);
    g.reset();
    assert.equal(g.size, 0);
    g.push(video(2), 10);
    assert.equal(g.size, 0);
  });

  it('measures unit sizes', () => {
    assert.equal(unitByteLength(audio(1, 33)), 33);
    assert.equal(unitByteLength({ ...video(1), nalus: [new Uint8Array(3), new Uint8Array(4)] }), 7);
  });
});
