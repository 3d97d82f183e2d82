/**
 * What every fault module shares: the result row, a real server started from YAML, the API
 * reads, a WHEP viewer that tells frame sizes apart, and the decoder's ffmpeg found in /proc.
 *
 *   fault module ── inject ──▶ camera / process / storage
 *                └─ observe ──▶ /api/cameras, /api/plugins, WHEP viewer, server logs ─▶ FaultResult
 */
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { parseConfigText } from '../../config/load.js';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { H264Nal, h264NalType } from '../../codecs/h264/nal.js';
import { parseH264Sps } from '../../codecs/h264/sps.js';
import type { CameraInfo } from '../../core/http/types.js';
import type { PluginStats } from '../../core/plugins/runner.js';
import { startServer, type Server } from '../../core/server.js';
import { portBlock } from '../../core/testing/browser.js';
import { TestWhepClient } from '../../core/webrtc/testdata/whep-client.js';

/** One row of the fault table. */
export interface FaultResult {
  fault: string;
  injected: string;
  expected: string;
  observed: string;
  ok: boolean;
  seconds: number;
}

/** A fault: how to break things and what must happen then. */
export interface Fault {
  /** Short name for `--only`. */
  id: string;
  name: string;
  injected: string;
  expected: string;
  /** Injects the fault and observes; resolves with what was seen and the checks that failed. */
  run(): Promise<{ observed: string; failures: string[] }>;
}

