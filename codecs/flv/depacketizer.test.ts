import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { VideoUnit } from '../access-unit.js';
import { ffmpegPath } from '../../core/ffmpeg.js';
import { h264NalType } from '../h264/nal.js';
import { h265NalType } from '../h265/nal.js';
import { encodeClipUnits } from '../mp4/mp4.testkit.js';
import { parseAvcC, parseHvcC } from './config-record.js';
import { FlvVideoDepacketizer } from './depacketizer.js';
import { buildAvcC, buildHvcC, codedFramesBody, messagesFromUnits, readFlvFile, sequenceStartBody } from './flv.testkit.js';
import { audioTagCodec, parseVideoTag } from './tag.js';

const h264 = encodeClipUnits({ codec: 'H264', seconds: 2, gop: 25 });
const h265 = encodeClipUnits({ codec: 'H265', seconds: 2, gop: 25 });

function run(dep: FlvVideoDepacketizer, messages: readonly { dtsMs: number; body: Uint8Array }[]): VideoUnit[] {
  return messages.flatMap((m) => dep.push(m.dtsMs, m.body, 0));
}

const plain = (units: readonly VideoUnit[]) => units.map((u) => ({ pts: u.pts, keyframe: u.keyframe, nalus: u.nalus.map((n) => Buffer.from(n).toString('hex')) }));

