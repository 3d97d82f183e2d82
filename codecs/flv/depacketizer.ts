/**
 * FLV video tags (RTMP video messages) → access units, for H.264 and H.265 (codecs/flv/tag.ts
 * for the header layouts, config-record.ts for the sequence headers).
 *
 *   RTMP message (dts ms) ─▶ parseVideoTag ─┬─ sequence-start ─▶ parameter sets, `track`
 *                                           └─ frames ─▶ split length prefixes ─▶ VideoUnit
 *                                                         pts = (dts + cts) × 90, keyframe ⇐ IDR/IRAP
 *
 * FLV keeps parameter sets out of band (in the sequence header); a VideoUnit carries them in band
 * before every keyframe, so they are inserted when the picture does not bring its own. Pictures
 * come in decoding order: with B-frames their pts go up and down (pts = dts + cts), as in RTP.
 * Malformed tags are dropped and counted; push never throws.
 */
import type { VideoCodec, VideoTrack, VideoUnit } from '../access-unit.js';
import { avccToNalus } from '../h264/annexb.js';
import { H264Nal, h264NalType } from '../h264/nal.js';
import { H265Nal, h265NalType, isH265Irap } from '../h265/nal.js';
import { parseAvcC, parseHvcC, type DecoderConfig } from './config-record.js';
import { parseVideoTag } from './tag.js';

/** Counters of an FlvVideoDepacketizer. */
export interface FlvVideoStats {
  tags: number;
  units: number;
  keyframes: number;
  /** Truncated tags, bad sequence headers, bad NAL length prefixes. */
  malformed: number;
  /** Tags of a codec other than H.264/H.265 (VP6, AV1...) or an enhanced-RTMP v2 layout. */
  unsupported: number;
  /** Pictures before the first sequence header or the first keyframe after it. */
  droppedBeforeKeyframe: number;
  /** Pictures whose pts is below an earlier one's: the encoder uses B-frames. */
  outOfOrder: number;
  /** Why the last tag was dropped, for the logs. */
  lastProblem?: string;
}

/** RTMP video messages → VideoUnits; `track` describes the stream once a sequence header came. */
export class FlvVideoDepacketizer {
  #config?: DecoderConfig;
  #codec?: VideoCodec;
  #track?: VideoTrack;
  #synced = false;
  #maxPts = -Infinity;
  readonly #stats: FlvVideoStats = { tags: 0, units: 0, keyframes: 0, malformed: 0, unsupported: 0, droppedBeforeKeyframe: 0, outOfOrder: 0 };

  /** The video track from the latest sequence header; a new object whenever the parameter sets change. */
  get track(): VideoTrack | undefined {
    return this.#track;
  }

  /** A snapshot of the counters. */
  get stats(): FlvVideoStats {
    return { ...this.#stats };
  }

  /**
   * One video message: `dtsMs` is the RTMP timestamp, `body` the message payload. The body may be
   * a buffer the RTMP parser reuses: everything kept is copied.
   */
  push(dtsMs: number, body: Uint8Array, receivedAt: number): VideoUnit[] {
    this.#stats.tags++;
    const tag = parseVideoTag(body);
    switch (tag.type) {
      case 'sequence-start': {
        const copy = tag.data.slice();
        const config = tag.codec === 'H264' ? parseAvcC(copy) : parseHvcC(copy);
        if (!config) return this.#malformed(`bad ${tag.codec} sequence header`);
        this.#setConfig(tag.codec, config);
        return [];
      }
      case 'frames':
        return this.#frames(tag.codec, dtsMs + tag.cts, tag.data, receivedAt);
      case 'malformed':
        return this.#malformed(tag.why);
      case 'unsupported':
        this.#stats.unsupported++;
        this.#stats.lastProblem = `unsupported: ${tag.what}`;
        return [];
      default:
        return []; // sequence end, command frames, metadata
    }
  }

  #setConfig(codec: VideoCodec, config: DecoderConfig): void {
    const vps = config.vps[0];
    const sps = config.sps[0]!;
    const pps = config.pps[0]!;
    const t = this.#track;
    if (t && t.codec === codec && same(t.vps, vps) && same(t.sps, sps) && same(t.pps, pps) && this.#config?.lengthSize === config.lengthSize) return;
    this.#config = config;
    this.#codec = codec;
    // A new sequence header (new encoder settings) needs a keyframe before anything decodes.
    this.#synced = false;
    this.#track = {
      kind: 'video', codec, payloadType: 96, clockRate: 90_000,
      fmtp: codec === 'H264' ? { 'packetization-mode': '1' } : {},
      ...(vps ? { vps } : {}), sps, pps,
    };
  }

  #frames(codec: VideoCodec, ptsMs: number, data: Uint8Array, receivedAt: number): VideoUnit[] {
    const config = this.#config;
    if (!config || codec !== this.#codec) {
      this.#stats.droppedBeforeKeyframe++;
      return [];
    }
    const copy = data.slice();
    const nalus = avccToNalus(copy, config.lengthSize);
    // avccToNalus stops at a prefix that overruns the tag: all bytes must be accounted for.
    let used = 0;
    for (const n of nalus) used += config.lengthSize + n.length;
    if (nalus.length === 0 || used !== copy.length || nalus.some((n) => n.length === 0)) return this.#malformed('bad NAL unit length prefixes');
    const keyframe = codec === 'H264'
      ? nalus.some((n) => h264NalType(n) === H264Nal.IDR)
      : nalus.some((n) => isH265Irap(h265NalType(n)));
    if (!keyframe && !this.#synced) {
      this.#stats.droppedBeforeKeyframe++;
      return [];
    }
    if (keyframe) {
      this.#synced = true;
      this.#stats.keyframes++;
    }
    this.#stats.units++;
    const pts = Math.round(ptsMs * 90);
    if (pts < this.#maxPts) this.#stats.outOfOrder++;
    else this.#maxPts = pts;
    return [{
      kind: 'video', codec, pts, keyframe,
      nalus: keyframe ? withParameterSets(codec, nalus, config) : nalus, receivedAt,
    }];
  }

  #malformed(why: string): VideoUnit[] {
    this.#stats.malformed++;
    this.#stats.lastProblem = why;
    return [];
  }
}

/** The keyframe's NAL units with the parameter sets it lacks inserted after any AUD. */
function withParameterSets(codec: VideoCodec, nalus: Uint8Array[], config: DecoderConfig): Uint8Array[] {
  const type = codec === 'H264' ? h264NalType : h265NalType;
  const wanted = codec === 'H264'
    ? [[H264Nal.SPS, config.sps], [H264Nal.PPS, config.pps]] as const
    : [[H265Nal.VPS, config.vps], [H265Nal.SPS, config.sps], [H265Nal.PPS, config.pps]] as const;
  const present = new Set(nalus.map(type));
  const missing: Uint8Array[] = [];
  for (const [t, sets] of wanted) if (!present.has(t)) missing.push(...sets);
  if (missing.length === 0) return nalus;
  const aud = codec === 'H264' ? H264Nal.AUD : H265Nal.AUD;
  const at = type(nalus[0]!) === aud ? 1 : 0;
  return [...nalus.slice(0, at), ...missing, ...nalus.slice(at)];
}

function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
