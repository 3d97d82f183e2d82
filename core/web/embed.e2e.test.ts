/**
 * End to end: what the README tells integrators — one camera embedded with <streamsight-player>
 * in a page of their own, served from ANOTHER origin than streamsight's, with and without
 * overlays. The whole server runs in this process (the intersection demo clip with its lane
 * plugin, http.corsOrigins naming the integrator's origin); the integrator's pages come from a
 * tiny node:http server on a second loopback port, and a third port plays an origin the config
 * does not allow. Headless Chromium loads the pages; the overlays page's screenshot goes to
 * core/web/screenshots/embed.png.
 *
 *   node --import tsx --test core/web/embed.e2e.test.ts
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { packageRoot, parseConfigText } from '../../config/load.js';
import type { CameraInfo } from '../http/types.js';
import { startServer, type Server } from '../server.js';
import { ensureDemoClips, launchChromium, portBlock } from '../testing/browser.js';
import { waitFor } from '../testing/wait.js';

const ROOT = packageRoot();
const SHOTS = join(ROOT, 'core/web/screenshots');
const CAMERA = 'intersection';
const CLIP = 'data/demo/intersection.h264';
/** Detections older than this (90 kHz ticks) must not be drawn on a frame (overlay.js MAX_AGE_TICKS). */
const MAX_AGE_TICKS = 2 * 90000;

/** Player stats as the page sees them (player.js stats()). */
interface PlayerStats {
  framesDecoded: number;
  width: number;
  height: number;
  state: string;
}
/** player.js overlayState(). */
interface OverlayState {
  frames: number;
  matched: number;
  framePts: number | null;
  drawn: { plugin: string; label: string; trackId: number | null; box: number[]; pts: number }[];
  signal: string | null;
}
type PlayerElement = HTMLElement & { stats(): Promise<PlayerStats>; overlayState(): OverlayState | null };

/** Signed distance a − b between two 32-bit timestamps (overlay.js tsDiff). */
const tsDiff = (a: number, b: number): number => (a - b) | 0;

