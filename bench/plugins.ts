/**
 * `streamsight bench plugins [--json] [--seconds N]`: each built-in traffic plugin's processing time
 * per frame (p50, p99) at 640×360 and 1280×720 against its stated latency budget.
 *
 * Each plugin runs over the first scenario of its own scenario file (bench/scenes), rendered at the
 * size under test (geometry is normalised, so the same config holds), for N seconds of scene at the
 * plugin's fps; only `onFrame` is timed, in this process, on one thread. `camerasPerCore` is how
 * many cameras one core carries at 5 fps with this plugin alone: 1000 / (5 × mean ms).
 * Goal (issue 4): p99 within budget, and budgets tight enough for ≥ 8 cameras per core at 5 fps.
 */
import { percentile } from './lib.js';
import { loadPlugin, playInProcess } from './scenes/play.js';
import { allScenarios } from './scenes/index.js';
import type { Scenario } from './scenes/scenario.js';

/** One plugin at one size. */
export interface PluginTiming {
  plugin: string;
  size: string;
  frames: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  budgetMs: number;
  withinBudget: boolean;
  camerasPerCoreAt5fps: number;
}

const SIZES = [[640, 360], [1280, 720]] as const;

/** The scenario rendered at another size: the same camera with its focal length scaled. */
function resized(s: Scenario, width: number, height: number): Scenario {
  const cam = s.scene.camera;
  return { ...s, scene: { ...s.scene, camera: { ...cam, width, height, focalPx: (cam.focalPx * width) / cam.width } } };
}

/** Times every plugin that has a scenario at both sizes. */
export async function timePlugins(seconds: number, log: (s: string) => void = () => {}): Promise<PluginTiming[]> {
  const first = new Map<string, Scenario>();
  for (const s of await allScenarios()) if (!first.has(s.plugin) && s.scene.durationS >= seconds) first.set(s.plugin, s);
  const out: PluginTiming[] = [];
  for (const [plugin, scenario] of first) {
    const def = await loadPlugin(plugin);
    const budgetMs = scenario.plugins[plugin]?.latencyBudgetMs ?? def.defaults.latencyBudgetMs;
    for (const [w, h] of SIZES) {
      log(`${plugin} at ${w}x${h}: ${seconds} s of ${scenario.name}`);
      const only: Scenario = { ...resized(scenario, w, h), plugins: { [plugin]: scenario.plugins[plugin]! } };
      const r = await playInProcess(only, { durationS: seconds });
      const ms = r.msPerFrame[plugin]!;
      const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
      const p99 = percentile(ms, 99);
      out.push({
        plugin, size: `${w}x${h}`, frames: ms.length, p50Ms: percentile(ms, 50), p99Ms: p99, meanMs: mean, budgetMs,
        withinBudget: p99 <= budgetMs, camerasPerCoreAt5fps: 1000 / (5 * mean),
      });
    }
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const i = argv.indexOf('--seconds');
  const seconds = i >= 0 ? Number(argv[i + 1]) : 60;
  if (!(seconds > 0)) throw new Error('--seconds: expected a positive number');
  const rows = await timePlugins(seconds, json ? undefined : (s) => console.log(`  ${s}`));
  if (json) {
    console.log(JSON.stringify({ seconds, plugins: rows }, null, 2));
    return;
  }
  console.log(`\nbench plugins: processing time per frame, ${seconds} s of scene each (goal: p99 within budget; ≥ 8 cameras per core at 5 fps)\n`);
  console.log('plugin       size        frames   p50 ms   p99 ms  mean ms  budget ms  within  cameras/core @5fps');
  for (const r of rows) {
    console.log(`${r.plugin.padEnd(12)} ${r.size.padEnd(10)} ${String(r.frames).padStart(7)} ${r.p50Ms.toFixed(2).padStart(8)} ${r.p99Ms.toFixed(2).padStart(8)} ${r.meanMs.toFixed(2).padStart(8)} ${String(r.budgetMs).padStart(10)}  ${(r.withinBudget ? 'yes' : 'NO').padStart(6)}  ${r.camerasPerCoreAt5fps.toFixed(1).padStart(10)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
