/**
 * Sequence parameter sets from the network (sprop-parameter-sets, in-band NAL units, FLV sequence
 * headers): parseH264Sps (codecs/h264/sps.ts) and parseH265Sps (codecs/h265/sps.ts).
 *
 * Checks: null or a size with positive integer width and height, in-range profile/level fields, and a
 * finite frame rate; the size of an unmutated seed is the recording's 640x360.
 */
import { parseH264Sps } from '../../codecs/h264/sps.js';
import { parseH265Sps } from '../../codecs/h265/sps.js';
import { invariant, type FuzzTarget } from '../harness.js';
import { mutatedBytes } from '../mutate.js';
import { h264Sps, h265Sps } from '../seeds.js';

const positive = (n: number): boolean => Number.isSafeInteger(n) && n > 0;

/** H.264 SPS. */
export function h264SpsTarget(): FuzzTarget<Uint8Array> {
  const seeds = h264Sps();
  return {
    name: 'h264-sps',
    covers: 'parseH264Sps (profiles, scaling lists, cropping, VUI timing)',
    arbitrary: mutatedBytes(seeds, { maxRandomLength: 64 }),
    run(nal) {
      const info = parseH264Sps(nal);
      if (!info) return;
      invariant(positive(info.width) && positive(info.height), `size ${info.width}x${info.height}`);
      invariant(info.chromaFormatIdc >= 0 && info.chromaFormatIdc <= 3 && info.profileIdc <= 255 && info.levelIdc <= 255, 'field out of range');
      invariant(info.frameRate === undefined || (Number.isFinite(info.frameRate) && info.frameRate > 0), `frame rate ${info.frameRate}`);
      if (nal === seeds[0]) invariant(info.width === 640 && info.height === 360, 'recording SPS misread');
    },
  };
}

/** H.265 SPS. */
export function h265SpsTarget(): FuzzTarget<Uint8Array> {
  const seeds = h265Sps();
  return {
    name: 'h265-sps',
    covers: 'parseH265Sps (profile_tier_level with sub-layers, conformance window)',
    arbitrary: mutatedBytes(seeds, { maxRandomLength: 64 }),
    run(nal) {
      const info = parseH265Sps(nal);
      if (!info) return;
      invariant(positive(info.width) && positive(info.height), `size ${info.width}x${info.height}`);
      invariant(info.chromaFormatIdc >= 0 && info.chromaFormatIdc <= 3 && info.profileIdc <= 31 && info.levelIdc <= 255, 'field out of range');
    },
  };
}
