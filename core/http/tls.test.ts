import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../errors.js';
import { createHttpApp, type HttpApp } from './app.js';
import { MemoryDetectionServer } from './testdata/memory-server.js';

/** HTTPS (http.tls): a self-signed certificate made with openssl for 127.0.0.1. */
describe('HTTPS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-tls-'));
  const [certFile, keyFile] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  let app: HttpApp;
  let port = 0;

  before(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
    app = createHttpApp(new MemoryDetectionServer(), { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: [], tls: { certFile, keyFile } });
    port = await app.listen();
  });
  after(() => {
    app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const getHttps = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path, ca: readFileSync(certFile) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });

  it('serves the API over TLS with the configured certificate', async () => {
    const res = await getHttps('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { status: 'ok' });
    assert.equal((await getHttps('/api/cameras')).status, 200);
  });

  it('does not answer plain HTTP on the TLS port', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) }));
  });

  it('names an unreadable certificate or key in a ConfigError', () => {
    const make = (tls: { certFile: string; keyFile: string }) => createHttpApp(new MemoryDetectionServer(), { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: [], tls });
    assert.throws(() => make({ certFile: join(dir, 'missing.pem'), keyFile }), (e) => e instanceof ConfigError && /http\.tls\.certFile/.test(e.message));
    assert.throws(() => make({ certFile, keyFile: join(dir, 'missing.pem') }), (e) => e instanceof ConfigError && /http\.tls\.keyFile/.test(e.message));
  });
});
