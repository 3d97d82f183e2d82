/**
 * fire: flames, from their colour and their flicker.
 *
 * Every cell of the chroma grid (one U/V sample and its 2 × 2 luma pixels, at ≤ analysisWidth) is
 * tested with Celik & Demirel's YCbCr rules against the frame's means, and keeps 32 frames of
 * history: a cell flickers when it keeps changing brightness while fire-coloured (flames.ts). Cells
 * are gathered into blocks of 8 × 8; a block burns when enough of its cells flicker, held over a
 * leaky average of about a second so that it must flicker in place — a red or orange vehicle
 * driving by crosses a block in a fraction of a second and changes each cell only as it arrives and
 * leaves. The largest connected group of burning blocks in each zone (or the whole frame) feeds an
 * alarm (../smoke/alarm.ts, the same persistence and hysteresis the smoke alarm uses): `fire`
 * (critical) once its flickering area has been at least `minArea` for `persistS`, with the region's
 * box and a snapshot; `fire-cleared` (info) when it has stayed under half of minArea for `clearS`.
 */
import { z } from 'zod';
import { ConnectedComponents, definePlugin, pointInPolygon, type Detection, type Frame, type PluginContext, type Point } from '../sdk/index.js';
import { analysisFactor, FrameScaler } from '../sdk/vision/scale.js';
import { AreaAlarm, frameStepS, HeldBlocks } from '../smoke/alarm.js';
import { FlameCells, WINDOW, type FlamePlanes } from './flames.js';

const configSchema = z.strictObject({
  minArea: z.number().min(0.00005).max(0.5).default(0.0002)
    .describe('Smallest flickering fire area that can raise the alarm, as a share of the frame\'s area.'),
  persistS: z.number().min(0.5).max(120).default(3).describe('Seconds the fire must be seen before the alarm.'),
  clearS: z.number().min(1).max(3600).default(10).describe('Seconds without fire (under half of minArea) before the alarm clears.'),
  tau: z.number().min(0).max(200).default(40).describe('Colour rule: |Cr − Cb| a fire colour needs (Celik & Demirel\'s τ).'),
  lumaStep: z.number().min(2).max(128).default(14).describe('Luma change between frames that counts as a flicker.'),
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
  mask: Uint8Array;
  components: ConnectedComponents;
  regions: { zone: string | undefined; inside: Uint8Array; alarm: AreaAlarm }[];
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
      const zones = Object.entries(ctx.geometry.zones);
      const regions = (zones.length ? zones : [[undefined, undefined] as const]).map(([zone, poly]) => ({
        zone,
        inside: blockMask(cols, rows, cells, poly),
        alarm: new AreaAlarm({ minArea: cfg.minArea, persistS: cfg.persistS, growth: 1, clearS: cfg.clearS, clearShare: 0.5 }),
      }));
      const n = cols * rows;
      return {
        key: `${frame.width}x${frame.height}`, scaler: f > 1 ? new FrameScaler(frame.width, frame.height, f) : undefined, cells, cols, rows,
        counts: new Uint16Array(n), held: new HeldBlocks(n, EVIDENCE_S), mask: new Uint8Array(n),
        components: new ConnectedComponents(cols, rows), regions,
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
        for (const r of s.regions) {
          for (let i = 0; i < s.mask.length; i++) s.mask[i] = s.held.active[i]! & r.inside[i]!;
          const region = largestByCount(s.components, s.mask, s.counts);
          const area = region ? region.cells * cellShare : 0;
          const change = r.alarm.update(frame.capturedAt, area);
          const box = region && normalisedBox(region, s.cells);
          if (box && area >= cfg.minArea) out.push({ label: 'fire', score: Math.min(1, area / cfg.minArea / 4), box });
          if (change === 'raised' && box) {
            ctx.emit({
              type: 'fire', severity: 'critical', ...(r.zone !== undefined ? { zone: r.zone } : {}),
              boxes: [{ label: 'fire', score: 1, box }],
              attributes: { areaShare: Math.round(area * 1e6) / 1e6, flickeringCells: region!.cells, box: box.map((v) => Math.round(v * 1e4) / 1e4) },
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

/** 1 for each block whose centre is inside the normalised polygon (every block without one). */
function blockMask(cols: number, rows: number, cells: FlameCells, poly: Point[] | undefined): Uint8Array {
  const m = new Uint8Array(cols * rows);
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      const centre: Point = [Math.min(1, ((bx + 0.5) * BLOCK) / cells.cols), Math.min(1, ((by + 0.5) * BLOCK) / cells.rows)];
      m[by * cols + bx] = !poly || pointInPolygon(centre, poly) ? 1 : 0;
    }
  }
  return m;
}

/** The component of `mask` with the most flickering cells, with that count, or undefined. */
function largestByCount(cc: ConnectedComponents, mask: Uint8Array, counts: Uint16Array): { x: number; y: number; w: number; h: number; cells: number } | undefined {
  const n = cc.label(mask);
  if (n === 0) return undefined;
  let best = 0;
  let bestCells = -1;
  for (let l = 1; l <= n; l++) {
    let cells = 0;
    for (let i = 0; i < cc.labels.length; i++) if (cc.labels[i] === l) cells += counts[i]!;
    if (cells > bestCells) {
      best = l;
      bestCells = cells;
    }
  }
  const c = cc.component(best);
  return { x: c.x, y: c.y, w: c.w, h: c.h, cells: bestCells };
}

/** A block box as a normalised [x, y, w, h], clipped to the frame. */
function normalisedBox(b: { x: number; y: number; w: number; h: number }, cells: FlameCells): [number, number, number, number] {
  const x = (b.x * BLOCK) / cells.cols;
  const y = (b.y * BLOCK) / cells.rows;
  return [x, y, Math.min(1 - x, (b.w * BLOCK) / cells.cols), Math.min(1 - y, (b.h * BLOCK) / cells.rows)];
}
