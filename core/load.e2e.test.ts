/**
 * Load against the whole server on loopback: 200 WHEP sessions created and deleted, 50 RTSP
 * restream clients at once on one pulled camera, and viewers that stop reading beside ones that
 * keep watching. After each, the server must hold nothing the clients left behind: no session, no
 * reader, no socket or descriptor, no heap that stays grown. The clients run in this process too
 * (werift peers, the project's RtspClient), so descriptor and memory counts cover both ends; the
 * clients are closed before anything is counted. Long-run growth is `bench soak`'s job.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RTCPeerConnection } from 'werift';
import { H264Depacketizer } from '../codecs/h264/depacketizer.js';
import { parseConfigText } from '../config/load.js';
import { RtspClient } from './rtsp/client.js';
import { RawRtspClient, sessionOf } from './rtsp/server.testkit.js';
import { TCP_DROP_BYTES } from './rtsp/session.js';
import { startServer, type Server } from './server.js';
import { portBlock } from './testing/browser.js';
import { collectGarbage, processResources, type ProcessResources } from './testing/process-resources.js';
import { waitUntil } from './testing/wait.js';
import { Viewer } from './webrtc/testdata/whep-client.js';

const MB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port free right now (the pulled camera's URL must name the server's RTSP port before it starts). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** An RTSP restream client (TCP interleaved) that counts the H.264 access units it can depacketize. */
class RtspViewer {
  readonly client = new RtspClient();
  readonly depacketizer = new H264Depacketizer();
  units = 0;
  keyframes = 0;

  async play(url: string): Promise<void> {
    this.client.on('rtp', (track, packet) => {
      if (track !== 0) return;
      for (const unit of this.depacketizer.push(packet)) {
        this.units++;
        if (unit.keyframe) this.keyframes++;
      }
    });
    await this.client.connect(url, { transport: 'tcp', timeoutMs: 10_000 });
    await this.client.describe();
    await this.client.setupAll();
    await this.client.play();
  }
}

/**
 * UDP blocks for WebRTC (61000-61999) and RTSP (62000-62199) that no other test file uses,
 * above the kernel's ephemeral range so a client socket never takes one.
 */
function baseLines(storage: string): string[] {
  return [
    'log: { level: error }',
    'http: { host: 127.0.0.1, port: 0 }',
    `webrtc: { hostAddresses: [127.0.0.1], iceServers: [], udpPortRange: [${portBlock(61000, 10, 100).join(', ')}] }`,
    `storage: { path: ${JSON.stringify(storage)}, clips: { enabled: false } }`,
  ];
}

function delta(a: ProcessResources, b: ProcessResources): string {
  return `fds ${a.fds}→${b.fds}, tcp ${a.tcpSockets}→${b.tcpSockets}, udp ${a.udpSockets}→${b.udpSockets}, handles ${a.handles}→${b.handles}, ` +
    `heap ${(a.heapUsed / MB).toFixed(1)}→${(b.heapUsed / MB).toFixed(1)} MB, ` +
    `external ${(a.external / MB).toFixed(1)}→${(b.external / MB).toFixed(1)} MB, rss ${(a.rss / MB).toFixed(0)}→${(b.rss / MB).toFixed(0)} MB`;
}

