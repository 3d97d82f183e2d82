import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { quietSoak } from './quiet-soak.js';
import { quietScenes } from './scenes/quiet.js';

describe('bench quiet-soak', () => {
  it('plays a plugin\'s first fresh quiet scenes from its H.264 clip in a child process and reports its false alarms per hour', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-test-'));
    try {
      const heard: string[] = [];
      const [r] = await quietSoak(['crowd'], 0.01, { cacheDir: dir, progress: (s) => heard.push(s.scene) });
      const [first, ...more] = quietScenes('crowd', 0.01);
      assert.equal(more.length, 0, 'one scene of 4 minutes');
      assert.equal(r!.plugin, 'crowd');
      assert.deepEqual(heard, [first!.name]);
      assert.equal(r!.scenes, 1);
      assert.ok(Math.abs(r!.hours - first!.scene.durationS / 3600) < 1e-9, `hours ${r!.hours}`);
      // The clip is cached under the scene's name, for bench accuracy to share.
      assert.ok(readdirSync(dir).some((f) => f.startsWith(`${first!.name}-`) && f.endsWith('.h264')), readdirSync(dir).join(', '));
      // Seed 1000's quiet street (at most 8 people in a zone under a threshold of 10) raises nothing.
      assert.deepEqual(r!.alarms, []);
      assert.equal(r!.perHour, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(existsSync(dir), false);
  });

  it('refuses a plugin without quiet scenes', async () => {
    await assert.rejects(quietSoak(['counting'], 0.01), /no quiet scenes for plugin 'counting'; known: crowd, smoke/);
  });
});
