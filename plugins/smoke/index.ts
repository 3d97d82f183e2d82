/**
 * smoke: a slow, greyish region that softens the edges behind it without erasing them, greys out
 * their colour, and grows.
 *
 * Each block of 16 × 16 analysis pixels is compared with a slowly learnt background (blocks.ts): a
 * block is veiled when its one-level Haar edge energy has dropped against the background's (the same
 * edges, weaker, and no new ones), its chroma has faded toward grey, and both clearly more than in
 * the blocks around it in the frame (fog, cloud shadows and exposure changes act on the whole frame,
 * or scale edges and luma together). A block without texture has only its colour to show, and
 * there the colour must really have gone, not only look faded against a brighter luma. A block
 * that a vehicle uncovers in one step looks veiled against a background that learnt the vehicle;
 * smoke thickens over seconds, so such a block's background is taken from the frame at once. Veiled
 * blocks need to stay veiled for about a second and a half (a leaky average of the per-frame cue)
 * to count, which people and vehicles crossing a block, sharp and quick, do not. The largest
 * connected region of counting blocks in each zone (or the whole frame) feeds an alarm
 * (../sdk/alarm.ts): `smoke` (critical) when the region has been at least `minArea` for `persistS`
 * and has grown by `growth` since it appeared, with the region's box and size and a snapshot;
 * `smoke-cleared` (info) when it has stayed under half of minArea for `clearS`.
 */
import { z } from 'zod';
import { definePlugin, frameStepS, HeldBlocks, ZoneAlarms, type ConnectedComponents, type Detection, type Frame, type PluginContext } from '../sdk/index.js';
import { analysisFactor, FrameScaler } from '../sdk/vision/scale.js';
import { BLOCK, SmokeBlocks, type SmokePlanes } from './blocks.js';

const configSchema = z.strictObject({
  minArea: z.number().min(0.001).max(0.5).default(0.01)
    .describe('Smallest smoke region that can raise the alarm, as a share of the frame\'s area.'),
  persistS: z.number().min(0.5).max(120).default(4)
    .describe('Seconds the region must stay at least minArea (and grow) before the alarm.'),
  growth: z.number().min(1).max(10).default(1.2)
    .describe('How much the region must have grown, area at the alarm over area when it first reached minArea (1: no growth needed).'),
  clearS: z.number().min(1).max(3600).default(15)
    .describe('Seconds the region must stay under half of minArea before the alarm clears.'),
  edgeDrop: z.number().min(0.1).max(0.95).default(0.7)
    .describe('A block is veiled when its edge energy (normalised by its brightness) is below this share of its surroundings\'.'),
  chromaDrop: z.number().min(0.1).max(0.95).default(0.75)
    .describe('A block is greyed when its chroma (normalised by its brightness) is below this share of its surroundings\'.'),
  backgroundS: z.number().min(10).max(3600).default(120)
    .describe('Time constant of the learnt background, seconds (16 times slower where smoke is seen).'),
  analysisWidth: z.number().int().min(160).max(1920).default(640)
    .describe('Frames wider than this are averaged down by a whole factor before analysis.'),
});

/** The parsed config. */
export type SmokeConfig = z.infer<typeof configSchema>;

/** Time constant of a block's held evidence, seconds. */
const EVIDENCE_S = 1.5;
/** No alarm is judged before the background has seen this much of the scene. */
const WARMUP_MS = 8000;

/** Everything sized by the frame: made on the first frame and again when the size changes. */
interface Sized {
  key: string;
  scaler: FrameScaler | undefined;
  blocks: SmokeBlocks;
  grey: Uint8Array;
  held: HeldBlocks;
  alarms: ZoneAlarms;
}

