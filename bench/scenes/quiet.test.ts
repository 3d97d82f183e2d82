import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUIET_PLUGINS, QUIET_SEED_BASE, quietScenes } from './quiet.js';
import { sceneFingerprint } from './traffic.js';

test('quiet scenes: every public-safety plugin has violation-free scenes on fresh seeds, as many hours as asked', () => {
  for (const plugin of QUIET_PLUGINS) {
    const scenes = quietScenes(plugin, 0.1);
    const seconds = scenes.reduce((a, s) => a + s.scene.durationS, 0);
    assert.ok(seconds >= 360, `${plugin}: ${seconds} s`);
    for (const s of scenes) {
      assert.equal(s.plugin, plugin);
      assert.deepEqual(s.events, [], `${s.name} expects events`);
      assert.ok(s.scoredTypes.length > 0 || s.objects, `${s.name} scores nothing`);
      assert.match(s.name, /^[a-z0-9_-]{1,64}$/);
      assert.ok(Number(/-s(\d+)$/.exec(s.name)?.[1]) >= QUIET_SEED_BASE);
    }
    assert.equal(new Set(scenes.map((s) => s.name)).size, scenes.length, `${plugin}: names repeat`);
    // Every seed is new video, not the same scene again.
    assert.equal(new Set(scenes.map((s) => sceneFingerprint(s.scene))).size, scenes.length, `${plugin}: scenes repeat`);
  }
});

test('quiet scenes: an unknown plugin or no hours is refused with a clear error', () => {
  assert.throws(() => quietScenes('nope', 1), /no quiet scenes for plugin 'nope'; known: crowd/);
  assert.throws(() => quietScenes('smoke', 0), /quiet hours must be > 0/);
});
