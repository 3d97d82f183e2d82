import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RtpPacket } from './packet.js';
import { ReorderBuffer } from './reorder.js';

const pkt = (seq: number): RtpPacket => ({
  marker: false, payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: 0, ssrc: 1, csrcs: [], padding: false,
  payload: new Uint8Array(1),
});
const seqs = (ps: RtpPacket[]) => ps.map((p) => p.sequenceNumber);
function run(b: ReorderBuffer, input: number[]): number[] {
  return input.flatMap((s) => seqs(b.push(pkt(s))));
}

describe('ReorderBuffer', () => {
  it('passes in-order packets straight through', () => {
    const b = new ReorderBuffer();
    assert.deepEqual(run(b, [10, 11, 12]), [10, 11, 12]);
    assert.equal(b.pending, 0);
  });

  it('puts packets reordered within the window back in order', () => {
    const b = new ReorderBuffer(8);
    assert.deepEqual(run(b, [1, 3, 4, 2, 6, 5, 7]), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(b.stats, { lost: 0, duplicates: 0, reordered: 2, late: 0, resyncs: 0 });
  });

  it('drops and counts duplicates, emitted or still held', () => {
    const b = new ReorderBuffer(8);
    assert.deepEqual(run(b, [1, 2, 2, 4, 4, 3, 1]), [1, 2, 3, 4]);
    assert.equal(b.stats.duplicates, 3);
  });

  it('handles the 65535 -> 0 wrap', () => {
    const b = new ReorderBuffer(8);
    assert.deepEqual(run(b, [65533, 65535, 65534, 1, 0, 2]), [65533, 65534, 65535, 0, 1, 2]);
    assert.equal(b.stats.lost, 0);
  });

  it('declares a gap lost when the window overflows', () => {
    const b = new ReorderBuffer(4);
    assert.deepEqual(run(b, [1, 3, 4, 5]), [1]);
    assert.deepEqual(run(b, [6]), [3, 4, 5, 6]);
    assert.equal(b.stats.lost, 1);
    assert.deepEqual(run(b, [2]), []); // too late now
    assert.equal(b.stats.late, 1);
  });

  it('counts a long gap with nothing held as lost', () => {
    const b = new ReorderBuffer(4);
    // nothing is held, so nothing inside the window can still fill the gap: 2..99 are lost at once
    assert.deepEqual(run(b, [1, 100, 101]), [1, 100, 101]);
    assert.equal(b.stats.lost, 98);
  });

  it('flush releases held packets in order', () => {
    const b = new ReorderBuffer(32);
    assert.deepEqual(run(b, [1, 4, 3, 7]), [1]);
    assert.deepEqual(seqs(b.flush()), [3, 4, 7]);
    assert.equal(b.stats.lost, 3); // 2, 5, 6
    assert.deepEqual(run(b, [8]), [8]);
  });

  it('resyncs when the source restarts with a far sequence number', () => {
    const b = new ReorderBuffer(8);
    assert.deepEqual(run(b, [100, 101, 40000]), [100, 101]);
    assert.deepEqual(run(b, [40001, 40002]), [40001, 40002]);
    assert.equal(b.stats.resyncs, 1);
    assert.equal(b.stats.lost, 0);
  });

  it('ignores one stray far packet', () => {
    const b = new ReorderBuffer(8);
    assert.deepEqual(run(b, [100, 20000, 101, 102]), [100, 101, 102]);
    assert.equal(b.stats.resyncs, 0);
  });

  it('emits every packet exactly once under random shuffles within the window', () => {
    for (let trial = 0; trial < 50; trial++) {
      const b = new ReorderBuffer(16);
      const input = Array.from({ length: 300 }, (_, i) => (65400 + i) & 0xffff);
      // shuffle inside blocks of 8 (displacement < window), the first packet stays first
      for (let i = input.length - 1; i > 1; i--) {
        const blockStart = Math.max(1, i - ((i - 1) % 8));
        const j = blockStart + Math.floor(Math.random() * (i - blockStart + 1));
        [input[i], input[j]] = [input[j]!, input[i]!];
      }
      const out = [...run(b, input), ...seqs(b.flush())];
      assert.deepEqual(out, Array.from({ length: 300 }, (_, i) => (65400 + i) & 0xffff));
      assert.equal(b.stats.lost, 0);
    }
  });
});
