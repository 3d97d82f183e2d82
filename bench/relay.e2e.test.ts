/**
 * The side-by-side relay bench end to end, at a size CI can afford: Janus and streamsight in their
 * namespace, one feed, 20 viewers each, and Chromium playing both. What it guards is the bench's
 * honesty, not a speed: both relays deliver every packet to every viewer, SRTP authenticates,
 * access units arrive whole (latency is measured on them), and a real browser decodes each relay.
 * Needs root (ip netns) and Janus, iproute2, procps, curl and util-linux (.ci/setup test installs them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ROOT } from './lib.js';

interface Step { viewers: number; lossPercent: number; authChecked: number; authFailed: number; malformed: number; latencyMsP50: number; packetsPerSecondPerViewer: number; pass: boolean }
interface ServerResult { server: string; steps: Step[]; viewersPerCore: number; browsers?: Array<{ framesDecoded: number; frameWidth?: number; frameHeight?: number; mimeType?: string; error?: string }> }

describe('bench relay', { timeout: 300_000 }, () => {
  it('relays the same feed through Janus and streamsight to 20 verifying viewers and to Chromium', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/relay.ts', '--clips', '720p', '--steps', '20', '--seconds', '3',
      '--per-process', '10', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 280_000 });
    assert.equal(r.status, 0, `bench relay failed: ${r.stderr.slice(-3000)}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { viewersPerCoreJanus: number; viewersPerCoreStreamsight: number; ratio: number; clips: Array<{ results: ServerResult[] }> };
    const results = out.clips[0]!.results;
    assert.deepEqual(results.map((x) => x.server), ['janus', 'streamsight']);
    for (const s of results) {
      const step = s.steps[0]!;
      assert.equal(step.viewers, 20, s.server);
      assert.equal(step.lossPercent, 0, `${s.server} lost packets`);
      assert.ok(step.pass, `${s.server} step failed`);
      assert.ok(step.packetsPerSecondPerViewer > 200, `${s.server}: ${step.packetsPerSecondPerViewer} packets/s per viewer (the 720p clip is ~248)`);
      assert.ok(step.authChecked > 50, `${s.server}: only ${step.authChecked} packets authenticated`);
      assert.equal(step.authFailed, 0, `${s.server}: SRTP authentication failures`);
      assert.equal(step.malformed, 0, `${s.server}: malformed units`);
      assert.ok(Number.isFinite(step.latencyMsP50) && step.latencyMsP50 > 0 && step.latencyMsP50 < 500, `${s.server}: latency p50 ${step.latencyMsP50}`);
      assert.equal(s.viewersPerCore, 20);
      assert.equal(s.browsers?.length, 2, `${s.server}: Chromium pages`);
      for (const b of s.browsers!) {
        assert.equal(b.error, undefined, `${s.server}: Chromium: ${b.error}`);
        assert.ok(b.framesDecoded >= 50, `${s.server}: Chromium decoded ${b.framesDecoded} frames`);
        assert.deepEqual([b.frameWidth, b.frameHeight, b.mimeType], [1280, 720, 'video/H264']);
      }
    }
    assert.equal(out.viewersPerCoreJanus, 20);
    assert.equal(out.ratio, 1);
  });
});
