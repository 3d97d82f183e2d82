/** bench detector's quick mode: every section is there and its numbers are sane (under a minute). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { benchDetector, formatReport } from './detector.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-bench-detector-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('bench detector', { timeout: 90_000 }, () => {
  it('in quick mode reports every section with sane numbers (timings are not checked against a goal here)', async () => {
    const r = await benchDetector({ quick: true, cacheDir: dir });
    assert.equal(r.quick, true);
    assert.ok(r.machine.cores >= 1 && r.machine.onnxruntime.length > 0);

    assert.deepEqual(r.inference.map((i) => [i.what.split(' ')[0], i.size, i.batch]), [['detector', 512, 1], ['network', 320, 1], ['network', 512, 1], ['network,', 512, 4]]);
    for (const i of r.inference) assert.ok(i.p50Ms > 0 && i.p90Ms >= i.p50Ms && i.runs > 0, JSON.stringify(i));
    // A smaller input is cheaper: 320² is 39% of 512²'s pixels.
    assert.ok(r.inference[1]!.p50Ms < r.inference[2]!.p50Ms, 'network at 320 quicker than at 512');

    assert.equal(r.pool.workers, r.machine.cores);
    assert.ok(r.pool.frames > 0 && r.pool.fps > 0 && r.pool.fpsPerCore > 0);
    assert.equal(r.batching.dynamicBatch, false);
    assert.match(r.batching.note, /^n\/a: the bundled model has a fixed batch of 1/);
    assert.ok(r.batching.concurrencyGain > 0 && r.batching.networkBatch4OverBatch1 > 0);

    // A busy scene and a quiet one, each gated on and off.
    assert.deepEqual(r.gating.map((s) => [s.scene, s.width, s.height]), [['vtest', 768, 576], ['intrusion-quiet', 640, 360]]);
    for (const s of r.gating) {
      for (const g of [s.on, s.off]) {
        assert.equal(g.cameras, 4);
        assert.equal(g.fps, 2);
        assert.equal(g.asked, 4 * 4, '2 s at 2 fps, 4 cameras');
        assert.equal(g.answered + g.failed, g.asked);
        // A quiet scene may skip every frame of a short run: nothing sent.
        assert.ok(g.pixelShare >= 0 && g.pixelShare <= 1, `pixelShare ${g.pixelShare}`);
        assert.equal(g.full + g.regions + g.skipped, g.asked, 'the warm-up is not counted');
        assert.ok(g.cpuPerCameraSecond > 0 && g.latencyP50Ms > 0 && g.latencyP99Ms >= g.latencyP50Ms, JSON.stringify(g));
      }
      assert.equal(s.off.pixelShare, 1);
      assert.equal(s.off.full, s.off.asked, 'gating off: every frame whole');
      assert.equal(s.pixelShareSaved, 1 - s.on.pixelShare);
    }
    assert.equal(r.goal.met, r.gating[0]!.on.sustained);

    const text = formatReport(r);
    assert.match(text, /^motion gating, vtest \(768 × 576/m);
    assert.match(text, /^motion gating, intrusion-quiet \(640 × 360/m);
    assert.match(text, /^goal: 4 cameras at 2 fps: (met|not met) /m);
    assert.match(text, /fixed batch of 1/);
  });
});
