import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpApp, type HttpApp } from './app.js';
import { redirectLocation, type ClusterRouting } from './redirect.js';
import type { CameraInfo, ServerLike } from './types.js';

const OWNERS: Record<string, string> = { north: 'a', south: 'b', 'gate 3': 'b' };
const URLS: Record<string, string> = { a: 'http://10.0.0.1:8080', b: 'http://10.0.0.2:8080', r: 'http://10.0.0.9:8080' };

function routing(node: string, reporter?: string): ClusterRouting {
  return { node, reporter, ownerOf: (c) => OWNERS[c], urlOf: (n) => URLS[n]! };
}

describe('redirectLocation', () => {
  const a = routing('a');

  it('sends a camera\'s WHEP and camera API requests to its node, keeping path and query', () => {
    assert.equal(redirectLocation(a, '/whep/south', ''), 'http://10.0.0.2:8080/whep/south');
    assert.equal(redirectLocation(a, '/whep/south/s123', ''), 'http://10.0.0.2:8080/whep/south/s123');
    assert.equal(redirectLocation(a, '/api/cameras/south', ''), 'http://10.0.0.2:8080/api/cameras/south');
    assert.equal(redirectLocation(a, '/api/cameras/south/snapshot.jpg', 'w=1'), 'http://10.0.0.2:8080/api/cameras/south/snapshot.jpg?w=1');
    assert.equal(redirectLocation(a, '/api/cameras/south/geometry/counting', ''), 'http://10.0.0.2:8080/api/cameras/south/geometry/counting');
    // The id is matched decoded, the path is kept as sent.
    assert.equal(redirectLocation(a, '/api/cameras/gate%203', ''), 'http://10.0.0.2:8080/api/cameras/gate%203');
  });

  it('answers its own cameras, unknown cameras, malformed ids and node-wide routes itself', () => {
    for (const [path, query] of [
      ['/whep/north', ''], ['/api/cameras/north/snapshot.jpg', ''], ['/whep/nope', ''], ['/api/cameras/%E0%A4%A', ''],
      ['/api/cameras', ''], ['/api/events', ''], ['/api/events/ev1', 'camera=south'], ['/api/plugins', ''], ['/metrics', ''], ['/ws', ''],
      ['/', ''], ['/player.js', ''], ['/whep', ''], ['/whep/south/s1/extra', ''],
    ] as const) {
      assert.equal(redirectLocation(a, path, query), undefined, `${path}?${query}`);
    }
  });

  it('sends camera-filtered queries to the camera\'s node', () => {
    assert.equal(redirectLocation(a, '/api/events', 'camera=south&limit=5'), 'http://10.0.0.2:8080/api/events?camera=south&limit=5');
    assert.equal(redirectLocation(a, '/api/export/events', 'camera=south&format=csv'), 'http://10.0.0.2:8080/api/export/events?camera=south&format=csv');
    assert.equal(redirectLocation(a, '/api/reports/objects', 'date=2026-01-02&camera=south'), 'http://10.0.0.2:8080/api/reports/objects?date=2026-01-02&camera=south');
    assert.equal(redirectLocation(a, '/api/events', 'camera=north'), undefined);
    assert.equal(redirectLocation(a, '/api/reports/objects', 'date=2026-01-02'), undefined);
  });

  it('sends counts and the traffic report to the reporter, or by camera when there is none', () => {
    assert.equal(redirectLocation(a, '/api/counts', 'camera=south'), 'http://10.0.0.2:8080/api/counts?camera=south');
    assert.equal(redirectLocation(a, '/api/counts', 'gate=north'), undefined);
    assert.equal(redirectLocation(a, '/api/reports/traffic', 'date=2026-01-02'), undefined);
    const withReporter = routing('a', 'r');
    assert.equal(redirectLocation(withReporter, '/api/counts', 'gate=north&bucket=minute'), 'http://10.0.0.9:8080/api/counts?gate=north&bucket=minute');
    assert.equal(redirectLocation(withReporter, '/api/counts', 'camera=north'), 'http://10.0.0.9:8080/api/counts?camera=north');
    assert.equal(redirectLocation(withReporter, '/api/reports/traffic', 'date=2026-01-02'), 'http://10.0.0.9:8080/api/reports/traffic?date=2026-01-02');
    // The reporter answers them itself.
    const reporter = routing('r', 'r');
    assert.equal(redirectLocation(reporter, '/api/counts', 'camera=south'), undefined);
    assert.equal(redirectLocation(reporter, '/api/reports/traffic', 'date=2026-01-02'), undefined);
  });
});

describe('http app with several nodes', () => {
  const own: CameraInfo = { id: 'north', source: 'push', state: 'online', node: 'a', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 };
  const server: ServerLike = {
    cameras: () => [own],
    camera: (id) => (id === 'north' ? own : undefined),
    whep: { createSession: async () => ({ id: 's1', answerSdp: 'v=0\r\n' }), deleteSession: () => true },
    cluster: routing('a'),
  };
  let app: HttpApp;
  let base = '';

  before(async () => {
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024, corsOrigins: ['*'] });
    base = `http://127.0.0.1:${await app.listen()}`;
  });
  after(() => app.close());

  it('answers 307 with Location and CORS headers, without reading the body', async () => {
    const res = await fetch(`${base}/whep/south?x=1`, {
      method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/sdp', Origin: 'https://portal.example' }, body: 'v=0\r\n',
    });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get('location'), 'http://10.0.0.2:8080/whep/south?x=1');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(await res.json(), { redirect: 'http://10.0.0.2:8080/whep/south?x=1' });
    const del = await fetch(`${base}/whep/south/s9`, { method: 'DELETE', redirect: 'manual' });
    assert.equal(del.status, 307);
    assert.equal(del.headers.get('location'), 'http://10.0.0.2:8080/whep/south/s9');
  });

  it('answers the CORS preflight itself (a preflight cannot follow a redirect)', async () => {
    const res = await fetch(`${base}/whep/south`, { method: 'OPTIONS', headers: { Origin: 'https://portal.example', 'Access-Control-Request-Method': 'POST' } });
    assert.equal(res.status, 204);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
  });

  it('answers its own camera and the camera list itself', async () => {
    const res = await fetch(`${base}/api/cameras/north`, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as CameraInfo).node, 'a');
    assert.equal((await fetch(`${base}/api/cameras`, { redirect: 'manual' })).status, 200);
    assert.equal((await fetch(`${base}/api/cameras/nope`, { redirect: 'manual' })).status, 404);
  });
});
