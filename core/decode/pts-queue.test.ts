import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PtsQueue } from './pts-queue.js';

function drain(q: PtsQueue): [number, number][] {
  const out: [number, number][] = [];
  while (q.size) {
    out.push([q.peekPts()!, q.peekCapturedAt()!]);
    q.shift();
  }
  return out;
}

describe('PtsQueue', () => {
  it('hands out pts in ascending order with their capture times (B-frame decode order in)', () => {
    const q = new PtsQueue(8);
    for (const pts of [0, 3, 1, 2, 6, 4, 5]) q.push(pts, 1000 + pts);
    assert.deepEqual(drain(q), [0, 1, 2, 3, 4, 5, 6].map((p) => [p, 1000 + p]));
    assert.equal(q.peekPts(), undefined);
  });

  it('interleaves pushes and shifts across the ring boundary', () => {
    const q = new PtsQueue(4);
    const out: number[] = [];
    for (let i = 0; i < 20; i += 2) {
      q.push(i + 1, 0);
      q.push(i, 0);
      for (let k = 0; k < 2; k++) {
        out.push(q.peekPts()!);
        q.shift();
      }
    }
    assert.equal(q.overflows, 0);
    assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i));
  });

  it('drops the oldest entry when full and counts it', () => {
    const q = new PtsQueue(3);
    for (const pts of [1, 2, 3, 4]) q.push(pts, 0);
    assert.equal(q.overflows, 1);
    assert.deepEqual(drain(q).map(([p]) => p), [2, 3, 4]);
    q.push(9, 0);
    q.clear();
    assert.equal(q.size, 0);
  });
});
