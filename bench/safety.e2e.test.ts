/**
 * The public-safety plugins end to end through the real server: each plugin's short scenes
 * (`quickScenarios()` of its bench/scenes file) rendered to H.264, pushed over RTSP by ffmpeg,
 * decoded into the frame ring, analysed by the plugin in its worker thread, stored, and read back
 * from GET /api/events and GET /api/reports/objects (bench/accuracy.ts's playThroughServer), two
 * cameras at a time. Loose bounds: the accuracy goals are `bench accuracy`'s to measure.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { playThroughServer, type ScenarioOutcome } from './accuracy.js';
import { assertLoose } from './e2e-checks.js';
import type { Scenario } from './scenes/scenario.js';

/** The scenario files of the public-safety plugins, each exporting quickScenarios(). */
const FILES = ['smoke', 'fire', 'flood', 'tamper', 'left-taken', 'crowd', 'intrusion', 'objects'] as const;

describe('public-safety plugins through the server', () => {
  let scenarios: Scenario[] = [];
  let outcomes: ScenarioOutcome[] = [];
  const notes: string[] = [];

  before(async () => {
    for (const f of FILES) {
      const mod = (await import(`./scenes/${f}.js`)) as { quickScenarios: () => Scenario[] };
      scenarios.push(...mod.quickScenarios());
    }
    scenarios = scenarios.sort((a, b) => b.scene.durationS - a.scene.durationS);
    const started = Date.now();
    outcomes = await playThroughServer(scenarios, { parallel: 5, log: (s) => notes.push(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${s}`) });
    notes.push(`played ${scenarios.length} scenes in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const o of outcomes) notes.push(`${o.scenario.name}: ${JSON.stringify(o.events.map((e) => [e.type, e.timeS.toFixed(1)]))} objects ${JSON.stringify(o.objects)} ${JSON.stringify(o.plugins)}`);
  }, { timeout: 900_000 });

  it('plays a short scene of every plugin', (t) => {
    for (const n of notes) t.diagnostic(n);
    assert.deepEqual(new Set(outcomes.map((o) => o.scenario.plugin)), new Set(['smoke', 'fire', 'flood', 'tamper', 'left-taken', 'crowd', 'intrusion', 'objects']));
  });

  for (const plugin of ['smoke', 'fire', 'flood', 'tamper', 'left-taken', 'crowd', 'intrusion']) {
    it(`${plugin}: raises the scene's events, stored and served, and nothing the scene lacks`, () => {
      const mine = outcomes.filter((o) => o.scenario.plugin === plugin);
      assert.ok(mine.length > 0);
      assert.ok(mine.some((o) => o.scenario.events.length > 0), `${plugin} has a quick scene with events`);
      for (const o of mine) assertLoose(o);
    });
  }

  it('objects: the day\'s report counts the people and vehicles that passed', () => {
    for (const o of outcomes.filter((x) => x.scenario.plugin === 'objects')) {
      const truth = o.scenario.objects ?? [];
      assert.ok(truth.reduce((a, c) => a + c.n, 0) >= 5, `${o.scenario.name} has objects to count`);
      for (const { cls, n } of truth) {
        const got = o.objects.find((x) => x.cls === cls)?.n ?? 0;
        assert.ok(Math.abs(got - n) <= Math.max(1, Math.ceil(n * 0.3)), `${o.scenario.name}: ${cls} reported ${got}, true ${n}`);
      }
    }
  });
});
