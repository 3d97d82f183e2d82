import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot, parseConfigText } from '../../config/load.js';
import { demoScenarios } from './demo.js';

describe('the make run demo', () => {
  it('configures each demo camera with its scenario\'s own plugin settings and clip', () => {
    const file = join(packageRoot(), 'config/streamsight.yaml');
    const config = parseConfigText(readFileSync(file, 'utf8'), file);
    for (const [id, scenario] of Object.entries(demoScenarios())) {
      const cam = config.cameras[id];
      assert.ok(cam, `config/streamsight.yaml has camera ${id}`);
      assert.equal(cam.synthetic?.file, `data/demo/${id}.h264`);
      assert.equal(cam.gate, scenario.gate);
      for (const [name, want] of Object.entries(scenario.plugins)) {
        const got = cam.plugins[name];
        assert.ok(got, `${id} runs ${name}`);
        assert.deepEqual(got.zones, want.zones ?? {}, `${id}.${name}.zones`);
        assert.deepEqual(got.lines, want.lines ?? {}, `${id}.${name}.lines`);
        assert.deepEqual(got.config, JSON.parse(JSON.stringify(want.config ?? {})), `${id}.${name}.config`);
      }
    }
  });
});