describe('FlvVideoDepacketizer', () => {
  it('H.264: avcC + coded frames give back the encoder\'s access units, SPS/PPS in band before each IDR', () => {
    const dep = new FlvVideoDepacketizer();
    const out = run(dep, messagesFromUnits(h264));
    assert.equal(out.length, h264.length);
    assert.deepEqual(plain(out), plain(h264));
    assert.equal(out.filter((u) => u.keyframe).length, 2);
    for (const u of out.filter((x) => x.keyframe)) assert.deepEqual(u.nalus.slice(0, 2).map(h264NalType), [7, 8]);
    const t = dep.track!;
    assert.equal(t.codec, 'H264');
    assert.equal(t.clockRate, 90_000);
    assert.equal(h264NalType(t.sps!), 7);
    assert.equal(h264NalType(t.pps!), 8);
    assert.deepEqual(dep.stats, { tags: h264.length + 1, units: h264.length, keyframes: 2, malformed: 0, unsupported: 0, droppedBeforeKeyframe: 0, outOfOrder: 0 });
  });

  for (const mode of ['enhanced', 'legacy'] as const) {
    it(`H.265 over ${mode === 'enhanced' ? "enhanced RTMP ('hvc1')" : 'the legacy codec id 12'}: VPS/SPS/PPS in band before each IRAP`, () => {
      const dep = new FlvVideoDepacketizer();
      const out = run(dep, messagesFromUnits(h265, mode));
      assert.deepEqual(plain(out), plain(h265));
      for (const u of out.filter((x) => x.keyframe)) assert.deepEqual(u.nalus.slice(0, 3).map(h265NalType), [32, 33, 34]);
      assert.equal(dep.track?.codec, 'H265');
      assert.equal(h265NalType(dep.track!.vps!), 32);
      assert.equal(dep.stats.malformed, 0);
    });
  }

  it('B-frames from ffmpeg\'s FLV muxer: pts = dts + cts, decoding order in, every picture once', () => {
    const r = spawnSync(ffmpegPath(), [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', '2', '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', 'pipe:1',
    ], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr?.toString());
    const tags = readFlvFile(new Uint8Array(r.stdout));
    const dep = new FlvVideoDepacketizer();
    const out = tags.filter((t) => t.type === 9).flatMap((t) => dep.push(t.timestampMs, t.body, 0));
    assert.equal(out.length, 50);
    const pts = out.map((u) => u.pts);
    // Display order is every 40 ms (3600 ticks) once; decoding order is not monotonic.
    assert.deepEqual([...pts].sort((a, b) => a - b), pts.map((_, i) => pts.reduce((m, p) => Math.min(m, p)) + i * 3600));
    assert.ok(pts.some((p, i) => i > 0 && p < pts[i - 1]!), 'B-frames come before the picture they precede in display');
    assert.ok(dep.stats.outOfOrder > 10, `B-frames counted: ${dep.stats.outOfOrder}`);
    assert.equal(out[0]!.keyframe, true);
    const audio = tags.filter((t) => t.type === 8);
    assert.ok(audio.length > 0);
    assert.ok(audio.every((t) => audioTagCodec(t.body) === 'AAC'));
  });

  it('negative composition offsets are signed (SI24)', () => {
    const dep = new FlvVideoDepacketizer();
    const key = h264[0]!;
    const sps = key.nalus.find((n) => h264NalType(n) === 7)!;
    const pps = key.nalus.find((n) => h264NalType(n) === 8)!;
    dep.push(0, sequenceStartBody('H264', { sps, pps }), 0);
    const [u] = dep.push(1000, codedFramesBody('H264', key.nalus.filter((n) => h264NalType(n) === 5), true, -40), 0);
    assert.equal(u!.pts, 960 * 90);
  });

  it('drops pictures before the sequence header and before the first keyframe, and counts them', () => {
    const dep = new FlvVideoDepacketizer();
    const msgs = messagesFromUnits(h264);
    assert.deepEqual(dep.push(0, msgs[1]!.body, 0), []); // the IDR, but no avcC yet
    dep.push(0, msgs[0]!.body, 0);
    assert.deepEqual(dep.push(40, msgs[2]!.body, 0), []); // a P-frame: no keyframe yet
    assert.equal(dep.push(80, msgs[1]!.body, 0).length, 1);
    assert.equal(dep.push(120, msgs[2]!.body, 0).length, 1);
    assert.equal(dep.stats.droppedBeforeKeyframe, 2);
  });

  it('a changed sequence header makes a new track and waits for a keyframe; the same one changes nothing', () => {
    const dep = new FlvVideoDepacketizer();
    const msgs = messagesFromUnits(h264);
    run(dep, msgs.slice(0, 3));
    const first = dep.track;
    dep.push(200, msgs[0]!.body, 0);
    assert.equal(dep.track, first);
    run(dep, messagesFromUnits(h265).slice(0, 1));
    assert.notEqual(dep.track, first);
    assert.equal(dep.track!.codec, 'H265');
    assert.deepEqual(dep.push(240, msgs[2]!.body, 0), []); // H.264 picture after an H.265 header
  });

  it('malformed tags are dropped and counted, never thrown', () => {
    const dep = new FlvVideoDepacketizer();
    const msgs = messagesFromUnits(h264);
    const seq = msgs[0]!.body;
    const bad: Uint8Array[] = [
      new Uint8Array(0), // empty
      Uint8Array.from([0x17, 1]), // shorter than the 5-byte header
      Uint8Array.from([0x17, 9, 0, 0, 0]), // AVCPacketType 9
      Uint8Array.from([0x90, 0x68]), // enhanced header cut inside the FourCC
      Uint8Array.from([0x91, ...Buffer.from('hvc1'), 0]), // CodedFrames cut inside its cts
      seq.subarray(0, seq.length - 3), // avcC cut inside the PPS
      Uint8Array.from([...seq.subarray(0, 5), 0, ...seq.subarray(6)]), // avcC version 0
      Uint8Array.from([0x1c, 0, 0, 0, 0, 1, 2, 3]), // hvcC far too short
    ];
    for (const b of bad) assert.deepEqual(dep.push(0, b, 0), []);
    assert.equal(dep.stats.malformed, bad.length);
    assert.equal(dep.track, undefined);
    dep.push(0, seq, 0);
    const idr = msgs[1]!.body;
    assert.deepEqual(dep.push(0, idr.subarray(0, idr.length - 10), 0), []); // last NAL overruns the tag
    assert.deepEqual(dep.push(0, Uint8Array.from([0x17, 1, 0, 0, 0, 0, 0, 0, 0]), 0), []); // zero-length NAL
    assert.equal(dep.stats.malformed, bad.length + 2);
    assert.match(dep.stats.lastProblem ?? '', /length prefixes/);
    assert.equal(dep.push(0, idr, 0).length, 1, 'a good tag after bad ones still decodes');
  });

  it('unsupported codecs and enhanced-RTMP v2 layouts are counted apart; command frames ignored', () => {
    const dep = new FlvVideoDepacketizer();
    assert.deepEqual(parseVideoTag(Uint8Array.from([0x14, 0, 0])), { type: 'unsupported', what: 'FLV video codec id 4' });
    dep.push(0, Uint8Array.from([0x14, 0, 0]), 0); // VP6
    dep.push(0, Uint8Array.from([0x90, ...Buffer.from('av01'), 0]), 0);
    dep.push(0, Uint8Array.from([0x96, ...Buffer.from('hvc1'), 0]), 0); // Multitrack
    dep.push(0, Uint8Array.from([0x57, 0, 0, 0, 0]), 0); // command frame
    assert.deepEqual(dep.stats, { tags: 4, units: 0, keyframes: 0, malformed: 0, unsupported: 3, droppedBeforeKeyframe: 0, outOfOrder: 0, lastProblem: 'unsupported: enhanced RTMP video packet type 6' });
  });

  it('every truncation and random garbage: no throw', () => {
    const dep = new FlvVideoDepacketizer();
    const msgs = [...messagesFromUnits(h264).slice(0, 3), ...messagesFromUnits(h265).slice(0, 3), ...messagesFromUnits(h265, 'legacy').slice(0, 2)];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (const m of msgs) {
      for (let cut = 0; cut < Math.min(m.body.length, 400); cut++) dep.push(0, m.body.subarray(0, cut), 0);
      const noisy = m.body.slice();
      for (let i = 0; i < 200; i++) {
        noisy[Math.floor(rand() * noisy.length)] = Math.floor(rand() * 256);
        assert.doesNotThrow(() => dep.push(0, noisy, 0));
      }
    }
    assert.ok(dep.stats.malformed > 100);
  });
});

