/**
 * `streamsight bench soak [--minutes 30] [--cameras N] [--sample-s 30] [--json]`: the whole server
 * for a long time with viewers coming and going, watched for anything that grows.
 *
 * One process holds the server (N synthetic cameras, each with the brightness and motion plugins,
 * so a decoder and plugin workers run too) and its clients: per camera, WHEP viewers (werift peers
 * on 127.0.0.1) and RTSP restream clients (the project's RtspClient, TCP interleaved) that join,
 * watch 5 to 40 s and leave, over and over. Every `--sample-s` seconds, after two full garbage
 * collections, it records RSS, heap used, external and array buffers, file descriptors, UDP
 * sockets and active handles. The verdict fits a least-squares line to the second half of the
 * samples (the first half includes warm-up: JIT, pools, caches filling), with the live WHEP and
 * RTSP sessions as covariates, and calls growth where the slope per 10 minutes passes a threshold. At the end every client leaves and the server must
 * hold no session, no viewer and no more descriptors than at the start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../config/load.js';
import { RtspClient } from '../core/rtsp/client.js';
import { startServer, type Server } from '../core/server.js';
import { portBlock } from '../core/testing/browser.js';
import { prng } from '../core/testing/prng.js';
import { processResources, type ProcessResources } from '../core/testing/process-resources.js';
import { Viewer } from '../core/webrtc/testdata/whep-client.js';

/** One sample of the soak. */
export interface SoakSample extends ProcessResources {
  /** Seconds since the clients started. */
  t: number;
  whepSessions: number;
  rtspSessions: number;
  /** Readers over every camera's stream (viewers, restream clients, decoders). */
  readers: number;
}

/** Growth allowed per 10 minutes in the second half before the verdict calls it growth. */
export const SLOPE_LIMITS: Record<'heapUsed' | 'rss' | 'external' | 'fds' | 'udpSockets' | 'handles', number> = {
  heapUsed: 2 * 2 ** 20,
  rss: 16 * 2 ** 20,
  external: 4 * 2 ** 20,
  fds: 2,
  udpSockets: 1,
  handles: 4,
};

/**
 * Least-squares fit of y = a + b·x + c₁·z₁ + …; returns b. The covariates z take out what moves
 * with the live client count (a sample that lands while a viewer is between sessions holds one
 * socket less), so only a drift with time is left in b.
 */
export function slope(xs: readonly number[], ys: readonly number[], covariates: readonly (readonly number[])[] = []): number {
  const n = xs.length;
  // Covariates that never vary would make the normal equations singular.
  const zs = covariates.filter((z) => z.some((v) => v !== z[0]));
  const cols = [xs.map(() => 1), [...xs], ...zs.map((z) => [...z])];
  const k = cols.length;
  if (n < k) return 0;
  // Normal equations (XᵀX) β = Xᵀy, solved by Gaussian elimination with partial pivoting.
  const m = cols.map((ci) => [...cols.map((cj) => ci.reduce((a, v, r) => a + v * cj[r]!, 0)), ci.reduce((a, v, r) => a + v * ys[r]!, 0)]);
  for (let i = 0; i < k; i++) {
    let p = i;
    for (let r = i + 1; r < k; r++) if (Math.abs(m[r]![i]!) > Math.abs(m[p]![i]!)) p = r;
    [m[i], m[p]] = [m[p]!, m[i]!];
    if (Math.abs(m[i]![i]!) < 1e-12) return 0;
    for (let r = 0; r < k; r++) {
      if (r === i) continue;
      const f = m[r]![i]! / m[i]![i]!;
      for (let c = i; c <= k; c++) m[r]![c]! -= f * m[i]![c]!;
    }
  }
  return m[1]![k]! / m[1]![1]!;
}

/** The verdict on one resource: slope per 10 minutes over the second half, and its limit. */
export interface Trend {
  resource: keyof typeof SLOPE_LIMITS;
  per10Min: number;
  limit: number;
  grows: boolean;
}

/** Judges growth on the second half of the samples (at least 4 of them), the live sessions taken out. */
export function judge(samples: readonly SoakSample[]): Trend[] {
  const half = samples.slice(Math.floor(samples.length / 2));
  if (half.length < 4) throw new Error(`soak: ${samples.length} samples are too few to judge growth (need 8)`);
  const xs = half.map((s) => s.t / 600);
  const live = [half.map((s) => s.whepSessions), half.map((s) => s.rtspSessions)];
  return (Object.keys(SLOPE_LIMITS) as (keyof typeof SLOPE_LIMITS)[]).map((resource) => {
    const per10Min = slope(xs, half.map((s) => s[resource]), live);
    return { resource, per10Min, limit: SLOPE_LIMITS[resource], grows: per10Min > SLOPE_LIMITS[resource] };
  });
}

