/**
 * The traffic plugins end to end through the real server: synthetic scenes rendered to H.264,
 * pushed over RTSP by ffmpeg, decoded into the frame ring, analysed by the plugins in their worker
 * threads, stored, and read back from GET /api/events and GET /api/counts (bench/accuracy.ts's
 * playThroughServer). Short scenes of each plugin play on one server, two at a time, rendered at
 * 10 fps (the fastest plugin's rate) to keep the file within a few minutes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { playThroughServer, scoreOutcomes, type ScenarioOutcome } from './accuracy.js';
import { assertLoose } from './e2e-checks.js';
import { gateScenario } from './scenes/counting.js';
import { wrongWayScenario } from './scenes/lane.js';
import { kerbScenario } from './scenes/parking.js';
import { RED_LIGHT_SCENES, redLightScenario, redLightScene } from './scenes/red-light.js';
import type { Scenario } from './scenes/scenario.js';

/**
 * The first `durationS` of a scenario: the scene ends there and only the events due by then are
 * expected. Cut where no event is due within 2 s either side, so none hangs on the cut.
 */
function firstSeconds(s: Scenario, durationS: number): Scenario {
  const near = s.events.filter((e) => Math.abs(e.timeS - durationS) < 2);
  assert.deepEqual(near, [], `${s.name}: events due near the cut at ${durationS} s`);
  return { ...s, scene: { ...s.scene, durationS }, events: s.events.filter((e) => e.timeS < durationS) };
}

/** The scenario's scene rendered at 10 fps: its trips and truth are in continuous time, and no plugin here runs faster. */
function atTenFps(s: Scenario): Scenario {
  return { ...s, scene: { ...s.scene, fps: 10 } };
}

describe('traffic plugins through the server', () => {
  // Two cameras at a time, longest first: four at once on a loaded 2-core machine stall the host
  // long enough for its watchdog to restart workers, and a restart forgets what a plugin was tracking.
  const scenarios = [
    redLightScenario(redLightScene({ ...RED_LIGHT_SCENES.runners!, durationS: 60, fps: 10 })),
    firstSeconds(kerbScenario({ fps: 10 }), 56),
    atTenFps(gateScenario(31, 30)),
    wrongWayScenario({ fps: 10 }),
  ];
  let outcomes: ScenarioOutcome[] = [];
  const notes: string[] = [];
  const of = (plugin: string) => outcomes.find((o) => o.scenario.plugin === plugin)!;

  before(async () => {
    const started = Date.now();
    outcomes = await playThroughServer(scenarios, { parallel: 5, log: (s) => notes.push(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${s}`) });
    notes.push(`played in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const r of scoreOutcomes(outcomes)) notes.push(JSON.stringify(r));
    for (const o of outcomes) notes.push(`${o.scenario.name}: ${JSON.stringify(o.plugins)} clock ${JSON.stringify(o.clock)}`);
  }, { timeout: 600_000 });

  it('plays every scene through one server', (t) => {
    for (const n of notes) t.diagnostic(n);
    assert.deepEqual(outcomes.map((o) => o.scenario.name), scenarios.map((s) => s.name));
  });

  it('counts the gate scene\'s crossings', () => {
    const gate = of('counting');
    const truth = gate.scenario.counts!.reduce((a, c) => a + c.n, 0);
    const counted = gate.counts.reduce((a, c) => a + c.n, 0);
    assert.ok(truth >= 15, `${truth} crossings in the gate scene`);
    assert.ok(Math.abs(counted - truth) <= Math.ceil(truth * 0.2), `counted ${counted} of ${truth} through the server`);
    for (const dir of ['in', 'out']) assert.ok(gate.counts.some((c) => c.direction === dir && c.line === 'gate'), `counts ${dir} on the gate line`);
  });

  it('raises red-light violations with their three evidence images, stored and served', () => {
    const red = of('red-light');
    assert.ok(red.scenario.events.length >= 3, `${red.scenario.events.length} runners`);
    assertLoose(red);
    for (const e of red.events.filter((x) => x.type === 'red-light')) assert.deepEqual(e.evidence, ['before', 'at', 'after']);
  });

  it('raises wrong-way drivers with the frame where it began and the frame at the event', () => {
    const lane = of('lane');
    assert.ok(lane.scenario.events.length >= 3, `${lane.scenario.events.length} wrong-way drivers`);
    assertLoose(lane);
    const raised = lane.events.filter((x) => x.type === 'wrong-way');
    assert.ok(raised.length > 0);
    for (const e of raised) assert.deepEqual(e.evidence, ['start', 'at']);
  });

  it('raises illegal stops with the stop frame and the frame at the dwell, and no congestion', () => {
    const parking = of('parking');
    assert.ok(parking.scenario.events.length >= 2, `${parking.scenario.events.length} illegal stops`);
    assertLoose(parking);
    const raised = parking.events.filter((x) => x.type === 'illegal-stopping');
    assert.ok(raised.length > 0);
    for (const e of raised) assert.deepEqual(e.evidence, ['stopped', 'at-dwell']);
  });
});
