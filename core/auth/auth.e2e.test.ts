/**
 * Access control in a running server: API tokens with roles, a viewer token minted by the API and
 * used by a real WHEP viewer, the refusals (missing, wrong role, another camera, expired, tampered),
 * /ws behind a token, the failed-auth brake, and the tokens kept out of config dumps and logs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFile, spawn } from 'node:child_process';
import { parseConfigText, redactedConfig } from '../../config/load.js';
import { ffmpegPath } from '../ffmpeg.js';
import type { Config } from '../../config/schema.js';
import { TestWebSocket } from '../http/testdata/ws-client.js';
import { ensureBuilt, launchChromium } from '../testing/browser.js';
import { captureLogs } from '../testing/logs.js';
import { startServer, type Server } from '../server.js';
import { waitFor } from '../testing/wait.js';
import { Viewer } from '../webrtc/testdata/whep-client.js';

const ADMIN = 'admin-0123456789abcdef';
const VIEWER = 'viewer-0123456789abcdef';
const SECRET = 'a viewer token secret of at least 32 bytes';
const PUBLISH_PASSWORD = 'door-publish-pw';

describe('access control in the server', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-auth-'));
  let config: Config;
  let server: Server;
  let base = '';
  const logs = captureLogs();
  const viewers: Viewer[] = [];

  before(async () => {
    config = parseConfigText([
      'log: { level: info }',
      'http: { host: 127.0.0.1, port: 0 }',
      'rtsp: { host: 127.0.0.1, port: 0 }',
      'webrtc: { hostAddresses: [127.0.0.1] }',
      `storage: { path: ${JSON.stringify(dir)} }`,
      'auth:',
      `  tokens: [{ name: ops, token: ${ADMIN}, role: admin }, { name: wall, token: ${VIEWER}, role: viewer }]`,
      `  viewerTokenSecret: ${SECRET}`,
      '  failedAuth: { maxFailures: 5, windowS: 60, blockS: 120 }',
      'cameras:',
      '  yard: { synthetic: { width: 320, height: 240, fps: 10, bitrateKbps: 300, gop: 10 } }',
      '  gate: { synthetic: { width: 320, height: 240, fps: 10, bitrateKbps: 300, gop: 10 } }',
      `  door: { push: true, publishAuth: { username: pub, password: ${PUBLISH_PASSWORD} } }`,
    ].join('\n'), 'auth-e2e');
    server = await startServer(config);
    base = server.addresses.pageUrl;
  });

  after(async () => {
    for (const v of viewers) await v.close(base).catch(() => undefined);
    await server?.close();
    logs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) => fetch(`${base}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;
  const mint = async (camera: string, ttlS = 60, token = VIEWER) => {
    const res = await fetch(`${base}api/viewer-tokens`, {
      method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ camera, ttlS }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { token: string }).token;
  };

  it('serves the page and health without a token, and nothing else', async () => {
    assert.equal((await get('healthz')).status, 200);
    assert.equal((await get('player.js')).status, 200);
    const res = await get('api/cameras');
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="streamsight"');
    assert.match(await errorOf(res), /authentication required/);
    assert.equal((await fetch(`${base}whep/yard`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0' })).status, 401);
  });

  it('lets a viewer read and an admin change; a viewer changing zones gets 403', async () => {
    assert.equal((await get('api/cameras', VIEWER)).status, 200);
    assert.equal((await get(`api/cameras?token=${VIEWER}`)).status, 200, 'the token as a query parameter');
    assert.equal((await get('metrics', VIEWER)).status, 200);
    const put = (token: string) => fetch(`${base}api/cameras/yard/geometry/brightness`, {
      method: 'PUT', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}',
    });
    const asViewer = await put(VIEWER);
    assert.equal(asViewer.status, 403);
    assert.match(await errorOf(asViewer), /'viewer' role may not PUT/);
    const asAdmin = await put(ADMIN);
    assert.notEqual(asAdmin.status, 403, 'the admin passes access control (the camera has no such plugin: 404)');
    assert.notEqual(asAdmin.status, 401);
  });

  it('plays a camera over WHEP with a viewer token minted by the API', async () => {
    const token = await mint('yard');
    await waitFor('yard online', 20_000, async () => ((await (await get('api/cameras/yard', VIEWER)).json()) as { state: string }).state === 'online' || undefined, 200);
    const v = new Viewer();
    viewers.push(v);
    await v.connect(base, `yard?token=${encodeURIComponent(token)}`, 20_000);
    await waitFor('frames over WHEP', 15_000, () => v.units >= 10 || undefined, 100);
    assert.equal((await get('api/events', token)).status, 403, 'a viewer token opens WHEP, not the API');
  });

  it('refuses a viewer token for another camera (403), an expired one and a tampered one (401)', async () => {
    const offer = (token: string, camera = 'gate') =>
      fetch(`${base}whep/${camera}?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
    const yardToken = await mint('yard');
    const other = await offer(yardToken);
    assert.equal(other.status, 403);
    assert.equal(await errorOf(other), "viewer token: not for camera 'gate'");
    const shortLived = await mint('gate', 1);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await offer(shortLived);
    assert.equal(expired.status, 401);
    assert.equal(await errorOf(expired), 'viewer token: expired');
    const good = await mint('gate');
    const tampered = good.slice(0, -3) + (good.at(-3) === 'A' ? 'B' : 'A') + good.slice(-2);
    const bad = await offer(tampered);
    assert.equal(bad.status, 401);
    assert.equal(await errorOf(bad), 'viewer token: bad signature');
    const unknown = await fetch(`${base}api/viewer-tokens`, {
      method: 'POST', headers: { Authorization: `Bearer ${VIEWER}`, 'Content-Type': 'application/json' }, body: '{"camera":"nope"}',
    });
    assert.equal(unknown.status, 404);
  });

  it('opens /ws only with a token', async () => {
    await assert.rejects(TestWebSocket.open(server.addresses.httpPort), /upgrade refused: HTTP\/1\.1 401/);
    const ws = await TestWebSocket.open(server.addresses.httpPort, `/ws?token=${VIEWER}`);
    ws.close();
  });

  it('lets a viewer token open what its camera\'s overlays need, and nothing of another camera\'s', async () => {
    const token = await mint('gate');
    const port = server.addresses.httpPort;
    // /ws for its camera only: that socket carries only the camera's messages.
    (await TestWebSocket.open(port, `/ws?camera=gate&token=${token}`)).close();
    await assert.rejects(TestWebSocket.open(port, `/ws?camera=yard&token=${token}`), /upgrade refused: HTTP\/1\.1 403/);
    await assert.rejects(TestWebSocket.open(port, `/ws?token=${token}`), /upgrade refused: HTTP\/1\.1 403/, 'every camera\'s feed is not its camera\'s');
    // The camera's zones and lines, for drawing.
    assert.equal((await get('api/cameras/gate/geometry', token)).status, 200);
    assert.equal((await get('api/cameras/yard/geometry', token)).status, 403);
    // Nothing else of the API.
    assert.equal((await get('api/cameras/gate', token)).status, 403);
    assert.equal((await get('api/events?camera=gate', token)).status, 403);
  });

  it('keeps the tokens and the secret out of config dumps and logs', () => {
    const dump = JSON.stringify(redactedConfig(config));
    for (const secret of [ADMIN, VIEWER, SECRET, PUBLISH_PASSWORD]) {
      assert.ok(!dump.includes(secret), 'not in the redacted config');
      assert.ok(!logs.text().includes(secret), 'not in the logs');
    }
    assert.match(logs.text(), /auth: 2 API token\(s\) \(ops: admin, wall: viewer\)/);
  });

  it('in Chromium: <streamsight-player token> plays with a viewer token, and the dashboard asks for an API token', async () => {
    ensureBuilt('core/web/dist/index.html', 'the dashboard build', 'npx', ['vite', 'build', 'core/web/dashboard']);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${base}healthz`);
      const token = await mint('gate');
      // The overlays ride on the same viewer token: their /ws and the geometry must not be refused.
      const sockets: { url: string; error?: string }[] = [];
      page.on('websocket', (ws) => {
        const s: { url: string; error?: string } = { url: ws.url() };
        sockets.push(s);
        ws.on('socketerror', (e) => (s.error = e));
      });
      const geometry = page.waitForResponse((r) => r.url().includes('/api/cameras/gate/geometry'), { timeout: 15_000 });
      await page.evaluate(async (t) => {
        const module = '/player.js'; // a browser URL, not a module of this project
        await import(module);
        const el = document.createElement('streamsight-player');
        el.setAttribute('camera', 'gate');
        el.setAttribute('token', t);
        el.setAttribute('muted', '');
        el.setAttribute('overlays', '');
        document.body.append(el);
      }, token);
      type Player = HTMLElement & { stats(): Promise<{ framesDecoded: number; width: number }> };
      const frames = await waitFor('frames in Chromium', 30_000, () => page.evaluate(async () => {
        const s = await (document.querySelector('streamsight-player') as Player).stats();
        return s.framesDecoded > 5 ? s : undefined;
      }), 250);
      assert.equal(frames.width, 320);
      assert.equal((await geometry).status(), 200, 'the overlays read the geometry with the viewer token');
      assert.ok(sockets.some((s) => s.url.includes('camera=gate')), `the overlays opened /ws for the camera: ${JSON.stringify(sockets)}`);
      assert.ok(sockets.every((s) => s.error === undefined), `no /ws refused: ${JSON.stringify(sockets)}`);
      assert.ok(await page.evaluate(() => (document.querySelector('streamsight-player') as HTMLElement & { overlayState(): unknown }).overlayState() !== null), 'the overlay runs');
      // Removing the player DELETEs its session: the token travels with the session URL too.
      await page.evaluate(() => document.querySelector('streamsight-player')!.remove());
      await waitFor('the session closed', 10_000, async () => {
        const cams = (await (await get('api/cameras', VIEWER)).json()) as Array<{ id: string; viewers: number }>;
        return cams.find((c) => c.id === 'gate')!.viewers === 0 || undefined;
      }, 200);

      await page.goto(base);
      await page.getByTestId('token-gate').waitFor({ timeout: 15_000 });
      await page.getByTestId('token-input').fill(VIEWER);
      await page.getByTestId('token-save').click();
      await page.getByTestId('header-online').filter({ hasText: /\/3/ }).waitFor({ timeout: 30_000 });
      assert.equal(await page.getByTestId('token-gate').count(), 0);
    } finally {
      await browser.close();
    }
  });

  it('RTSP: a push camera takes only a publisher with its credentials; restream readers need a token', async () => {
    const port = server.addresses.rtspPort;
    const publish = (auth: string) => spawn(ffmpegPath(), [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '20',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://${auth}127.0.0.1:${port}/door`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exit = (p: ReturnType<typeof spawn>) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      let stderr = '';
      p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => resolve({ code, stderr }));
    });
    for (const auth of ['', 'pub:wrong-password@']) {
      const refused = await exit(publish(auth));
      assert.notEqual(refused.code, 0, `publishing with '${auth}' is refused: ${refused.stderr}`);
      assert.equal(((await (await get('api/cameras/door', VIEWER)).json()) as { state: string }).state, 'offline');
    }
    assert.match(logs.text(), /rtsp: publisher 127\.0\.0\.1 gave wrong credentials for door/);
    const good = publish(`pub:${PUBLISH_PASSWORD}@`);
    try {
      await waitFor('door online', 20_000, async () => ((await (await get('api/cameras/door', VIEWER)).json()) as { state: string }).state === 'online' || undefined, 200);
    } finally {
      good.kill('SIGKILL');
    }

    // Not spawnSync: the server runs in this process and must answer meanwhile.
    const probe = (url: string) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(ffmpegPath().replace(/ffmpeg$/, 'ffprobe'), ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=width', '-of', 'csv=p=0', url],
        { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
    });
    const none = await probe(`rtsp://127.0.0.1:${port}/yard`);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /401|Unauthorized/i);
    const withToken = await probe(`rtsp://127.0.0.1:${port}/yard?token=${VIEWER}`);
    assert.equal(withToken.status, 0, withToken.stderr);
    assert.equal(withToken.stdout.trim(), '320');
    // ffmpeg cuts credentials in the URL to ~128 bytes: a viewer token (a JWT) goes in ?token=, an API token fits as the Basic password.
    const viewerToken = await probe(`rtsp://127.0.0.1:${port}/yard?token=${encodeURIComponent(await mint('yard'))}`);
    assert.equal(viewerToken.status, 0, `a viewer token for the camera: ${viewerToken.stderr}`);
    const asBasic = await probe(`rtsp://any:${VIEWER}@127.0.0.1:${port}/yard`);
    assert.equal(asBasic.status, 0, `an API token as the Basic password: ${asBasic.stderr}`);
    const otherCamera = await probe(`rtsp://127.0.0.1:${port}/gate?token=${encodeURIComponent(await mint('yard'))}`);
    assert.notEqual(otherCamera.status, 0);
    assert.match(otherCamera.stderr, /403|Forbidden/i);
  });

  it('throttles an address that keeps guessing: 429 with Retry-After, even for a good token, while it lasts', async () => {
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++) status = (await get('api/cameras', `guess-${i}-0123456789`)).status;
    assert.equal(status, 429);
    const res = await get('api/cameras', ADMIN);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 60, `Retry-After ${res.headers.get('retry-after')}`);
  });
});
