import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findBox, parseBoxes, type ParsedBox } from './box.js';
import { decodeErrors, encodeClipUnits, FRAME_TICKS, hasEncoder, probeMp4 } from './mp4.testkit.js';
import { writeMp4, type Mp4Sample, type Mp4Track } from './writer.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
/** Real x264 SPS (High, 640x360) and a PPS; slices are crafted (the writer never parses them). */
const SPS = hex('6764001eacb405017fcb80880000030008000003019078b175');
const PPS = hex('68ebe3cb22c0');
const AUD = hex('09f0');
const IDR = hex('65888400aabbcc');
const P = hex('419a0011');
/** Real x265 SPS (Main, 640x360), a crafted VPS and PPS. */
const H265_SPS = hex('42010101600000030090000003000003003fa005020171f2e5ba4a4c2f016808000003000800000300c840');
const H265_VPS = hex('40010c01ffff016000000300900000030000030078959809');
const H265_PPS = hex('4401c172b46240');
const H265_IDR = hex('2601af0011223344');
const H265_TRAIL = hex('0201d00155');

const TRACK: Mp4Track = { codec: 'H264', sps: SPS, pps: PPS };

const u32 = (buf: Uint8Array, o: number) => new DataView(buf.buffer, buf.byteOffset).getUint32(o);
/** The 32-bit words of a FullBox's payload after version/flags. */
const words = (buf: Uint8Array, b: ParsedBox) => Array.from({ length: (b.start + b.size - b.payload - 4) / 4 }, (_, i) => u32(buf, b.payload + 4 + i * 4));
const stblChild = (mp4: Uint8Array, type: string) => findBox(parseBoxes(mp4), 'moov', 'trak', 'mdia', 'minf', 'stbl', type);

function threeFrames(): Mp4Sample[] {
  return [
    { nalus: [AUD, SPS, PPS, IDR], pts: 90000, keyframe: true },
    { nalus: [P], pts: 93600, keyframe: false },
    { nalus: [AUD, P], pts: 97200, keyframe: false },
  ];
}

