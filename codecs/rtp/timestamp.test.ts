import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampUnwrapper } from './timestamp.js';

describe('TimestampUnwrapper', () => {
  it('continues across the 32-bit wrap', () => {
    const u = new TimestampUnwrapper();
    assert.equal(u.unwrap(0xffffd8f0), 0xffffd8f0);
    assert.equal(u.unwrap(0xffffffff), 0xffffffff);
    assert.equal(u.unwrap(3600 - 1 - 0x2710 + 0x2710), 0x100000000 + 3599);
    assert.equal(u.unwrap(7200), 0x100000000 + 7200);
  });

  it('keeps small backward steps small (B-frames)', () => {
    const u = new TimestampUnwrapper();
    const seq = [0xfffff000, 0xfffff000 + 3 * 3000, 0xfffff000 + 3000, 0xfffff000 + 2 * 3000, 0xfffff000 + 6 * 3000];
    const out = seq.map((t) => u.unwrap(t >>> 0));
    assert.deepEqual(out.map((v) => v - 0xfffff000), [0, 9000, 3000, 6000, 18000]);
  });

  it('restarts after reset', () => {
    const u = new TimestampUnwrapper();
    u.unwrap(1000);
    u.reset();
    assert.equal(u.unwrap(0x80000000), 0x80000000);
  });
});
