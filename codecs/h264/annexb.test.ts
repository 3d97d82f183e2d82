import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avccToNalus, joinAnnexB, nalusToAvcc, splitAnnexB } from './annexb.js';

const hex = (nalus: Uint8Array[]) => nalus.map((n) => Buffer.from(n).toString('hex'));

describe('Annex B / AVCC', () => {
  const nalus = [Uint8Array.of(0x67, 1, 2), Uint8Array.of(0x68, 0, 0, 3, 1), Uint8Array.of(0x65, 9)];

  it('splits 3- and 4-byte start codes and drops trailing zeros', () => {
    const buf = Uint8Array.of(0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 0, 0, 3, 1, 0, 0, 0, 0, 1, 0x65, 9, 0);
    assert.deepEqual(hex(splitAnnexB(buf)), hex(nalus));
    assert.deepEqual(splitAnnexB(Uint8Array.of(1, 2, 3)), []);
  });

  it('round-trips Annex B and AVCC', () => {
    assert.deepEqual(hex(splitAnnexB(joinAnnexB(nalus))), hex(nalus));
    assert.deepEqual(hex(avccToNalus(nalusToAvcc(nalus))), hex(nalus));
    assert.deepEqual(hex(avccToNalus(nalusToAvcc(nalus, 2), 2)), hex(nalus));
  });

  it('ignores a truncated AVCC tail', () => {
    const buf = nalusToAvcc(nalus);
    assert.deepEqual(hex(avccToNalus(buf.subarray(0, buf.length - 1))), hex(nalus.slice(0, 2)));
  });
});
