import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameHistory, frameBytes, transferableBuffers } from './evidence.js';
import type { Frame } from './types.js';

/** A frame whose every luma byte is `luma`, with `pad` bytes of row padding (as the ring may have). */
function frame(capturedAt: number, luma: number, opts: { width?: number; height?: number; format?: 'gray' | 'i420'; pad?: number } = {}): Frame {
  const { width = 6, height = 4, format = 'gray', pad = 0 } = opts;
  const strideY = width + pad;
  const strideUV = ((width + 1) >> 1) + pad;
  const ch = (height + 1) >> 1;
  const f: Frame = {
    cameraId: 'c', pts: capturedAt * 90, capturedAt, seq: capturedAt, width, height, format,
    y: new Uint8Array(strideY * height).fill(luma), strideY, strideUV,
  };
  if (format === 'i420') {
    f.u = new Uint8Array(strideUV * ch).fill(luma + 1);
    f.v = new Uint8Array(strideUV * ch).fill(luma + 2);
  }
  return f;
}

describe('FrameHistory', () => {
  it('reuses its buffers once warm: the slot of push N + capacity is the slot of push N', () => {
    const h = new FrameHistory(3);
    assert.equal(h.bytes, 0);
    const first = [h.push(frame(0, 1)), h.push(frame(40, 2)), h.push(frame(80, 3))];
    const buffers = first.map((c) => c.y.buffer);
    assert.equal(h.bytes, 3 * 6 * 4);
    for (let i = 0; i < 6; i++) {
      const c = h.push(frame(120 + 40 * i, 10 + i));
      assert.equal(c, first[i % 3], `push ${i + 3} reuses slot ${i % 3}`);
      assert.equal(c.y.buffer, buffers[i % 3]);
    }
    assert.equal(h.size, 3);
    assert.equal(h.bytes, 3 * 6 * 4);
    assert.equal(h.latest!.capturedAt, 320);
    assert.equal(h.latest!.y[0], 15);
  });

  it('copies planes with stride removed, i420 chroma included', () => {
    const h = new FrameHistory(2);
    const c = h.push(frame(7, 50, { width: 5, height: 3, format: 'i420', pad: 3 }));
    assert.deepEqual([c.width, c.height, c.format, c.capturedAt, c.pts], [5, 3, 'i420', 7, 630]);
    assert.equal(c.y.length, 15);
    assert.ok(c.y.every((v) => v === 50));
    assert.equal(c.u!.length, 3 * 2);
    assert.ok(c.u!.every((v) => v === 51) && c.v!.every((v) => v === 52));
    assert.equal(h.bytes, 2 * frameBytes(5, 3, 'i420'));
  });

  it('finds the frame nearest a time, the older on a tie, and undefined when empty', () => {
    const h = new FrameHistory(4);
    assert.equal(h.at(0), undefined);
    assert.equal(h.latest, undefined);
    for (let i = 0; i < 6; i++) h.push(frame(1000 + 40 * i, i)); // keeps 1080, 1120, 1160, 1200
    assert.equal(h.at(1125)!.capturedAt, 1120);
    assert.equal(h.at(1140)!.capturedAt, 1120);
    assert.equal(h.at(0)!.capturedAt, 1080);
    assert.equal(h.at(9999)!.capturedAt, 1200);
    assert.equal(h.at(1159)!.y[0], 4);
  });

  it('hands out snapshots in new buffers that later pushes do not touch', () => {
    const h = new FrameHistory(2);
    const slot = h.push(frame(0, 9, { format: 'i420' }));
    const snap = h.snapshot(slot);
    assert.notEqual(snap.y.buffer, slot.y.buffer);
    h.push(frame(40, 20, { format: 'i420' }));
    h.push(frame(80, 30, { format: 'i420' })); // overwrites the slot snap was taken from
    assert.equal(slot.y[0], 30);
    assert.deepEqual([snap.capturedAt, snap.y[0], snap.u![0], snap.v![0]], [0, 9, 10, 11]);
  });

  it('reallocates and starts over when the frame size changes', () => {
    const h = new FrameHistory(2);
    h.push(frame(0, 1));
    h.push(frame(40, 2));
    const c = h.push(frame(80, 3, { width: 8, height: 2 }));
    assert.equal(h.size, 1);
    assert.deepEqual([c.width, c.height, c.y.length], [8, 2, 16]);
    assert.equal(h.bytes, 2 * 16);
    assert.equal(h.at(0)!.capturedAt, 80);
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new FrameHistory(0), /capacity must be an integer 1\.\.1024, got 0/);
    assert.throws(() => new FrameHistory(2.5), RangeError);
  });
});

describe('transferableBuffers', () => {
  it('lists snapshot buffers once each, never a history slot or an already moved buffer', () => {
    const h = new FrameHistory(2);
    const slot = h.push(frame(0, 1, { format: 'i420' }));
    const snap = h.snapshot(slot);
    const list = transferableBuffers([{ label: 'a', frame: snap }, { label: 'b', frame: snap }, { label: 'c', frame: slot }]);
    assert.deepEqual(list, [snap.y.buffer]);
    structuredClone(snap.y.buffer, { transfer: [snap.y.buffer as ArrayBuffer] }); // moved, as postMessage does
    assert.deepEqual(transferableBuffers([{ label: 'a', frame: snap }]), []);
  });
});
