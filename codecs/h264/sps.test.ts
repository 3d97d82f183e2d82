import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BitReader, unescapeRbsp } from './bitreader.js';
import { parseH264Sps, profileLevelId } from './sps.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** Real SPS bytes: the recording's, and x264 output for a few shapes (mediamtx keeps real SPS the same way). */
const REAL = {
  recording640x360: '6764001eacb405017fcb80880000030008000003019078b175',
  baseline320x240: '6742c00dd90141fb0110000003001000000303c0f142a480',
  high1920x1080: '67640028acd940780227e5c044000003000400000300f03c60c658',
  interlaced720x576: '6764001facd940b424d80880000003008000001e0f8b16cb',
  high444_352x288: '67f4000d919b282c12d80880000003008000001e078a14cb',
};

/** Minimal writer for crafting SPS syntax in tests. */
class BitWriter {
  bits: number[] = [];
  u(n: number, v: number) { for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2); return this; }
  ue(v: number) { const len = Math.floor(Math.log2(v + 1)); this.u(len, 0); return this.u(len + 1, v + 1); }
  se(v: number) { return this.ue(v <= 0 ? -2 * v : 2 * v - 1); }
  /** RBSP trailing bits, then emulation prevention. */
  nal(): Uint8Array {
    this.bits.push(1);
    while (this.bits.length % 8) this.bits.push(0);
    const raw: number[] = [];
    for (let i = 0; i < this.bits.length; i += 8) raw.push(parseInt(this.bits.slice(i, i + 8).join(''), 2));
    const out: number[] = [];
    let zeros = 0;
    for (const b of raw) {
      if (zeros >= 2 && b <= 3) { out.push(3); zeros = 0; }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return Uint8Array.from(out);
  }
}

describe('parseH264Sps', () => {
  it('parses real SPS bytes', () => {
    const got = Object.fromEntries(Object.entries(REAL).map(([k, v]) => {
      const i = parseH264Sps(hex(v))!;
      return [k, [i.profileIdc, i.levelIdc, i.width, i.height, i.frameMbsOnly, i.chromaFormatIdc, i.frameRate]];
    }));
    assert.deepEqual(got, {
      recording640x360: [100, 30, 640, 360, true, 1, 25],
      baseline320x240: [66, 13, 320, 240, true, 1, 30],
      high1920x1080: [100, 40, 1920, 1080, true, 1, 30],
      interlaced720x576: [100, 31, 720, 576, false, 1, 30],
      high444_352x288: [244, 13, 352, 288, true, 3, 30],
    });
  });

  it('parses crafted high-profile syntax: scaling lists, POC type 1, field coding, cropping, extended SAR', () => {
    const w = new BitWriter().u(8, 0x67).u(8, 100).u(8, 0).u(8, 40).ue(0);
    w.ue(1).ue(2).ue(2).u(1, 0); // 4:2:0, 10-bit
    w.u(1, 1); // seq_scaling_matrix_present_flag
    for (let i = 0; i < 8; i++) {
      w.u(1, i % 2);
      if (!(i % 2)) continue;
      // deltas until nextScale hits 0 (the reader must stop there too)
      let last = 8;
      let next = 8;
      for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
        if (next !== 0) {
          const delta = j === 0 ? 8 : j % 3 === 0 ? -1 : 0;
          w.se(delta);
          next = (last + delta + 256) % 256;
        }
        last = next === 0 ? last : next;
      }
    }
    w.ue(0).ue(1).u(1, 0).se(-1).se(2).ue(2).se(1).se(-1); // frame_num, POC type 1 with a 2-entry cycle
    w.ue(4).u(1, 0).ue(119).ue(33).u(1, 0).u(1, 0).u(1, 1); // 1920 x (2*34*16), field coding, mb_adaptive 0
    w.u(1, 1).ue(0).ue(0).ue(0).ue(2); // crop bottom 2 -> 2 * 2 * 2 = 8 rows
    w.u(1, 1).u(1, 1).u(8, 255).u(16, 4).u(16, 3).u(1, 0).u(1, 1).u(3, 5).u(1, 0).u(1, 1).u(24, 0x010101).u(1, 0);
    w.u(1, 1).u(32, 1001).u(32, 60000).u(1, 1);
    const info = parseH264Sps(w.nal());
    assert.deepEqual(info, {
      profileIdc: 100, constraintFlags: 0, levelIdc: 40, width: 1920, height: 1080, chromaFormatIdc: 1, bitDepth: 10,
      frameMbsOnly: false, frameRate: 29.97,
    });
  });

  it('rejects non-SPS and truncated input without throwing', () => {
    assert.equal(parseH264Sps(hex('68ce3c80')), null);
    assert.equal(parseH264Sps(new Uint8Array(0)), null);
    const real = hex(REAL.high1920x1080);
    for (let n = 0; n < 10; n++) assert.equal(parseH264Sps(real.subarray(0, n)), null, `cut at ${n}`);
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (b) => { b[0] = 0x67; parseH264Sps(b); }), { numRuns: 2000 });
  });

  // Found by fuzz/targets/sps.ts: time_scale / (2 * num_units_in_tick) below 0.0005 was rounded to a frame rate of 0.
  it('VUI timing that rounds to 0 fps gives no frame rate, not 0', () => {
    const sps = Uint8Array.from([103, 77, 64, 31, 236, 160, 40, 2, 221, 244, 216, 190, 147, 103, 210, 216, 128, 136, 0, 0, 3, 0, 8, 0, 4, 3, 1, 144, 120, 193, 140, 176]);
    const info = parseH264Sps(sps);
    assert.equal(info?.width, 1280);
    assert.equal(info?.height, 720);
    assert.equal(info?.frameRate, undefined);
  });

  it('gives the profile-level-id', () => {
    assert.equal(profileLevelId(hex(REAL.recording640x360)), '64001e');
    assert.equal(profileLevelId(hex(REAL.baseline320x240)), '42c00d');
  });
});

describe('bitreader', () => {
  it('removes emulation prevention bytes', () => {
    assert.deepEqual([...unescapeRbsp(hex('0000030100000302'))], [0, 0, 1, 0, 0, 2]);
    const plain = hex('01020304');
    assert.equal(unescapeRbsp(plain), plain);
  });

  it('reads Exp-Golomb codes', () => {
    const w = new BitWriter();
    const values = [0, 1, 2, 3, 7, 255, 65535, 2 ** 31 - 1];
    values.forEach((v) => w.ue(v));
    w.se(-5).se(5).se(0);
    const r = new BitReader(unescapeRbsp(w.nal()));
    assert.deepEqual(values.map(() => r.ue()), values);
    assert.deepEqual([r.se(), r.se(), r.se()], [-5, 5, 0]);
  });
});