export default definePlugin({
  name: 'smoke',
  description: 'Smoke: a growing, greyish region that softens the edges behind it (not fog, cloud shadows or exposure changes).',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 60, input: { format: 'i420' } },
  create(ctx: PluginContext<SmokeConfig>) {
    const cfg = ctx.config;
    const thresholds = { edgeDrop: cfg.edgeDrop, chromaDrop: cfg.chromaDrop, backgroundS: cfg.backgroundS };
    let s: Sized | undefined;
    let lastAt = NaN;
    let firstAt = NaN;

    function build(frame: Frame): Sized {
      const f = analysisFactor(frame.width, cfg.analysisWidth);
      const scaler = f > 1 ? new FrameScaler(frame.width, frame.height, f) : undefined;
      const w = Math.ceil(frame.width / f);
      const h = Math.ceil(frame.height / f);
      const blocks = new SmokeBlocks(w, h);
      const n = blocks.cols * blocks.rows;
      const alarms = new ZoneAlarms(ctx.geometry.zones, blocks.cols, blocks.rows, BLOCK / w, BLOCK / h, {
        minArea: cfg.minArea, persistS: cfg.persistS, growth: cfg.growth, clearS: cfg.clearS, clearShare: 0.5,
      });
      return {
        key: `${frame.width}x${frame.height}`, scaler, blocks,
        grey: new Uint8Array(Math.ceil(w / 2) * Math.ceil(h / 2)).fill(128),
        held: new HeldBlocks(n, EVIDENCE_S), alarms,
      };
    }

    return {
      onFrame(frame: Frame): Detection[] {
        if (s === undefined || s.key !== `${frame.width}x${frame.height}`) {
          s = build(frame);
          firstAt = frame.capturedAt;
          lastAt = NaN;
        }
        const dtS = frameStepS(lastAt, frame.capturedAt);
        lastAt = frame.capturedAt;
        const planes = analysisPlanes(frame, s);
        const ev = s.blocks.update(planes, dtS, s.held.active, thresholds);
        s.held.update(ev.cue, dtS);
        if (frame.capturedAt - firstAt < WARMUP_MS) return [];
        const out: Detection[] = [];
        const blockShare = (BLOCK * BLOCK) / (s.blocks.width * s.blocks.height);
        for (const r of s.alarms.regions) {
          const { region, area, box, change } = s.alarms.judge(r, frame.capturedAt, s.held.active, blockShare);
          if (box && area >= cfg.minArea) out.push({ label: 'smoke', score: Math.min(1, area / cfg.minArea / 4), box });
          if (change === 'raised' && box) {
            ctx.emit({
              type: 'smoke',
              severity: 'critical',
              ...(r.zone !== undefined ? { zone: r.zone } : {}),
              boxes: [{ label: 'smoke', score: 1, box }],
              attributes: {
                areaShare: round(area, 4),
                growth: round(area / r.alarm.startArea, 2),
                box: box.map((v) => round(v, 4)),
                ...meanOver(s.alarms.components, region!.label, ev.gain, ev.chroma),
              },
              snapshot: true,
            });
          } else if (change === 'cleared') {
            ctx.emit({ type: 'smoke-cleared', severity: 'info', ...(r.zone !== undefined ? { zone: r.zone } : {}), attributes: { areaShare: round(area, 4) } });
          }
        }
        return out;
      },
    };
  },
});

/** The frame's planes at analysis size; a gray frame gets neutral chroma (no colour evidence). */
function analysisPlanes(frame: Frame, s: Sized): SmokePlanes {
  const p = s.scaler ? s.scaler.scale(frame) : frame;
  if (p.u && p.v) return { y: p.y, u: p.u, v: p.v, strideY: p.strideY, strideUV: p.strideUV };
  return { y: p.y, u: s.grey, v: s.grey, strideY: p.strideY, strideUV: Math.ceil(s.blocks.width / 2) };
}

/** Mean normalised edge gain and chroma ratio over a component's blocks (where measured). */
function meanOver(cc: ConnectedComponents, label: number, gain: Float32Array, chroma: Float32Array): { edgeGain?: number; chromaRatio?: number } {
  let g = 0;
  let ng = 0;
  let c = 0;
  let nc = 0;
  for (let i = 0; i < cc.labels.length; i++) {
    if (cc.labels[i] !== label) continue;
    if (Number.isFinite(gain[i]!)) (g += gain[i]!), ng++;
    if (Number.isFinite(chroma[i]!)) (c += chroma[i]!), nc++;
  }
  return { ...(ng ? { edgeGain: round(g / ng, 3) } : {}), ...(nc ? { chromaRatio: round(c / nc, 3) } : {}) };
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
