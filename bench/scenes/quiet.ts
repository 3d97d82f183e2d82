/**
 * Violation-free scenes on fresh seeds, for a long quiet run of the public-safety plugins
 * (`bench accuracy --quiet-hours H`): the goal of ≤ 1 false alarm per camera-hour needs hours of
 * quiet video per plugin, far more than the few minutes each tuning set holds.
 *
 * Each plugin's own quiet scenes are built again on seeds from QUIET_SEED_BASE up: the seed drives
 * the traffic, passers-by, clothes, clouds, rain and sensor noise, so every seed is new video. No
 * plugin was tuned on these seeds.
 */
import * as crowd from './crowd.js';
import * as fire from './fire.js';
import * as flood from './flood.js';
import * as intrusion from './intrusion.js';
import * as leftTaken from './left-taken.js';
import * as objects from './objects.js';
import type { Scenario } from './scenario.js';
import * as smoke from './smoke.js';
import * as tamper from './tamper.js';

/** The first seed of the quiet run; tuning and held-out seeds are all far below it. */
export const QUIET_SEED_BASE = 1000;

/** The seeds tried per plugin before giving up on finding enough quiet scenes. */
const MAX_SEEDS = 500;

/**
 * The plugin's scenes on one seed that are meant to be quiet. Those whose truth has events anyway
 * are left out (a crowd scene's random passers-by can, on some seed, really make a crowd); near
 * misses (optional truths) stay, and an alert matched to one is not counted as a false alarm.
 */
const QUIET: Record<string, (seed: number) => Scenario[]> = {
  crowd: (seed) => [crowd.quietScenario(seed)],
  smoke: (seed) => smoke.scenarios({ seed }),
  fire: (seed) => fire.scenarios({ seed }),
  flood: (seed) => flood.heldOutScenarios(seed),
  intrusion: (seed) => intrusion.scenarios({ seed }),
  'left-taken': (seed) => leftTaken.scenarios({ seed }),
  tamper: (seed) => tamper.scenarios({ seed }),
  objects: (seed) => [objects.quietScenario(seed, { heldOut: true })],
};

/** The plugins that have quiet scenes to run. */
export const QUIET_PLUGINS = Object.keys(QUIET);

/**
 * Quiet scenes of `plugin` on seeds QUIET_SEED_BASE, +1, … until they add up to at least `hours`.
 * Each is renamed `<name>-s<seed>` (a camera id) so that two seeds of one scene stay apart in the report.
 */
export function quietScenes(plugin: string, hours: number): Scenario[] {
  const make = QUIET[plugin];
  if (!make) throw new Error(`no quiet scenes for plugin '${plugin}'; known: ${QUIET_PLUGINS.join(', ')}`);
  if (!(hours > 0)) throw new Error(`quiet hours must be > 0, got ${hours}`);
  const out: Scenario[] = [];
  let seconds = 0;
  for (let seed = QUIET_SEED_BASE; seconds < hours * 3600; seed++) {
    if (seed >= QUIET_SEED_BASE + MAX_SEEDS) throw new Error(`plugin '${plugin}': only ${seconds} s of violation-free scenes in ${MAX_SEEDS} seeds`);
    for (const s of make(seed).filter((x) => x.events.every((e) => e.optional))) {
      out.push({ ...s, name: `${s.name}-s${seed}` });
      seconds += s.scene.durationS;
    }
  }
  return out;
}
