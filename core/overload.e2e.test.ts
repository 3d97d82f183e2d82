/**
 * Overload: more synthetic cameras than this 2-core machine carries with room to spare (each one an ffmpeg encoder,
 * an ffmpeg decoder and three plugins at 25 fps), two WHEP viewers watching. The plugin host must
 * shed plugin work — skip frames, then pause the lowest priority — and never the relay: the viewers
 * keep getting every frame the cameras send. The shedding shows in /api/load, /api/plugins and
 * /metrics. Thresholds are tighter than the defaults so a short test sees them act.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../config/load.js';
import type { CameraInfo, PluginStats } from './http/types.js';
import { startServer, type Server } from './server.js';
import { waitFor } from './testing/wait.js';
import { Viewer } from './webrtc/testdata/whep-client.js';

const CAMERAS = 4;
const FPS = 25;

describe('overload: plugins give way, the relay does not', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-overload-'));
  let server: Server;
  let base = '';
  const viewers: Viewer[] = [];

  before(async () => {
    const lines = [
      'log: { level: error }',
      'http: { host: 127.0.0.1, port: 0 }',
      'rtsp: { host: 127.0.0.1, port: 0 }',
      'webrtc: { hostAddresses: [127.0.0.1] }',
      `storage: { path: ${JSON.stringify(dir)}, clips: { enabled: false } }`,
      'overload: { lagHighMs: 40, lagLowMs: 10, escalateAfterS: 0, relaxAfterS: 120, warmupS: 3, minFpsScale: 0.5 }',
      'cameras:',
    ];
    for (let i = 0; i < CAMERAS; i++) {
      lines.push(
        `  cam${i}:`,
        `    synthetic: { width: 640, height: 360, fps: ${FPS}, bitrateKbps: 1000, gop: ${FPS} }`,
        `    detect: { fps: ${FPS} }`,
        '    plugins:',
        `      motion: { fps: ${FPS}, priority: 10 }`,
        `      brightness: { fps: ${FPS}, priority: 50 }`,
        `      tamper: { fps: ${FPS}, priority: 90 }`,
      );
    }
    server = await startServer(parseConfigText(lines.join('\n'), 'overload-e2e'));
    base = server.addresses.pageUrl;
    for (const camera of ['cam0', 'cam3']) {
      await waitFor(`${camera} online`, 30_000, async () => {
        const c = (await (await fetch(`${base}api/cameras/${camera}`)).json()) as CameraInfo;
        return c.state === 'online' || undefined;
      }, 250);
      const v = new Viewer();
      viewers.push(v); // closed in after() even when connecting fails: an open peer would keep the test process alive
      await v.connect(base, camera, 120_000); // the machine is busy starting 4 encoders, 4 decoders and 12 workers
    }
  });

  after(async () => {
    for (const v of viewers) await v.close(base).catch(() => undefined);
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sheds plugin frames under overload, visibly, while every viewer gets every frame the cameras send', async () => {
    const load = await waitFor('load shedding to start', 90_000, async () => {
      const l = (await (await fetch(`${base}api/load`)).json()) as { level: number; maxLevel: number; lagP99Ms: number };
      return l.level >= 1 ? l : undefined;
    }, 500);
    assert.equal(load.maxLevel, 1 + 2, 'one fps step, then priorities 10 and 50 (90 is never paused)');

    // What the relay did meanwhile: over 5 s, every viewer received as many frames as its camera sent.
    const cams0 = cameraUnits();
    const seen0 = viewers.map((v) => v.units);
    await new Promise((r) => setTimeout(r, 5000));
    const cams1 = cameraUnits();
    for (const [i, camera] of ['cam0', 'cam3'].entries()) {
      const sent = cams1.get(camera)! - cams0.get(camera)!;
      const got = viewers[i]!.units - seen0[i]!;
      assert.ok(sent >= FPS * 5 * 0.5, `${camera} sent ${sent} frames in 5 s`);
      assert.ok(got >= sent * 0.95, `viewer of ${camera} got ${got} of the ${sent} frames the camera sent`);
    }

    const plugins = (await (await fetch(`${base}api/plugins`)).json()) as Array<PluginStats & { shed: number; fpsScale: number; paused: boolean; priority: number }>;
    const state = (await (await fetch(`${base}api/load`)).json()) as { level: number; fpsScale: number; pausedUpTo?: number };
    assert.ok(state.level >= 1);
    assert.ok(plugins.every((p) => p.fpsScale === state.fpsScale), 'every plugin runs at the shed fps');
    assert.ok(plugins.some((p) => p.shed > 0), 'frames were shed');
    for (const p of plugins) {
      assert.equal(p.paused, state.pausedUpTo !== undefined && p.priority <= state.pausedUpTo, `${p.camera}/${p.plugin} paused by priority`);
      if (p.priority === 90) assert.equal(p.paused, false, 'the highest priority is never paused');
    }
    const metrics = await (await fetch(`${base}metrics`)).text();
    assert.match(metrics, /^streamsight_overload_level [1-9]/m);
    assert.match(metrics, /^streamsight_plugin_shed_frames_total\{camera="cam0",plugin="motion"\} [1-9]/m);
  });

  /** Access units each watched camera's stream has received so far (the synthetic cameras send video only). */
  function cameraUnits(): Map<string, number> {
    return new Map(['cam0', 'cam3'].map((id) => [id, server.cameras.get(id)!.stream.stats.unitsIn]));
  }
});
