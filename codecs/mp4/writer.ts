/**
 * Progressive MP4 writer for one video track, ISO/IEC 14496-12 (file format) and 14496-15 (AVC and
 * HEVC in ISO files): the whole clip is in memory, so moov goes before mdat and a player can start
 * without seeking to the end.
 *
 *   ftyp | moov ─ mvhd                                          | mdat ─ sample 0 | sample 1 | ...
 *        |      └ trak ─ tkhd | [edts ─ elst]                          len(32) NAL | len(32) NAL ...
 *        |             └ mdia ─ mdhd | hdlr 'vide'
 *        |                    └ minf ─ vmhd | dinf ─ dref ─ url
 *        |                           └ stbl ─ stsd ─ avc1/hvc1 ─ avcC/hvcC
 *        |                                  | stts | [ctts] | stss | stsc | stsz | stco/co64
 *
 * Samples carry NAL units behind 4-byte lengths. Parameter sets (VPS/SPS/PPS) and access unit
 * delimiters are dropped from the samples: the parameter sets travel out of band in avcC/hvcC, and
 * 'hvc1' forbids in-band copies (array_completeness = 1, 14496-15 §8.3.3.1.3). The caller must
 * therefore pass a clip whose keyframes all use the track's parameter sets (UnitHistory resets
 * when they change); a resolution change inside one file would need a second sample entry.
 */
import type { VideoCodec } from '../access-unit.js';
import { InvalidStateError, ProtocolError } from '../../core/errors.js';
import { H264Nal, h264NalType } from '../h264/nal.js';
import { parseH264Sps } from '../h264/sps.js';
import { H265Nal, h265NalType } from '../h265/nal.js';
import { parseH265Sps } from '../h265/sps.js';
import { box, concat, fourcc, fullBox, u32s, uints } from './box.js';
import { NAL_LENGTH_SIZE, avcC, hvcC, visualSampleEntry } from './sample-entry.js';
import { stbl, type SampleTiming } from './sample-table.js';

/** The video track of a clip: codec, its parameter sets, and optionally the size (else read from the SPS). */
export interface Mp4Track {
  codec: VideoCodec;
  sps: Uint8Array;
  pps: Uint8Array;
  /** Required for H.265. */
  vps?: Uint8Array;
  width?: number;
  height?: number;
  /** Ticks per second of pts/dts (default 90000, the RTP video clock). */
  timescale?: number;
}

/** One access unit to write: NAL units without start codes, timestamps in track ticks. */
export interface Mp4Sample {
  nalus: readonly Uint8Array[];
  pts: number;
  /** Decoding time; defaults to pts (no B-frames). */
  dts?: number;
  keyframe: boolean;
}

/** Duration given to a lone sample (no next sample to measure against): one frame at 25 fps. */
const LONE_SAMPLE_SECONDS = 1 / 25;

/** Unity transformation matrix (§8.2.2.3): 16.16 fixed point, last column 2.30. */
const MATRIX = u32s([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]);

/** True for NAL units that stay out of the samples: parameter sets and delimiters. */
function outOfBand(codec: VideoCodec, nal: Uint8Array): boolean {
  if (codec === 'H264') {
    const t = h264NalType(nal);
    return t === H264Nal.SPS || t === H264Nal.PPS || t === H264Nal.AUD;
  }
  const t = h265NalType(nal);
  return t === H265Nal.VPS || t === H265Nal.SPS || t === H265Nal.PPS || t === H265Nal.AUD;
}

/**
 * Sample timing from the timestamps: each duration is the next sample's dts minus this one's, the
 * last sample repeats the previous duration. Non-increasing dts (a camera clock step) get one tick,
 * since stts deltas are unsigned.
 */
export function sampleTimings(samples: readonly Mp4Sample[], timescale: number): SampleTiming[] {
  const out: SampleTiming[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const dts = s.dts ?? s.pts;
    const next = samples[i + 1];
    let duration: number;
    if (next) duration = Math.max(1, (next.dts ?? next.pts) - dts);
    else if (i > 0) duration = out[i - 1]!.duration;
    else duration = Math.max(1, Math.round(timescale * LONE_SAMPLE_SECONDS));
    out.push({ dts, offset: s.pts - dts, duration });
  }
  return out;
}

/** A FullBox whose version is 1 (64-bit times) only when the duration needs it. */
function timedBox(type: string, flags: number, before: (v1: boolean) => Uint8Array, duration: number, after: Uint8Array): Uint8Array {
  const v1 = duration > 0xffffffff;
  const w = v1 ? 8 : 4;
  return fullBox(type, v1 ? 1 : 0, flags, before(v1), uints([w], [duration]), after);
}