describe('decoder configuration records', () => {
  it('round-trip the parameter sets and the NAL length size', () => {
    const sps = Uint8Array.from([0x67, 0x64, 0, 0x1f, 0xac]);
    const pps = Uint8Array.from([0x68, 0xee, 0x3c]);
    assert.deepEqual(parseAvcC(buildAvcC(sps, pps)), { lengthSize: 4, vps: [], sps: [sps], pps: [pps] });
    const key = h265[0]!;
    const [vps, hsps, hpps] = [32, 33, 34].map((t) => key.nalus.find((n) => h265NalType(n) === t)!);
    assert.deepEqual(parseHvcC(buildHvcC(vps!, hsps!, hpps!)), { lengthSize: 4, vps: [vps], sps: [hsps], pps: [hpps] });
  });
  it('reject records whose "SPS" is another NAL type or that lack a set', () => {
    assert.equal(parseAvcC(buildAvcC(Uint8Array.from([0x68, 1, 2, 3]), Uint8Array.from([0x68, 1]))), null);
    const rec = buildAvcC(Uint8Array.from([0x67, 1, 2, 3]), Uint8Array.from([0x68, 1]));
    rec[4] = 0xfe; // lengthSizeMinusOne 2: 3-byte lengths are not allowed
    assert.equal(parseAvcC(rec), null);
    const noPps = Uint8Array.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 2, 0x67, 1, 0]);
    assert.equal(parseAvcC(noPps), null);
  });
});

describe('audioTagCodec', () => {
  it('names legacy sound formats and enhanced FourCCs', () => {
    assert.equal(audioTagCodec(Uint8Array.from([0xaf, 1])), 'AAC');
    assert.equal(audioTagCodec(Uint8Array.from([0x72])), 'PCMA');
    assert.equal(audioTagCodec(Uint8Array.from([0x82])), 'PCMU');
    assert.equal(audioTagCodec(Uint8Array.from([0x91, ...Buffer.from('Opus')])), 'Opus');
    assert.equal(audioTagCodec(new Uint8Array(0)), undefined);
  });
});
