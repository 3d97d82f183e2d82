/**
 * Every scenario the benchmarks and the demo use, from each plugin's scenario file
 * (bench/scenes/<plugin>.ts exporting `scenarios()`).
 */
import type { Scenario } from './scenario.js';

/** The scenario files, one per plugin: the traffic plugins, then the public-safety ones. */
export const SCENARIO_FILES = ['counting', 'red-light', 'lane', 'parking', 'crowd', 'smoke', 'fire', 'flood', 'intrusion', 'left-taken', 'tamper', 'objects'] as const;

/** All scenarios of every scenario file, in file order. */
export async function allScenarios(): Promise<Scenario[]> {
  const out: Scenario[] = [];
  for (const name of SCENARIO_FILES) {
    const mod = (await import(`./${name}.js`)) as { scenarios: () => Scenario[] };
    out.push(...mod.scenarios());
  }
  return out;
}
