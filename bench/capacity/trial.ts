/**
 * One trial of `bench capacity`: a fresh server with N synthetic cameras, held for a while, with
 * every limit measured. In order:
 *   1. the server starts (its own config, ports and event store);
 *   2. the publisher (publisher.ts) pushes the clip to every camera; once every plugin has frames,
 *      each decoder's frame-reader thread is found (probe.ts);
 *   3. a window with no viewer, which is also the plugins' warm-up: the main thread's CPU without
 *      relaying, and the plugin workers (the busiest threads born after the runtime's, probe.ts);
 *   4. the viewers (bench/relay/viewer.ts, werift, every packet's sequence number counted) join;
 *   5. the hold: counters at its start and end, rates every 2 s, progress on stderr. It is cut
 *      short once it cannot pass any more (limits.ts hopeless()).
 * Relay CPU is the main thread's CPU in the hold less its CPU in step 3. The main thread also
 * receives the RTSP pushes, feeds the decoders and answers the bench's API polls; that, and every
 * thread that is neither a plugin worker nor a frame reader, is "rest".
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { child, freePort, rssBytes, sleep, waitFor } from '../lib.js';
import { evaluateLimits, hopeless, type LimitCheck, type PluginWindow, type WindowMeasure } from './limits.js';
import { children, coreUse, pluginThreads, readerThreads, sampleCpu, threads } from './probe.js';
import { cameraIds, pluginFps, serverConfig, type Profile } from './profile.js';
import type { Trial } from './search.js';

/** Viewers per viewer process. */
const VIEWERS_PER_PROCESS = 25;
/**
 * Seconds with no viewer, for the main thread's CPU without relaying. They are also the plugins'
 * warm-up, kept out of the hold: a fresh worker misses its budget for its first seconds (V8
 * compiling its pixel loops, the background model learning from nothing).
 */
const BASELINE_S = 10;
const POLL_MS = 2000;
const say = (s: string) => process.stderr.write(`${s}\n`);

/** CPU by stage over the hold, in cores. */
export interface StageCores {
  decode: number;
  plugins: number;
  /** Main-thread CPU with viewers less without (clamped at 0). */
  relay: number;
  /** Everything else in the server: main thread without viewers (RTSP ingest, decoder feeding, HTTP) and other threads (GC, libuv, snapshots). */
  rest: number;
  server: number;
}

/** The outcome of one trial. */
export interface TrialResult extends Trial {
  /** Seconds actually held (less than holdS when cut short). */
  heldS: number;
  passed: boolean;
  checks: LimitCheck[];
  measure: WindowMeasure;
  cores: StageCores;
  /** Main thread cores without viewers (step 3) and with (the hold). */
  mainCores: { withoutViewers: number; withViewers: number };
  /** The publisher and viewer processes (the harness, not the server). */
  harnessCores: number;
  /** Busy share of the whole machine during the hold (the bench, the server and anything else running). */
  machineBusy: number;
  /**
   * Seconds per second the server's threads and decoders were runnable but waiting for a CPU
   * (held off by other processes, or by each other): the hold's mean, and its worst 2 s poll.
   */
  runQueueWait: { mean: number; worst2s: number };
  /** Peak resident memory: the server process, its decoders, and both. */
  memoryMiB: { server: number; decoders: number; total: number };
  /** Threads the stage split found, and what it expected. */
  threadsFound: { plugins: number; readers: number; expectedReaders: number };
  startupS: number;
  /** Why the trial failed before its hold (cameras or plugins never all running). */
  error?: string;
  notes: string[];
}

/** What one viewer process prints each second (bench/relay/viewer.ts). */
interface ViewerReport { viewers: number; connected: number; failed: number; packets: number; lost: number; stalled: number; ttffMs: number[] }

/** The plugin stats /api/plugins gives (core/plugins/runner.ts PluginStats, the fields used here). */
interface PluginStat { camera: string; plugin: string; state: string; budgetMs: number; misses: number; processed: number; skipped: number; stale: number; restarts: number }

