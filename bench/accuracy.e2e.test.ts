/**
 * The traffic plugins end to end through the real server: synthetic scenes rendered to H.264,
 * pushed over RTSP by ffmpeg, decoded into the frame ring, analysed by the plugins in their worker
 * threads, stored, and read back from GET /api/events and GET /api/counts (bench/accuracy.ts's
 * playThroughServer). Short scenes of each plugin play at once on one server.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { playThroughServer, scoreOutcomes } from './accuracy.js';
import { gateScenario } from './scenes/counting.js';
import { scoreEvents } from './scenes/play.js';
import { RED_LIGHT_SCENES, redLightScenario, redLightScene } from './scenes/red-light.js';

describe('traffic plugins through the server', () => {
  it('count, raise and store what the scenes script', { timeout: 240_000 }, async (t) => {
    const scenarios = [
      gateScenario(31, 30),
      redLightScenario(redLightScene({ ...RED_LIGHT_SCENES.runners!, durationS: 60, fps: 10 })),
    ];
    const outcomes = await playThroughServer(scenarios, { parallel: 4, log: (s) => t.diagnostic(s) });
    const results = scoreOutcomes(outcomes);
    for (const r of results) t.diagnostic(JSON.stringify(r));
    for (const o of outcomes) t.diagnostic(`${o.scenario.name}: ${JSON.stringify(o.plugins)}`);

    const gate = outcomes.find((o) => o.scenario.plugin === 'counting')!;
    const truth = gate.scenario.counts!.reduce((a, c) => a + c.n, 0);
    const counted = gate.counts.reduce((a, c) => a + c.n, 0);
    assert.ok(truth >= 15, `${truth} crossings in the gate scene`);
    // Loose on purpose: under a loaded test run the host skips frames; the accuracy goals are bench accuracy's job.
    assert.ok(Math.abs(counted - truth) <= Math.ceil(truth * 0.2), `counted ${counted} of ${truth} through the server`);
    for (const dir of ['in', 'out']) assert.ok(gate.counts.some((c) => c.direction === dir && c.line === 'gate'), `counts ${dir} on the gate line`);

    // Red-light violations with their three evidence images, stored and served.
    const red = outcomes.find((o) => o.scenario.plugin === 'red-light')!;
    const score = scoreEvents(red.scenario.events, red.events, red.scenario.scoredTypes);
    assert.ok(red.scenario.events.length >= 3, `${red.scenario.events.length} runners`);
    assert.ok(score.recall >= 0.6 && score.precision >= 0.6, `red-light through the server: ${JSON.stringify(score)}`);
    for (const e of red.events.filter((x) => x.type === 'red-light')) assert.deepEqual(e.evidence, ['before', 'at', 'after']);
  });
});