describe('load: sessions come and go, the server keeps nothing', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-load-'));
  let server: Server;
  let base = '';
  let rtspPort = 0;

  before(async () => {
    rtspPort = await freePort();
    const lines = [
      ...baseLines(dir),
      `rtsp: { host: 127.0.0.1, port: ${rtspPort}, udpPortRange: [${portBlock(62000, 10, 20).join(', ')}] }`,
      'cameras:',
      '  load:',
      '    synthetic: { width: 320, height: 240, fps: 15, bitrateKbps: 300, gop: 15 }',
      // A camera pulled over RTSP (from this server's own restream of `load`), for the 50 clients.
      '  relay:',
      `    url: rtsp://127.0.0.1:${rtspPort}/load`,
      '    transport: tcp',
    ];
    server = await startServer(parseConfigText(lines.join('\n'), 'load-e2e'));
    base = server.addresses.pageUrl;
    await waitUntil(() => server.cameras.get('load')!.stream.state === 'online' && server.cameras.get('relay')!.stream.state === 'online', 30_000, 'cameras online', 100);
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One WHEP session: created (201), media or at least connected, DELETE closes it at once. */
  async function session(): Promise<boolean> {
    const v = new Viewer();
    try {
      await v.connect(base, 'load', 10_000); // asserts 201 and waits for DTLS connected
      const id = decodeURIComponent(v.location.split('/').pop()!);
      assert.ok(server.whep.sessions.has(id), `session ${id} is live`);
      // The GOP cache starts a viewer at the last keyframe, so media follows the connection at once.
      const until = Date.now() + 2000;
      while (v.keyframes === 0 && Date.now() < until) await sleep(20);
      const res = await fetch(new URL(v.location, base), { method: 'DELETE' });
      assert.equal(res.status, 200, `DELETE ${v.location}`);
      assert.equal(server.whep.sessions.has(id), false, `DELETE closed ${id}`);
      return v.keyframes > 0;
    } finally {
      await v.client.close();
    }
  }

  it('creates and deletes 200 WHEP sessions; afterwards no session, viewer, reader, socket or heap is left', async () => {
    const camera = server.cameras.get('load')!;
    let closed = 0;
    server.whep.on('sessionClosed', () => closed++);
    // Warm up first (JIT, werift's lazily built tables, the HTTP app's pools), so the baseline is
    // what the server holds at rest, not before it ever served a viewer.
    for (let i = 0; i < 6; i++) await session();
    await sleep(500);
    const readers0 = camera.stream.readers.size;
    const viewers0 = camera.viewers;
    assert.equal(viewers0, 1, 'before the sessions, the relay camera\'s pull is the only viewer');
    const before = await processResources(3);
    closed = 0;

    const BATCH = 4;
    let withMedia = 0;
    for (let i = 0; i < 200; i += BATCH) {
      const got = await Promise.all(Array.from({ length: BATCH }, () => session()));
      withMedia += got.filter(Boolean).length;
    }
    assert.equal(closed, 200, 'every session closed');
    assert.ok(withMedia >= 196, `${withMedia} of 200 sessions got a keyframe`);

    await waitUntil(() => server.whep.sessions.size === 0 && camera.viewers === viewers0 && camera.stream.readers.size === readers0, 5000, 'nothing left');
    await sleep(1000); // sockets closing, werift's timers running out
    const afterwards = await processResources(3);
    const msg = delta(before, afterwards);
    assert.equal(server.whep.sessions.size, 0, 'WHEP sessions');
    assert.equal(camera.viewers, viewers0, 'viewers of the camera: none of the 200 left');
    assert.equal(camera.stream.readers.size, readers0, 'stream readers back to the baseline');
    assert.ok(afterwards.udpSockets <= before.udpSockets, `UDP sockets: ${msg}`);
    // fetch keeps its keep-alive connections to the server open (a POST and a DELETE of each of
    // the BATCH sessions in flight, both ends in this process); a leak would be one per session.
    assert.ok(afterwards.tcpSockets <= before.tcpSockets + 4 * BATCH, `TCP sockets: ${msg}`);
    assert.ok(afterwards.fds - afterwards.tcpSockets <= before.fds - before.tcpSockets + 2, `file descriptors: ${msg}`);
    assert.ok(afterwards.handles <= before.handles + 4 * BATCH + 2, `handles: ${msg}`);
    // 200 sessions leaking even 50 kB each would show as 10 MB.
    assert.ok(afterwards.heapUsed - before.heapUsed < 8 * MB, `heap: ${msg}`);
    assert.ok(afterwards.external - before.external < 8 * MB, `external memory: ${msg}`);
  });

  it('serves 50 RTSP restream clients at once from one pull of the camera; all of them leave cleanly', async () => {
    const relay = server.cameras.get('relay')!;
    const source = server.cameras.get('load')!;
    const readers0 = relay.stream.readers.size;
    const sourceReaders = source.stream.readers.size; // the relay's one pull
    const sessions0 = server.rtsp.stats.playSessions;
    const before = await processResources(3);

    const clients = Array.from({ length: 50 }, () => new RtspViewer());
    for (let i = 0; i < clients.length; i += 10) {
      await Promise.all(clients.slice(i, i + 10).map((c) => c.play(`rtsp://127.0.0.1:${rtspPort}/relay`)));
    }
    assert.equal(relay.viewers, 50, 'viewers of the relay camera');
    assert.equal(server.rtsp.stats.playSessions, sessions0 + 50);
    const units0 = clients.map((c) => c.units);
    const in0 = relay.stream.stats.unitsIn;
    await sleep(3000);
    await waitUntil(() => clients.every((c) => c.keyframes > 0), 10_000, 'a keyframe at every client');
    const cameraUnits = relay.stream.stats.unitsIn - in0;
    assert.ok(cameraUnits >= 15 * 3 * 0.6, `the relay received ${cameraUnits} units in 3 s`);
    for (const [i, c] of clients.entries()) {
      assert.ok(c.units - units0[i]! >= cameraUnits * 0.9, `client ${i} got ${c.units - units0[i]!} of ${cameraUnits} units`);
      assert.equal(c.client.closed, false);
    }
    // Pulled once: the source has the same readers as before the clients came (the one pull), and
    // the relay received about one camera's frame rate, not fifty.
    assert.equal(source.stream.readers.size, sourceReaders, 'one pull of the camera, whatever the clients');
    assert.ok(cameraUnits <= 15 * 10, `the relay received ${cameraUnits} units in ~3 s: one pull's worth`);

    await Promise.all(clients.map((c) => c.client.teardown()));
    await waitUntil(() => relay.stream.readers.size === readers0 && server.rtsp.stats.playSessions === sessions0 && server.rtsp.stats.connections === 2, 5000, 'every client gone');
    await sleep(500);
    const afterwards = await processResources(3);
    const msg = delta(before, afterwards);
    assert.equal(relay.viewers, 0);
    assert.equal(server.rtsp.stats.connections, 1 + 1, 'the synthetic publisher and the relay pull remain');
    assert.ok(afterwards.fds <= before.fds + 4, `file descriptors: ${msg}`);
    assert.ok(afterwards.heapUsed - before.heapUsed < 8 * MB, `heap: ${msg}`);
  });
});

describe('load: viewers that stop reading cost bounded memory', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-slow-'));
  let server: Server;
  let base = '';

  before(async () => {
    // ~7 Mbit/s of noise in 640x360, copied without re-encoding: a stalled TCP viewer falls behind
    // by megabytes within seconds, so an unbounded queue would show. 60 s long: each loop of a
    // clip republishes, and a new publish empties the readers' queues (uncounted), which would
    // hide the stalled reader's overflow.
    const clip = join(dir, 'heavy.h264');
    const enc = spawnSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25,noise=alls=30:allf=t',
      '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '38', '-g', '25', '-keyint_min', '25', '-bf', '0',
      '-pix_fmt', 'yuv420p', clip,
    ], { stdio: 'inherit' });
    assert.equal(enc.status, 0, 'ffmpeg encoded the clip');
    const lines = [
      ...baseLines(dir),
      `rtsp: { host: 127.0.0.1, port: 0, udpPortRange: [${portBlock(62000, 10, 20).join(', ')}] }`,
      'cameras:',
      '  heavy:',
      `    synthetic: { file: ${JSON.stringify(clip)}, fps: 25 }`,
    ];
    server = await startServer(parseConfigText(lines.join('\n'), 'slow-e2e'));
    base = server.addresses.pageUrl;
    await waitUntil(() => server.cameras.get('heavy')!.stream.state === 'online', 30_000, 'camera online', 100);
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stalled RTSP TCP client and a WebRTC viewer that stopped answering: memory stays bounded, drops are counted, the others keep every frame', async () => {
    const camera = server.cameras.get('heavy')!;
    const url = `rtsp://127.0.0.1:${server.addresses.rtspPort}/heavy`;
    const fastRtsp = new RtspViewer();
    await fastRtsp.play(url);
    const fastWhep = new Viewer();
    await fastWhep.connect(base, 'heavy', 10_000);
    const slowWhep = new Viewer();
    await slowWhep.connect(base, 'heavy', 10_000);
    const slowId = decodeURIComponent(slowWhep.location.split('/').pop()!);
    const slowSession = server.whep.sessions.get(slowId)!;
    await waitUntil(() => fastRtsp.keyframes > 0 && fastWhep.keyframes > 0 && slowWhep.keyframes > 0, 10_000, 'everyone playing');
    const before = await processResources(2);

    // The RTSP client PLAYs, then stops reading its socket: the kernel's buffers fill, then Node's.
    const slowRtsp = await RawRtspClient.connect(server.addresses.rtspPort);
    const setup = await slowRtsp.request('SETUP', `${url}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(setup.statusCode, 200);
    assert.equal((await slowRtsp.request('PLAY', url, { Session: sessionOf(setup) })).statusCode, 200);
    slowRtsp.socket.pause();
    // The WebRTC viewer goes deaf: its socket's packets are thrown away, so it neither receives
    // media nor answers the server's ICE consent checks (RFC 7675: consent expires after 30 s).
    type IcePeer = { iceTransports: { connection: { nominated?: { protocol: { transport: { socket: NodeJS.EventEmitter } } } } }[] };
    const pc = slowWhep.client.pc as RTCPeerConnection as unknown as IcePeer;
    const socket = pc.iceTransports[0]!.connection.nominated!.protocol.transport.socket;
    socket.removeAllListeners('message');
    socket.on('message', () => undefined);

    try {
      let trackChanges = 0;
      camera.stream.on('tracks', () => trackChanges++);
      const fastUnits0 = [fastRtsp.units, fastWhep.units];
      const fastSession = server.whep.sessions.get(decodeURIComponent(fastWhep.location.split('/').pop()!))!;
      const fastSent0 = fastSession.stats.videoUnitsSent;
      const in0 = camera.stream.stats.unitsIn;
      const samples: { t: number; heap: number; external: number; rss: number; queuedBytes: number }[] = [];
      const t0 = Date.now();
      let slowDropped = 0;
      let slowClosed = false;
      const rtspDropped = () => server.rtsp.stats.readerDropped;
      // At least 20 s, and until the server has given up sending to the deaf viewer (consent lost)
      // and the stalled RTSP reader has overflowed, then 10 s more: the window the growth is judged on.
      let settledAt: number | undefined;
      while (Date.now() - t0 < 20_000 || ((settledAt === undefined || Date.now() - settledAt < 10_000) && Date.now() - t0 < 60_000)) {
        await sleep(1000);
        if (settledAt === undefined && (slowDropped || slowClosed) && rtspDropped()) settledAt = Date.now();
        // The test clients keep every packet they receive; that is this process's memory, not the server's.
        for (const v of [fastWhep, slowWhep]) {
          v.client.packets.length = 0;
          v.client.arrivals.length = 0;
        }
        // Retained memory, not garbage awaiting a collection (which swings by 20 MB at ~7 Mbit/s).
        collectGarbage();
        const m = process.memoryUsage();
        samples.push({ t: (Date.now() - t0) / 1000, heap: m.heapUsed, external: m.external, rss: m.rss, queuedBytes: server.rtsp.stats.queuedBytes });
        slowDropped = slowSession.stats.packetsDropped;
        slowClosed = slowSession.closed;
      }
      const seconds = (Date.now() - t0) / 1000;
      const sent = camera.stream.stats.unitsIn - in0;
      const rtspStats = server.rtsp.stats;
      const slowReaderDropped = rtspStats.readerDropped;
      const readerTable = [...camera.stream.readers].map((r) => `${r.sink.name} ${JSON.stringify(r.stats)}`).join('; ');
      const table = samples.map((s) => `${s.t.toFixed(0)}s heap ${(s.heap / MB).toFixed(0)} ext ${(s.external / MB).toFixed(0)} rss ${(s.rss / MB).toFixed(0)} queued ${(s.queuedBytes / MB).toFixed(1)}`).join('; ');

      assert.equal(trackChanges, 0, 'the camera did not republish during the window');
      // The others kept every frame the camera sent.
      assert.ok(sent >= 25 * seconds * 0.5, `the camera sent ${sent} units in ${seconds.toFixed(0)} s`);
      assert.ok(fastRtsp.units - fastUnits0[0]! >= sent * 0.95, `the reading RTSP client got ${fastRtsp.units - fastUnits0[0]!} of ${sent}`);
      // The server sent the reading WebRTC viewer every unit and lost none; what reaches it is
      // checked loosely: werift decrypting ~7 Mbit/s in this busy process loses datagrams at its socket.
      const fast = fastSession.stats;
      assert.ok(fast.videoUnitsSent - fastSent0 >= sent * 0.95 && fast.packetsDropped === 0, `the server sent the WebRTC viewer ${fast.videoUnitsSent - fastSent0} of ${sent} units, dropped ${fast.packetsDropped} packets`);
      assert.ok(fastWhep.units - fastUnits0[1]! >= sent * 0.7, `the WebRTC viewer got ${fastWhep.units - fastUnits0[1]!} of ${sent}`);
      // The stalled RTSP client: Node's socket queue capped, the reader's losses counted.
      assert.ok(samples.every((s) => s.queuedBytes <= TCP_DROP_BYTES + 256 * 1024), `RTSP bytes queued in sockets: ${table}`);
      assert.ok(slowReaderDropped > 0, `the stalled RTSP reader's drops are counted (${slowReaderDropped}); tcpDropped ${rtspStats.tcpDropped}, track changes ${trackChanges}: ${readerTable}: ${table}`);
      // The deaf WebRTC viewer: the server stops sending once consent lapses, and counts it.
      assert.ok(slowDropped > 0 || slowClosed, `packets to the deaf viewer dropped: ${slowDropped}, session closed: ${slowClosed}`);
      // Memory: the stalled viewer costs at most its reader queue (256 units, ~9 MB here) and its
      // socket's 1-4 MB, and stops growing: an unbounded queue would add ~0.9 MB every second.
      const peak = Math.max(...samples.map((s) => s.heap + s.external));
      assert.ok(peak - (before.heapUsed + before.external) < 48 * MB, `heap+external grew by ${((peak - before.heapUsed - before.external) / MB).toFixed(1)} MB: ${table}`);
      const late = samples.filter((s) => s.t >= seconds - 8);
      const mid = samples.filter((s) => s.t >= seconds - 16 && s.t < seconds - 8);
      const peakOf = (xs: typeof samples) => Math.max(...xs.map((s) => s.heap + s.external));
      assert.ok(peakOf(late) - peakOf(mid) < 8 * MB, `memory still rising at the end: ${table}`);
    } finally {
      slowRtsp.close();
      await slowWhep.close(base).catch(() => undefined);
      await fastWhep.close(base).catch(() => undefined);
      await fastRtsp.client.teardown();
    }
    await waitUntil(() => camera.viewers === 0 && server.whep.sessions.size === 0 && server.rtsp.stats.playSessions === 0, 5000, 'every viewer gone');
  });
});