/** Writes `samples` of `track` as a progressive MP4 file. */
export function writeMp4(track: Mp4Track, samples: readonly Mp4Sample[]): Uint8Array {
  if (samples.length === 0) throw new InvalidStateError('writeMp4: no samples');
  const timescale = track.timescale ?? 90000;
  const h264 = track.codec === 'H264';
  if (!h264 && !track.vps) throw new InvalidStateError('writeMp4: H.265 needs a VPS');
  const info = h264 ? parseH264Sps(track.sps) : parseH265Sps(track.sps);
  const width = track.width ?? info?.width;
  const height = track.height ?? info?.height;
  if (width === undefined || height === undefined) throw new ProtocolError('writeMp4: SPS does not parse and no size was given');

  const payloads: Uint8Array[] = [];
  const sizes: number[] = [];
  for (const s of samples) {
    const nalus = s.nalus.filter((n) => n.length > 0 && !outOfBand(track.codec, n));
    let size = 0;
    for (const n of nalus) {
      payloads.push(uints([NAL_LENGTH_SIZE], [n.length]), n);
      size += NAL_LENGTH_SIZE + n.length;
    }
    sizes.push(size);
  }
  const mdatPayload = concat(payloads);
  const timings = sampleTimings(samples, timescale);
  let duration = 0;
  for (const t of timings) duration += t.duration;

  const config = h264 ? avcC(track.sps, track.pps) : hvcC(track.vps!, track.sps, track.pps);
  const entry = visualSampleEntry(h264 ? 'avc1' : 'hvc1', width, height, config);
  const ftyp = box('ftyp', fourcc('isom'), uints([4], [0x200]), fourcc('isom'), fourcc('iso2'), fourcc(h264 ? 'avc1' : 'hvc1'), fourcc('mp41'));
  const moov = (chunkOffset: number) =>
    box(
      'moov',
      timedBox('mvhd', 0, (v1) => uints(v1 ? [8, 8, 4] : [4, 4, 4], [0, 0, timescale]), duration,
        concat([uints([4, 2, 2, 8], [0x00010000, 0x0100, 0, 0]), MATRIX, new Uint8Array(24), uints([4], [2])])),
      trak(track.codec, width, height, timescale, duration, timings, stbl(entry, timings, samples.map((s) => s.keyframe), sizes, chunkOffset)),
    );
  // The chunk offset does not change moov's size (stco vs co64 is decided by the value, and a file
  // held in memory stays far below 4 GiB), so measure once with 0 and write again with the real one.
  const mdatHeader = mdatPayload.length + 8 > 0xffffffff ? 16 : 8;
  const offset = ftyp.length + moov(0).length + mdatHeader;
  return concat([ftyp, moov(offset), box('mdat', mdatPayload)]);
}

/** The trak box of the video track. */
function trak(codec: VideoCodec, width: number, height: number, timescale: number, duration: number, timings: readonly SampleTiming[], sampleTable: Uint8Array): Uint8Array {
  const tkhd = timedBox('tkhd', 3 /* enabled | in_movie */, (v1) => uints(v1 ? [8, 8, 4, 4] : [4, 4, 4, 4], [0, 0, 1, 0]), duration,
    concat([new Uint8Array(8), uints([2, 2, 2, 2], [0, 0, 0, 0]), MATRIX, uints([4, 4], [width * 65536, height * 65536])]));
  // With composition offsets the first picture is shown at its offset, not at 0: an edit list
  // (§8.6.6) starts the presentation there so players do not show a gap (B-frame sources only).
  const first = timings[0]!.offset;
  const edts = first === 0 ? new Uint8Array(0) : box('edts', fullBox('elst', 0, 0, u32s([1, duration, first, 0x00010000])));
  const mdhd = timedBox('mdhd', 0, (v1) => uints(v1 ? [8, 8, 4] : [4, 4, 4], [0, 0, timescale]), duration, uints([2, 2], [0x55c4 /* 'und' */, 0]));
  const hdlr = fullBox('hdlr', 0, 0, uints([4], [0]), fourcc('vide'), new Uint8Array(12), Uint8Array.from(`${codec} video\0`, (c) => c.charCodeAt(0)));
  const minf = box(
    'minf',
    fullBox('vmhd', 0, 1, new Uint8Array(8)), // graphicsmode copy, opcolor 0
    box('dinf', fullBox('dref', 0, 0, uints([4], [1]), fullBox('url ', 0, 1))), // flag 1: media in this file
    sampleTable,
  );
  return box('trak', tkhd, edts, box('mdia', mdhd, hdlr, minf));
}
