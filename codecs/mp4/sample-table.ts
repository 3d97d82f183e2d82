/**
 * Sample table boxes, ISO/IEC 14496-12 §8.6 and §8.7 (all FullBoxes, entries 32-bit unless noted).
 *
 *   stts: | count | { sample_count | sample_delta } ...          decoding time deltas, run-length
 *   ctts: | count | { sample_count | sample_offset } ...         pts - dts; version 1 = signed
 *   stss: | count | { sample_number (1-based) } ...              sync samples (keyframes)
 *   stsc: | count | { first_chunk | samples_per_chunk | sdi } ... sample-to-chunk runs
 *   stsz: | sample_size=0 | count | { entry_size } ...
 *   stco: | count | { chunk_offset } ...   co64: offsets are 64-bit
 *
 * A clip is written as one chunk: samples are contiguous in mdat, so one stsc entry and one chunk
 * offset describe them all.
 */
import { box, concat, fullBox, u32s, uints } from './box.js';

/** Timing of one sample in track timescale ticks. */
export interface SampleTiming {
  dts: number;
  /** Composition offset, pts - dts. */
  offset: number;
  duration: number;
}

/** Pairs of (count, value) for consecutive equal values. */
function runs(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    out.push(j - i, values[i]!);
    i = j;
  }
  return out;
}

/** Decoding time to sample (§8.6.1.2). */
export function stts(timings: readonly SampleTiming[]): Uint8Array {
  const r = runs(timings.map((t) => t.duration));
  return fullBox('stts', 0, 0, u32s([r.length / 2, ...r]));
}

/** Composition offsets (§8.6.1.3), or undefined when every pts equals its dts. */
export function ctts(timings: readonly SampleTiming[]): Uint8Array | undefined {
  const offsets = timings.map((t) => t.offset);
  if (offsets.every((o) => o === 0)) return undefined;
  // Version 1 makes offsets signed; u32s writes the two's complement of negative values.
  const version = offsets.some((o) => o < 0) ? 1 : 0;
  const r = runs(offsets);
  return fullBox('ctts', version, 0, u32s([r.length / 2, ...r]));
}

/** Sync samples (§8.6.2): the 1-based numbers of keyframes. */
export function stss(keyframes: readonly boolean[]): Uint8Array {
  const numbers: number[] = [];
  for (let i = 0; i < keyframes.length; i++) if (keyframes[i]) numbers.push(i + 1);
  return fullBox('stss', 0, 0, u32s([numbers.length, ...numbers]));
}

/** Sample to chunk (§8.7.4) for a single chunk holding all `count` samples. */
export function stscOneChunk(count: number): Uint8Array {
  return fullBox('stsc', 0, 0, u32s(count === 0 ? [0] : [1, 1, count, 1]));
}

/** Sample sizes (§8.7.3.2), always as a table: access units differ in size. */
export function stsz(sizes: readonly number[]): Uint8Array {
  return fullBox('stsz', 0, 0, u32s([0, sizes.length, ...sizes]));
}

/** Chunk offsets (§8.7.5): stco, or co64 when an offset does not fit 32 bits. */
export function chunkOffsets(offsets: readonly number[]): Uint8Array {
  if (offsets.every((o) => o <= 0xffffffff)) return fullBox('stco', 0, 0, u32s([offsets.length, ...offsets]));
  return fullBox('co64', 0, 0, uints([4], [offsets.length]), uints(offsets.map(() => 8), offsets));
}

/** The stbl box: sample entry (stsd), timing, sync samples and where the samples are. */
export function stbl(sampleEntry: Uint8Array, timings: readonly SampleTiming[], keyframes: readonly boolean[], sizes: readonly number[], chunkOffset: number): Uint8Array {
  const parts = [
    fullBox('stsd', 0, 0, uints([4], [1]), sampleEntry),
    stts(timings),
    ctts(timings),
    stss(keyframes),
    stscOneChunk(sizes.length),
    stsz(sizes),
    chunkOffsets(sizes.length === 0 ? [] : [chunkOffset]),
  ].filter((p): p is Uint8Array => p !== undefined);
  return box('stbl', concat(parts));
}
