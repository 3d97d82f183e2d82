/**
 * Smoke run of the Janus side of the side-by-side relay bench (issue 7): a private namespace,
 * Janus with one RTP H.264 mountpoint, the bench clip replayed into it at real rate, N werift
 * viewers in separate processes, and Janus's CPU and memory sampled from /proc.
 *
 *   node --import tsx bench/janus/smoke.ts [--viewers 10] [--seconds 15] [--per-process 1] [--size 1280x720] [--kbps 2000]
 *
 * Needs root (ip netns) and Debian's janus (installed on first run when missing).
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { benchClip, child, cpuSeconds, killChildren, percentile, rssBytes, sleep, waitFor } from '../lib.js';
import { clipFmtp, startRtpFeed } from './feed.js';
import { startJanus, type JanusHandle } from './janus.js';
import { createNetns, type Netns } from './netns.js';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '15' },
    'per-process': { type: 'string', default: '1' },
    size: { type: 'string', default: '1280x720' },
    kbps: { type: 'string', default: '2000' },
  },
});
const viewers = Number(values.viewers);
const seconds = Number(values.seconds);
const perProcess = Math.max(1, Number(values['per-process']));
const [width, height] = values.size!.split('x').map(Number) as [number, number];
const kbps = Number(values.kbps);
const RTP_PORT = 5004;
const say = (s: string) => process.stderr.write(`${s}\n`);

/** What one viewer process last reported (see viewer.ts). */
interface ViewerReport { viewers: number; connected: number; failed: number; packets: number; lost: number; units: number; keyframes: number; malformed: number; ttffMs: number[] }

let netns: Netns | undefined;
let janus: JanusHandle | undefined;
const viewerProcs: ChildProcess[] = [];

async function cleanup(): Promise<void> {
  for (const p of viewerProcs) p.kill('SIGTERM');
  await sleep(viewerProcs.length ? 500 : 0);
  await janus?.stop();
  killChildren();
  netns?.close();
}

/** Sums the latest report of every viewer process. */
function total(reports: Array<ViewerReport | undefined>): ViewerReport {
  const t: ViewerReport = { viewers: 0, connected: 0, failed: 0, packets: 0, lost: 0, units: 0, keyframes: 0, malformed: 0, ttffMs: [] };
  for (const r of reports) {
    if (!r) continue;
    t.viewers += r.viewers; t.connected += r.connected; t.failed += r.failed; t.packets += r.packets;
    t.lost += r.lost; t.units += r.units; t.keyframes += r.keyframes; t.malformed += r.malformed; t.ttffMs.push(...r.ttffMs);
  }
  return t;
}

async function run(): Promise<void> {
  const clip = benchClip(width, height, kbps);
  const fmtp = clipFmtp(clip);
  netns = createNetns();
  say(`namespace ${netns.name}: janus on ${netns.serverAddress}, viewers on ${netns.clientAddress}`);
  janus = await startJanus({ netns, address: netns.serverAddress, rtpPort: RTP_PORT, fmtp });
  say(`janus pid ${janus.pid}, api ${janus.url}`);
  startRtpFeed({ netns, clip, address: netns.serverAddress, port: RTP_PORT });

  // Ingest only: what Janus spends receiving the feed with nobody watching.
  await sleep(2000);
  const idleSeconds = Math.min(5, seconds);
  const idleCpu0 = cpuSeconds(janus.pid);
  await sleep(idleSeconds * 1000);
  const idleCpuPerSecond = (cpuSeconds(janus.pid) - idleCpu0) / idleSeconds;
  const rssIdle = rssBytes(janus.pid);

  const reports: Array<ViewerReport | undefined> = [];
  for (let i = 0; i * perProcess < viewers; i++) {
    const n = Math.min(perProcess, viewers - i * perProcess);
    const [cmd, args] = netns.command(process.execPath, ['--import', 'tsx', 'bench/janus/viewer.ts', '--url', janus.url,
      '--mountpoint', String(janus.mountpointId), '--address', netns.clientAddress, '--count', String(n), '--fmtp', fmtp]);
    viewerProcs.push(child(cmd, args, (line) => { reports[i] = JSON.parse(line) as ViewerReport; }));
  }
  say(`${viewers} viewer(s) in ${viewerProcs.length} process(es) joining ...`);
  await waitFor(`${viewers} viewers with a first frame`, 60_000, () => {
    const t = total(reports);
    if (t.failed > 0) throw new Error(`${t.failed} viewer(s) failed to join`);
    return t.connected >= viewers && t.ttffMs.length >= viewers ? t : undefined;
  }).catch((e: Error) => { throw new Error(`${e.message}; viewers: ${JSON.stringify(total(reports))}; janus log:\n${janus!.logTail()}`); });
  await sleep(2000);

  const start = total(reports);
  const cpu0 = cpuSeconds(janus.pid);
  const t0 = performance.now();
  let rssPeak = 0;
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    rssPeak = Math.max(rssPeak, rssBytes(janus.pid));
  }
  const cpu = cpuSeconds(janus.pid) - cpu0;
  const wall = (performance.now() - t0) / 1000;
  const end = total(reports);

  const packets = end.packets - start.packets;
  const lost = end.lost - start.lost;
  const netCpu = cpu - idleCpuPerSecond * wall;
  const perK = (c: number) => (packets ? (c / packets) * 1000 : NaN);
  console.log(`janus ${width}x${height} H.264 ${kbps} kbit/s (${fmtp}), ${viewers} viewer(s), ${wall.toFixed(1)} s window, Janus CPU in cores (1.0 = one core)`);
  console.log(`  packets forwarded per viewer   ${(packets / viewers).toFixed(0)} (${(packets / viewers / wall).toFixed(0)}/s)`);
  console.log(`  loss                           ${((lost / Math.max(1, packets + lost)) * 100).toFixed(3)} % (${lost} packets; ${start.lost} before the window)`);
  console.log(`  janus cpu                      ${(cpu / wall).toFixed(3)} cores (ingest only: ${idleCpuPerSecond.toFixed(3)})`);
  console.log(`  cpu-s per 1000 pkts per viewer ${perK(cpu).toFixed(4)} total, ${perK(netCpu).toFixed(4)} net of ingest`);
  console.log(`  rss                            ${(rssPeak / 2 ** 20).toFixed(1)} MiB peak, ${(rssIdle / 2 ** 20).toFixed(1)} MiB idle, ${((rssPeak - rssIdle) / viewers / 1024).toFixed(0)} KiB per viewer`);
  console.log(`  time to first frame            p50 ${percentile(end.ttffMs, 50)} ms, max ${Math.max(...end.ttffMs)} ms`);
  console.log(`  frames                         ${end.units} units, ${end.keyframes} keyframes, ${end.malformed} malformed`);
}

try {
  await run();
} catch (e) {
  say(`janus smoke failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
process.exit();
