import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { groupAccessUnits } from './access-unit-group.js';
import { H264Depacketizer } from './h264/depacketizer.js';
import { readRecording } from './h264/testdata/recording.js';
import { H265Depacketizer } from './h265/depacketizer.js';
import type { VideoUnit } from './access-unit.js';
import { parseRtp } from './rtp/packet.js';

// Crafted NAL units: a header byte (H.264) or two (H.265), then one payload byte whose top bit is
// first_mb_in_slice == 0 / first_slice_segment_in_pic_flag. The trailing byte tags each NAL for the asserts.
let tag = 0;
const h264 = (type: number, first = true): Uint8Array => Uint8Array.of(0x60 | type, first ? 0x88 : 0x08, ++tag);
const h265 = (type: number, first = true): Uint8Array => Uint8Array.of(type << 1, 0x01, first ? 0x80 : 0x00, ++tag);

/** Sizes of the units, for compact asserts. */
const shape = (units: Uint8Array[][]): number[] => units.map((u) => u.length);

describe('groupAccessUnits, H.264 (§7.4.1.2.3)', () => {
  it('returns nothing for no NAL units, and drops empty ones', () => {
    assert.deepEqual(groupAccessUnits('H264', []), []);
    assert.deepEqual(groupAccessUnits('H264', [new Uint8Array(0)]), []);
    const idr = h264(5);
    assert.deepEqual(groupAccessUnits('H264', [new Uint8Array(0), idr, new Uint8Array(0)]), [[idr]]);
  });

  it('starts a unit at SPS, PPS and SEI after a slice, and keeps them with the slice they precede', () => {
    const nalus = [h264(7), h264(8), h264(6), h264(5), h264(6), h264(1), h264(7), h264(8), h264(5)];
    const units = groupAccessUnits('H264', nalus);
    assert.deepEqual(shape(units), [4, 2, 3]);
    assert.deepEqual(units.flat(), nalus, 'views of the input, in order, none lost');
  });

  it('starts a unit at each first slice, and keeps the other slices of a multi-slice picture', () => {
    const units = groupAccessUnits('H264', [h264(5), h264(5, false), h264(5, false), h264(1), h264(1, false), h264(1)]);
    assert.deepEqual(shape(units), [3, 2, 1]);
  });

  it('starts a unit at every AUD, even before any slice', () => {
    const units = groupAccessUnits('H264', [h264(9), h264(7), h264(8), h264(5), h264(9), h264(1), h264(9), h264(9), h264(1)]);
    assert.deepEqual(shape(units), [4, 2, 1, 2]);
  });

  it('keeps end of sequence, end of stream, filler and data partitions B/C in the current unit', () => {
    // Partitions B and C (3, 4) open with slice_id, so their first bit says nothing about a new picture.
    const units = groupAccessUnits('H264', [h264(2), h264(3), h264(4), h264(12), h264(10), h264(11), h264(5)]);
    assert.deepEqual(shape(units), [6, 1]);
  });

  it('starts a unit at the prefix and subset-SPS types 14..18 after a slice', () => {
    const units = groupAccessUnits('H264', [h264(1), h264(14), h264(1), h264(15), h264(1)]);
    assert.deepEqual(shape(units), [1, 2, 2]);
  });

  it('yields a stream that starts mid-picture as its own first unit', () => {
    assert.deepEqual(shape(groupAccessUnits('H264', [h264(1, false), h264(1, false), h264(1)])), [2, 1]);
  });

  it('treats a slice too short to carry first_mb_in_slice as a continuation', () => {
    assert.deepEqual(shape(groupAccessUnits('H264', [h264(1), Uint8Array.of(0x41)])), [2]);
  });
});

describe('groupAccessUnits, H.265 (§7.4.2.4.4)', () => {
  it('starts a unit at VPS, SPS, PPS and prefix SEI after a slice; a suffix SEI stays', () => {
    const nalus = [h265(32), h265(33), h265(34), h265(39), h265(19), h265(40), h265(39), h265(1), h265(1)];
    assert.deepEqual(shape(groupAccessUnits('H265', nalus)), [6, 2, 1]);
  });

  it('keeps the slice segments of one picture together', () => {
    const units = groupAccessUnits('H265', [h265(19), h265(19, false), h265(1), h265(1, false), h265(1, false)]);
    assert.deepEqual(shape(units), [2, 3]);
  });

  it('starts a unit at every AUD; EOS, EOB and filler stay in the current unit', () => {
    const units = groupAccessUnits('H265', [h265(35), h265(19), h265(38), h265(36), h265(37), h265(35), h265(21)]);
    assert.deepEqual(shape(units), [5, 2]);
  });

  it('starts a unit at the reserved (41..44) and unspecified (48..55) non-VCL types after a slice', () => {
    assert.deepEqual(shape(groupAccessUnits('H265', [h265(1), h265(41), h265(1), h265(55), h265(1), h265(45), h265(1)])), [1, 2, 3, 1]);
  });

  it('returns nothing for no NAL units', () => {
    assert.deepEqual(groupAccessUnits('H265', []), []);
  });
});

describe('groupAccessUnits on recorded camera streams', () => {
  // The depacketizer's units (split by RTP marker and timestamp) are the reference: flattening them
  // and grouping the NAL units again must give the same units back.
  for (const [codec, file] of [['H264', 'h264/testdata/h264-640x360.bin'], ['H265', 'h265/testdata/h265-640x360.bin']] as const) {
    it(`regroups ${file} into the depacketizer's units`, () => {
      const depacketizer = codec === 'H264' ? new H264Depacketizer() : new H265Depacketizer();
      const units: VideoUnit[] = [];
      for (const bytes of readRecording(fileURLToPath(new URL(file, import.meta.url)))) {
        const packet = parseRtp(bytes);
        if (packet) units.push(...depacketizer.push(packet));
      }
      assert.ok(units.length >= 20, `${units.length} units in the recording`);
      const regrouped = groupAccessUnits(codec, units.flatMap((u) => u.nalus));
      assert.deepEqual(shape(regrouped), units.map((u) => u.nalus.length));
      assert.deepEqual(regrouped, units.map((u) => u.nalus));
    });
  }
});