/** Runs a fault and times it; a thrown error is a failed row, never a crash of the table. */
export async function runFault(f: Fault): Promise<FaultResult> {
  const t0 = performance.now();
  let observed: string;
  let failures: string[];
  try {
    ({ observed, failures } = await f.run());
  } catch (err) {
    observed = `error: ${err instanceof Error ? err.message : String(err)}`;
    failures = [observed];
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  return {
    fault: f.name, injected: f.injected, expected: f.expected,
    observed: failures.length ? `${observed} — FAILED: ${failures.join('; ')}` : observed,
    ok: failures.length === 0, seconds,
  };
}

/** Collects failed checks: `check(cond, what)` records `what` when cond is false. */
export function checker(): { check: (cond: boolean, what: string) => boolean; failures: string[] } {
  const failures: string[] = [];
  return { failures, check: (cond, what) => (cond || failures.push(what), cond) };
}

/** Polls `probe` every 50 ms until it returns a value; undefined after `ms` (a fault module reports, never throws). */
export async function poll<T>(ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not ready yet
    }
    if (performance.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The YAML every fault server starts from: loopback only, free HTTP/RTSP ports, and UDP port
 * blocks (56000-56999 WebRTC, 58000-58999 RTSP) no other test file uses.
 */
export function baseYaml(storage: string): string {
  const webrtc = portBlock(56000, 40, 25);
  const rtsp = portBlock(58000, 40, 25);
  return [
    'log: { level: warn }',
    'http: { host: 127.0.0.1, port: 0 }',
    `rtsp: { host: 127.0.0.1, port: 0, udpPortRange: [${rtsp.join(', ')}] }`,
    `webrtc: { hostAddresses: [127.0.0.1], iceServers: [], udpPortRange: [${webrtc.join(', ')}] }`,
    `storage: { path: ${JSON.stringify(storage)} }`,
  ].join('\n');
}

/** A real server (core/server.ts) from YAML, with its page URL. */
export async function startFaultServer(yaml: string): Promise<{ server: Server; base: string }> {
  const server = await startServer(parseConfigText(yaml, 'faults'));
  return { server, base: server.addresses.pageUrl };
}

/**
 * A fault server with one camera `cam` pulled from `url`, its storage under `dir`; `cameraLines` are
 * its further settings, one YAML line each (`timeoutMs: 3000`).
 */
export function startCameraServer(dir: string, url: string, cameraLines: readonly string[]): Promise<{ server: Server; base: string }> {
  return startFaultServer([baseYaml(join(dir, 'events')), 'cameras:', '  cam:', `    url: ${url}`, ...cameraLines.map((l) => `    ${l}`)].join('\n'));
}

/** GET /api/cameras/{id}. */
export async function cameraInfo(base: string, id: string): Promise<CameraInfo> {
  const res = await fetch(`${base}api/cameras/${id}`);
  if (res.status !== 200) throw new Error(`GET /api/cameras/${id}: ${res.status}`);
  return (await res.json()) as CameraInfo;
}

/** GET /api/plugins, the row of one camera × plugin. */
export async function pluginStats(base: string, camera: string, plugin: string): Promise<PluginStats> {
  const res = await fetch(`${base}api/plugins`);
  const row = ((await res.json()) as PluginStats[]).find((p) => p.camera === camera && p.plugin === plugin);
  if (!row) throw new Error(`no plugin ${plugin} on ${camera} in /api/plugins`);
  return row;
}

/**
 * A WHEP viewer (werift on 127.0.0.1) that depacketizes what it receives and reads the size of
 * each keyframe's SPS: frames and keyframes are counted per size, and `units` in arrival order.
 */
export class SizingViewer {
  readonly client = new TestWhepClient();
  readonly #depacketizer = new H264Depacketizer();
  /** Size of the last SPS seen, as `WxH`. */
  size?: string;
  readonly frames = new Map<string, number>();
  readonly keyframes = new Map<string, number>();
  units = 0;
  keyframeCount = 0;
  /** Connection states the peer went through. */
  readonly states: string[] = [];
  /** States of its DTLS transport after connecting ('closed': the server sent close_notify). */
  readonly dtlsStates: string[] = [];
  #location = '';

  constructor() {
    this.client.onPacket = (p) => {
      for (const unit of this.#depacketizer.push(p)) this.#unit(unit as VideoUnit);
    };
    this.client.pc.connectionStateChange.subscribe((s) => this.states.push(s));
  }

  #unit(unit: VideoUnit): void {
    for (const nal of unit.nalus) {
      if (h264NalType(nal) !== H264Nal.SPS) continue;
      const sps = parseH264Sps(nal);
      if (sps) this.size = `${sps.width}x${sps.height}`;
    }
    this.units++;
    if (unit.keyframe) this.keyframeCount++;
    if (!this.size) return;
    this.frames.set(this.size, (this.frames.get(this.size) ?? 0) + 1);
    if (unit.keyframe) this.keyframes.set(this.size, (this.keyframes.get(this.size) ?? 0) + 1);
  }

  /** POSTs the offer to `{base}whep/{camera}` and waits until DTLS is connected. */
  async connect(base: string, camera: string): Promise<void> {
    const res = await fetch(`${base}whep/${camera}`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: await this.client.offer() });
    if (res.status !== 201) throw new Error(`WHEP POST: ${res.status} ${await res.text()}`);
    this.#location = res.headers.get('location') ?? '';
    await this.client.accept(await res.text());
    const dtls = this.client.pc.dtlsTransports[0];
    dtls?.onStateChange.subscribe((s) => this.dtlsStates.push(s));
  }

  /** DELETEs the session (when the server is still there) and closes the peer. */
  async close(base?: string): Promise<void> {
    if (base && this.#location) await fetch(new URL(this.#location, base), { method: 'DELETE' }).catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}

/** Pids of the ffmpeg decoders (`-f rawvideo` into a FIFO) that process `parent` runs. */
export function decoderPids(parent = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.includes('rawvideo') && argv.includes('pipe:0')) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** Captures what the server logs (stdout and stderr) while `fn` runs. */
export async function withLogs<T>(fn: (lines: () => string) => Promise<T>): Promise<T> {
  let text = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tap = (write: typeof out) => ((chunk: string | Uint8Array, ...rest: never[]) => {
    text = (text + String(chunk)).slice(-50_000);
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  process.stdout.write = tap(out);
  process.stderr.write = tap(err);
  try {
    return await fn(() => text);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
