/**
 * Relay cost side by side with Janus: `streamsight bench relay [--json] [--quick]`.
 *
 * Both relays get the same H.264 RTP (bench/relay/feed.ts: one clip, packetized once, replayed at
 * real rate) and the same WebRTC viewers (bench/relay/viewer.ts, werift peers in processes of
 * their own that count every sequence number and decrypt a sample). Everything runs in a network
 * namespace of its own (bench/janus/netns.ts; Janus gathers no candidate on loopback), with the
 * relay under test pinned to CPU 0 and the feed and viewers to CPU 1, so "per core" is literal.
 *
 * For each clip and relay it adds viewers step by step and, at each step, measures for a window:
 * loss, the relay's CPU and memory, added latency (feed send → viewer receive of each access
 * unit's last packet) and the joiners' time to first frame. The highest step with loss under 0.1 %
 * (no stalled viewer, nothing failing SRTP authentication, the relay's core not saturated) is its
 * viewers per core. streamsight gets 5000 ICE ports (its default range of 200 would cap it at 200
 * viewers: werift binds one UDP port per peer connection).
 *
 * Two Chromium pages play each relay during its first step (bench/relay/browser.ts).
 *
 *   node --import tsx bench/relay.ts [--quick] [--json] [--clips 720p,1080p] [--servers janus,streamsight[,streamsight-js]]
 *     [--steps 50,100,...] [--seconds 10] [--per-process 50] [--no-browser] [--out FILE.json]
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ffmpegPath } from '../core/ffmpeg.js';
import { clipFmtp } from './janus/fmtp.js';
import { startJanus } from './janus/janus.js';
import { createNetns, fetchInNetns, type Netns } from './janus/netns.js';
import { browserCheck, type BrowserPlay, type BrowserTarget } from './relay/browser.js';
import { benchClip, child, cpuSeconds, percentile, rssBytes, sleep, waitFor } from './lib.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    clips: { type: 'string' },
    servers: { type: 'string', default: 'janus,streamsight' },
    steps: { type: 'string' },
    seconds: { type: 'string' },
    'per-process': { type: 'string', default: '50' },
    'no-browser': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const CLIPS = { '720p': { width: 1280, height: 720, kbps: 2000 }, '1080p': { width: 1920, height: 1080, kbps: 4000 } } as const;
type ClipName = keyof typeof CLIPS;
const clipNames = (values.clips ?? (values.quick ? '720p' : '720p,1080p')).split(',') as ClipName[];
/** The relays: Janus, streamsight, and streamsight on its JavaScript send path (STREAMSIGHT_SRTP=js). */
type Server = 'janus' | 'streamsight' | 'streamsight-js';
const servers = values.servers!.split(',') as Server[];
const steps = (values.steps ?? (values.quick ? '100,200,300,400' : '50,100,150,200,250,300,400,500,600,700,800')).split(',').map(Number);
const windowSeconds = Number(values.seconds ?? (values.quick ? 6 : 10));
const perProcess = Number(values['per-process']);
const LOSS_LIMIT = 0.001;
/** Chromium pages that play each relay during its first step. */
const CHROMIUM_PAGES = 2;
/** The relay's core counts as saturated above this share of it. */
const CPU_LIMIT = 0.97;
/** Above this share of their core, feed and viewers could be what drops packets: the run stops there. */
const CLIENT_CPU_LIMIT = 0.9;
const pinned = cpus().length >= 2;
const SERVER_CPU = '0';
const CLIENT_CPU = '1';
const say = (s: string) => process.stderr.write(`${s}\n`);

/** What one viewer process last printed (bench/relay/viewer.ts). */
interface ViewerReport {
  viewers: number; connected: number; failed: number; retries: number; lastError?: string; packets: number; lost: number; stalled: number;
  authChecked: number; authFailed: number; units: number; malformed: number; ttffMs: number[]; aus: Array<[number, number]>;
}