interface ChurnCounts {
  whepJoined: number;
  whepWithMedia: number;
  whepFailed: number;
  rtspJoined: number;
  rtspWithMedia: number;
  rtspFailed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the soak; `progress` hears each sample as it is taken. */
export async function soak(opts: { minutes: number; cameras: number; sampleS: number; progress?: (s: SoakSample) => void }): Promise<{
  samples: SoakSample[]; baseline: SoakSample; final: SoakSample; trends: Trend[]; counts: ChurnCounts; leftovers: string[];
}> {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-soak-'));
  const webrtcPorts = portBlock(63000, 10, 100);
  const lines = [
    'log: { level: error }',
    'http: { host: 127.0.0.1, port: 0 }',
    `rtsp: { host: 127.0.0.1, port: 0, udpPortRange: [${portBlock(64000, 10, 50).join(', ')}] }`,
    `webrtc: { hostAddresses: [127.0.0.1], iceServers: [], udpPortRange: [${webrtcPorts.join(', ')}] }`,
    `storage: { path: ${JSON.stringify(dir)}, clips: { enabled: false } }`,
    'cameras:',
  ];
  const ids = Array.from({ length: opts.cameras }, (_, i) => `soak${i}`);
  for (const id of ids) {
    lines.push(
      `  ${id}:`,
      '    synthetic: { width: 320, height: 240, fps: 15, bitrateKbps: 300, gop: 30 }',
      '    detect: { fps: 5 }',
      '    plugins:',
      '      brightness: { fps: 2 }',
      '      motion: { fps: 5 }',
    );
  }
  const server: Server = await startServer(parseConfigText(lines.join('\n'), 'soak'));
  const base = server.addresses.pageUrl;
  const rtspBase = `rtsp://127.0.0.1:${server.addresses.rtspPort}`;
  const counts: ChurnCounts = { whepJoined: 0, whepWithMedia: 0, whepFailed: 0, rtspJoined: 0, rtspWithMedia: 0, rtspFailed: 0 };
  const readers = () => ids.reduce((n, id) => n + server.cameras.get(id)!.stream.readers.size, 0);
  let t0 = performance.now();
  const sample = async (): Promise<SoakSample> => ({
    t: (performance.now() - t0) / 1000,
    ...(await processResources(2)),
    whepSessions: server.whep.sessions.size,
    rtspSessions: server.rtsp.stats.playSessions,
    readers: readers(),
  });
  try {
    const online = Date.now() + 60_000;
    while (ids.some((id) => server.cameras.get(id)!.stream.state !== 'online')) {
      if (Date.now() > online) throw new Error('soak: the synthetic cameras did not come online within 60 s');
      await sleep(250);
    }
    await sleep(3000); // decoders and plugin workers up
    const baseline = await sample();
    t0 = performance.now();
    const endAt = t0 + opts.minutes * 60_000;
    const random = prng(20261124);
    const life = () => 5000 + random() * 35_000;
    let running = true;
    const wait = async (ms: number) => {
      const until = performance.now() + ms;
      while (running && performance.now() < until) await sleep(Math.min(500, until - performance.now()));
    };

    const whepLoop = async (camera: string): Promise<void> => {
      while (running) {
        const v = new Viewer();
        counts.whepJoined++;
        try {
          await v.connect(base, camera, 15_000);
          await wait(life());
          if (v.keyframes > 0) counts.whepWithMedia++;
        } catch {
          counts.whepFailed++;
        } finally {
          await v.close(base).catch(() => undefined);
        }
        await wait(random() * 3000);
      }
    };
    const rtspLoop = async (camera: string): Promise<void> => {
      while (running) {
        const c = new RtspClient();
        counts.rtspJoined++;
        try {
          await c.connect(`${rtspBase}/${camera}`, { transport: 'tcp', timeoutMs: 10_000 });
          await c.describe();
          await c.setupAll();
          await c.play();
          await wait(life());
          if (c.stats.rtpPackets > 0 && !c.closed) counts.rtspWithMedia++;
        } catch {
          counts.rtspFailed++;
        } finally {
          await c.teardown().catch(() => undefined);
        }
        await wait(random() * 3000);
      }
    };
    // Two WHEP viewers and two RTSP clients per camera, each slot joining and leaving on its own.
    const loops = ids.flatMap((id) => [whepLoop(id), whepLoop(id), rtspLoop(id), rtspLoop(id)]);

    const samples: SoakSample[] = [];
    for (let next = t0 + opts.sampleS * 1000; next <= endAt + 1; next += opts.sampleS * 1000) {
      await sleep(Math.max(0, next - performance.now()));
      const s = await sample();
      samples.push(s);
      opts.progress?.(s);
    }
    running = false;
    await Promise.all(loops);
    // Everyone left: the server must be back where it started.
    await sleep(5000);
    const final = await sample();
    const leftovers: string[] = [];
    if (final.whepSessions !== 0) leftovers.push(`${final.whepSessions} WHEP sessions`);
    if (final.rtspSessions !== 0) leftovers.push(`${final.rtspSessions} RTSP sessions`);
    for (const id of ids) {
      const viewers = server.cameras.get(id)!.viewers;
      if (viewers !== 0) leftovers.push(`${viewers} viewers on ${id}`);
    }
    if (final.readers !== baseline.readers) leftovers.push(`${final.readers} stream readers (baseline ${baseline.readers})`);
    if (final.fds > baseline.fds + 5) leftovers.push(`${final.fds} descriptors (baseline ${baseline.fds})`);
    if (final.udpSockets > baseline.udpSockets) leftovers.push(`${final.udpSockets} UDP sockets (baseline ${baseline.udpSockets})`);
    return { samples, baseline, final, trends: judge(samples), counts, leftovers };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const MB = 2 ** 20;
const mb = (n: number) => (n / MB).toFixed(1);

function row(s: SoakSample, label = `${(s.t / 60).toFixed(1)}`): string {
  return [
    label.padStart(7), mb(s.rss).padStart(7), mb(s.heapUsed).padStart(7), mb(s.external).padStart(7), mb(s.arrayBuffers).padStart(7),
    String(s.fds).padStart(5), String(s.udpSockets).padStart(5), String(s.handles).padStart(7),
    String(s.whepSessions).padStart(5), String(s.rtspSessions).padStart(5), String(s.readers).padStart(7),
  ].join(' ');
}
const HEADER = '    min  RSS MB heap MB  ext MB   ab MB   fds   udp handles  whep  rtsp readers';

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] ?? '' : undefined);
  const minutes = Number(arg('--minutes') ?? 30);
  const cameras = Number(arg('--cameras') ?? 3);
  const sampleS = Number(arg('--sample-s') ?? 30);
  if (!(minutes > 0)) throw new Error(`--minutes must be a number > 0, got '${arg('--minutes')}'`);
  if (!Number.isInteger(cameras) || cameras < 1 || cameras > 8) throw new Error(`--cameras must be a whole number from 1 to 8, got '${arg('--cameras')}'`);
  if (!(sampleS >= 1)) throw new Error(`--sample-s must be a number ≥ 1, got '${arg('--sample-s')}'`);
  if ((minutes * 60) / sampleS < 8) throw new Error(`soak: ${minutes} min at one sample per ${sampleS} s gives fewer than 8 samples`);
  const json = argv.includes('--json');
  const started = new Date();
  if (!json) console.log(`soak: ${minutes} min, ${cameras} synthetic cameras (320x240 15 fps, brightness + motion), 2 WHEP + 2 RTSP clients per camera joining and leaving; a sample every ${sampleS} s\n${HEADER}`);
  const r = await soak({ minutes, cameras, sampleS, progress: json ? undefined : (s) => console.log(row(s)) });
  const growth = r.trends.filter((t) => t.grows);
  const verdict = growth.length === 0 && r.leftovers.length === 0 ? 'no growth' : 'GROWTH';
  if (json) {
    console.log(JSON.stringify({ started: started.toISOString(), host: hostname(), minutes, cameras, ...r, verdict }, null, 2));
  } else {
    console.log(`${row(r.baseline, 'start')}\n${row(r.final, 'end')}   (start: before any client; end: 5 s after the last left)`);
    console.log(`\nclients: WHEP ${r.counts.whepJoined} joined, ${r.counts.whepWithMedia} got a keyframe, ${r.counts.whepFailed} failed; ` +
      `RTSP ${r.counts.rtspJoined} joined, ${r.counts.rtspWithMedia} got RTP, ${r.counts.rtspFailed} failed`);
    console.log('\nslope over the second half, per 10 min:');
    for (const t of r.trends) {
      const bytes = ['heapUsed', 'rss', 'external'].includes(t.resource);
      const fmt = (v: number) => (bytes ? `${mb(v)} MB` : v.toFixed(2));
      console.log(`  ${t.resource.padEnd(11)} ${fmt(t.per10Min).padStart(10)}  (limit ${fmt(t.limit)})  ${t.grows ? 'GROWS' : 'ok'}`);
    }
    if (r.leftovers.length) console.log(`left behind after every client left: ${r.leftovers.join(', ')}`);
    console.log(`\nverdict: ${verdict}`);
  }
  if (verdict !== 'no growth') process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(process.exitCode ?? 0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
