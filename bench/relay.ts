/**
 * Relay cost: CPU of the streamsight process relaying one H.264 stream to 0, 1 and 10 WebRTC
 * viewers. The clip is encoded once and replayed at real rate by ffmpeg into a push camera; the
 * viewers are werift peers in a separate process that depacketize what they receive.
 *
 *   node --import tsx bench/relay.ts [--viewers 1,10] [--seconds 15] [--size 1280x720] [--kbps 2000] [--json]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ffmpegPath } from '../core/ffmpeg.js';
import { benchClip, child, cpuSeconds, freePort, killChildren, rssBytes, sleep, waitFor } from './lib.js';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '1,10' },
    seconds: { type: 'string', default: '15' },
    size: { type: 'string', default: '1280x720' },
    kbps: { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
  },
});
const [width, height] = values.size!.split('x').map(Number) as [number, number];
const kbps = Number(values.kbps);
const seconds = Number(values.seconds);
const viewerCounts = values.viewers!.split(',').map(Number);
const say = (s: string) => values.json || process.stderr.write(`${s}\n`);

const clip = benchClip(width, height, kbps);
const httpPort = await freePort();
const rtspPort = await freePort();
const config = join(tmpdir(), `streamsight-bench-${process.pid}.yaml`);
writeFileSync(
  config,
  `log: { level: warn }
http: { host: 127.0.0.1, port: ${httpPort} }
rtsp: { host: 127.0.0.1, port: ${rtspPort} }
webrtc: { hostAddresses: [127.0.0.1], iceServers: [] }
cameras:
  bench: { push: true }
`,
);
const server = child(process.execPath, ['--import', 'tsx', 'core/cli.ts', 'serve', '--config', config]);
const api = `http://127.0.0.1:${httpPort}`;
await waitFor('server', 20_000, async () => (await fetch(`${api}/healthz`)).ok || undefined);
child(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy',
  '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${rtspPort}/bench`]);
await waitFor('camera online', 20_000, async () => {
  const cam = await (await fetch(`${api}/api/cameras/bench`)).json();
  return cam.state === 'online' && cam.fps > 20 ? cam : undefined;
});
await sleep(2000);

interface Sample { viewers: number; cpuPercent: number; viewerProcessCpuPercent: number; packetsPerSecondPerViewer: number; usPerPacketPerViewer: number;
  rssMiB: number; firstUnitMsP50?: number; lostAtJoin: number; lost: number; malformed: number }
const samples: Sample[] = [];

async function measure(viewers: number): Promise<Sample> {
  let latest: { connected: number; packets: number; units: number; lost: number; malformed: number; firstUnitMs: number[] } | undefined;
  const proc = viewers > 0
    ? child(process.execPath, ['--import', 'tsx', 'bench/viewers.ts', '--url', `${api}/whep/bench`, '--count', String(viewers)],
      (line) => { latest = JSON.parse(line); })
    : undefined;
  if (proc) await waitFor(`${viewers} viewers receiving`, 30_000, () => (latest && latest.connected >= viewers && latest.units > viewers * 25 ? true : undefined));
  await sleep(2000);
  const cpu0 = cpuSeconds(server.pid!);
  const viewerCpu0 = proc ? cpuSeconds(proc.pid!) : 0;
  const lost0 = latest?.lost ?? 0;
  const packets0 = latest?.packets ?? 0;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu1 = cpuSeconds(server.pid!);
  const viewerCpu1 = proc ? cpuSeconds(proc.pid!) : 0;
  const packets1 = latest?.packets ?? 0;
  const wall = (performance.now() - t0) / 1000;
  const rss = rssBytes(server.pid!);
  const snapshot = latest;
  proc?.kill('SIGTERM');
  await sleep(1500);
  const packets = packets1 - packets0;
  const firsts = [...(snapshot?.firstUnitMs ?? [])].sort((a, b) => a - b);
  return {
    viewers,
    cpuPercent: ((cpu1 - cpu0) / wall) * 100,
    viewerProcessCpuPercent: ((viewerCpu1 - viewerCpu0) / wall) * 100,
    packetsPerSecondPerViewer: viewers ? packets / wall / viewers : 0,
    usPerPacketPerViewer: packets ? ((cpu1 - cpu0) * 1e6) / packets : 0,
    rssMiB: rss / 2 ** 20,
    firstUnitMsP50: firsts.length ? firsts[Math.floor(firsts.length / 2)] : undefined,
    lostAtJoin: lost0,
    lost: (snapshot?.lost ?? 0) - lost0,
    malformed: snapshot?.malformed ?? 0,
  };
}

try {
  for (const v of [0, ...viewerCounts]) {
    say(`measuring ${v} viewer(s) for ${seconds} s ...`);
    samples.push(await measure(v));
  }
} finally {
  killChildren();
}

const ingest = samples[0]!;
const rows = samples.map((s) => ({
  ...s,
  // Cost attributable to the viewers: total CPU minus the ingest-only run, per packet delivered.
  netUsPerPacketPerViewer: s.viewers ? ((s.cpuPercent - ingest.cpuPercent) / 100) * 1e6 / (s.packetsPerSecondPerViewer * s.viewers) : 0,
}));
if (values.json) {
  process.stdout.write(`${JSON.stringify({ input: { width, height, kbps, fps: 25, seconds }, samples: rows })}\n`);
} else {
  console.log(`relay: ${width}x${height} H.264 ${kbps} kbit/s 25 fps, ${seconds} s per point, server CPU (one core = 100%)`);
  console.log('packets lost: "at join" before the window (catch-up), "in window" during it; viewer cpu% is the werift viewers\' own process');
  console.log('viewers  cpu%   pkts/s/viewer  µs/pkt/viewer(total)  µs/pkt/viewer(net of ingest)  rss MiB  first-unit p50 ms  lost at join  lost in window  malformed  viewer cpu%');
  for (const r of rows) {
    console.log(`${String(r.viewers).padStart(7)}  ${r.cpuPercent.toFixed(1).padStart(5)}  ${r.packetsPerSecondPerViewer.toFixed(0).padStart(13)}  ${r.usPerPacketPerViewer.toFixed(1).padStart(20)}  ${r.netUsPerPacketPerViewer.toFixed(1).padStart(28)}  ${r.rssMiB.toFixed(0).padStart(7)}  ${String(r.firstUnitMsP50?.toFixed(0) ?? '-').padStart(17)}  ${String(r.lostAtJoin).padStart(12)}  ${String(r.lost).padStart(14)}  ${String(r.malformed).padStart(9)}  ${r.viewerProcessCpuPercent.toFixed(0).padStart(11)}`);
  }
}
process.exit(0);