/** One measured step. */
interface Step {
  viewers: number;
  packetsPerSecondPerViewer: number;
  lossPercent: number;
  stalled: number;
  authChecked: number;
  authFailed: number;
  malformed: number;
  serverCores: number;
  clientCores: number;
  cpuSecondsPer1000PacketsPerViewer: number;
  netCpuSecondsPer1000PacketsPerViewer: number;
  rssMiB: number;
  rssKiBPerViewer: number;
  latencyMsP50: number;
  latencyMsP99: number;
  ttffMsP50: number;
  /** Joins that were tried again (no connection within 15 s) since the run began. */
  joinRetries: number;
  pass: boolean;
  why?: string;
}

/** A relay's run on one clip. */
interface ServerResult {
  server: Server;
  idleCores: number;
  steps: Step[];
  viewersPerCore: number;
  boundBy: string;
  /** What Chromium pages decoded while the relay carried the first step's viewers. */
  browsers?: BrowserPlay[];
}

/** The clip as an Annex B elementary stream (the feed's input), cached beside the MP4. */
function annexB(mp4: string): string {
  const out = mp4.replace(/\.mp4$/, '.h264');
  if (existsSync(out)) return out;
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-i', mp4, '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not extract ${out}: ${r.stderr}`);
  return out;
}

/** `cmd args` in the namespace, pinned to `cpu` when the machine has two cores or more. */
function inNetns(netns: Netns, cpu: string, cmd: string, args: string[]): [string, string[]] {
  return pinned ? netns.command('taskset', ['-c', cpu, cmd, ...args]) : netns.command(cmd, args);
}

async function startStreamsight(netns: Netns, js: boolean): Promise<{ pid: number; stop: () => Promise<void>; rtsp: string; whep: string }> {
  const a = netns.serverAddress;
  const config = join(tmpdir(), `streamsight-relay-bench-${process.pid}.yaml`);
  writeFileSync(config, `log: { level: warn }
http: { host: ${a}, port: 8080 }
rtsp: { host: ${a}, port: 8554 }
webrtc: { hostAddresses: [${a}], iceServers: [], udpPortRange: [40000, 44999] }
cameras:
  bench: { push: true }
`);
  const [cmd, args] = inNetns(netns, SERVER_CPU, 'env', [`STREAMSIGHT_SRTP=${js ? 'js' : 'native'}`, process.execPath, '--import', 'tsx', 'core/cli.ts', 'serve', '--config', config]);
  const proc = child(cmd, args);
  await waitFor('streamsight HTTP', 30_000, async () => (await fetchInNetns(netns, `http://${a}:8080/healthz`).catch(() => undefined)) ?? undefined);
  return {
    pid: proc.pid!,
    rtsp: `rtsp://${a}:8554/bench`,
    whep: `http://${a}:8080/whep/bench`,
    stop: () => stopProcess(proc),
  };
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  await new Promise<void>((r) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); r(); }, 5000);
    p.once('exit', () => { clearTimeout(t); r(); });
  });
}

/** Sums the latest report of every viewer process. */
function total(reports: Array<ViewerReport | undefined>): Omit<ViewerReport, 'aus' | 'lastError'> {
  const t = { viewers: 0, connected: 0, failed: 0, retries: 0, packets: 0, lost: 0, stalled: 0, authChecked: 0, authFailed: 0, units: 0, malformed: 0, ttffMs: [] as number[] };
  for (const r of reports) {
    if (!r) continue;
    t.viewers += r.viewers; t.connected += r.connected; t.failed += r.failed; t.retries += r.retries ?? 0; t.packets += r.packets; t.lost += r.lost;
    t.stalled += r.stalled; t.authChecked += r.authChecked; t.authFailed += r.authFailed; t.units += r.units;
    t.malformed += r.malformed; t.ttffMs.push(...r.ttffMs);
  }
  return t;
}

