import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseH265Sps } from './sps.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
/** Real x265 SPS bytes (Main profile). */
const SPS_1080 = '420101016000000300900000030000030078a003c08010e596566924caf0168080000003008000000f04';
const SPS_640x360 = '42010101600000030090000003000003003fa005020171f2e5ba4a4c2f016808000003000800000300c840';

describe('parseH265Sps', () => {
  it('parses real SPS bytes, applying the conformance window', () => {
    assert.deepEqual(parseH265Sps(hex(SPS_1080)), { width: 1920, height: 1080, profileIdc: 1, levelIdc: 120, tierFlag: 0, chromaFormatIdc: 1 });
    assert.deepEqual(parseH265Sps(hex(SPS_640x360)), { width: 640, height: 360, profileIdc: 1, levelIdc: 63, tierFlag: 0, chromaFormatIdc: 1 });
  });

  it('returns null for other NAL types, truncation and garbage', () => {
    assert.equal(parseH265Sps(hex('40010c01')), null);
    const real = hex(SPS_1080);
    for (let n = 0; n < 20; n++) assert.equal(parseH265Sps(real.subarray(0, n)), null, `cut at ${n}`);
    fc.assert(fc.property(fc.uint8Array({ minLength: 2, maxLength: 40 }), (b) => { b[0] = 0x42; parseH265Sps(b); }), { numRuns: 2000 });
  });
});