describe('writeMp4 (crafted samples)', () => {
  it('writes ftyp, moov and mdat with the sample table boxes in order', () => {
    const mp4 = writeMp4(TRACK, threeFrames());
    const top = parseBoxes(mp4);
    assert.deepEqual(top.map((b) => b.type), ['ftyp', 'moov', 'mdat']);
    assert.equal(top.at(-1)!.start + top.at(-1)!.size, mp4.length, 'boxes cover the file');
    assert.deepEqual(findBox(top, 'moov')!.children!.map((b) => b.type), ['mvhd', 'trak']);
    assert.deepEqual(findBox(top, 'moov', 'trak')!.children!.map((b) => b.type), ['tkhd', 'mdia']);
    assert.deepEqual(findBox(top, 'moov', 'trak', 'mdia')!.children!.map((b) => b.type), ['mdhd', 'hdlr', 'minf']);
    assert.deepEqual(findBox(top, 'moov', 'trak', 'mdia', 'minf')!.children!.map((b) => b.type), ['vmhd', 'dinf', 'stbl']);
    assert.deepEqual(findBox(top, 'moov', 'trak', 'mdia', 'minf', 'stbl')!.children!.map((b) => b.type), ['stsd', 'stts', 'stss', 'stsc', 'stsz', 'stco']);
  });

  it('puts SPS/PPS in avcC and drops them and AUDs from the samples', () => {
    const mp4 = writeMp4(TRACK, threeFrames());
    const stsd = stblChild(mp4, 'stsd')!;
    const entry = parseBoxes(mp4, stsd.payload + 8, stsd.start + stsd.size)[0]!;
    assert.equal(entry.type, 'avc1');
    assert.equal((mp4[entry.payload + 24]! << 8) | mp4[entry.payload + 25]!, 640, 'width from the SPS');
    assert.equal((mp4[entry.payload + 26]! << 8) | mp4[entry.payload + 27]!, 360, 'height from the SPS');
    const avcc = parseBoxes(mp4, entry.payload + 78, entry.start + entry.size)[0]!;
    assert.equal(avcc.type, 'avcC');
    const rec = mp4.subarray(avcc.payload, avcc.start + avcc.size);
    assert.deepEqual([...rec.subarray(0, 6)], [1, 0x64, 0x00, 0x1e, 0xff, 0xe1], 'version, profile, compat, level, 4-byte lengths, 1 SPS');
    assert.deepEqual(rec.subarray(8, 8 + SPS.length), SPS);
    assert.deepEqual([...rec.subarray(8 + SPS.length + 3, 8 + SPS.length + 3 + PPS.length)], [...PPS]);
    assert.deepEqual([...rec.subarray(-4)], [0xfd, 0xf8, 0xf8, 0], 'High profile extension: 4:2:0, 8 bit');
    // stsz/stco point at length-prefixed slices only.
    const sizes = words(mp4, stblChild(mp4, 'stsz')!);
    assert.deepEqual(sizes, [0, 3, 4 + IDR.length, 4 + P.length, 4 + P.length]);
    const [count, offset] = words(mp4, stblChild(mp4, 'stco')!);
    assert.equal(count, 1);
    assert.equal(u32(mp4, offset!), IDR.length);
    assert.deepEqual(mp4.subarray(offset! + 4, offset! + 4 + IDR.length), IDR);
    assert.equal(offset, findBox(parseBoxes(mp4), 'mdat')!.payload);
  });

  it('derives durations from pts deltas, the last repeating the previous one', () => {
    const samples = threeFrames();
    samples[2]!.pts = 90000 + 3600 + 5400;
    const mp4 = writeMp4(TRACK, samples);
    assert.deepEqual(words(mp4, stblChild(mp4, 'stts')!), [2, 1, 3600, 2, 5400]);
    assert.deepEqual(words(mp4, stblChild(mp4, 'stss')!), [1, 1]);
    assert.deepEqual(words(mp4, stblChild(mp4, 'stsc')!), [1, 1, 3, 1]);
    const mvhd = findBox(parseBoxes(mp4), 'moov', 'mvhd')!;
    assert.equal(u32(mp4, mvhd.payload + 12), 90000, 'timescale');
    assert.equal(u32(mp4, mvhd.payload + 16), 3600 + 5400 + 5400, 'duration');
    const lone = writeMp4(TRACK, samples.slice(0, 1));
    assert.deepEqual(words(lone, stblChild(lone, 'stts')!), [1, 1, 3600], 'lone sample: 1/25 s');
  });

  it('writes ctts and an edit list only when pts differs from dts', () => {
    const samples: Mp4Sample[] = [
      { nalus: [IDR], pts: 7200, dts: 3600, keyframe: true },
      { nalus: [P], pts: 14400, dts: 7200, keyframe: false },
      { nalus: [P], pts: 10800, dts: 10800, keyframe: false },
    ];
    const mp4 = writeMp4(TRACK, samples);
    assert.deepEqual(words(mp4, stblChild(mp4, 'ctts')!), [3, 1, 3600, 1, 7200, 1, 0]);
    const elst = findBox(parseBoxes(mp4), 'moov', 'trak', 'edts')!.children![0]!;
    assert.equal(elst.type, 'elst');
    assert.deepEqual(words(mp4, elst), [1, 10800, 3600, 0x10000]);
    assert.equal(stblChild(writeMp4(TRACK, threeFrames()), 'ctts'), undefined);
  });

  it('writes hvc1 + hvcC with complete VPS/SPS/PPS arrays for H.265', () => {
    const mp4 = writeMp4({ codec: 'H265', vps: H265_VPS, sps: H265_SPS, pps: H265_PPS }, [
      { nalus: [H265_VPS, H265_SPS, H265_PPS, H265_IDR], pts: 0, keyframe: true },
      { nalus: [H265_TRAIL], pts: 3600, keyframe: false },
    ]);
    const stsd = stblChild(mp4, 'stsd')!;
    const entry = parseBoxes(mp4, stsd.payload + 8, stsd.start + stsd.size)[0]!;
    assert.equal(entry.type, 'hvc1');
    const hvcc = parseBoxes(mp4, entry.payload + 78, entry.start + entry.size)[0]!;
    assert.equal(hvcc.type, 'hvcC');
    const rec = mp4.subarray(hvcc.payload, hvcc.start + hvcc.size);
    assert.equal(rec[0], 1);
    // Unescaped: the SPS has emulation prevention bytes (00 00 03) inside its profile_tier_level.
    assert.deepEqual([...rec.subarray(1, 13)], [0x01, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 63], 'general profile_tier_level from the SPS');
    assert.equal(rec[12], 63, 'level 2.1');
    assert.equal(rec[21]! & 3, 3, '4-byte NAL lengths');
    assert.equal(rec[22], 3, 'three arrays');
    assert.deepEqual([rec[23], rec[24], rec[25]], [0x80 | 32, 0, 1], 'VPS array, complete, one NAL');
    assert.deepEqual(words(mp4, stblChild(mp4, 'stsz')!), [0, 2, 4 + H265_IDR.length, 4 + H265_TRAIL.length]);
  });

  it('rejects an empty clip and H.265 without a VPS', () => {
    assert.throws(() => writeMp4(TRACK, []), { name: 'InvalidStateError', message: 'writeMp4: no samples' });
    assert.throws(() => writeMp4({ codec: 'H265', sps: H265_SPS, pps: H265_PPS }, [{ nalus: [H265_IDR], pts: 0, keyframe: true }]), {
      name: 'InvalidStateError',
      message: 'writeMp4: H.265 needs a VPS',
    });
  });
});

