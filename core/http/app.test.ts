import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InvalidStateError, ProtocolError, UnsupportedError } from '../errors.js';
import { createHttpApp, type HttpApp } from './app.js';
import type { CameraInfo, ServerLike } from './types.js';

/**
 * An in-memory server for the HTTP layer: real bookkeeping of cameras and WHEP sessions, with
 * just enough SDP checking to raise the error classes the routes must map.
 */
class MemoryServer implements ServerLike {
  readonly list: CameraInfo[] = [
    { id: 'gate1', name: 'Gate', source: 'synthetic', state: 'online', codec: 'H264', width: 640, height: 360, fps: 25, viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 },
    { id: 'mjpeg cam', source: 'pull', state: 'online', codec: 'MJPEG', url: 'rtsp://***@10.0.0.2/', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 },
    { id: 'idle', source: 'pull', state: 'idle', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 },
    { id: 'buggy', source: 'pull', state: 'online', codec: 'H264', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 },
    { id: 'slow', source: 'pull', state: 'online', codec: 'H264', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 },
  ];
  readonly sessions = new Map<string, string>();
  #next = 1;

  cameras(): CameraInfo[] {
    return this.list.map((c) => ({ ...c, viewers: [...this.sessions.values()].filter((id) => id === c.id).length }));
  }
  camera(id: string): CameraInfo | undefined {
    return this.cameras().find((c) => c.id === id);
  }
  whep = {
    createSession: async (cameraId: string, offerSdp: string): Promise<{ id: string; answerSdp: string }> => {
      const camera = this.camera(cameraId);
      if (!camera) throw new InvalidStateError(`no camera ${cameraId}`);
      if (cameraId === 'buggy') throw new TypeError('cannot read properties of undefined');
      if (cameraId === 'slow') await new Promise((r) => setTimeout(r, 300));
      if (!offerSdp.startsWith('v=0') || !/^m=video /m.test(offerSdp)) throw new ProtocolError('offer is not an SDP with a video section');
      if (camera.state !== 'online') throw new InvalidStateError(`camera is ${camera.state}`);
      if (camera.codec !== 'H264') throw new UnsupportedError(`${camera.codec} cannot be played by WebRTC`);
      const id = `s${this.#next++}`;
      this.sessions.set(id, cameraId);
      return { id, answerSdp: `v=0\r\no=- ${id} 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n` };
    },
    deleteSession: (id: string): boolean => this.sessions.delete(id),
  };
}

const OFFER = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 H264/90000\r\n';

