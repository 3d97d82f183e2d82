/**
 * The neural detector end to end through the real server: vtest.avi (real footage, Debian's
 * opencv-doc) pushed over RTSP by ffmpeg, decoded for plugins, the `objects` plugin's tracker fed
 * by the bundled CenterNet through the detector service (no plugin code knows), and the people it
 * counted read back from GET /api/reports/objects. A camera with `detect.model: false` keeps to
 * the blob detector on the same server.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfigText } from '../../config/load.js';
import { freePort, publish, waitFor } from '../../bench/lib.js';
import { startServer } from '../server.js';
import { vtestH264 } from './onnx/vtest.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-detect-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The first `seconds` of vtest.avi as H.264 (Annex B), 10 fps, a keyframe every second. */
function vtestClip(seconds: number): string {
  const file = join(dir, 'vtest.h264');
  vtestH264(file, { seconds, gop: 10 });
  return file;
}

describe('the neural detector through the server', { timeout: 180_000 }, () => {
  it('counts the people of vtest.avi with the bundled model\'s classes, and leaves a camera without it on blobs', async (t) => {
    const clip = vtestClip(20);
    const [httpPort, rtspPort] = [await freePort(), await freePort()];
    const objects = { fps: 2, config: { minSeenS: 1, settleS: 1 } };
    const config = parseConfigText(JSON.stringify({
      log: { level: 'warn' },
      http: { host: '127.0.0.1', port: httpPort },
      rtsp: { host: '127.0.0.1', port: rtspPort },
      storage: { path: join(dir, 'data') },
      detector: { model: 'centernet', cacheDir: join(dir, 'models'), workers: 1 },
      cameras: {
        vt: { push: true, detect: { width: 768, height: 576, fps: 2 }, plugins: { objects } },
        blobs: { synthetic: { width: 320, height: 180, fps: 10 }, detect: { fps: 2, model: false }, plugins: { objects } },
      },
    }), 'e2e.yaml');
    const server = await startServer(config);
    const base = `http://127.0.0.1:${httpPort}`;
    try {
      await waitFor('plugins running', 60_000, async () => {
        const stats = (await (await fetch(`${base}/api/plugins`)).json()) as { state: string }[];
        return stats.length === 2 && stats.every((p) => p.state === 'running') ? true : undefined;
      });
      await publish(clip, 10, `rtsp://127.0.0.1:${rtspPort}/vt`);
      // The last frames through the decoder and the model, then the tally's flush when the track ends.
      const date = new Date().toLocaleDateString('sv');
      let byClass: Record<string, number> = {};
      await waitFor('people counted', 20_000, async () => {
        const r = (await (await fetch(`${base}/api/reports/objects?camera=vt&date=${date}`)).json()) as { byClass: Record<string, number> };
        byClass = r.byClass;
        return (byClass.person ?? 0) >= 3 ? true : undefined;
      });
      // vtest's first 20 s: a dozen people walk through; the counts carry the model's classes only.
      assert.ok((byClass.person ?? 0) >= 3 && (byClass.person ?? 0) <= 25, JSON.stringify(byClass));
      assert.equal(byClass.vehicle, undefined, JSON.stringify(byClass));
      const s = server.detectorStats()!;
      t.diagnostic(`counted ${JSON.stringify(byClass)}; detector ${JSON.stringify(s)}`);
      // 20 s at 2 fps: about 40 frames asked for, every one answered; some only around motion.
      // Only vt asks: the synthetic camera (detect.model: false) would add as many again.
      assert.ok(s.requests >= 25 && s.requests <= 60 && s.frames >= 10, JSON.stringify(s));
      assert.equal(s.errors, 0, JSON.stringify(s));
      assert.ok(s.full >= 4 && s.pixelShare > 0 && s.pixelShare <= 1, JSON.stringify(s));
      const api = (await (await fetch(`${base}/api/detector`)).json()) as { requests: number };
      assert.ok(api.requests >= s.requests, JSON.stringify(api));
    } finally {
      await server.close();
    }
  });
});
