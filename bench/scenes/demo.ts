/**
 * The demo that `make run` starts: synthetic traffic clips looped as cameras (config/streamsight.yaml,
 * `synthetic: { file }`), rendered once into data/demo/ by `node --import tsx bench/scenes/demo.ts data/demo`.
 *
 * The cameras' plugin settings in config/streamsight.yaml are the scenarios' own (a test keeps the
 * two in step), so the demo raises the events and counts the scenes script.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { gateScenario } from './counting.js';
import { RED_LIGHT_SCENES, redLightScenario, redLightScene } from './red-light.js';
import type { Scenario } from './scenario.js';
import { encodeScene } from './traffic.js';

/** The demo cameras by id, each with the scenario it plays. */
export function demoScenarios(): Record<string, Scenario> {
  return {
    intersection: redLightScenario(redLightScene(RED_LIGHT_SCENES.runners!)),
    'gate-north': { ...gateScenario(21, 120), gate: 'north' },
    'gate-south': { ...gateScenario(22, 120), gate: 'south' },
  };
}

/** Renders the clips that are missing from `dir`; returns their paths by camera id. */
export async function ensureDemoClips(dir: string, log: (s: string) => void = () => {}): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  const out: Record<string, string> = {};
  for (const [id, s] of Object.entries(demoScenarios())) {
    const file = join(dir, `${id}.h264`);
    out[id] = file;
    if (existsSync(file)) continue;
    log(`demo: rendering ${id} (${s.scene.durationS} s of ${s.scene.camera.width}x${s.scene.camera.height}) into ${file}`);
    await encodeScene(s.scene, `${file}.part`);
    renameSync(`${file}.part`, file);
    renameSync(`${file}.part.truth.json`, `${file}.truth.json`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureDemoClips(process.argv[2] ?? 'data/demo', (s) => console.log(s)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