async function runServer(netns: Netns, server: Server, clipFile: string, fmtp: string): Promise<ServerResult> {
  const procs: ChildProcess[] = [];
  let stopServer: () => Promise<void>;
  let pid: number;
  let feedTarget: string[];
  let viewerTarget: string[];
  let browserTarget: BrowserTarget;
  if (server === 'janus') {
    const janus = await startJanus({ netns, address: netns.serverAddress, rtpPort: 5004, fmtp, cpus: pinned ? SERVER_CPU : undefined });
    pid = janus.pid;
    stopServer = () => janus.stop();
    feedTarget = ['--rtp', `${netns.serverAddress}:5004`];
    viewerTarget = ['--janus', janus.url, '--mountpoint', String(janus.mountpointId)];
    browserTarget = { janus: janus.url, mountpoint: janus.mountpointId };
  } else {
    const s = await startStreamsight(netns, server === 'streamsight-js');
    pid = s.pid;
    stopServer = s.stop;
    feedTarget = ['--rtsp', s.rtsp];
    viewerTarget = ['--whep', s.whep];
    browserTarget = { whep: s.whep };
  }
  const sentAt = new Map<number, number[]>();
  let feedPackets = 0;
  const [fcmd, fargs] = inNetns(netns, CLIENT_CPU, process.execPath, ['--import', 'tsx', 'bench/relay/feed.ts', '--clip', clipFile, ...feedTarget]);
  const feed = child(fcmd, fargs, (line) => {
    const r = JSON.parse(line) as { packets: number; aus: Array<[number, number]> };
    feedPackets = r.packets;
    for (const [fp, t] of r.aus) {
      const list = sentAt.get(fp) ?? [];
      list.push(t);
      sentAt.set(fp, list);
    }
  });
  procs.push(feed);
  try {
    await waitFor('the feed', 20_000, () => (feedPackets > 100 ? true : undefined));
    await sleep(3000);
    const idle0 = cpuSeconds(pid);
    await sleep(4000);
    const idleCores = (cpuSeconds(pid) - idle0) / 4;
    const rssIdle = rssBytes(pid);
    say(`  ${server}: ingest only ${idleCores.toFixed(3)} cores, ${(rssIdle / 2 ** 20).toFixed(0)} MiB`);

    const reports: Array<ViewerReport | undefined> = [];
    const received: Array<[number, number]> = [];
    const result: ServerResult = { server, idleCores, steps: [], viewersPerCore: 0, boundBy: `no limit reached by ${steps.at(-1)} viewers` };
    let viewers = 0;
    for (const target of steps) {
      const joinedBefore = total(reports).ttffMs.length;
      while (viewers < target) {
        const n = Math.min(perProcess, target - viewers);
        const i = reports.length;
        reports.push(undefined);
        const [vcmd, vargs] = inNetns(netns, CLIENT_CPU, process.execPath, ['--import', 'tsx', 'bench/relay/viewer.ts', ...viewerTarget,
          '--address', netns.clientAddress, '--count', String(n), '--full', '1', '--fmtp', fmtp]);
        procs.push(child(vcmd, vargs, (line) => {
          const r = JSON.parse(line) as ViewerReport;
          reports[i] = r;
          received.push(...r.aus);
        }));
        viewers += n;
      }
      say(`  ${server}: ${viewers} viewers joining ...`);
      // A hard deadline (bench/lib's waitFor stretches its limits for slow CI machines).
      const joinAllowMs = 60_000 + (viewers - joinedBefore) * 400;
      const joinDeadline = Date.now() + joinAllowMs;
      let joined = total(reports);
      while (Date.now() < joinDeadline && joined.failed === 0 && !(joined.connected >= viewers && joined.ttffMs.length >= viewers)) {
        await sleep(500);
        joined = total(reports);
      }
      if (joined.failed > 0 || joined.ttffMs.length < viewers) {
        const lastError = reports.map((r) => r?.lastError).filter(Boolean).at(-1);
        result.boundBy = `viewers could not all join at ${viewers}: ${joined.failed} gave up after 3 attempts, ${viewers - joined.connected - joined.failed} not connected, ` +
          `${joined.connected - joined.ttffMs.length} connected without a first frame (within ${joinAllowMs / 1000} s; last error: ${lastError ?? 'none'})`;
        break;
      }
      const ttffs = joined.ttffMs.slice(joinedBefore);
      await sleep(3000);
      const start = total(reports);
      const cpu0 = cpuSeconds(pid);
      const client0 = procs.reduce((s, p) => s + cpuSeconds(p.pid!), 0);
      const t0 = performance.now();
      const windowStartUs = Number(process.hrtime.bigint() / 1000n);
      let rssPeak = 0;
      let stalled = 0;
      for (let s = 0; s < windowSeconds; s++) {
        await sleep(1000);
        rssPeak = Math.max(rssPeak, rssBytes(pid));
        stalled = Math.max(stalled, total(reports).stalled);
      }
      const wall = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(pid) - cpu0;
      const clientCores = (procs.reduce((s, p) => s + cpuSeconds(p.pid!), 0) - client0) / wall;
      await sleep(1200); // the viewers' last report of the window
      const end = total(reports);
      const packets = end.packets - start.packets;
      const lost = end.lost - start.lost;
      const lossRate = lost / Math.max(1, packets + lost);
      const latencies: number[] = [];
      for (const [fp, at] of received.splice(0)) {
        if (at < windowStartUs) continue;
        const sends = sentAt.get(fp);
        const sent = sends && Math.max(...sends.filter((t) => t <= at));
        if (sent && Number.isFinite(sent) && at - sent < 5e6) latencies.push((at - sent) / 1000);
      }
      const perK = (c: number) => (packets ? (c / packets) * 1000 : NaN);
      const step: Step = {
        viewers,
        packetsPerSecondPerViewer: packets / wall / viewers,
        lossPercent: lossRate * 100,
        stalled,
        authChecked: end.authChecked - start.authChecked,
        authFailed: end.authFailed,
        malformed: end.malformed,
        serverCores: cpu / wall,
        clientCores,
        cpuSecondsPer1000PacketsPerViewer: perK(cpu),
        netCpuSecondsPer1000PacketsPerViewer: perK(cpu - idleCores * wall),
        rssMiB: rssPeak / 2 ** 20,
        rssKiBPerViewer: (rssPeak - rssIdle) / viewers / 1024,
        latencyMsP50: percentile(latencies, 50),
        latencyMsP99: percentile(latencies, 99),
        ttffMsP50: percentile(ttffs, 50),
        joinRetries: end.retries,
        pass: true,
      };
      const why: string[] = [];
      if (lossRate >= LOSS_LIMIT) why.push(`loss ${(lossRate * 100).toFixed(2)} %`);
      if (stalled > 0) why.push(`${stalled} viewer(s) stalled`);
      if (step.authFailed > 0 || step.malformed > 0) why.push(`${step.authFailed} SRTP authentication failure(s), ${step.malformed} malformed unit(s)`);
      if (step.serverCores > CPU_LIMIT) why.push(`the relay's core saturated (${step.serverCores.toFixed(2)})`);
      step.pass = why.length === 0;
      step.why = why.join(', ') || undefined;
      result.steps.push(step);
      say(`  ${server}: ${viewers} viewers: loss ${step.lossPercent.toFixed(3)} %, ${step.serverCores.toFixed(2)} cores, ` +
        `${step.netCpuSecondsPer1000PacketsPerViewer.toFixed(4)} cpu-s/1000 pkts net, latency p50 ${step.latencyMsP50.toFixed(1)} ms ` +
        `p99 ${step.latencyMsP99.toFixed(1)} ms, clients ${step.clientCores.toFixed(2)} cores${step.pass ? '' : ` — ${step.why}`}`);
      if (!step.pass) {
        result.boundBy = step.why!;
        break;
      }
      result.viewersPerCore = viewers;
      if (!result.browsers && !values['no-browser']) {
        say(`  ${server}: ${CHROMIUM_PAGES} Chromium pages playing ...`);
        result.browsers = await browserCheck(netns, browserTarget, CHROMIUM_PAGES);
        say(`  ${server}: Chromium decoded ${result.browsers.map((b) => b.error ?? `${b.framesDecoded} frames ${b.frameWidth}x${b.frameHeight}`).join(', ')}`);
      }
      if (pinned && clientCores > CLIENT_CPU_LIMIT) {
        result.boundBy = `the viewers' core (${clientCores.toFixed(2)}): ${viewers} is a lower bound`;
        break;
      }
    }
    return result;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await sleep(2500);
    for (const p of procs) p.kill('SIGKILL');
    await stopServer();
  }
}

