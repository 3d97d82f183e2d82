/**
 * The H.264 and H.265 RTP depacketizers (codecs/h264/depacketizer.ts, codecs/h265/depacketizer.ts
 * on codecs/rtp/video-depacketizer.ts), fed runs of the recorded camera packets (single NAL,
 * STAP-A / AP, FU-A / FU) with some packets mutated, reordered, or replaced by random ones.
 *
 *   recording: p0 p1 p2 ... pN        input: window [start, start+len), edits, swaps, inserts
 *
 * Checks: push/flush never throw; every unit has NAL units, none empty; a keyframe unit holds an
 * IDR/IRAP and every parameter set (injected when the camera sent them out of band); pts is a
 * finite number. One long-lived depacketizer takes every input back to back (heap must stay flat).
 */
import type { VideoUnit } from '../../codecs/access-unit.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { parseH264Sps } from '../../codecs/h264/sps.js';
import { H265Depacketizer } from '../../codecs/h265/depacketizer.js';
import { parseH265Sps } from '../../codecs/h265/sps.js';
import { isH265Irap } from '../../codecs/h265/nal.js';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { invariant, type FuzzTarget } from '../harness.js';
import { buildRun, runOf, type SequenceRun } from '../mutate.js';
import { h264Rtp, h265Rtp, parameterSets } from '../seeds.js';

function checkUnits(units: readonly VideoUnit[], codec: 'H264' | 'H265'): void {
  for (const u of units) {
    invariant(u.codec === codec && Number.isFinite(u.pts), `unit codec ${u.codec}, pts ${u.pts}`);
    invariant(u.nalus.length > 0, 'unit without NAL units');
    invariant(u.nalus.every((n) => n.length > 0), 'empty NAL unit in a unit');
    const types = u.nalus.map((n) => (codec === 'H264' ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f));
    if (u.keyframe) {
      invariant(codec === 'H264' ? types.includes(5) : types.some(isH265Irap), 'keyframe without IDR/IRAP');
      const sets = codec === 'H264' ? [7, 8] : [32, 33, 34];
      invariant(sets.every((t) => types.includes(t)), `keyframe lacks parameter sets: types ${types.join(',')}`);
    }
    for (const n of u.nalus) {
      if (codec === 'H264' && (n[0]! & 0x1f) === 7) parseH264Sps(n);
      if (codec === 'H265' && ((n[0]! >> 1) & 0x3f) === 33) parseH265Sps(n);
    }
  }
}

function depacketizerTarget(codec: 'H264' | 'H265'): FuzzTarget<SequenceRun> {
  const packets = codec === 'H264' ? h264Rtp : h265Rtp;
  const sets = parameterSets(codec);
  const type = (n: Uint8Array): number => (codec === 'H264' ? n[0]! & 0x1f : (n[0]! >> 1) & 0x3f);
  const sprop = codec === 'H264'
    ? { sps: sets.find((n) => type(n) === 7), pps: sets.find((n) => type(n) === 8) }
    : { vps: sets.find((n) => type(n) === 32), sps: sets.find((n) => type(n) === 33), pps: sets.find((n) => type(n) === 34) };
  const make = (withSprop: boolean) => (codec === 'H264' ? new H264Depacketizer(withSprop ? sprop : {}) : new H265Depacketizer(withSprop ? sprop : {}));
  const longLived = make(true);
  let clock = 0;
  return {
    name: codec === 'H264' ? 'h264-depacketizer' : 'h265-depacketizer',
    covers: codec === 'H264'
      ? 'H264Depacketizer: single NAL, STAP-A, FU-A runs with loss, reordering, mutation'
      : 'H265Depacketizer: single NAL, AP, FU runs with loss, reordering, mutation',
    arbitrary: runOf(packets),
    run(r) {
      const d = make(r.primed);
      for (const bytes of buildRun(packets, r)) {
        const p = parseRtp(bytes);
        if (!p) continue;
        checkUnits(d.push(p, ++clock), codec);
        checkUnits(longLived.push(p, clock), codec);
      }
      checkUnits(d.flush(clock), codec);
      const s = d.stats;
      invariant(s.units >= 0 && s.malformed >= 0 && s.droppedUnits >= 0, 'negative counter');
    },
  };
}

/** H.264 depacketizer over mutated camera packet runs. */
export function h264DepacketizerTarget(): FuzzTarget<SequenceRun> {
  return depacketizerTarget('H264');
}

/** H.265 depacketizer over mutated camera packet runs. */
export function h265DepacketizerTarget(): FuzzTarget<SequenceRun> {
  return depacketizerTarget('H265');
}