describe('http app', () => {
  const server = new MemoryServer();
  let app: HttpApp;
  let base = '';

  before(async () => {
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024, corsOrigins: ['https://integrator.example'] });
    const port = await app.listen();
    assert.ok(port > 0);
    base = `http://127.0.0.1:${port}`;
  });
  after(() => app.close());

  const offer = (camera: string, body: BodyInit = OFFER, type = 'application/sdp', signal?: AbortSignal) =>
    fetch(`${base}/whep/${encodeURIComponent(camera)}`, { method: 'POST', headers: { 'content-type': type }, body, signal });

  it('answers /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('lists cameras and shows one, 404 JSON for an unknown one', async () => {
    const res = await fetch(`${base}/api/cameras`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    const list = (await res.json()) as CameraInfo[];
    assert.deepEqual(list.map((c) => c.id), ['gate1', 'mjpeg cam', 'idle', 'buggy', 'slow']);
    const one = await fetch(`${base}/api/cameras/mjpeg%20cam`);
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as CameraInfo).url, 'rtsp://***@10.0.0.2/');
    const missing = await fetch(`${base}/api/cameras/nope`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: string }).error, /nope/);
  });

  it('negotiates a WHEP session and deletes it at its Location', async () => {
    const res = await offer('gate1');
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/sdp');
    const location = res.headers.get('location')!;
    assert.match(location, /^\/whep\/gate1\/s\d+$/);
    assert.ok(res.headers.get('etag'));
    assert.match(await res.text(), /^v=0\r\n[\s\S]*m=video /);
    assert.equal(server.camera('gate1')!.viewers, 1);

    const del = await fetch(base + location, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal(server.camera('gate1')!.viewers, 0);
    const again = await fetch(base + location, { method: 'DELETE' });
    assert.equal(again.status, 404);
  });

  it('maps error classes and request problems to statuses', async () => {
    assert.equal((await offer('gate1', OFFER, 'text/plain')).status, 415);
    assert.equal((await offer('gate1', OFFER, 'application/sdp; charset=utf-8')).status, 201);
    assert.equal((await offer('unknown')).status, 404);
    const garbage = await offer('gate1', 'GET / HTTP/1.1\r\n\r\n\x00\x01');
    assert.equal(garbage.status, 400);
    assert.match(((await garbage.json()) as { error: string }).error, /not an SDP/);
    assert.equal((await offer('gate1', '')).status, 400);
    assert.equal((await offer('mjpeg cam')).status, 422);
    assert.equal((await offer('idle')).status, 409);
    const bug = await offer('buggy');
    assert.equal(bug.status, 500);
    assert.deepEqual(await bug.json(), { error: 'internal server error' });
    assert.equal((await fetch(`${base}/api/cameras/%E0%A4%A`)).status, 400);
  });

  it('rejects a 1 MiB offer with 413 without buffering it, then keeps serving', async () => {
    const big = new Uint8Array(1024 * 1024).fill(0x61);
    assert.equal((await offer('gate1', big)).status, 413);
    // Same without Content-Length (chunked): the limit is enforced while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 16; i++) c.enqueue(big.subarray(0, 65536));
        c.close();
      },
    });
    const chunked = await fetch(`${base}/whep/gate1`, {
      method: 'POST', headers: { 'content-type': 'application/sdp' }, body: stream, duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await offer('gate1')).status, 201);
  });

  it('ends the session when the viewer hangs up during negotiation', async () => {
    await assert.rejects(offer('slow', OFFER, 'application/sdp', AbortSignal.timeout(100)), { name: 'TimeoutError' });
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(server.camera('slow')!.viewers, 0);
    assert.equal((await offer('slow')).status, 201);
    assert.equal(server.camera('slow')!.viewers, 1);
  });

  it('answers CORS preflight and adds CORS headers to API and WHEP responses', async () => {
    const pre = await fetch(`${base}/whep/gate1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://integrator.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://integrator.example');
    assert.match(pre.headers.get('access-control-allow-methods')!, /POST/);
    assert.match(pre.headers.get('access-control-allow-headers')!, /content-type/);
    assert.match(pre.headers.get('access-control-allow-headers')!, /if-match/);
    assert.match(pre.headers.get('access-control-expose-headers')!, /Location/);
    assert.ok(Number(pre.headers.get('access-control-max-age')) > 0);
    const preApi = await fetch(`${base}/api/cameras/gate1`, { method: 'OPTIONS', headers: { origin: 'https://integrator.example' } });
    assert.equal(preApi.status, 204);
    const preSession = await fetch(`${base}/whep/gate1/s1`, { method: 'OPTIONS', headers: { origin: 'https://integrator.example' } });
    assert.match(preSession.headers.get('access-control-allow-methods')!, /DELETE/);

    const res = await fetch(`${base}/whep/gate1`, {
      method: 'POST', headers: { 'content-type': 'application/sdp', origin: 'https://integrator.example' }, body: OFFER,
    });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://integrator.example');
    assert.match(res.headers.get('access-control-expose-headers')!, /ETag/);
    const api = await fetch(`${base}/api/cameras`, { headers: { origin: 'https://evil.example' } });
    assert.equal(api.headers.get('access-control-allow-origin'), null);
  });

  it('refuses PATCH (no trickle ICE) and other methods with 405 and Allow', async () => {
    const patch = await fetch(`${base}/whep/gate1/s1`, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, body: 'a=x' });
    assert.equal(patch.status, 405);
    assert.match(patch.headers.get('allow')!, /DELETE/);
    const get = await fetch(`${base}/whep/gate1`);
    assert.equal(get.status, 405);
    assert.match(get.headers.get('allow')!, /POST/);
    assert.equal((await fetch(`${base}/api/cameras`, { method: 'PUT', body: '[]' })).status, 405);
  });

  it('serves the dashboard, its hashed assets and the player module with the right types and caching, 404 JSON elsewhere', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const html = await page.text();
    // The Vite build (.ci/setup and make build run it) references its bundle by a hashed name.
    const script = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, `the dashboard's bundle in ${html}`);
    const bundle = await fetch(`${base}${script}`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type')!, /^text\/javascript/);
    assert.match(bundle.headers.get('cache-control')!, /immutable/);
    const player = await fetch(`${base}/player.js`);
    assert.equal(player.status, 200);
    assert.match(player.headers.get('content-type')!, /^text\/javascript/);
    assert.match(await player.text(), /customElements\.define\('streamsight-player'/);
    const overlay = await fetch(`${base}/overlay.js`);
    assert.equal(overlay.status, 200);
    assert.match(await overlay.text(), /export class Overlay/);
    const missing = await fetch(`${base}/no/such/thing`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'not found' });
  });

  it('survives junk on the socket and a malformed request line', async () => {
    const junk = [
      Buffer.from('\x00\xff\x16\x03\x01 garbage garbage\r\n\r\n'),
      Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
      Buffer.from('POST /whep/gate1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: 100\r\n\r\nv=0'),
      Buffer.from(`GET /${'a'.repeat(100_000)} HTTP/1.1\r\n\r\n`),
    ];
    const { port } = new URL(base);
    for (const bytes of junk) {
      await new Promise<void>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(bytes);
          // Hang up half-way for the truncated POST; the server must just drop it.
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
      });
    }
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
  });
});
