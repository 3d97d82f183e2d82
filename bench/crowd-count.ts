/**
 * How well the crowd plugin counts: the per-frame count of CrowdCounter (plugins/crowd/counter.ts,
 * unsmoothed) against the true number of people whose feet are in the zone, over every frame the
 * plugin takes (5 fps) of the crowd scenes, per band of true count: mean absolute error and the
 * relative error (MAE / mean true count). Tuning seeds and held-out seeds are reported apart.
 *
 *   node --import tsx bench/crowd-count.ts            # MAE tables, train and held out
 *   node --import tsx bench/crowd-count.ts --fit      # refit CROWD_CALIBRATION on the training seeds only
 */
import { prng } from '../core/testing/prng.js';
import { CROWD_CALIBRATION, CrowdCounter } from '../plugins/crowd/counter.js';
import type { Frame, Point } from '../plugins/sdk/index.js';
import { I420Canvas } from './scenes/canvas.js';
import { heldOutScenarios, PLUGIN_FPS, scenarios, trueCount, type CrowdScenario } from './scenes/crowd.js';
import { renderFrame } from './scenes/traffic.js';

/** Bands of true count the error is reported in, inclusive. */
export const BANDS: [number, number][] = [[0, 0], [1, 4], [5, 9], [10, 19], [20, 40]];
/** Frames before this scene time are the background's warm-up and not scored. */
const WARMUP_S = 4;

/** One zone in one frame: the truth, the estimate, and what the group calibration acts on. */
export interface CountSample {
  truth: number;
  estimate: number;
  /** Groups in the zone: weighted area and the share of it in this zone. */
  groups: { weight: number; share: number }[];
  /** The part of the estimate not from groups (lone people). */
  singles: number;
}

/** Runs CrowdCounter over a scenario's frames as the plugin would see them. */
export async function countSamples(sc: CrowdScenario, calibration?: { gain: number; exponent: number }): Promise<CountSample[]> {
  const { scene } = sc;
  const p = sc.plugins.crowd!;
  const cfg = p.config as { ground: { image: Point; ground: Point }[]; ignore: string[] };
  const zones = Object.fromEntries(sc.rules.map((r) => [r.zone, p.zones![r.zone]! as Point[]]));
  const counter = new CrowdCounter({ ground: cfg.ground, zones, ignore: cfg.ignore.map((n) => p.zones![n]! as Point[]), ...(calibration ? { calibration } : {}) });
  const { width, height } = scene.camera;
  const canvas = new I420Canvas(width, height);
  const rand = prng(scene.seed);
  const every = Math.round(scene.fps / PLUGIN_FPS);
  const out: CountSample[] = [];
  for (let i = 0; i < scene.durationS * scene.fps; i++) {
    renderFrame(scene, i, canvas, rand);
    if (i % every !== 0) continue;
    const t = i / scene.fps;
    const frame: Frame = { cameraId: sc.name, pts: 0, capturedAt: t * 1000, seq: i, width, height, format: 'i420', y: canvas.y, u: canvas.u, v: canvas.v, strideY: width, strideUV: canvas.cw };
    const r = await counter.read(frame);
    if (t < WARMUP_S) continue;
    r.zones.forEach((z, k) => {
      const groups = r.groups.filter((g) => g.shares[k]! > 0).map((g) => ({ weight: g.weight, share: g.shares[k]! }));
      const fromGroups = r.groups.reduce((s, g) => s + g.count * g.shares[k]!, 0);
      out.push({ truth: trueCount(scene, zones[z.zone]!, t), estimate: z.count, groups, singles: z.count - fromGroups });
    });
  }
  counter.close();
  return out;
}

/** MAE and relative error per band of true count. */
export function bandErrors(samples: readonly CountSample[], estimate: (s: CountSample) => number = (s) => s.estimate): { band: string; frames: number; mae: number; relative: number; bias: number }[] {
  return BANDS.map(([lo, hi]) => {
    const inBand = samples.filter((s) => s.truth >= lo && s.truth <= hi);
    const err = inBand.reduce((a, s) => a + Math.abs(estimate(s) - s.truth), 0);
    const bias = inBand.reduce((a, s) => a + estimate(s) - s.truth, 0);
    const truth = inBand.reduce((a, s) => a + s.truth, 0);
    const n = Math.max(1, inBand.length);
    return { band: lo === hi ? `${lo}` : `${lo}-${hi}`, frames: inBand.length, mae: err / n, relative: truth > 0 ? err / truth : NaN, bias: bias / n };
  });
}

/** The zone's count under another group calibration. */
export function recount(s: CountSample, gain: number, exponent: number): number {
  return s.singles + s.groups.reduce((a, g) => a + g.share * gain * Math.pow(g.weight, exponent), 0);
}

/** Least squares over a grid of gains and exponents (samples collected with gain 1, exponent 1). */
export function fitCalibration(samples: readonly CountSample[]): { gain: number; exponent: number; rmse: number } {
  let best = { gain: 1, exponent: 1, rmse: Infinity };
  for (let exponent = 0.8; exponent <= 1.6001; exponent += 0.02) {
    for (let gain = 0.6; gain <= 1.8001; gain += 0.02) {
      let se = 0;
      for (const s of samples) se += (recount(s, gain, exponent) - s.truth) ** 2;
      const rmse = Math.sqrt(se / samples.length);
      if (rmse < best.rmse) best = { gain: Math.round(gain * 100) / 100, exponent: Math.round(exponent * 100) / 100, rmse };
    }
  }
  return best;
}

function table(title: string, rows: ReturnType<typeof bandErrors>): void {
  console.log(`\n${title}`);
  console.log('true count | frames |  MAE  | relative | bias');
  for (const r of rows) console.log(`${r.band.padStart(10)} | ${String(r.frames).padStart(6)} | ${r.mae.toFixed(2).padStart(5)} | ${Number.isNaN(r.relative) ? '     -  ' : `${(r.relative * 100).toFixed(1).padStart(6)} %`} | ${r.bias >= 0 ? '+' : ''}${r.bias.toFixed(2)}`);
}

async function main(): Promise<void> {
  const fit = process.argv.includes('--fit');
  if (fit) {
    const samples = (await Promise.all(scenarios().map((sc) => countSamples(sc, { gain: 1, exponent: 1 })))).flat();
    const best = fitCalibration(samples);
    console.log('fitted on the training seeds:', best);
    table('training seeds, linear (gain 1, exponent 1)', bandErrors(samples, (s) => recount(s, 1, 1)));
    const { gain, exponent } = CROWD_CALIBRATION;
    table(`training seeds, current (gain ${gain}, exponent ${exponent})`, bandErrors(samples, (s) => recount(s, gain, exponent)));
    table('training seeds, fitted', bandErrors(samples, (s) => recount(s, best.gain, best.exponent)));
    return;
  }
  for (const [title, list] of [['training seeds', scenarios()], ['held-out seeds', heldOutScenarios()]] as const) {
    const samples: CountSample[] = [];
    for (const sc of list) samples.push(...(await countSamples(sc)));
    table(title, bandErrors(samples));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