/** Track parameters from a clip's first keyframe (ffmpeg repeats them at every IDR). */
function trackOf(units: ReturnType<typeof encodeClipUnits>): Mp4Track {
  const k = units[0]!;
  const h264 = k.codec === 'H264';
  const type = (n: Uint8Array) => (h264 ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f);
  const find = (t: number) => k.nalus.find((n) => type(n) === t)!;
  return h264 ? { codec: 'H264', sps: find(7), pps: find(8) } : { codec: 'H265', vps: find(32), sps: find(33), pps: find(34) };
}

function assertProbes(units: ReturnType<typeof encodeClipUnits>, codecName: string): void {
  const mp4 = writeMp4(trackOf(units), units);
  const p = probeMp4(mp4);
  const frame = FRAME_TICKS / 90000;
  assert.equal(p.codecName, codecName);
  assert.deepEqual([p.width, p.height], [320, 240]);
  assert.equal(p.nbFrames, units.length);
  assert.ok(Math.abs(p.streamDuration - 6) <= frame, `stream duration ${p.streamDuration}`);
  assert.ok(Math.abs(p.formatDuration - 6) <= frame, `format duration ${p.formatDuration}`);
  assert.equal(decodeErrors(mp4), '');
}

describe('writeMp4 (real clips, checked by ffprobe and ffmpeg)', () => {
  it('H.264: 6 s, 25 fps, 2 s GOP', () => {
    const units = encodeClipUnits({ codec: 'H264', seconds: 6, gop: 50 });
    assert.equal(units.length, 150);
    assert.deepEqual(units.flatMap((u, i) => (u.keyframe ? [i] : [])), [0, 50, 100]);
    assertProbes(units, 'h264');
  });

  it('H.265: 6 s, 25 fps, 2 s GOP', { skip: !hasEncoder('libx265') && 'ffmpeg has no libx265' }, () => {
    const units = encodeClipUnits({ codec: 'H265', seconds: 6, gop: 50 });
    assert.equal(units.length, 150);
    assertProbes(units, 'hevc');
  });
});
