/**
 * Resolution change mid-stream: the camera switches from 320x240 to 416x240 at an IDR that
 * carries the new SPS, on the same RTSP session (same SSRC, sequence and timestamps running on).
 * A WHEP viewer that stays connected must keep decoding, now at the new size (read from the SPS
 * it receives); the decoder must restart at the new size, so plugins get frames at that size;
 * the API reports the new size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipCamera, loadClip } from './camera.js';
import { cameraInfo, checker, pluginStats, poll, SizingViewer, startCameraServer, type Fault } from './harness.js';

const OLD = '320x240';
const NEW = '416x240';

export const resolutionFault: Fault = {
  id: 'resolution',
  name: 'resolution change',
  injected: `camera switches ${OLD} → ${NEW} at an IDR with a new SPS, same session`,
  expected: 'viewer and decoder (plugin frames) follow to the new size',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-fault-res-'));
    const camera = new ClipCamera({ clips: { old: loadClip(320, 240), new: loadClip(416, 240) }, initial: 'old' });
    const viewer = new SizingViewer();
    const { check, failures } = checker();
    let stop = async (): Promise<void> => undefined;
    try {
      await camera.start();
      const { server, base } = await startCameraServer(dir, camera.url(), ['timeoutMs: 3000', 'detect: { fps: 5 }', 'plugins:', '  brightness: { fps: 5 }']);
      stop = async () => {
        await viewer.close(base);
        await server.close();
      };
      // Plugin frames by the size of the ring they come from.
      const frames = server.cameras.get('cam')!.frames!;
      const pluginFrames = new Map<string, number>();
      frames.on('frame', () => {
        const l = frames.ring?.layout;
        if (l) pluginFrames.set(`${l.width}x${l.height}`, (pluginFrames.get(`${l.width}x${l.height}`) ?? 0) + 1);
      });
      await viewer.connect(base, 'cam');
      check((await poll(10_000, () => ((viewer.keyframes.get(OLD) ?? 0) >= 1 && (pluginFrames.get(OLD) ?? 0) >= 2 ? true : undefined))) === true,
        `viewer and plugins at ${OLD} first`);
      const processedBefore = (await pluginStats(base, 'cam', 'brightness')).processed;
      const unitsBefore = viewer.units;
      camera.use('new');
      const t0 = performance.now();
      const followed = await poll(15_000, () =>
        (viewer.keyframes.get(NEW) ?? 0) >= 2 && (viewer.frames.get(NEW) ?? 0) >= 20 && (pluginFrames.get(NEW) ?? 0) >= 5 ? true : undefined);
      const followMs = performance.now() - t0;
      check(followed === true, `viewer ≥2 keyframes and ≥20 frames at ${NEW}, plugins ≥5 frames at ${NEW}`);
      const info = await cameraInfo(base, 'cam');
      check(`${info.width}x${info.height}` === NEW, `API size ${info.width}x${info.height}`);
      const plugin = await pluginStats(base, 'cam', 'brightness');
      check(plugin.processed > processedBefore, `plugin processed frames after the change (${processedBefore} → ${plugin.processed})`);
      check(info.reconnects === 0, `no reconnect needed (${info.reconnects})`);
      return {
        observed: `viewer: ${viewer.frames.get(OLD) ?? 0} frames at ${OLD}, ${viewer.frames.get(NEW) ?? 0} frames/` +
          `${viewer.keyframes.get(NEW) ?? 0} keyframes at ${NEW} (+${viewer.units - unitsBefore} since the switch); ` +
          `plugin frames ${pluginFrames.get(OLD) ?? 0} at ${OLD}, ${pluginFrames.get(NEW) ?? 0} at ${NEW}; ` +
          `API ${info.width}x${info.height}; followed in ${(followMs / 1000).toFixed(1)} s`,
        failures,
      };
    } finally {
      await stop();
      await camera.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
