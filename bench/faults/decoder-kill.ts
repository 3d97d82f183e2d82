/**
 * Decoder killed: SIGKILL the ffmpeg that decodes a camera for its plugins (found in /proc: a
 * child of the server's process writing rawvideo from pipe:0). The decoder must notice, restart
 * ffmpeg, and the plugins must get frames again; the relay is not touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipCamera, loadClip } from './camera.js';
import { checker, decoderPids, pluginStats, poll, startCameraServer, type Fault } from './harness.js';

export const decoderKillFault: Fault = {
  id: 'decoder',
  name: 'decoder killed',
  injected: "SIGKILL the camera's ffmpeg decoder",
  expected: 'ffmpeg restarted; plugins get frames again',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-fault-dec-'));
    const camera = new ClipCamera({ clips: { a: loadClip(320, 240) }, initial: 'a' });
    const { check, failures } = checker();
    let stop = async (): Promise<void> => undefined;
    try {
      await camera.start();
      const { server, base } = await startCameraServer(dir, camera.url(), ['timeoutMs: 3000', 'detect: { fps: 5 }', 'plugins:', '  brightness: { fps: 5 }']);
      stop = () => server.close();
      const frames = server.cameras.get('cam')!.frames!;
      let published = 0;
      frames.on('frame', () => published++);
      const first = await poll(10_000, async () => {
        const p = await pluginStats(base, 'cam', 'brightness');
        const pids = decoderPids();
        return p.processed >= 3 && pids.length === 1 ? pids[0] : undefined;
      });
      check(first !== undefined, 'one decoder ffmpeg running, plugin processing frames');
      if (first === undefined) return { observed: `decoders ${decoderPids().join(',') || 'none'}`, failures };
      const before = await pluginStats(base, 'cam', 'brightness');
      const restartsBefore = frames.stats.restarts;
      const t0 = performance.now();
      process.kill(first, 'SIGKILL');
      const again = await poll(10_000, async () => {
        const pids = decoderPids();
        const p = await pluginStats(base, 'cam', 'brightness');
        return pids.length === 1 && pids[0] !== first && frames.stats.restarts > restartsBefore && p.processed >= before.processed + 5 ? { pid: pids[0]!, p } : undefined;
      });
      const recoverMs = performance.now() - t0;
      check(again !== undefined, 'a new ffmpeg, a counted restart, ≥5 more frames processed by the plugin');
      const publishedAt = published;
      check((await poll(3000, () => (published > publishedAt ? true : undefined))) === true, 'frames keep coming');
      return {
        observed: `ffmpeg ${first} killed → ffmpeg ${again?.pid ?? '-'}, decoder restarts ${restartsBefore} → ${frames.stats.restarts}, ` +
          `plugin processed ${before.processed} → ${again?.p.processed ?? '-'} within ${(recoverMs / 1000).toFixed(1)} s`,
        failures,
      };
    } finally {
      await stop();
      await camera.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
