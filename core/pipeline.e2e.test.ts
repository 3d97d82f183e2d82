/**
 * The detection pipeline end to end in one server: a synthetic camera pushed over RTSP, decoded
 * by ffmpeg into the frame ring, read by the brightness plugin in a worker thread, its event
 * committed to lmdb with a JPEG snapshot, and served on /api/events, /ws, /api/plugins and
 * /metrics. The plugin is configured so the test pattern (mean luma ~ 100) counts as dark.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../config/load.js';
import { TestWebSocket } from './http/testdata/ws-client.js';
import { startServer, type Server } from './server.js';
import { waitFor } from './testing/wait.js';

interface EventJson { id: string; camera: string; plugin: string; type: string; hasSnapshot: boolean; attributes?: { luma: number } }

describe('detection pipeline in the server', { timeout: 360_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-pipeline-'));
  let server: Server;
  let base = '';
  let ws: TestWebSocket;

  before(async () => {
    server = await startServer(
      parseConfigText(
        [
          'log: { level: warn }',
          'http: { host: 127.0.0.1, port: 0 }',
          'rtsp: { host: 127.0.0.1, port: 0 }',
          'webrtc: { hostAddresses: [127.0.0.1] }',
          `storage: { path: ${JSON.stringify(dir)} }`,
          'cameras:',
          '  yard:',
          '    synthetic: { width: 320, height: 240, fps: 10, bitrateKbps: 300, gop: 10 }',
          '    detect: { fps: 5 }',
          '    plugins:',
          '      brightness: { fps: 2, config: { darkBelow: 180, brightAbove: 250 } }',
        ].join('\n'),
        'pipeline-e2e',
      ),
    );
    base = server.addresses.pageUrl;
    ws = await TestWebSocket.open(server.addresses.httpPort);
  });

  after(async () => {
    ws?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the plugin event with its snapshot and serves it on the API and the WebSocket', async () => {
    const message = await ws.next<{ type: string; event?: EventJson }>(30_000);
    // Detections may come first; wait for the event itself.
    let event = message.type === 'event' ? message.event : undefined;
    for (let i = 0; !event && i < 200; i++) {
      const m = await ws.next<{ type: string; event?: EventJson }>(30_000);
      if (m.type === 'event') event = m.event;
    }
    assert.ok(event, 'an event on /ws');
    assert.equal(event.camera, 'yard');
    assert.equal(event.plugin, 'brightness');
    assert.equal(event.type, 'scene.dark');
    assert.ok(event.attributes!.luma < 180, `luma ${event.attributes!.luma}`);

    const page = (await (await fetch(`${base}api/events?camera=yard&type=scene.dark`)).json()) as { events: EventJson[] };
    assert.ok(page.events.some((e) => e.id === event.id), 'the event acknowledged on /ws is stored');
    assert.equal(event.hasSnapshot, true);
    const snap = await fetch(`${base}api/events/${event.id}/snapshot.jpg`);
    assert.equal(snap.status, 200);
    assert.equal(snap.headers.get('content-type'), 'image/jpeg');
    const jpeg = new Uint8Array(await snap.arrayBuffer());
    assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'JPEG start marker');
  });

  it('reports the plugin, the latest frame and the metrics', async () => {
    const stats = await waitFor('plugin processed frames', 20_000, async () => {
      const list = (await (await fetch(`${base}api/plugins`)).json()) as Array<{ camera: string; plugin: string; processed: number; restarts: number }>;
      const s = list.find((p) => p.camera === 'yard' && p.plugin === 'brightness');
      return s && s.processed >= 3 ? s : undefined;
    });
    assert.equal(stats.restarts, 0);
    const frame = await fetch(`${base}api/cameras/yard/snapshot.jpg`);
    assert.equal(frame.status, 200);
    assert.equal(frame.headers.get('content-type'), 'image/jpeg');
    const metrics = await (await fetch(`${base}metrics`)).text();
    assert.match(metrics, /^streamsight_camera_fps_decoded\{camera="yard"\} [0-9.]+$/m);
    assert.match(metrics, /^streamsight_plugin_latency_seconds_count\{camera="yard",plugin="brightness"\} [1-9]/m);
    const viewers = (await (await fetch(`${base}api/cameras/yard`)).json()) as { viewers: number };
    assert.equal(viewers.viewers, 0, 'the decoder is not counted as a viewer');
  });
});
