/**
 * The client's address behind reverse proxies (`http.trustProxy`): the resolver alone, then a real
 * server whose failed-auth brake must tell clients behind one proxy apart, and must not let a
 * client pick its own address.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import proxyaddr from 'proxy-addr';
import { parseConfigText } from '../../config/load.js';
import { ConfigError } from '../errors.js';
import { startServer, type Server } from '../server.js';
import { TestWebSocket } from './testdata/ws-client.js';
import { clientAddressResolver, forwardedAddress, trustProxyError } from './client-address.js';

const ADMIN = 'admin-0123456789abcdef';

describe('forwardedAddress', () => {
  const trust = proxyaddr.compile(['loopback', '10.0.0.0/8']);

  it('takes the last entry that is not a trusted proxy, walking from the right', () => {
    assert.equal(forwardedAddress('127.0.0.1', '198.51.100.7', trust), '198.51.100.7');
    // Two proxies: the edge one (10.1.2.3) appended the client, the inner one is the peer.
    assert.equal(forwardedAddress('127.0.0.1', '198.51.100.7, 10.1.2.3', trust), '198.51.100.7');
    assert.equal(forwardedAddress('::1', '2001:db8::5', trust), '2001:db8::5');
  });

  it('ignores what the client wrote left of the address its proxy appended', () => {
    assert.equal(forwardedAddress('127.0.0.1', '203.0.113.1, 203.0.113.2, 198.51.100.7', trust), '198.51.100.7');
    // A client posing as a trusted proxy gains nothing: the walk stops at the first untrusted entry from the right.
    assert.equal(forwardedAddress('127.0.0.1', '203.0.113.1, 10.9.9.9, 198.51.100.7', trust), '198.51.100.7');
  });

  it('gives the peer when the peer is not trusted, the header is absent, or the entry is not an address', () => {
    assert.equal(forwardedAddress('192.0.2.44', '198.51.100.7', trust), '192.0.2.44');
    assert.equal(forwardedAddress('127.0.0.1', '', trust), '127.0.0.1');
    assert.equal(forwardedAddress('127.0.0.1', 'unknown', trust), '127.0.0.1');
    assert.equal(forwardedAddress('127.0.0.1', '198.51.100.7, _hidden', trust), '127.0.0.1');
  });

  it('gives the furthest entry when every one is a trusted proxy', () => {
    assert.equal(forwardedAddress('127.0.0.1', '10.0.0.1, 10.0.0.2', trust), '10.0.0.1');
  });

  it('reads no header without trusted proxies', () => {
    const resolve = clientAddressResolver([]);
    const res = { getRemoteAddressAsText: () => new TextEncoder().encode('127.0.0.1').buffer as ArrayBuffer };
    assert.equal(resolve(res, { getHeader: () => '198.51.100.7' }), '127.0.0.1');
    assert.equal(clientAddressResolver(['127.0.0.1'])(res, { getHeader: () => '198.51.100.7' }), '198.51.100.7');
  });

  it('rejects entries that are neither addresses, CIDRs nor the named ranges, with the path', () => {
    assert.equal(trustProxyError(['loopback', '10.0.0.0/8', '::1', 'uniquelocal']), undefined);
    assert.match(trustProxyError(['10.0.0.0/99'])!, /invalid range/);
    assert.match(trustProxyError(['proxy.example'])!, /invalid IP address/);
    assert.throws(() => parseConfigText('http: { trustProxy: [nginx] }\ncameras: {}', 'tp.yaml'),
      (err: unknown) => err instanceof ConfigError && /http\.trustProxy/.test(err.message));
  });
});

describe('failed-auth brake behind a reverse proxy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-trust-proxy-'));
  const servers: Server[] = [];

  /** A server on loopback whose brake blocks an address after 3 failures. */
  async function start(trustProxy: string[]): Promise<string> {
    const server = await startServer(parseConfigText([
      'log: { level: error }',
      `http: { host: 127.0.0.1, port: 0, trustProxy: ${JSON.stringify(trustProxy)} }`,
      'rtsp: { host: 127.0.0.1, port: 0 }',
      'webrtc: { hostAddresses: [127.0.0.1] }',
      `storage: { path: ${JSON.stringify(join(dir, String(servers.length)))} }`,
      'auth:',
      `  tokens: [{ name: ops, token: ${ADMIN}, role: admin }]`,
      '  failedAuth: { maxFailures: 3, windowS: 60, blockS: 120 }',
      'cameras: {}',
    ].join('\n'), 'trust-proxy'));
    servers.push(server);
    return server.addresses.pageUrl;
  }

  /** GET /api/cameras as a proxy forwarding for `forwardedFor` would send it. */
  const get = (base: string, token: string, forwardedFor?: string) => fetch(`${base}api/cameras`, {
    headers: { Authorization: `Bearer ${token}`, ...(forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {}) },
  });

  /** Guesses from `forwardedFor` until the brake answers 429 (at most 5 tries). */
  async function guessUntilBlocked(base: string, forwardedFor: string): Promise<number> {
    let status = 0;
    for (let i = 0; i < 5 && status !== 429; i++) status = (await get(base, `wrong-token-${i}-0123456789`, forwardedFor)).status;
    return status;
  }

  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with the proxy trusted, blocks the guessing client and serves its neighbour behind the same proxy', async () => {
    const base = await start(['loopback']);
    assert.equal(await guessUntilBlocked(base, '198.51.100.7'), 429);
    const blocked = await get(base, ADMIN, '198.51.100.7');
    assert.equal(blocked.status, 429, 'the guessing client is blocked even with a good token');
    assert.equal((await get(base, ADMIN, '198.51.100.8')).status, 200, 'another client behind the proxy is served');
    // The blocked client writes its neighbour's address first; nginx appends the real one.
    assert.equal((await get(base, ADMIN, '198.51.100.8, 198.51.100.7')).status, 429, 'a client cannot choose its address');
    assert.equal((await get(base, ADMIN)).status, 200, 'the proxy itself (no header) is another address');
    // /ws checks the same address.
    const port = Number(new URL(base).port);
    await assert.rejects(TestWebSocket.open(port, `/ws?token=${ADMIN}`, { 'X-Forwarded-For': '198.51.100.7' }), /upgrade refused: HTTP\/1\.1 429/);
    (await TestWebSocket.open(port, `/ws?token=${ADMIN}`, { 'X-Forwarded-For': '198.51.100.8' })).close();
  });

  it('without trusted proxies, ignores X-Forwarded-For: a client cannot escape the brake by writing another address', async () => {
    const base = await start([]);
    assert.equal(await guessUntilBlocked(base, '198.51.100.7'), 429);
    assert.equal((await get(base, ADMIN, '198.51.100.8')).status, 429, 'the header changes nothing');
    assert.equal((await get(base, ADMIN)).status, 429);
  });
});