/** The camera fields /api/cameras gives that the bench reads. */
interface CameraStat { id: string; state: string; framesDropped: number }

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Per-camera decoded fps (streamsight_camera_fps_decoded) from /metrics text. */
function decodedFps(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.matchAll(/^streamsight_camera_fps_decoded\{camera="([^"]+)"\} (\S+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Per plugin (summed over cameras): le (seconds, Infinity for +Inf) → cumulative count, from /metrics text. */
export function latencyBuckets(metrics: string): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const m of metrics.matchAll(/^streamsight_plugin_latency_seconds_bucket\{camera="[^"]*",plugin="([^"]+)",le="([^"]+)"\} (\S+)$/gm)) {
    const le = m[2] === '+Inf' ? Infinity : Number(m[2]);
    const byLe = out.get(m[1]!) ?? new Map<number, number>();
    byLe.set(le, (byLe.get(le) ?? 0) + Number(m[3]));
    out.set(m[1]!, byLe);
  }
  return out;
}

/**
 * The upper bound (ms) of the /metrics bucket holding the 99th percentile of what was observed
 * between two readings: exact to the window, coarse in value (1, 2.5, 5, 10, 25, 50, 100 ms ...).
 */
export function windowP99(a: Map<number, number> | undefined, b: Map<number, number> | undefined): number {
  if (!b) return NaN;
  const les = [...b.keys()].sort((x, y) => x - y);
  const count = (b.get(Infinity) ?? 0) - (a?.get(Infinity) ?? 0);
  if (count <= 0) return NaN;
  for (const le of les) if ((b.get(le) ?? 0) - (a?.get(le) ?? 0) >= 0.99 * count) return le * 1000;
  return Infinity;
}

async function stop(p: ChildProcess, graceMs = 3000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  await new Promise<void>((r) => {
    const t = setTimeout(() => { p.kill('SIGKILL'); r(); }, graceMs);
    p.once('exit', () => { clearTimeout(t); r(); });
  });
}

/**
 * Frames per second the camera's decoder handed to its plugins over a window: the busiest plugin's
 * processed + skipped + stale (every published frame reaches a plugin that asks for detect.fps).
 * Counted, not sampled: /metrics' fps_decoded is a 2 s rate that wobbles by ±0.5 fps at 5 fps.
 */
function framesToPlugins(a: PluginStat[], b: PluginStat[], camera: string, seconds: number): number | undefined {
  if (seconds <= 0) return undefined;
  const before = new Map(a.filter((s) => s.camera === camera).map((s) => [s.plugin, s]));
  let best: number | undefined;
  for (const s of b) {
    if (s.camera !== camera) continue;
    const s0 = before.get(s.plugin);
    const frames = s.processed + s.skipped + s.stale - (s0 ? s0.processed + s0.skipped + s0.stale : 0);
    best = Math.max(best ?? 0, frames / seconds);
  }
  return best;
}

/** Per-plugin sums of the counters' growth from `a` to `b`, with each plugin's p99 bound over the window. */
function pluginWindows(a: PluginStat[], b: PluginStat[], p99: Map<string, number>): PluginWindow[] {
  const before = new Map(a.map((s) => [`${s.camera}\0${s.plugin}`, s]));
  const by = new Map<string, PluginWindow>();
  for (const s of b) {
    const s0 = before.get(`${s.camera}\0${s.plugin}`);
    const w = by.get(s.plugin) ?? { plugin: s.plugin, processed: 0, misses: 0, skipped: 0, p99Ms: 0, budgetMs: s.budgetMs };
    w.processed += s.processed - (s0?.processed ?? 0);
    w.misses += s.misses - (s0?.misses ?? 0);
    w.skipped += s.skipped + s.stale - (s0?.skipped ?? 0) - (s0?.stale ?? 0);
    w.p99Ms = p99.get(s.plugin) ?? NaN;
    by.set(s.plugin, w);
  }
  return [...by.values()];
}