const fmt = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function printClip(name: string, clip: { width: number; height: number; kbps: number }, results: ServerResult[]): void {
  console.log(`\nrelay ${name}: ${clip.width}x${clip.height} H.264 ${clip.kbps} kbit/s 25 fps, relay pinned to one core${pinned ? '' : ' (NOT pinned: fewer than 2 CPUs)'}, ${windowSeconds} s per step`);
  console.log('server       viewers  loss %   relay cores  cpu-s/1000 pkt/viewer (net)  latency p50/p99 ms  KiB/viewer  ttff p50 ms  clients cores');
  for (const r of results) {
    for (const s of r.steps) {
      console.log(`${r.server.padEnd(11)}  ${String(s.viewers).padStart(7)}  ${fmt(s.lossPercent, 3).padStart(6)}  ${fmt(s.serverCores, 2).padStart(11)}  ` +
        `${`${fmt(s.cpuSecondsPer1000PacketsPerViewer, 4)} (${fmt(s.netCpuSecondsPer1000PacketsPerViewer, 4)})`.padStart(27)}  ` +
        `${`${fmt(s.latencyMsP50, 1)} / ${fmt(s.latencyMsP99, 1)}`.padStart(18)}  ${fmt(s.rssKiBPerViewer, 0).padStart(10)}  ${fmt(s.ttffMsP50, 0).padStart(11)}  ${fmt(s.clientCores, 2).padStart(13)}${s.pass ? '' : `  ✗ ${s.why}`}`);
    }
  }
  for (const r of results) {
    const chrome = r.browsers?.map((b) => b.error ?? `${b.framesDecoded} frames ${b.frameWidth}x${b.frameHeight} ${b.mimeType ?? ''}`.trim()).join('; ');
    console.log(`${r.server}: ${r.viewersPerCore} viewers per core (bound by: ${r.boundBy})${chrome ? `; Chromium pages decoded: ${chrome}` : ''}`);
  }
  const j = results.find((r) => r.server === 'janus');
  const s = results.find((r) => r.server === 'streamsight');
  if (j && s) console.log(`ratio streamsight / janus: ${fmt(s.viewersPerCore / j.viewersPerCore, 2)}`);
}

