/**
 * FLV tag bodies as RTMP ingest receives them (codecs/flv/: parseVideoTag, audioTagCodec, parseAvcC,
 * parseHvcC, FlvVideoDepacketizer), seeded with tags built from the recorded H.264 and H.265
 * pictures: avcC / hvcC sequence headers (legacy codec id 7 and 12, enhanced 'hvc1'), coded frames
 * with 4-byte NAL lengths, and a few audio tags.
 *
 * codecs/flv/ belongs to the RTMP ingest work: this target only calls its public functions.
 *
 * Checks: nothing throws; every unit has non-empty NAL units; a keyframe unit carries IDR/IRAP and
 * the parameter sets; pts is finite; the track, once known, has an SPS and a PPS.
 */
import type { VideoCodec, VideoUnit } from '../../codecs/access-unit.js';
import { parseAvcC, parseHvcC } from '../../codecs/flv/config-record.js';
import { FlvVideoDepacketizer } from '../../codecs/flv/depacketizer.js';
import { audioTagCodec, parseVideoTag } from '../../codecs/flv/tag.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { H265Depacketizer } from '../../codecs/h265/depacketizer.js';
import { isH265Irap } from '../../codecs/h265/nal.js';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { invariant, type FuzzTarget } from '../harness.js';
import { buildRun, runOf, type SequenceRun } from '../mutate.js';
import { h264Rtp, h265Rtp } from '../seeds.js';

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const avcc = (nalus: readonly Uint8Array[]): number[] => nalus.flatMap((n) => [...u32(n.length), ...n]);

/** The units of a recording, depacketized once. */
function unitsOf(codec: VideoCodec): VideoUnit[] {
  const d = codec === 'H264' ? new H264Depacketizer() : new H265Depacketizer();
  const out: VideoUnit[] = [];
  for (const raw of codec === 'H264' ? h264Rtp : h265Rtp) out.push(...d.push(parseRtp(raw)!, 0));
  out.push(...d.flush(0));
  return out;
}

/** Sequence header + coded frames of a recording, the way an encoder publishes them. */
export function tagsOf(codec: VideoCodec, hevc: 'enhanced' | 'legacy' = 'enhanced'): Uint8Array[] {
  const units = unitsOf(codec);
  const type = (n: Uint8Array): number => (codec === 'H264' ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f);
  const key = units.find((u) => u.keyframe)!;
  const find = (t: number): Uint8Array => key.nalus.find((n) => type(n) === t)!;
  let seq: number[];
  if (codec === 'H264') {
    const sps = find(7);
    const pps = find(8);
    seq = [0x17, 0, 0, 0, 0, 1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1, ...u16(sps.length), ...sps, 1, ...u16(pps.length), ...pps];
  } else {
    const [vps, sps, pps] = [find(32), find(33), find(34)];
    const array = (t: number, nal: Uint8Array): number[] => [0x80 | t, 0, 1, ...u16(nal.length), ...nal];
    const record = [1, ...sps.subarray(3, 15), 0xf0, 0, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f, 3, ...array(32, vps), ...array(33, sps), ...array(34, pps)];
    seq = hevc === 'legacy' ? [0x1c, 0, 0, 0, 0, ...record] : [0x90, ...Buffer.from('hvc1'), ...record];
  }
  const params = codec === 'H264' ? [7, 8] : [32, 33, 34];
  const frames = units.map((u, i) => {
    const data = avcc(u.nalus.filter((n) => !params.includes(type(n))));
    const frameType = u.keyframe ? 1 : 2;
    const cts = u16(i * 40);
    if (codec === 'H264') return Uint8Array.from([(frameType << 4) | 7, 1, 0, ...cts, ...data]);
    if (hevc === 'legacy') return Uint8Array.from([(frameType << 4) | 12, 1, 0, ...cts, ...data]);
    return i % 2 ? Uint8Array.from([0x80 | (frameType << 4) | 3, ...Buffer.from('hvc1'), ...data])
      : Uint8Array.from([0x80 | (frameType << 4) | 1, ...Buffer.from('hvc1'), 0, ...cts, ...data]);
  });
  return [Uint8Array.from(seq), ...frames];
}

/** AAC sequence header, AAC raw, G.711 A-law, enhanced Opus. */
export const AUDIO = [Uint8Array.of(0xaf, 0, 0x12, 0x10), Uint8Array.of(0xaf, 1, 0x21, 0x10, 0x04), Uint8Array.of(0x72, 0xd5, 0xd5), Uint8Array.of(0x90, 0x4f, 0x70, 0x75, 0x73, 0)];

export function checkUnits(units: readonly VideoUnit[]): void {
  for (const u of units) {
    invariant(Number.isFinite(u.pts), `pts ${u.pts}`);
    invariant(u.nalus.length > 0 && u.nalus.every((n) => n.length > 0), 'unit with no or empty NAL units');
    if (!u.keyframe) continue;
    const types = u.nalus.map((n) => (u.codec === 'H264' ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f));
    invariant(u.codec === 'H264' ? types.includes(5) : types.some(isH265Irap), 'keyframe without IDR/IRAP');
    const sets = u.codec === 'H264' ? [7, 8] : [32, 33, 34];
    invariant(sets.every((t) => types.includes(t)), `keyframe lacks parameter sets: ${types.join(',')}`);
  }
}

/** FLV video/audio tags and the FLV depacketizer. */
export function flvTarget(): FuzzTarget<SequenceRun> {
  const streams = [tagsOf('H264'), tagsOf('H265'), tagsOf('H265', 'legacy')];
  const tags = streams.flat().concat(AUDIO);
  const headers = streams.map((s) => s[0]!);
  const longLived = new FlvVideoDepacketizer();
  let dts = 0;
  return {
    name: 'flv',
    covers: 'parseVideoTag (legacy + enhanced), audioTagCodec, parseAvcC/parseHvcC, FlvVideoDepacketizer',
    arbitrary: runOf(tags, 24),
    run(r) {
      const d = new FlvVideoDepacketizer();
      const run = buildRun(tags, r);
      if (r.primed) run.unshift(headers[r.start % headers.length]!); // most streams start with their sequence header
      for (const body of run) {
        audioTagCodec(body);
        const tag = parseVideoTag(body);
        if (tag.type === 'sequence-start') (tag.codec === 'H264' ? parseAvcC : parseHvcC)(tag.data);
        dts += 40;
        checkUnits(d.push(dts, body, dts));
        checkUnits(longLived.push(dts, body, dts));
        const t = d.track;
        if (t) invariant(t.sps !== undefined && t.sps.length > 0 && t.pps !== undefined && t.pps.length > 0, 'track without SPS/PPS');
      }
    },
  };
}