/** An integrator's page embedding the camera from `server`, with `attrs` on the element. */
function integratorPage(server: string, title: string, attrs: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 760px; margin: 24px auto; color: #222; }
  header { border-bottom: 2px solid #0a6; margin-bottom: 16px; }
  streamsight-player { width: 720px; border-radius: 6px; }
  footer { margin-top: 16px; font-size: 13px; color: #666; }
</style></head>
<body>
<header><h1>Acme Traffic Portal</h1></header>
<h2>${title}</h2>
<p>Live view of the Main St. intersection, streamed from our streamsight server.
   This page is served by our own web server on another origin.</p>
<script type="module" src="${server}/player.js"></script>
<streamsight-player camera="${CAMERA}" server="${server}" ${attrs}></streamsight-player>
<footer>Embedded with &lt;streamsight-player&gt; — one script tag and one element.</footer>
</body></html>`;
}

/** Listens on 127.0.0.1 with a free port; resolves with the server and its origin. */
async function listen(server: HttpServer): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What a page logged and failed to fetch: how a CORS block shows itself. */
interface PageLog {
  consoleErrors: string[];
  failed: { url: string; error: string }[];
}

describe('<streamsight-player> embedded in a page of another origin', { timeout: 300_000 }, () => {
  let dir = '';
  let server: Server;
  let browser: Browser;
  let base = '';
  /** The integrator's page server (its origin is in http.corsOrigins) and an origin that is not. */
  let integrator: HttpServer;
  let foreign: HttpServer;
  let integratorOrigin = '';
  let foreignOrigin = '';
  const pages: Page[] = [];

  const viewers = async (): Promise<number> => {
    const cams = (await (await fetch(`${base}/api/cameras`)).json()) as CameraInfo[];
    const cam = cams.find((c) => c.id === CAMERA);
    assert.ok(cam, `camera ${CAMERA} listed`);
    return cam.viewers;
  };

  async function openPage(url: string): Promise<{ page: Page; log: PageLog }> {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    pages.push(page);
    const log: PageLog = { consoleErrors: [], failed: [] };
    page.on('console', (msg) => {
      if (msg.type() === 'error') log.consoleErrors.push(msg.text());
    });
    page.on('requestfailed', (req) => log.failed.push({ url: req.url(), error: req.failure()?.errorText ?? '' }));
    page.on('pageerror', (err) => console.log('[page error]', err.message));
    await page.goto(url);
    return { page, log };
  }

  /** The player's stats; zeros when the element never upgraded (its module did not load). */
  const stats = (page: Page): Promise<PlayerStats> =>
    page.evaluate(async () => {
      const el = document.querySelector('streamsight-player') as PlayerElement | null;
      if (!el || typeof el.stats !== 'function') return { framesDecoded: 0, width: 0, height: 0, state: 'not upgraded' };
      return el.stats();
    });
  const overlayState = (page: Page): Promise<OverlayState | null> =>
    page.evaluate(() => (document.querySelector('streamsight-player') as PlayerElement).overlayState());

  /** Waits for the first decoded frame and then for the count to grow. */
  async function expectPlaying(page: Page): Promise<number> {
    const t0 = Date.now();
    const first = await waitFor('the first decoded frame', 20_000, async () => {
      const n = (await stats(page)).framesDecoded;
      return n > 0 ? n : undefined;
    }, 250);
    const ttff = Date.now() - t0;
    await waitFor('framesDecoded to grow', 10_000, async () => ((await stats(page)).framesDecoded > first ? true : undefined), 250);
    return ttff;
  }

  /** Removes the players (their WHEP sessions are DELETEd) and closes the pages. */
  async function closePages(): Promise<void> {
    for (const page of pages.splice(0)) {
      await page.evaluate(() => document.querySelector('streamsight-player')?.remove()).catch(() => undefined);
      await page.close().catch(() => undefined);
    }
  }

  before(async () => {
    ensureDemoClips();
    // The integrator's origin must be known before the config: start its page server first.
    const handler = (plain: boolean) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const html = path === '/plain.html' ? integratorPage(base, 'Camera (plain)', 'muted')
        : path === '/overlays.html' && !plain ? integratorPage(base, 'Camera with detections', 'muted overlays')
        : undefined;
      if (path === '/favicon.ico') {
        res.writeHead(204).end();
      } else if (html) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).end(html);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      }
    };
    integrator = createServer(handler(false));
    foreign = createServer(handler(true));
    integratorOrigin = await listen(integrator);
    foreignOrigin = await listen(foreign);

    dir = mkdtempSync(join(tmpdir(), 'streamsight-embed-'));
    const demo = parse(readFileSync(join(ROOT, 'config/streamsight.yaml'), 'utf8')) as
      { cameras: Record<string, { plugins: Record<string, unknown> }> };
    const lane = structuredClone(demo.cameras[CAMERA]!.plugins.lane);
    assert.ok(lane, 'config/streamsight.yaml configures the lane plugin on the intersection');
    const config = {
      log: { level: 'warn' },
      http: { host: '127.0.0.1', port: 0, corsOrigins: [integratorOrigin] },
      rtsp: { host: '127.0.0.1', port: 0, udpPortRange: portBlock(30000, 200, 20) },
      webrtc: { udpPortRange: portBlock(45000, 200, 20), hostAddresses: ['127.0.0.1'] },
      storage: { path: join(dir, 'data') },
      cameras: {
        [CAMERA]: {
          name: 'Intersection',
          synthetic: { file: join(ROOT, CLIP), fps: 25 },
          detect: { width: 640, height: 360, fps: 10, model: false },
          plugins: { lane },
        },
      },
    };
    const configPath = join(dir, 'config.yaml');
    server = await startServer(parseConfigText(stringify(config), configPath), { configPath });
    base = `http://127.0.0.1:${server.addresses.httpPort}`;
    await waitFor('the camera to come online', 30_000, async () => {
      const cams = (await (await fetch(`${base}/api/cameras`)).json()) as CameraInfo[];
      return cams.some((c) => c.id === CAMERA && c.state === 'online') || undefined;
    });
    browser = await launchChromium();
  });

  after(async () => {
    await closePages();
    await browser?.close();
    await server?.close();
    await Promise.all([integrator, foreign].map((s) => s && new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    })));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plays the camera on the integrator\'s plain page, without overlays', async () => {
    assert.notEqual(new URL(integratorOrigin).origin, new URL(base).origin, 'the page and streamsight are different origins');
    const { page, log } = await openPage(`${integratorOrigin}/plain.html`);
    const ttff = await expectPlaying(page);
    console.log('plain_ttff_ms', ttff);
    const s = await stats(page);
    assert.deepEqual([s.width, s.height], [640, 360]);
    assert.equal(await overlayState(page), null, 'no overlay without the overlays attribute');
    assert.deepEqual(log.consoleErrors.filter((t) => /CORS/i.test(t)), [], 'no CORS error on an allowed origin');
    assert.ok(await viewers() >= 1, 'the server counts the viewer');
  });

  it('draws tracked boxes matched by presentation time on the overlays page', async () => {
    const { page, log } = await openPage(`${integratorOrigin}/overlays.html`);
    const t0 = Date.now();
    const ttff = await expectPlaying(page);
    console.log('overlays_ttff_ms', ttff);
    let checked = 0;
    let ptsKnownMs: number | undefined;
    const check = (st: OverlayState): void => {
      if (ptsKnownMs === undefined && st.framePts !== null) ptsKnownMs = Date.now() - t0;
      if (st.drawn.length === 0) return;
      assert.notEqual(st.framePts, null, `boxes drawn without a frame pts: ${JSON.stringify(st)}`);
      for (const d of st.drawn) {
        const age = tsDiff(st.framePts!, d.pts);
        assert.ok(age >= 0 && age <= MAX_AGE_TICKS, `drawn ${d.label} pts ${d.pts} vs frame pts ${st.framePts} (age ${age} ticks)`);
      }
      checked++;
    };
    const found = await waitFor('a tracked box matched to its frame', 30_000, async () => {
      const st = await overlayState(page);
      assert.ok(st, 'overlayState() with the overlays attribute');
      check(st);
      return st.matched > 0 && st.drawn.some((d) => typeof d.trackId === 'number') ? st : undefined;
    }, 100);
    console.log('overlay_frame_pts_known_ms', ptsKnownMs, 'overlay_box_ms', Date.now() - t0, 'frames', found.frames, 'matched', found.matched,
      'tracks', found.drawn.filter((d) => d.trackId !== null).map((d) => `${d.label}#${d.trackId}`).join(','));
    // A couple more seconds of samples: every drawn entry stays at or just before its frame.
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      check((await overlayState(page))!);
      await page.waitForTimeout(100);
    }
    console.log('overlay_samples_checked', checked);
    assert.ok(checked > 0);
    // The screenshot with boxes on: wait (bounded) for a frame that shows a tracked box.
    await waitFor('a frame with a tracked box for the screenshot', 10_000, async () =>
      ((await overlayState(page))!.drawn.some((d) => d.trackId !== null) ? true : undefined), 50);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'embed.png'), fullPage: true });
    assert.deepEqual(log.consoleErrors.filter((t) => /CORS|WebSocket/i.test(t)), [], 'no CORS or WebSocket error on an allowed origin');
  });

  it('does not play on a page from an origin missing from http.corsOrigins', async () => {
    await closePages();
    await waitFor('the earlier viewers to leave', 10_000, async () => ((await viewers()) === 0 ? true : undefined), 200);
    // What the browser will see: the module is served without Access-Control-Allow-Origin for it.
    const allowed = await fetch(`${base}/player.js`, { headers: { Origin: integratorOrigin } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), integratorOrigin);
    const refused = await fetch(`${base}/player.js`, { headers: { Origin: foreignOrigin } });
    assert.equal(refused.headers.get('access-control-allow-origin'), null);

    const { page, log } = await openPage(`${foreignOrigin}/plain.html`);
    const until = Date.now() + 8000;
    let maxViewers = 0;
    while (Date.now() < until) {
      maxViewers = Math.max(maxViewers, await viewers());
      await new Promise((r) => setTimeout(r, 250));
    }
    const s = await stats(page);
    assert.equal(s.framesDecoded, 0, `frames decoded on a foreign origin: ${JSON.stringify(s)}`);
    const corsErrors = log.consoleErrors.filter((t) => /CORS policy/i.test(t));
    const blocked = log.failed.filter((f) => f.url.startsWith(base));
    console.log('foreign_cors_console', JSON.stringify(corsErrors));
    console.log('foreign_requestfailed', JSON.stringify(blocked));
    assert.ok(corsErrors.length > 0 || blocked.length > 0, `no CORS failure observed: ${JSON.stringify(log)}`);
    assert.equal(maxViewers, 0, 'the server never counted a viewer from the foreign origin');

    // A copy of player.js hosted on the foreign origin gets no further: the WHEP POST's preflight
    // is refused, and so is the /ws upgrade the overlays would open.
    const direct = await page.evaluate(async ([whep, ws]) => {
      const post = await fetch(whep!, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\n' })
        .then((r) => `status ${r.status}`, (e: Error) => `rejected: ${e.name}`);
      const socket = await new Promise<string>((resolve) => {
        const s = new WebSocket(ws!);
        const timer = setTimeout(() => resolve('timeout'), 5000);
        s.onopen = () => { clearTimeout(timer); s.close(); resolve('open'); };
        s.onerror = () => { clearTimeout(timer); resolve('error'); };
      });
      return { post, socket };
    }, [`${base}/whep/${CAMERA}`, `${base.replace('http:', 'ws:')}/ws`]);
    console.log('foreign_direct', JSON.stringify(direct));
    assert.deepEqual(direct, { post: 'rejected: TypeError', socket: 'error' });
    assert.equal(await viewers(), 0);
  });
});
