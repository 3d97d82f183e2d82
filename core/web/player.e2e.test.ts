/**
 * End to end in a real browser: the whole server (synthetic 640x360 camera → RTSP push →
 * Stream → WHEP) and the page's <streamsight-player> in headless Chromium on loopback.
 * Prints the time to first frame as `ttff_ms` (from navigation) and `ttff_player_ms`
 * (from the player starting its WHEP negotiation).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parseConfigText } from '../../config/load.js';
import type { CameraInfo } from '../http/types.js';
import { startServer, type Server } from '../server.js';
import { waitFor } from '../testing/wait.js';

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 25;

/** A random block of ports so parallel test runs do not fight over the default ranges. */
function portBlock(start: number, blocks: number, size: number): [number, number] {
  const first = start + Math.floor(Math.random() * blocks) * size;
  return [first, first + size - 1];
}

/** Player stats as the page sees them (see player.js stats()). */
interface PlayerStats {
  framesDecoded: number;
  width: number;
  height: number;
}

describe('streamsight-player in Chromium', { timeout: 270_000 }, () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base = '';

  before(async () => {
    const rtspUdp = portBlock(30000, 200, 20);
    const webrtcUdp = portBlock(45000, 200, 20);
    const config = parseConfigText(
      [
        'log: { level: warn }',
        'http: { host: 127.0.0.1, port: 0 }',
        `rtsp: { host: 127.0.0.1, port: 0, udpPortRange: [${rtspUdp.join(', ')}] }`,
        `webrtc: { udpPortRange: [${webrtcUdp.join(', ')}], hostAddresses: [127.0.0.1] }`,
        'cameras:',
        '  e2e:',
        '    name: E2E pattern',
        `    synthetic: { width: ${WIDTH}, height: ${HEIGHT}, fps: ${FPS}, bitrateKbps: 800, gop: ${FPS} }`,
      ].join('\n'),
      'e2e',
    );
    server = await startServer(config);
    base = `http://127.0.0.1:${server.addresses.httpPort}`;
    // Measure the player, not ffmpeg's start-up: wait until the camera is publishing.
    await waitFor('the synthetic camera to come online', 30_000, async () => {
      const cameras = (await (await fetch(`${base}/api/cameras`)).json()) as CameraInfo[];
      return cameras.find((c) => c.id === 'e2e' && c.state === 'online');
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
        '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
      ],
    });
    page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') console.log('[page]', msg.text());
    });
    page.on('pageerror', (err) => console.log('[page error]', err.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const stats = () =>
    page.evaluate(() => (document.querySelector('streamsight-player') as unknown as { stats(): Promise<PlayerStats> }).stats());

  it('plays the camera: frames keep coming at the source resolution', async () => {
    await page.goto(base);
    const handle = await page.waitForFunction(
      () => {
        const player = document.querySelector('streamsight-player') as unknown as
          { timings?: { startedAt?: number; firstFrameAt?: number } } | null;
        const t = player?.timings;
        return t?.firstFrameAt !== undefined && t.startedAt !== undefined ? { ...t } : undefined;
      },
      undefined,
      { timeout: 20_000, polling: 50 },
    );
    const timings = (await handle.jsonValue()) as { startedAt: number; firstFrameAt: number };
    // performance.now() counts from navigation start, so firstFrameAt is the page's time to first frame.
    console.log('ttff_ms', Math.round(timings.firstFrameAt));
    console.log('ttff_player_ms', Math.round(timings.firstFrameAt - timings.startedAt));

    const samples: PlayerStats[] = [await stats()];
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      samples.push(await stats());
    }
    for (let i = 1; i < samples.length; i++) {
      assert.ok(samples[i]!.framesDecoded > samples[i - 1]!.framesDecoded, `frames stalled: ${JSON.stringify(samples)}`);
    }
    const decoded = samples.at(-1)!.framesDecoded - samples[0]!.framesDecoded;
    assert.ok(decoded >= FPS * 3 * 0.6, `only ${decoded} frames decoded in 3 s at ${FPS} fps`);

    const size = await page.evaluate(() => {
      const video = (document.querySelector('streamsight-player') as unknown as { video: HTMLVideoElement }).video;
      return { width: video.videoWidth, height: video.videoHeight, paused: video.paused };
    });
    assert.deepEqual(size, { width: WIDTH, height: HEIGHT, paused: false });
    assert.equal(samples.at(-1)!.width, WIDTH);
    assert.equal(samples.at(-1)!.height, HEIGHT);
  });

  it('the page shows the camera facts, and removing the player ends its WHEP session', async () => {
    const facts = await page.locator('[data-testid="camera-tile-e2e"] .facts').textContent();
    assert.match(facts ?? '', new RegExp(`${WIDTH}×${HEIGHT}`));
    const viewers = async () =>
      ((await (await fetch(`${base}/api/cameras/e2e`)).json()) as CameraInfo).viewers;
    assert.equal(await viewers(), 1);
    await page.evaluate(() => document.querySelector('streamsight-player')!.remove());
    await waitFor('the viewer count to drop to 0', 5000, async () => ((await viewers()) === 0 ? true : undefined));
  });
});
