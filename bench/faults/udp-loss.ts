/**
 * UDP loss, reorder and jitter: the camera's RTP goes through a lossy proxy on loopback
 * (core/testing/lossy-proxy.ts: 3 % loss, 5 % of packets overtaken by the next 2, up to 15 ms
 * jitter, seeded) for a few seconds, then the link is clean again. The camera's packetsLost and
 * packetsReordered in /api/cameras must match what the proxy did, and a WHEP viewer must get a
 * keyframe and frames again after the link recovers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipCamera, loadClip } from './camera.js';
import { cameraInfo, checker, poll, SizingViewer, startCameraServer, type Fault } from './harness.js';

const IMPAIR_MS = 4000;
const LOSS = 0.03;
const REORDER = 0.05;
const JITTER_MS = 15;

export const udpLossFault: Fault = {
  id: 'udp',
  name: 'UDP loss/reorder/jitter',
  injected: `transport udp through a lossy proxy for ${IMPAIR_MS / 1000} s: ${LOSS * 100} % loss, ${REORDER * 100} % reordered, ≤${JITTER_MS} ms jitter`,
  expected: 'packetsLost / packetsReordered match the proxy; viewer recovers at the next keyframe',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-fault-udp-'));
    let impairing = false;
    const camera = new ClipCamera({
      clips: { a: loadClip(320, 240) }, initial: 'a',
      impair: { loss: LOSS, reorder: REORDER, reorderDepth: 2, jitterMs: JITTER_MS, seed: 20261124, active: () => impairing },
    });
    const viewer = new SizingViewer();
    const { check, failures } = checker();
    let stop = async (): Promise<void> => undefined;
    try {
      await camera.start();
      const { server, base } = await startCameraServer(dir, camera.url(), ['transport: udp', 'timeoutMs: 3000']);
      stop = async () => {
        await viewer.close(base);
        await server.close();
      };
      check((await poll(10_000, async () => ((await cameraInfo(base, 'cam')).state === 'online' ? true : undefined))) === true, 'camera online over UDP');
      await viewer.connect(base, 'cam');
      check((await poll(10_000, () => (viewer.keyframeCount > 0 ? true : undefined))) === true, 'viewer got a keyframe');
      impairing = true;
      await new Promise((r) => setTimeout(r, IMPAIR_MS));
      impairing = false;
      const keyframesAtEnd = viewer.keyframeCount;
      const unitsAtEnd = viewer.units;
      const t0 = performance.now();
      const recovered = await poll(5000, () => (viewer.keyframeCount > keyframesAtEnd && viewer.units >= unitsAtEnd + 10 ? true : undefined));
      const recoverMs = performance.now() - t0;
      check(recovered === true, 'viewer: a keyframe and 10 frames after the link recovered');
      // The last gaps are declared lost once the reorder window has moved past them.
      const proxy = { dropped: 0, reordered: 0, delayed: 0, forwarded: 0 };
      for (const p of camera.proxies) {
        proxy.dropped += p.stats.dropped;
        proxy.reordered += p.stats.reordered;
        proxy.delayed += p.stats.delayed;
        proxy.forwarded += p.stats.forwarded;
      }
      const info = (await poll(3000, async () => {
        const c = await cameraInfo(base, 'cam');
        return c.packetsLost >= proxy.dropped ? c : undefined;
      })) ?? await cameraInfo(base, 'cam');
      check(proxy.dropped > 0 && proxy.reordered > 0 && proxy.delayed > 0, 'the proxy dropped, reordered and delayed packets');
      check(info.packetsLost === proxy.dropped, `packetsLost ${info.packetsLost} = dropped ${proxy.dropped}`);
      check(info.packetsReordered === proxy.reordered, `packetsReordered ${info.packetsReordered} = reordered ${proxy.reordered}`);
      check(info.framesDropped > 0, `framesDropped counted (${info.framesDropped})`);
      check(info.reconnects === 0, `no reconnect (${info.reconnects})`);
      return {
        observed: `proxy: ${proxy.forwarded} forwarded, ${proxy.dropped} dropped, ${proxy.reordered} reordered, ${proxy.delayed} delayed; ` +
          `API: packetsLost ${info.packetsLost}, packetsReordered ${info.packetsReordered}, framesDropped ${info.framesDropped}; ` +
          `viewer keyframe + ${viewer.units - unitsAtEnd} frames ${(recoverMs / 1000).toFixed(1)} s after the link recovered`,
        failures,
      };
    } finally {
      await stop();
      await camera.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
