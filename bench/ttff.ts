/**
 * Time to first frame in a real browser: Chromium opens the page, whose <streamsight-player>
 * negotiates WHEP and plays the camera; the first decoded frame is taken from
 * requestVideoFrameCallback. Each try is a fresh browser context. The camera is the 720p
 * 2 Mbit/s bench clip (keyframe every 2 s) replayed at real rate into a push camera, so a try
 * lands at a random point of the GOP, as a real viewer would.
 *
 *   node --import tsx bench/ttff.ts [--tries 10] [--json]
 */
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { parseConfigText } from '../config/load.js';
import { ffmpegPath } from '../core/ffmpeg.js';
import { startServer } from '../core/server.js';
import { benchClip, child, freePort, killChildren, percentile, sleep, waitFor } from './lib.js';

const { values } = parseArgs({ options: { tries: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } });
const tries = Number(values.tries);
const clip = benchClip(1280, 720, 2000);
const rtspPort = await freePort();
const server = await startServer(
  parseConfigText(
    `log: { level: warn }
http: { host: 127.0.0.1, port: 0 }
rtsp: { host: 127.0.0.1, port: ${rtspPort} }
webrtc: { hostAddresses: [127.0.0.1], iceServers: [] }
cameras:
  bench: { push: true }
`,
    'bench',
  ),
);
const base = server.addresses.pageUrl;
child(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy',
  '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${rtspPort}/bench`]);
await waitFor('camera online', 20_000, () => (server.cameras.get('bench')?.stream.stats.fps ?? 0) > 20 || undefined);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
const fromNavigation: number[] = [];
const fromPlayer: number[] = [];
try {
  for (let i = 0; i < tries; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base);
    const t = await page.waitForFunction(() => {
      const el = document.querySelector('streamsight-player') as (HTMLElement & { timings?: { startedAt?: number; firstFrameAt?: number } }) | null;
      const tm = el?.timings;
      return tm?.firstFrameAt !== undefined ? { nav: tm.firstFrameAt, player: tm.firstFrameAt - (tm.startedAt ?? 0) } : undefined;
    }, undefined, { timeout: 20_000, polling: 50 });
    const { nav, player } = (await t.jsonValue())!;
    fromNavigation.push(nav);
    fromPlayer.push(player);
    if (!values.json) process.stderr.write(`try ${i + 1}: ${nav.toFixed(0)} ms from navigation, ${player.toFixed(0)} ms from player start\n`);
    await context.close();
    await sleep(300 + Math.random() * 1700); // land somewhere else in the 2 s GOP next time
  }
} finally {
  await browser.close();
  await server.close();
  killChildren();
}
const summary = {
  tries,
  input: '1280x720 H.264 2000 kbit/s 25 fps, keyframe every 2 s, push camera, Chromium on 127.0.0.1',
  fromNavigationMs: { p50: percentile(fromNavigation, 50), p90: percentile(fromNavigation, 90), max: Math.max(...fromNavigation) },
  fromPlayerStartMs: { p50: percentile(fromPlayer, 50), p90: percentile(fromPlayer, 90), max: Math.max(...fromPlayer) },
};
if (values.json) console.log(JSON.stringify(summary));
else {
  console.log(`time to first frame over ${tries} tries (${summary.input})`);
  console.log(`  from navigation:   p50 ${summary.fromNavigationMs.p50.toFixed(0)} ms  p90 ${summary.fromNavigationMs.p90.toFixed(0)} ms  max ${summary.fromNavigationMs.max.toFixed(0)} ms`);
  console.log(`  from player start: p50 ${summary.fromPlayerStartMs.p50.toFixed(0)} ms  p90 ${summary.fromPlayerStartMs.p90.toFixed(0)} ms  max ${summary.fromPlayerStartMs.max.toFixed(0)} ms`);
}
process.exit(0);
