/**
 * fire: flames, from their colour and their flicker.
 *
 * Every cell of the chroma grid (one U/V sample and its 2 × 2 luma pixels, at ≤ analysisWidth) is
 * tested with Celik & Demirel's YCbCr rules against the frame's means, and keeps 32 frames of
 * history: a cell flickers when it keeps changing brightness while it stays fire-coloured, as the
 * red, orange and yellow parts of flames pass over it — a walker's orange clothes or a yellow truck
 * only switch it between their one colour and the background's (flames.ts). Cells
 * are gathered into blocks of 8 × 8; a block burns when enough of its cells flicker, held over a
 * leaky average of about a second so that it must flicker in place — a red or orange vehicle
 * driving by crosses a block in a fraction of a second and changes each cell only as it arrives and
 * leaves. The largest connected group of burning blocks in each zone (or the whole frame) feeds an
 * alarm (../sdk/alarm.ts, the same persistence and hysteresis the smoke alarm uses): `fire`
 * (critical) once its flickering area has been at least `minArea` for `persistS`, with the region's
 * box and a snapshot; `fire-cleared` (info) when it has stayed under half of minArea for `clearS`.
 */
import { z } from 'zod';
import { definePlugin, frameStepS, HeldBlocks, ZoneAlarms, type Detection, type Frame, type PluginContext } from '../sdk/index.js';
import { analysisFactor, FrameScaler } from '../sdk/vision/scale.js';
import { FlameCells, WINDOW, type FlamePlanes } from './flames.js';

const configSchema = z.strictObject({
  minArea: z.number().min(0.00005).max(0.5).default(0.0002)
    .describe('Smallest flickering fire area that can raise the alarm, as a share of the frame\'s area.'),
  persistS: z.number().min(0.5).max(120).default(3).describe('Seconds the fire must be seen before the alarm.'),
  clearS: z.number().min(1).max(3600).default(10).describe('Seconds without fire (under half of minArea) before the alarm clears.'),
  tau: z.number().min(0).max(200).default(40).describe('Colour rule: |Cr − Cb| a fire colour needs (Celik & Demirel\'s τ).'),
  lumaStep: z.number().min(2).max(128).default(14).describe('Luma change between two fire-coloured frames that counts as a flicker.'),
  minChanges: z.number().int().min(2).max(WINDOW).default(8)
    .describe(`Flickers a cell needs over its last ${WINDOW} frames.`),
  analysisWidth: z.number().int().min(160).max(1920).default(640)
    .describe('Frames wider than this are averaged down by a whole factor before analysis.'),
});

/** The parsed config. */
export type FireConfig = z.infer<typeof configSchema>;

/** Block side, in cells. */
const BLOCK = 8;
/** Flickering cells a block needs in a frame to count as burning in it. */
const BLOCK_CELLS = 3;
/** Time constant of a block's held evidence, seconds. */
const EVIDENCE_S = 1;

/** Everything sized by the frame. */
interface Sized {
  key: string;
  scaler: FrameScaler | undefined;
  cells: FlameCells;
  cols: number;
  rows: number;
  counts: Uint16Array;
  held: HeldBlocks;
  alarms: ZoneAlarms;
}

export default definePlugin({
  name: 'fire',
  description: 'Fire: fire-coloured regions (YCbCr rules) that flicker in place.',
  configSchema,
  defaults: { fps: 10, latencyBudgetMs: 40, input: { format: 'i420' } },
  create(ctx: PluginContext<FireConfig>) {
    const cfg = ctx.config;
    const thresholds = { tau: cfg.tau, lumaStep: cfg.lumaStep, minChanges: cfg.minChanges };
    let s: Sized | undefined;
    let lastAt = NaN;

    function build(frame: Frame): Sized {
      const f = analysisFactor(frame.width, cfg.analysisWidth);
      const w = Math.ceil(frame.width / f);
      const h = Math.ceil(frame.height / f);
      const cells = new FlameCells(w, h);
      const cols = Math.ceil(cells.cols / BLOCK);
      const rows = Math.ceil(cells.rows / BLOCK);
      const alarms = new ZoneAlarms(ctx.geometry.zones, cols, rows, BLOCK / cells.cols, BLOCK / cells.rows, {
        minArea: cfg.minArea, persistS: cfg.persistS, growth: 1, clearS: cfg.clearS, clearShare: 0.5,
      });
      const n = cols * rows;
      return {
        key: `${frame.width}x${frame.height}`, scaler: f > 1 ? new FrameScaler(frame.width, frame.height, f) : undefined, cells, cols, rows,
        counts: new Uint16Array(n), held: new HeldBlocks(n, EVIDENCE_S), alarms,
      };
    }

    return {
      onFrame(frame: Frame): Detection[] {
        if (!frame.u || !frame.v) return []; // colour is the first test: a gray frame shows no fire
        if (s === undefined || s.key !== `${frame.width}x${frame.height}`) {
          s = build(frame);
          lastAt = NaN;
        }
        const dtS = frameStepS(lastAt, frame.capturedAt);
        lastAt = frame.capturedAt;
        const p = s.scaler ? s.scaler.scale(frame) : frame;
        s.cells.update(p as FlamePlanes, thresholds);
        countBlocks(s);
        s.held.update(s.counts, dtS, BLOCK_CELLS);
        const cellShare = 1 / (s.cells.cols * s.cells.rows);
        const out: Detection[] = [];
        for (const r of s.alarms.regions) {
          const { region, area, box, change } = s.alarms.judge(r, frame.capturedAt, s.held.active, cellShare, s.counts);
          if (box && area >= cfg.minArea) out.push({ label: 'fire', score: Math.min(1, area / cfg.minArea / 4), box });
          if (change === 'raised' && box) {
            ctx.emit({
              type: 'fire', severity: 'critical', ...(r.zone !== undefined ? { zone: r.zone } : {}),
              boxes: [{ label: 'fire', score: 1, box }],
              attributes: { areaShare: Math.round(area * 1e6) / 1e6, flickeringCells: region!.weight, box: box.map((v) => Math.round(v * 1e4) / 1e4) },
              snapshot: true,
            });
          } else if (change === 'cleared') {
            ctx.emit({ type: 'fire-cleared', severity: 'info', ...(r.zone !== undefined ? { zone: r.zone } : {}) });
          }
        }
        return out;
      },
    };
  },
});

/** Flickering cells per block. */
function countBlocks(s: Sized): void {
  const { cells, counts, cols } = s;
  counts.fill(0);
  for (let r = 0, k = 0; r < cells.rows; r++) {
    const row = Math.floor(r / BLOCK) * cols;
    for (let c = 0; c < cells.cols; c++, k++) if (cells.flicker[k]) counts[row + Math.floor(c / BLOCK)]!++;
  }
}
