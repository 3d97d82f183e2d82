/**
 * Counting scenarios: gate cameras on a four-lane road (two lanes in, two out) with mixed traffic,
 * cast shadows, lighting drift and sensor noise. The counting line crosses all four lanes; vehicles
 * coming towards the camera enter the city ('in'). Expected counts per class and direction come from
 * the scene's exact line crossings.
 */
import { gateScene, crossings, type TrafficScene } from './traffic.js';
import { groundConfig, lanePolygon, lineAcross, type ExpectedCount, type Scenario } from './scenario.js';

/** The counting plugin's camera config for a gate scene: the line, the lanes to split by, the ground. */
export function countingPlugins(scene: TrafficScene): Scenario['plugins'] {
  const { road } = scene;
  const left = Math.min(...road.laneCentres) - road.laneWidth / 2;
  const right = Math.max(...road.laneCentres) + road.laneWidth / 2;
  const zones = Object.fromEntries(road.laneCentres.map((_, i) => [`lane${i + 1}`, lanePolygon(scene, i, road.nearZ, road.farZ)]));
  return {
    counting: {
      // Drawn left to right: forward is down the image, towards the camera, into the city.
      lines: { gate: lineAcross(scene, scene.countLineZ!, left - 1, right + 1) },
      zones,
      config: { lines: { gate: { forward: 'in' } }, ground: groundConfig(scene), splitBy: Object.keys(zones) },
    },
  };
}

/** Expected counts per class and direction over the whole scene. */
export function expectedCounts(scene: TrafficScene): ExpectedCount[] {
  const tally = new Map<string, ExpectedCount>();
  for (const c of crossings(scene)) {
    const direction = c.direction === 'towards' ? 'in' : 'out';
    const key = `${c.cls}/${direction}`;
    const entry = tally.get(key) ?? { line: 'gate', cls: c.cls, direction, n: 0 };
    entry.n++;
    tally.set(key, entry);
  }
  return [...tally.values()].sort((a, b) => `${a.cls}/${a.direction}`.localeCompare(`${b.cls}/${b.direction}`));
}

/** A gate scenario for one seed. */
export function gateScenario(seed: number, durationS: number, size: { width: number; height: number } = { width: 640, height: 360 }): Scenario {
  const scene = gateScene({ seed, durationS, ...size });
  return { name: `gate-${seed}`, plugin: 'counting', scene, gate: 'north', plugins: countingPlugins(scene), scoredTypes: [], events: [], counts: expectedCounts(scene) };
}

/**
 * Seeds of gate scenes held out: never traced nor used to choose between variants, so their count
 * error is what a new camera can expect (the tuned scenes' error flatters it).
 */
export const HELD_OUT_GATES = [41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52];

/** What the names of held-out scenarios start with (`bench accuracy` reports them apart). */
export const HELD_OUT_PREFIX = 'held-out-';

/**
 * The counting scenarios of `bench accuracy`: five minutes of traffic on three gate cameras the
 * counting was tuned on (gate-11 to 13, traced frame by frame while it was built) and eighteen on
 * twelve held-out ones (named with HELD_OUT_PREFIX).
 */
export function scenarios(): Scenario[] {
  const heldOut = HELD_OUT_GATES.map((seed) => ({ ...gateScenario(seed, 90), name: `${HELD_OUT_PREFIX}gate-${seed}` }));
  return [gateScenario(11, 120), gateScenario(12, 90), gateScenario(13, 90), ...heldOut];
}
