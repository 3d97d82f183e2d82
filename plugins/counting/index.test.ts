import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gateScenario } from '../../bench/scenes/counting.js';
import { playInProcess } from '../../bench/scenes/play.js';
import counting from './index.js';

describe('counting plugin', () => {
  it('counts the vehicles crossing the gate line once each, by direction and class', async (t) => {
    const scenario = gateScenario(11, 40);
    const { counts } = await playInProcess(scenario);
    const truth = scenario.counts!;
    const sum = (xs: { n: number }[]) => xs.reduce((a, x) => a + x.n, 0);
    for (const direction of ['in', 'out']) {
      const want = sum(truth.filter((c) => c.direction === direction));
      const got = counts.filter((c) => c.direction === direction).length;
      t.diagnostic(`${direction}: ${got} counted, ${want} true`);
      assert.ok(want >= 10, `${want} crossings ${direction}`);
      assert.ok(Math.abs(got - want) <= Math.ceil(want * 0.05), `${direction}: ${got} counted, ${want} true`);
    }
    // Classes from 3-D size fitting through the calibrated camera: each class within 2 of the truth.
    for (const cls of ['motorbike', 'car', 'truck', 'bus']) {
      const want = sum(truth.filter((c) => c.cls === cls));
      const got = counts.filter((c) => c.cls === cls).length;
      t.diagnostic(`${cls}: ${got} counted, ${want} true`);
      assert.ok(Math.abs(got - want) <= 2, `${cls}: ${got} counted, ${want} true`);
    }
    assert.ok(counts.every((c) => c.line === 'gate' && c.plugin === 'counting'));
  });

  it('refuses splitBy zones that are not configured, naming the path', async () => {
    const config = counting.configSchema.parse({ splitBy: ['lane9'] });
    await assert.rejects(
      async () => counting.create({ cameraId: 'gate1', config, geometry: { zones: { lane1: [[0, 0], [1, 0], [1, 1]] }, lines: {} }, emit: () => {}, count: () => {}, log: () => {} }),
      { name: 'ConfigError', message: /cameras\.gate1\.plugins\.counting\.config\.splitBy: names zone 'lane9'/ },
    );
  });
});