const netns = createNetns(`streamsight-relay-${process.pid}`);
const output: Array<{ clip: string; width: number; height: number; kbps: number; results: ServerResult[] }> = [];
try {
  for (const name of clipNames) {
    const clip = CLIPS[name];
    const mp4 = benchClip(clip.width, clip.height, clip.kbps);
    const fmtp = clipFmtp(mp4);
    const file = annexB(mp4);
    const results: ServerResult[] = [];
    for (const server of servers) {
      say(`${name}: ${server} ...`);
      results.push(await runServer(netns, server, file, fmtp));
    }
    output.push({ clip: name, ...clip, results });
    if (!values.json) printClip(name, clip, results);
  }
} finally {
  netns.close();
}
const first = output[0]!;
const perCore = (server: string) => first.results.find((r) => r.server === server)?.viewersPerCore;
const vs = perCore('streamsight');
const vj = perCore('janus');
const summary = JSON.stringify({
  clip: first.clip, viewersPerCoreStreamsight: vs, viewersPerCoreJanus: vj,
  ratio: vs !== undefined && vj ? vs / vj : undefined, pinned, windowSeconds, lossLimitPercent: LOSS_LIMIT * 100, clips: output,
});
if (values.out) writeFileSync(values.out, `${summary}\n`);
if (values.json) process.stdout.write(`${summary}\n`);
process.exit(0);
