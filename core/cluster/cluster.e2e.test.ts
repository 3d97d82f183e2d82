/**
 * End to end: two streamsight nodes sharing one config (`cluster:`), on loopback with different
 * ports, in this process, and a real Mosquitto. Node a is the reporter and runs `yard` (a test
 * pattern); node b runs `gate-b` (the demo's north-gate traffic clip with the counting plugin,
 * counting real vehicles). The only per-node differences are what differs between two machines:
 * the node name (`--node`), the ports (one host here) and the data folder.
 *
 * - Chromium, on a page of a third origin, plays gate-b with <streamsight-player> pointed at node
 *   a: the WHEP POST is answered 307 by node a and followed to node b; real frames are decoded, and
 *   removing the player DELETEs the session on node b.
 * - The vehicles b counts reach a's /api/counts and /api/reports/traffic over MQTT, with the
 *   reporter (node a) down while b publishes a minute: after a's restart its counts equal, row for
 *   row, what b counted (read from b's own count store once b has shut down), so nothing was lost
 *   or counted twice.
 *
 *   node --import tsx --test core/cluster/cluster.e2e.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { selectNode } from '../../config/cluster.js';
import { packageRoot, parseConfigText } from '../../config/load.js';
import { CountStore, type CountRow, type TrafficReport } from '../events/counts.js';
import type { CameraInfo } from '../http/types.js';
import { TestBroker } from '../mqtt/testdata/broker.js';
import { startServer, type Server } from '../server.js';
import { ensureDemoClips, launchChromium, portBlock } from '../testing/browser.js';
import { failOnUnhandledRejection, waitFor } from '../testing/wait.js';

failOnUnhandledRejection();

const ROOT = packageRoot();
type PlayerElement = HTMLElement & { stats(): Promise<{ framesDecoded: number; width: number; height: number }> };

/** `/api/counts` minute rows of a camera as `start line cls direction` → count. */
function byKey(rows: readonly CountRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[`${new Date(r.start).toISOString()} ${r.line} ${r.cls} ${r.direction}`] = r.count;
  return out;
}

