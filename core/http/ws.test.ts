import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import uWS from 'uWebSockets.js';
import { waitUntil } from '../testing/wait.js';
import { createHttpApp, type HttpApp } from './app.js';
import { MemoryDetectionServer } from './testdata/memory-server.js';
import { TestWebSocket } from './testdata/ws-client.js';
import type { DetectionsMessage, StoredEventLike } from './types.js';
import { attachEventSocket, CLOSE_TOO_SLOW } from './ws.js';

const event = (n: number, attributes?: Record<string, unknown>): StoredEventLike => ({
  id: `01J0000000000000000000${String(n).padStart(4, '0')}`, camera: 'gate1', plugin: 'brightness', type: 'dark',
  severity: 'warning', startedAt: 1_760_000_000_000 + n, hasSnapshot: false, ...(attributes ? { attributes } : {}),
});
const detections = (pts: number, boxes = 1): DetectionsMessage => ({
  camera: 'gate1', plugin: 'people', pts,
  detections: Array.from({ length: boxes }, (_, i) => ({ label: 'person', score: 0.9, box: [i / boxes, 0.1, 0.05, 0.2], trackId: i })),
});
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('WS /ws through the HTTP app', () => {
  const server = new MemoryDetectionServer();
  let app: HttpApp;
  let port = 0;
  const clients: TestWebSocket[] = [];
  const open = async (headers?: Record<string, string>) => {
    const ws = await TestWebSocket.open(port, '/ws', headers);
    clients.push(ws);
    return ws;
  };

  before(async () => {
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: ['https://integrator.example'] });
    port = await app.listen();
  });
  after(() => {
    for (const ws of clients) ws.socket.destroy();
    app.close();
  });

  it('pushes committed events and detections to every client', async () => {
    const a = await open();
    const b = await open({ origin: `http://127.0.0.1:${port}` });
    await waitUntil(() => server.bus.listenerCount('event') === 1, 1000, 'app listening');
    server.bus.emit('event', event(1));
    server.bus.emit('detections', detections(9000));
    for (const ws of [a, b]) {
      assert.deepEqual(await ws.next(), { type: 'event', event: event(1) });
      assert.deepEqual(await ws.next(), { type: 'detections', ...detections(9000) });
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^streamsight_ws_clients 2$/m);
  });

  it('gives a /ws?camera= client that camera\'s events and detections only; the others get every camera\'s', async () => {
    const all = await open();
    const gate2 = await TestWebSocket.open(port, '/ws?camera=gate2');
    clients.push(gate2);
    await waitUntil(() => server.bus.listenerCount('event') === 1, 1000, 'app listening');
    const other = { ...event(4), camera: 'gate2' };
    server.bus.emit('event', event(5)); // gate1
    server.bus.emit('detections', detections(9100)); // gate1
    server.bus.emit('event', other);
    server.bus.emit('detections', { ...detections(9200), camera: 'gate2' });
    assert.deepEqual(await gate2.next(), { type: 'event', event: other }, 'gate1\'s event and detections skipped');
    assert.deepEqual(await gate2.next(), { type: 'detections', ...detections(9200), camera: 'gate2' });
    assert.deepEqual(await all.next(), { type: 'event', event: event(5) });
    assert.deepEqual(await all.next(), { type: 'detections', ...detections(9100) });
    assert.deepEqual(await all.next(), { type: 'event', event: other });
    assert.deepEqual(await all.next(), { type: 'detections', ...detections(9200), camera: 'gate2' });
  });

  it('refuses an upgrade from a foreign origin, accepts the configured one', async () => {
    await assert.rejects(TestWebSocket.open(port, '/ws', { origin: 'https://evil.example' }), /upgrade refused: HTTP\/1\.1 403/);
    const ok = await open({ origin: 'https://integrator.example' });
    server.bus.emit('event', event(2));
    assert.equal(((await ok.next()) as { event: StoredEventLike }).event.id, event(2).id);
  });

  it('answers a plain GET /ws (no upgrade) with 426, and upgrades still work', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/ws`, { signal: AbortSignal.timeout(2000) });
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('upgrade'), 'websocket');
    assert.match(((await res.json()) as { error: string }).error, /WebSocket/);
    const ws = await open();
    server.bus.emit('event', event(3));
    assert.equal(((await ws.next()) as { event: StoredEventLike }).event.id, event(3).id);
  });

  it('stops listening to the server and closes clients on app.close()', async () => {
    const other = new MemoryDetectionServer();
    const app2 = createHttpApp(other, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: [] });
    const ws = await TestWebSocket.open(await app2.listen());
    assert.equal(other.bus.listenerCount('event'), 1);
    app2.close();
    assert.equal(other.bus.listenerCount('event'), 0);
    assert.equal(other.bus.listenerCount('detections'), 0);
    assert.equal((await ws.closed).code, 1001);
  });
});

describe('WS backpressure', () => {
  const server = new MemoryDetectionServer();
  const app = uWS.App();
  let socket: ReturnType<typeof attachEventSocket>;
  let listen: uWS.us_listen_socket | undefined;
  let port = 0;
  const clients: TestWebSocket[] = [];

  before(async () => {
    socket = attachEventSocket(app, server, { corsOrigins: [], detectionsHighWater: 64 * 1024, eventsHighWater: 256 * 1024 });
    await new Promise<void>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => {
      if (!s) return reject(new Error('listen failed'));
      listen = s;
      port = uWS.us_socket_local_port(s as unknown as uWS.us_socket);
      resolve();
    }));
  });
  after(() => {
    for (const ws of clients) ws.socket.destroy();
    socket.close();
    if (listen) uWS.us_listen_socket_close(listen);
  });

  it('drops detections for a client that stops reading, keeps serving the others, resumes once drained', async () => {
    const fast = await TestWebSocket.open(port);
    const slow = await TestWebSocket.open(port);
    clients.push(fast, slow);
    slow.pause();
    let published = 0;
    const deadline = Date.now() + 10_000;
    // ~15 KB per message: the loopback buffers fill within a few MB.
    while (socket.stats().detectionsDropped < 20) {
      assert.ok(Date.now() < deadline, `no drop after ${published} messages`);
      socket.publishDetections(detections(published++, 200));
      await tick();
    }
    const dropped = socket.stats().detectionsDropped;
    assert.equal(socket.stats().slowClosed, 0);
    // The reading client got every message, in order.
    await waitUntil(() => fast.pending === published, 5000, `fast client to get ${published} messages`);
    for (let i = 0; i < published; i++) assert.equal((await fast.next<DetectionsMessage>()).pts, i);

    slow.resume();
    await waitUntil(() => slow.pending >= published - dropped, 5000, 'slow client to drain');
    const marker = 1e9;
    await waitUntil(async () => {
      socket.publishDetections(detections(marker));
      await tick();
      return socket.stats().detectionsDropped === dropped || slow.pending > published - dropped;
    }, 5000, 'detections to resume');
    let last = 0;
    while (slow.pending > 0) last = (await slow.next<DetectionsMessage>()).pts;
    assert.equal(last, marker, 'the slow client receives detections again');
    assert.equal(socket.stats().slowClosed, 0);
    fast.close();
    slow.close();
    await waitUntil(() => socket.stats().clients === 0, 2000, 'clients to leave');
  });

  it('closes (1013) a client too far behind for events instead of skipping one, and counts it', async () => {
    const fast = await TestWebSocket.open(port);
    const slow = await TestWebSocket.open(port);
    clients.push(fast, slow);
    slow.pause();
    const big = { blob: 'x'.repeat(32 * 1024) };
    let sent = 0;
    const deadline = Date.now() + 10_000;
    while (socket.stats().slowClosed === 0) {
      assert.ok(Date.now() < deadline, `slow client not closed after ${sent} events`);
      socket.publishEvent(event(sent++, big));
      await tick();
    }
    assert.equal(socket.stats().slowClosed, 1);
    assert.equal(socket.stats().clients, 1);
    slow.resume();
    // Everything it got before the close arrives in order, then the close frame.
    assert.equal((await slow.closed).code, CLOSE_TOO_SLOW);
    const got: string[] = [];
    while (slow.pending > 0) got.push((await slow.next<{ event: StoredEventLike }>()).event.id);
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => event(i).id));
    assert.ok(got.length < sent);
    await waitUntil(() => fast.pending === sent, 5000, 'fast client to get every event');
  });
});
