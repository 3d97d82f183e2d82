/**
 * Overlays in step with the picture: how `overlay-delay` trades live latency for boxes that sit on
 * their frame. The demo intersection (red-light at 10 fps, lane at 5 fps, on 25 fps video) plays
 * in Chromium in a <streamsight-player overlays> once per delay; over each window the overlay's
 * own totals (overlay.js) give:
 *   - frames drawn, and the share matched to detections by pts (none when the detections for a
 *     frame's time had not arrived, or were older than 2 s);
 *   - the share of matches interpolated: the next detection of the track had already arrived, so
 *     the box is placed at the frame's own time, not at the last detection's;
 *   - the mean lag, frame pts − pts of the detection drawn (0 would be a detection on every frame);
 *   - the browser's jitter buffer delay (getStats), the live latency the delay costs.
 *
 *   node --import tsx bench/overlay.ts [--delays 0,250,500] [--seconds 20] [--json]
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { packageRoot, parseConfigText } from '../config/load.js';
import { startServer } from '../core/server.js';
import { ensureDemoClips, launchChromium } from '../core/testing/browser.js';
import { sleep, waitFor } from './lib.js';

const { values } = parseArgs({
  options: {
    delays: { type: 'string', default: '0,250,500' },
    seconds: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
  },
});
const delays = values.delays.split(',').map(Number);
const seconds = Number(values.seconds);
const root = packageRoot();

interface Totals { matches: number; interpolated: number; lagTicks: number }
interface Sample { frames: number; matched: number; totals: Totals; jitterMs: number; emitted: number }
interface Row { delayMs: number; frames: number; matchedShare: number; interpolatedShare: number; meanLagMs: number; jitterBufferMs: number }

ensureDemoClips();
const demo = parse(readFileSync(join(root, 'config/streamsight.yaml'), 'utf8')) as { cameras: Record<string, { plugins: Record<string, unknown> }> };
const config = {
  log: { level: 'warn' },
  http: { host: '127.0.0.1', port: 0 },
  rtsp: { host: '127.0.0.1', port: 0 },
  webrtc: { hostAddresses: ['127.0.0.1'] },
  storage: { path: join(tmpdir(), `streamsight-bench-overlay-${process.pid}`) },
  cameras: {
    intersection: {
      synthetic: { file: join(root, 'data/demo/intersection.h264'), fps: 25 },
      detect: { width: 640, height: 360, fps: 10, model: false },
      plugins: { 'red-light': demo.cameras.intersection!.plugins['red-light'], lane: demo.cameras.intersection!.plugins.lane },
    },
  },
};
const server = await startServer(parseConfigText(stringify(config), 'bench-overlay'));
const base = server.addresses.pageUrl;
const browser = await launchChromium();
const rows: Row[] = [];
try {
  for (const delayMs of delays) {
    const context = await browser.newContext({ viewport: { width: 1000, height: 600 } });
    const page = await context.newPage();
    await page.goto(`${base}healthz`);
    await page.addScriptTag({ url: `${base}player.js`, type: 'module' });
    await page.evaluate((d) => {
      document.body.innerHTML = `<streamsight-player camera="intersection" overlays overlay-delay="${d}" muted style="width: 960px"></streamsight-player>`;
    }, delayMs);
    const sample = () => page.evaluate(async (): Promise<Sample> => {
      const el = document.querySelector('streamsight-player') as HTMLElement & {
        overlayState(): { frames: number; matched: number; totals: Totals };
        stats(): Promise<{ jitterBufferDelay: number; jitterBufferEmittedCount: number }>;
      };
      const st = el.overlayState();
      const { jitterBufferDelay, jitterBufferEmittedCount } = await el.stats();
      return { frames: st.frames, matched: st.matched, totals: st.totals, jitterMs: jitterBufferDelay * 1000, emitted: jitterBufferEmittedCount };
    });
    await waitFor('overlays to draw', 30_000, async () => ((await sample()).matched > 0 ? true : undefined));
    await sleep(3000);
    const a = await sample();
    await sleep(seconds * 1000);
    const b = await sample();
    const matches = b.totals.matches - a.totals.matches;
    const row: Row = {
      delayMs,
      frames: b.frames - a.frames,
      matchedShare: (b.matched - a.matched) / Math.max(1, b.frames - a.frames),
      interpolatedShare: (b.totals.interpolated - a.totals.interpolated) / Math.max(1, matches),
      meanLagMs: (b.totals.lagTicks - a.totals.lagTicks) / Math.max(1, matches) / 90,
      jitterBufferMs: (b.jitterMs - a.jitterMs) / Math.max(1, b.emitted - a.emitted),
    };
    rows.push(row);
    if (!values.json) process.stderr.write(`overlay-delay ${delayMs} ms: ${row.frames} frames\n`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(config.storage.path, { recursive: true, force: true });
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ seconds, rows }, null, 2)}\n`);
} else {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  process.stdout.write(`\nOverlays on the demo intersection (red-light 10 fps, lane 5 fps, video 25 fps), ${seconds} s per delay\n\n`);
  process.stdout.write('| overlay-delay | frames | matched by pts | interpolated | mean lag frame → detection | jitter buffer |\n| ---: | ---: | ---: | ---: | ---: | ---: |\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.delayMs} ms | ${r.frames} | ${pct(r.matchedShare)} | ${pct(r.interpolatedShare)} | ${r.meanLagMs.toFixed(1)} ms | ${r.jitterBufferMs.toFixed(0)} ms |\n`);
  }
}