describe('several nodes', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-cluster-'));
  const [httpA, httpB] = portBlock(21000, 200, 2);
  const [udpA] = portBlock(23000, 100, 40);
  const [rtspUdp] = portBlock(27000, 100, 40);
  const base = { a: `http://127.0.0.1:${httpA}`, b: `http://127.0.0.1:${httpB}` };
  let broker: TestBroker;
  let text = '';
  let a: Server | undefined;
  let b: Server | undefined;
  let browser: Browser | undefined;
  let pageServer: HttpServer | undefined;
  let pageOrigin = '';
  const startedAt = Date.now();

  /** The shared config as node `node` runs it on this one host: its own ports and data folder. */
  function startNode(node: 'a' | 'b'): Promise<Server> {
    const config = selectNode(parseConfigText(text, 'cluster.yaml', [], {}), node, {});
    const i = node === 'a' ? 0 : 1;
    config.http.port = node === 'a' ? httpA : httpB;
    config.webrtc.udpPortRange = [udpA + 20 * i, udpA + 20 * i + 19];
    config.rtsp.udpPortRange = [rtspUdp + 20 * i, rtspUdp + 20 * i + 19];
    config.storage.path = join(dir, node);
    return startServer(config);
  }

  const json = async <T>(url: string): Promise<T> => {
    const res = await fetch(url);
    assert.equal(res.status, 200, `${url}: ${res.status}`);
    return (await res.json()) as T;
  };

  before(async () => {
    ensureDemoClips();
    broker = await TestBroker.start();
    const demo = parse(readFileSync(join(ROOT, 'config/streamsight.yaml'), 'utf8')) as { cameras: Record<string, { plugins: Record<string, unknown> }> };
    const counting = demo.cameras['gate-north']!.plugins.counting;
    assert.ok(counting, 'config/streamsight.yaml configures counting on gate-north');
    text = stringify({
      log: { level: 'warn' },
      http: { host: '127.0.0.1' },
      rtsp: { host: '127.0.0.1', port: 0 },
      webrtc: { hostAddresses: ['127.0.0.1'] },
      mqtt: { url: broker.url, topicPrefix: 'city', keepaliveS: 5 },
      cluster: { nodes: { a: { url: base.a }, b: { url: base.b } }, reporter: 'a' },
      cameras: {
        yard: { node: 'a', synthetic: { width: 320, height: 240, fps: 5, bitrateKbps: 200, gop: 10 } },
        'gate-b': {
          node: 'b', name: 'North gate', gate: 'north',
          synthetic: { file: join(ROOT, 'data/demo/gate-north.h264'), fps: 25 },
          detect: { width: 640, height: 360, fps: 10, model: false },
          plugins: { counting },
        },
      },
    });
    a = await startNode('a');
    await waitFor('the reporter to subscribe', 10_000, () => a!.reporterStats()?.subscribed || undefined);
    b = await startNode('b');
    pageServer = createServer((req, res) => {
      if (req.url === '/favicon.ico') return void res.writeHead(204).end();
      if (req.url !== '/gate.html') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Portal</title>
<script type="module" src="${base.a}/player.js"></script>
<streamsight-player camera="gate-b" server="${base.a}" muted></streamsight-player>`);
    });
    await new Promise<void>((r) => pageServer!.listen(0, '127.0.0.1', r));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;
    await waitFor('gate-b to come online on node b', 30_000, async () =>
      ((await json<CameraInfo>(`${base.b}/api/cameras/gate-b`)).state === 'online' ? true : undefined), 200);
  });

  after(async () => {
    await browser?.close();
    await a?.close();
    await b?.close();
    await new Promise<void>((r) => (pageServer ? (pageServer.closeAllConnections(), pageServer.close(() => r())) : r()));
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every camera on each node, the other node\'s as remote, and redirects a camera\'s API to its node', async () => {
    for (const node of ['a', 'b'] as const) {
      const cams = await json<CameraInfo[]>(`${base[node]}/api/cameras`);
      assert.deepEqual(cams.map((c) => [c.id, c.node, c.state === 'remote']), [['yard', 'a', node !== 'a'], ['gate-b', 'b', node !== 'b']]);
    }
    const res = await fetch(`${base.a}/api/cameras/gate-b?x=1`, { redirect: 'manual' });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), `${base.b}/api/cameras/gate-b?x=1`);
    const followed = await json<CameraInfo>(`${base.a}/api/cameras/gate-b`);
    assert.deepEqual([followed.id, followed.node, followed.state], ['gate-b', 'b', 'online']);
    // Sub-resources too: the geometry of b's counting plugin, read through a.
    const geometry = await json<{ camera: string; plugins: Record<string, unknown> }>(`${base.a}/api/cameras/gate-b/geometry`);
    assert.deepEqual([geometry.camera, Object.keys(geometry.plugins)], ['gate-b', ['counting']]);
  });

  it('plays node b\'s camera in Chromium from a page of another origin pointed at node a', async () => {
    browser = await launchChromium();
    const page: Page = await browser.newPage();
    const seen: string[] = [];
    const corsErrors: string[] = [];
    const requested: string[] = [];
    page.on('response', (r) => seen.push(`${r.request().method()} ${r.url()} ${r.status()}`));
    page.on('request', (r) => requested.push(`${r.method()} ${r.url()}`));
    page.on('console', (m) => m.type() === 'error' && /CORS|blocked/i.test(m.text()) && corsErrors.push(m.text()));
    await page.goto(`${pageOrigin}/gate.html`);
    const stats = () => page.evaluate(() => (document.querySelector('streamsight-player') as PlayerElement).stats());
    const first = await waitFor('the first decoded frame', 20_000, async () => {
      const n = (await stats().catch(() => ({ framesDecoded: 0 }))).framesDecoded;
      return n > 0 ? n : undefined;
    }, 250);
    await waitFor('frames to keep coming', 10_000, async () => ((await stats()).framesDecoded > first ? true : undefined), 250);
    const s = await stats();
    assert.deepEqual([s.width, s.height], [640, 360], 'the clip\'s own size');
    assert.ok(seen.includes(`POST ${base.a}/whep/gate-b 307`), `node a redirected the offer: ${seen.join(', ')}`);
    assert.ok(seen.includes(`POST ${base.b}/whep/gate-b 201`), `node b answered it: ${seen.join(', ')}`);
    assert.deepEqual(corsErrors, []);
    const viewers = async () => (await json<CameraInfo>(`${base.a}/api/cameras/gate-b`)).viewers;
    assert.equal(await viewers(), 1, 'node b counts the viewer');
    // The session lives on b; the player DELETEs it there (Location resolved against the redirected URL) when it goes away.
    await page.evaluate(() => document.querySelector('streamsight-player')!.remove());
    await waitFor('the player to DELETE its session on node b', 10_000, () => (requested.some((l) => l.startsWith(`DELETE ${base.b}/whep/gate-b/`)) ? true : undefined), 50);
    await waitFor('the session to end on node b', 10_000, async () => ((await viewers()) === 0 ? true : undefined), 200);
    await page.close();
    await browser.close();
    browser = undefined;
  });

  it('gathers node b\'s real counts on the reporter, through a reporter restart, exactly once', async () => {
    // The reporter goes down; b keeps counting and publishes each minute when it ends.
    await a!.close();
    a = undefined;
    await waitFor('node b to publish a minute of counts while the reporter is down', 70_000, () => ((b!.mqttStats()?.delivered ?? 0) > 0 ? true : undefined), 250);
    a = await startNode('a');
    await waitFor('the restarted reporter to apply what b published meanwhile', 15_000, () => ((a!.reporterStats()?.applied ?? 0) > 0 ? true : undefined), 100);
    const counts = (q: string) => json<{ counts: CountRow[] }>(`${base.a}/api/counts?${q}`).then((r) => r.counts);
    const from = new Date(startedAt - 120_000).toISOString();
    assert.ok((await counts(`camera=gate-b&bucket=minute&from=${from}`)).length > 0, 'b\'s counts are on a');
    // Node b answers the city-wide questions too, by redirecting them to the reporter.
    const today = (d = new Date()) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const viaB = await fetch(`${base.b}/api/reports/traffic?date=${today()}`, { redirect: 'manual' });
    assert.equal(viaB.status, 307);
    assert.equal(viaB.headers.get('location'), `${base.a}/api/reports/traffic?date=${today()}`);

    // b shuts down: its current minute is published on the way out, while a is up.
    const bCounts = join(dir, 'b', 'counts');
    await b!.close();
    b = undefined;
    const store = await CountStore.open({ path: bCounts });
    let truth: CountRow[];
    try {
      truth = store.query({ camera: 'gate-b', bucket: 'minute', from: startedAt - 120_000, to: Date.now() });
    } finally {
      await store.close();
    }
    const total = truth.reduce((n, r) => n + r.count, 0);
    // How many depends on how soon a minute ended (and how busy the machine is): what matters is that a has exactly these.
    assert.ok(total >= 1, `b counted real vehicles: ${total}`);
    const onA = await waitFor('a\'s minute rows to equal what b counted', 15_000, async () => {
      const rows = await counts(`camera=gate-b&bucket=minute&from=${from}`);
      return rows.reduce((n, r) => n + r.count, 0) >= total ? rows : undefined;
    }, 200);
    assert.deepEqual(byKey(onA), byKey(truth), 'every minute, line, class and direction, counted once');
    assert.ok(onA.every((r) => r.gate === 'north'));
    const report = await json<TrafficReport>(`${base.a}/api/reports/traffic?date=${today(new Date(truth[0]!.start))}`);
    const north = report.gates.find((g) => g.gate === 'north');
    const sameDay = truth.filter((r) => today(new Date(r.start)) === today(new Date(truth[0]!.start))).reduce((n, r) => n + r.count, 0);
    assert.equal(north?.total, sameDay, `the traffic report counts b's vehicles: ${JSON.stringify(report.gates.map((g) => [g.gate, g.total]))}`);
    const stats = a!.reporterStats()!;
    assert.deepEqual([stats.invalid, stats.own], [0, 0]);
    console.log('cluster_counts', JSON.stringify({ total, rows: truth.length, reporter: stats, ms: Date.now() - startedAt }));
  });
});
