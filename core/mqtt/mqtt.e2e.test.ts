/**
 * The whole server with `mqtt:`: a synthetic camera, the brightness plugin raising scene.dark
 * (the test pattern's mean luma ~100 is below darkBelow 180), and its committed event arriving
 * over a real Mosquitto on `{prefix}/{camera}/events`, with the stats and availability beside it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../config/load.js';
import { startServer, type Server } from '../server.js';
import type { StatsMessage } from './publisher.js';
import { TestBroker } from './testdata/broker.js';
import { TestSubscriber } from './testdata/subscriber.js';

describe('server publishing to MQTT', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-mqtt-e2e-'));
  let broker: TestBroker;
  let sub: TestSubscriber;
  let server: Server | undefined;

  before(async () => {
    broker = await TestBroker.start();
    sub = await TestSubscriber.connect(broker.url, ['e2e/#']);
    server = await startServer(
      parseConfigText(
        [
          'log: { level: warn }',
          'http: { host: 127.0.0.1, port: 0 }',
          'rtsp: { host: 127.0.0.1, port: 0 }',
          'webrtc: { hostAddresses: [127.0.0.1] }',
          `storage: { path: ${JSON.stringify(dir)} }`,
          `mqtt: { url: ${JSON.stringify(broker.url)}, clientId: e2e-server, topicPrefix: e2e, statsIntervalS: 1 }`,
          'cameras:',
          '  yard:',
          '    synthetic: { width: 320, height: 240, fps: 10, bitrateKbps: 300, gop: 10 }',
          '    detect: { fps: 5 }',
          '    plugins:',
          '      brightness: { fps: 2, config: { darkBelow: 180, brightAbove: 250 } }',
        ].join('\n'),
        'mqtt-e2e',
      ),
    );
  });

  after(async () => {
    await server?.close();
    await sub?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the committed event, the stats and its availability', async () => {
    const m = await sub.next('e2e/yard/events', 60_000);
    assert.equal(m.qos, 1);
    const event = JSON.parse(m.text) as { id: string; camera: string; plugin: string; type: string };
    assert.deepEqual([event.camera, event.plugin, event.type], ['yard', 'brightness', 'scene.dark']);
    const res = await fetch(`${server!.addresses.pageUrl}api/events/${event.id}`);
    assert.equal(res.status, 200, 'the event sent over MQTT is the stored one');

    const stats = JSON.parse((await sub.next('e2e/stats', 10_000, (s) => (JSON.parse(s.text) as StatsMessage).plugins.length > 0)).text) as StatsMessage;
    assert.deepEqual(stats.cameras.map((c) => c.id), ['yard']);
    assert.deepEqual(stats.plugins.map((p) => p.plugin), ['brightness']);
    assert.ok(server!.mqttStats()!.delivered >= 1);

    await sub.next('e2e/e2e-server/availability', 5000, (a) => a.text === 'online');
    await server!.close();
    await sub.next('e2e/e2e-server/availability', 5000, (a) => a.text === 'offline');
  });
});