/** A trial whose server or cameras never all got going: failed, with no window measured. */
export function failedToStart(trial: Trial, why: string, startupS: number): TrialResult {
  const empty: StageCores = { decode: 0, plugins: 0, relay: 0, rest: 0, server: 0 };
  return {
    ...trial, heldS: 0, passed: false, checks: [], error: why,
    measure: { cameras: trial.cameras, cores: cpus().length, expectedFps: 0, decodedFps: [], readerDrops: 0, plugins: [],
      relay: { viewers: 0, connected: 0, failed: 0, stalled: 0, packets: 0, lost: 0 }, serverCores: 0 },
    cores: empty, mainCores: { withoutViewers: 0, withViewers: 0 }, harnessCores: 0, machineBusy: 0, runQueueWait: { mean: 0, worst2s: 0 },
    memoryMiB: { server: 0, decoders: 0, total: 0 }, threadsFound: { plugins: 0, readers: 0, expectedReaders: 0 }, startupS, notes: [],
  };
}

/**
 * Runs one trial; never throws for a limit, only for a broken harness. `runtimeThreads` is
 * probe.ts runtimeThreadCount(): how many of the server's oldest threads are Node's own.
 */
export async function runTrial(profile: Profile, trial: Trial, clip: string, runtimeThreads: number): Promise<TrialResult> {
  const n = trial.cameras;
  const ids = cameraIds(n);
  const notes: string[] = [];
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-capacity-'));
  const http = await freePort();
  const rtsp = await freePort();
  const viewersTotal = n * profile.viewersPerCamera;
  const webrtcBase = 42000 + Math.floor(Math.random() * 18000);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, serverConfig(profile, n, { http, rtsp, webrtc: [webrtcBase, webrtcBase + viewersTotal * 4 + 50] }, join(dir, 'store')));
  const base = `http://127.0.0.1:${http}`;
  const procs: ChildProcess[] = [];
  const server = child(process.execPath, ['--import', 'tsx', 'core/cli.ts', 'serve', '--config', config]);
  const pid = server.pid!;
  try {
    // 1. Server up.
    await waitFor('the server', 30_000 + n * 3000, async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
    const pluginCount = n * profile.plugins.length;

    // 2. The cameras publish; wait for every plugin to have frames. Not getting there counts as failing.
    let published = 0;
    const publisher = child(process.execPath, ['--import', 'tsx', 'bench/capacity/publisher.ts', '--clip', clip, '--fps', String(profile.fps),
      '--rtsp', `rtsp://127.0.0.1:${rtsp}`, '--cameras', ids.join(',')], (line) => { published = (JSON.parse(line) as { units: number }).units; });
    procs.push(publisher);
    try {
      await waitFor(`${n} camera(s) online with every plugin fed`, 20_000 + n * 2000, async () => {
        const cams = await getJson<CameraStat[]>(`${base}/api/cameras`);
        if (cams.some((c) => c.state !== 'online')) return undefined;
        if (profile.plugins.length === 0) return true;
        const stats = await getJson<PluginStat[]>(`${base}/api/plugins`);
        return stats.length === pluginCount && stats.every((s) => s.state === 'running' && s.processed > 0) ? true : undefined;
      });
    } catch (err) {
      return failedToStart(trial, (err as Error).message, (performance.now() - started) / 1000);
    }
    const decoders = children(pid, 'ffmpeg');
    const readerTids = readerThreads(threads(pid).slice(runtimeThreads), decoders);
    if (profile.plugins.length > 0 && decoders.length !== n) notes.push(`found ${decoders.length} ffmpeg decoder(s) for ${n} camera(s)`);
    if (readerTids.size !== decoders.length) notes.push(`found ${readerTids.size} frame-reader thread(s) for ${decoders.length} decoder(s): the rest count as "other"`);
    const startupS = (performance.now() - started) / 1000;
    await sleep(2000);

    // 3. No viewers yet: the main thread's CPU without relaying, and which threads are the plugin workers (probe.ts).
    const harness = () => procs.map((p) => p.pid!);
    const threads0 = threads(pid);
    const b0 = sampleCpu(pid, new Set(), readerTids, harness());
    await sleep(BASELINE_S * 1000);
    const baseline = coreUse(b0, sampleCpu(pid, new Set(), readerTids, harness()));
    const pluginTids = pluginThreads(threads0, threads(pid), runtimeThreads, pluginCount, readerTids);

    // 4. Viewers join.
    const reports: Array<ViewerReport | undefined> = [];
    if (viewersTotal > 0) {
      const urls = ids.map((id) => `${base}/whep/${id}`);
      for (let from = 0; from < urls.length; from += Math.max(1, Math.floor(VIEWERS_PER_PROCESS / profile.viewersPerCamera))) {
        const batch = urls.slice(from, from + Math.max(1, Math.floor(VIEWERS_PER_PROCESS / profile.viewersPerCamera)));
        const i = reports.push(undefined) - 1;
        procs.push(child(process.execPath, ['--import', 'tsx', 'bench/relay/viewer.ts', '--whep', batch.join(','),
          '--count', String(profile.viewersPerCamera), '--full', '0', '--address', '127.0.0.1'], (line) => { reports[i] = JSON.parse(line) as ViewerReport; }));
      }
    }
    const viewerTotals = () => {
      const t = { viewers: 0, connected: 0, failed: 0, packets: 0, lost: 0, stalled: 0, joined: 0 };
      for (const r of reports) {
        if (!r) continue;
        t.viewers += r.viewers; t.connected += r.connected; t.failed += r.failed;
        t.packets += r.packets; t.lost += r.lost; t.stalled += r.stalled; t.joined += r.ttffMs.length;
      }
      return t;
    };
    if (viewersTotal > 0) {
      await waitFor(`${viewersTotal} viewer(s) with a first frame`, 10_000 + viewersTotal * 500, () => {
        const t = viewerTotals();
        return t.failed > 0 || t.joined >= viewersTotal ? true : undefined;
      }).catch(() => notes.push(`only ${viewerTotals().joined} of ${viewersTotal} viewers had a first frame`));
      await sleep(3000);
    }

    // 5. The hold.
    const plugins0 = await getJson<PluginStat[]>(`${base}/api/plugins`);
    const plugins0At = performance.now();
    const cams0 = await getJson<CameraStat[]>(`${base}/api/cameras`);
    const latency0 = latencyBuckets(await (await fetch(`${base}/metrics`)).text());
    const v0 = viewerTotals();
    const c0 = sampleCpu(pid, pluginTids, readerTids, harness());
    const fpsSums = new Map<string, { sum: number; count: number }>();
    const p99 = new Map<string, number>();
    let stalled = 0, rssServer = 0, rssDecoders = 0, rssTotal = 0;
    let plugins1 = plugins0, cams1 = cams0, plugins1At = plugins0At;
    let measure: WindowMeasure | undefined;
    const holdStart = performance.now();
    let lastSay = holdStart;
    let c1 = c0;
    let worstWait = 0;
    const measureNow = (): WindowMeasure => {
      const v = viewerTotals();
      return {
        cameras: n,
        cores: cpus().length,
        expectedFps: Math.min(profile.fps, pluginFps(profile) ?? profile.detectFps),
        decodedFps: ids.map((id) => {
          const counted = framesToPlugins(plugins0, plugins1, id, (plugins1At - plugins0At) / 1000);
          if (counted !== undefined) return counted;
          const f = fpsSums.get(id);
          return f && f.count ? f.sum / f.count : 0;
        }),
        readerDrops: cams1.reduce((s, c) => s + c.framesDropped, 0) - cams0.reduce((s, c) => s + c.framesDropped, 0),
        plugins: pluginWindows(plugins0, plugins1, p99),
        relay: { viewers: viewersTotal, connected: v.connected, failed: v.failed, stalled, packets: v.packets - v0.packets, lost: v.lost - v0.lost },
        serverCores: coreUse(c0, c1).server,
      };
    };
    for (;;) {
      await sleep(POLL_MS);
      const elapsed = (performance.now() - holdStart) / 1000;
      const [metrics, stats, cams] = await Promise.all([fetch(`${base}/metrics`).then((r) => r.text()), getJson<PluginStat[]>(`${base}/api/plugins`), getJson<CameraStat[]>(`${base}/api/cameras`)]);
      const fps = decodedFps(metrics);
      const latency1 = latencyBuckets(metrics);
      for (const [plugin, buckets] of latency1) p99.set(plugin, windowP99(latency0.get(plugin), buckets));
      for (const [id, f] of fps) {
        const s = fpsSums.get(id) ?? { sum: 0, count: 0 };
        s.sum += f;
        s.count++;
        fpsSums.set(id, s);
      }
      plugins1 = stats;
      plugins1At = performance.now();
      cams1 = cams;
      stalled = Math.max(stalled, viewerTotals().stalled);
      const decoderPids = children(pid, 'ffmpeg').map((c) => c.tid);
      const rs = rssBytes(pid);
      const rd = decoderPids.reduce((s, d) => { try { return s + rssBytes(d); } catch { return s; } }, 0);
      rssServer = Math.max(rssServer, rs);
      rssDecoders = Math.max(rssDecoders, rd);
      rssTotal = Math.max(rssTotal, rs + rd);
      const previous = c1;
      c1 = sampleCpu(pid, pluginTids, readerTids, harness());
      worstWait = Math.max(worstWait, coreUse(previous, c1).waiting);
      measure = measureNow();
      const done = elapsed >= trial.holdS;
      const cut = !done && elapsed >= 10 && hopeless(measure, elapsed, trial.holdS);
      if (done || cut || performance.now() - lastSay >= 10_000) {
        lastSay = performance.now();
        const u = coreUse(c0, c1);
        const checks = evaluateLimits(measure);
        say(`    ${n} cameras ${elapsed.toFixed(0).padStart(3)}/${trial.holdS} s: server ${u.server.toFixed(2)} cores ` +
          `(decode ${u.decode.toFixed(2)}, plugins ${u.plugins.toFixed(2)}, main ${u.main.toFixed(2)}), harness ${u.harness.toFixed(2)}, ` +
          `machine ${(u.machineBusy * 100).toFixed(0)} % busy, run-queue wait ${u.waiting.toFixed(2)}; ${checks.map((c) => `${c.limit} ${c.broken ? '✗' : 'ok'}`).join(', ')}` +
          (cut ? ' — cut short: cannot pass any more' : ''));
      }
      if (done || cut) break;
    }
    const heldS = (performance.now() - holdStart) / 1000;
    const m = measure ?? measureNow();
    const checks = evaluateLimits(m);
    const hold = coreUse(c0, c1);
    const relay = Math.max(0, hold.main - baseline.main);
    const restarts = plugins1.reduce((s, p) => s + p.restarts, 0) - plugins0.reduce((s, p) => s + p.restarts, 0);
    if (restarts > 0) notes.push(`${restarts} plugin worker restart(s): a restarted worker's thread counts as "other"`);
    if (published === 0) notes.push('the publisher reported no units');
    return {
      ...trial,
      heldS,
      passed: checks.every((c) => !c.broken),
      checks,
      measure: m,
      cores: { decode: hold.decode, plugins: hold.plugins, relay, rest: Math.max(0, hold.server - hold.decode - hold.plugins - relay), server: hold.server },
      mainCores: { withoutViewers: baseline.main, withViewers: hold.main },
      harnessCores: hold.harness,
      machineBusy: hold.machineBusy,
      runQueueWait: { mean: hold.waiting, worst2s: worstWait },
      memoryMiB: { server: rssServer / 2 ** 20, decoders: rssDecoders / 2 ** 20, total: rssTotal / 2 ** 20 },
      threadsFound: { plugins: pluginTids.size, readers: readerTids.size, expectedReaders: decoders.length },
      startupS,
      notes,
    };
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    await stop(server, 8000);
    rmSync(dir, { recursive: true, force: true });
  }
}
