/**
 * Camera stall: the camera keeps its TCP connection and answers RTSP, but sends no more RTP
 * (its encoder hung for this client). The pull source's watchdog must give up after `timeoutMs`
 * and reconnect; a WHEP viewer that stayed connected gets frames again from the new session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipCamera, loadClip } from './camera.js';
import { cameraInfo, checker, poll, SizingViewer, startCameraServer, type Fault } from './harness.js';

const TIMEOUT_MS = 1000;

export const stallFault: Fault = {
  id: 'stall',
  name: 'camera stall',
  injected: 'RTP stops, TCP stays open (RTSP still answered)',
  expected: `no RTP for ${TIMEOUT_MS} ms → reconnect; viewer gets frames again`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-fault-stall-'));
    const camera = new ClipCamera({ clips: { a: loadClip(320, 240) }, initial: 'a' });
    await camera.start();
    const started = await startCameraServer(dir, camera.url(), [`timeoutMs: ${TIMEOUT_MS}`, 'reconnect: { initialMs: 100, maxMs: 1000 }']).catch(async (err: unknown) => {
      await camera.close();
      throw err;
    });
    const { server, base } = started;
    const viewer = new SizingViewer();
    const { check, failures } = checker();
    try {
      check((await poll(10_000, async () => ((await cameraInfo(base, 'cam')).state === 'online' ? true : undefined))) === true, 'camera online');
      await viewer.connect(base, 'cam');
      check((await poll(10_000, () => (viewer.keyframeCount > 0 ? true : undefined))) === true, 'viewer got a keyframe');
      const before = await cameraInfo(base, 'cam');
      const t0 = performance.now();
      camera.stall();
      const detected = await poll(TIMEOUT_MS * 6, async () => {
        const c = await cameraInfo(base, 'cam');
        return c.reconnects > before.reconnects ? c : undefined;
      });
      const detectMs = performance.now() - t0;
      check(detected !== undefined, 'a reconnect after the stall');
      check(/no RTP for \d+ ms/.test(detected?.lastError ?? ''), `lastError names the stall (got "${detected?.lastError}")`);
      check(detectMs >= TIMEOUT_MS * 0.9, `not before the timeout (${detectMs.toFixed(0)} ms)`);
      const unitsAtStall = viewer.units;
      const keyframesAtStall = viewer.keyframeCount;
      const back = await poll(10_000, async () =>
        camera.connections >= 2 && (await cameraInfo(base, 'cam')).state === 'online' && viewer.keyframeCount > keyframesAtStall && viewer.units > unitsAtStall + 10
          ? true : undefined);
      const recoverMs = performance.now() - t0;
      check(back === true, 'online again on a new connection, viewer frames flowing');
      return {
        observed: `stall detected after ${(detectMs / 1000).toFixed(1)} s ("${detected?.lastError ?? '-'}"), ` +
          `${camera.connections} connections, viewer +${viewer.units - unitsAtStall} frames ${(recoverMs / 1000).toFixed(1)} s after the stall`,
        failures,
      };
    } finally {
      await viewer.close(base);
      await server.close();
      await camera.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
