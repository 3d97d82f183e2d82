/**
 * `streamsight bench accuracy [--json] [--only NAME,...] [--short]`: every scenario of bench/scenes
 * played through the real server path and scored against the scenes' exact ground truth.
 *
 *   scene → H.264 file → ffmpeg -re → RTSP push → stream hub → decoder → frame ring → plugin workers
 *         → event store / count store → GET /api/events, GET /api/counts → scored here
 *
 * Scene time of an event: its startedAt (the capture time of the frame it was raised on) minus the
 * arrival time of the camera's first access unit, which is the scene's frame 0 (ffmpeg -re paces
 * the file in real time from there). Events match the truth one-to-one by type within ±1 s.
 *
 * Per plugin it prints event precision, recall and F1 over its violation scenarios, false alarms per
 * camera-hour over its violation-free scenarios, and for counting the count error per class.
 * Goals (issue 4): precision and recall ≥ 0.95, count error ≤ 2 % per class, ≤ 1 false alarm per
 * camera-hour.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../config/load.js';
import { ffmpegPath } from '../core/ffmpeg.js';
import { startServer } from '../core/server.js';
import { freePort } from './lib.js';
import { eventRates, scoreEvents, type PlayedEvent } from './scenes/play.js';
import { allScenarios } from './scenes/index.js';
import type { Scenario } from './scenes/scenario.js';
import { encodeScene } from './scenes/traffic.js';

/** What one scenario produced through the server. */
export interface ScenarioOutcome {
  scenario: Scenario;
  events: PlayedEvent[];
  counts: { line: string; cls: string; direction: string; n: number }[];
  /** The plugins' stats on this camera at the end (GET /api/plugins): processed, skipped, misses, restarts. */
  plugins: { plugin: string; processed: number; skipped: number; stale: number; misses: number; restarts: number; p99: number }[];
}

/** Per-plugin accuracy. */
export interface PluginAccuracy {
  plugin: string;
  scenarios: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Scored events on violation-free scenes per hour of those scenes. */
  falseAlarmsPerCameraHour: number;
  quietHours: number;
  /** counting: |counted − true| / true per class, over all its scenarios. */
  countError?: Record<string, { counted: number; truth: number; error: number }>;
}

/** Plays `scenarios` through one server, at most `parallel` cameras at a time; returns what each produced. */
export async function playThroughServer(scenarios: Scenario[], opts: { parallel?: number; log?: (s: string) => void } = {}): Promise<ScenarioOutcome[]> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-accuracy-'));
  try {
    const files = new Map<string, string>();
    for (const s of scenarios) {
      const file = join(dir, `${s.name}.h264`);
      log(`rendering ${s.name} (${s.scene.durationS} s)`);
      await encodeScene(s.scene, file);
      files.set(s.name, file);
    }
    const [httpPort, rtspPort] = [await freePort(), await freePort()];
    const cameras: Record<string, unknown> = {};
    for (const s of scenarios) {
      const fps = Math.max(...Object.values(s.plugins).map((p) => p.fps ?? 10));
      cameras[s.name] = {
        push: true,
        ...(s.gate ? { gate: s.gate } : {}),
        detect: { width: s.scene.camera.width, height: s.scene.camera.height, fps },
        plugins: Object.fromEntries(Object.entries(s.plugins).map(([name, p]) => [name, {
          ...(p.fps ? { fps: p.fps } : {}), ...(p.latencyBudgetMs ? { latencyBudgetMs: p.latencyBudgetMs } : {}),
          config: p.config ?? {}, zones: p.zones ?? {}, lines: p.lines ?? {},
        }])),
      };
    }
    const config = parseConfigText(JSON.stringify({
      log: { level: 'warn' },
      http: { host: '127.0.0.1', port: httpPort },
      rtsp: { host: '127.0.0.1', port: rtspPort },
      storage: { path: join(dir, 'data') },
      cameras,
    }), 'accuracy.yaml');
    const server = await startServer(config);
    const base = `http://127.0.0.1:${httpPort}`;
    const firstUnitAt = new Map<string, number>();
    try {
      for (const s of scenarios) {
        const stream = server.cameras.get(s.name)!.stream;
        const reader = stream.addReader({
          name: 'accuracy-clock',
          write: (unit) => {
            if (unit.kind !== 'video' || firstUnitAt.has(s.name)) return;
            firstUnitAt.set(s.name, performance.timeOrigin + unit.receivedAt);
            queueMicrotask(() => reader.close());
          },
        }, { gop: false });
      }
      const queue = [...scenarios];
      const parallel = Math.max(1, opts.parallel ?? 4);
      await Promise.all(Array.from({ length: Math.min(parallel, queue.length) }, async () => {
        for (let s = queue.shift(); s; s = queue.shift()) {
          log(`playing ${s.name} into the server (${s.scene.durationS} s)`);
          await publish(files.get(s.name)!, s.scene.fps, `rtsp://127.0.0.1:${rtspPort}/${s.name}`);
        }
      }));
      // Let the last frames through the decoder and the plugins, and the events reach the store.
      await new Promise((r) => setTimeout(r, 3000));
      const outcomes: ScenarioOutcome[] = [];
      const stats = (await (await fetch(`${base}/api/plugins`)).json()) as (ScenarioOutcome['plugins'][number] & { camera: string })[];
      for (const s of scenarios) {
        const t0 = firstUnitAt.get(s.name);
        if (t0 === undefined) throw new Error(`${s.name}: no video reached the server`);
        const events: PlayedEvent[] = [];
        let next: string | null = null;
        do {
          const page = (await (await fetch(`${base}/api/events?camera=${s.name}&limit=500${next ? `&cursor=${next}` : ''}`)).json()) as { events: { plugin: string; type: string; startedAt: number; trackId?: number; attributes?: Record<string, unknown>; evidence?: { label: string }[] }[]; next: string | null };
          for (const e of page.events) {
            const ev: PlayedEvent = { plugin: e.plugin, type: e.type, timeS: (e.startedAt - t0) / 1000, trackId: e.trackId, attributes: e.attributes };
            if (e.evidence) ev.evidence = e.evidence.map((x) => x.label);
            events.push(ev);
          }
          next = page.next;
        } while (next);
        const rows = (await (await fetch(`${base}/api/counts?camera=${s.name}&bucket=day&from=${Math.floor(t0) - 86_400_000}`)).json()) as { counts: { line: string; cls: string; direction: string; count: number }[] };
        const tally = new Map<string, { line: string; cls: string; direction: string; n: number }>();
        for (const r of rows.counts) {
          const key = `${r.line}/${r.cls}/${r.direction}`;
          const entry = tally.get(key) ?? { line: r.line, cls: r.cls, direction: r.direction, n: 0 };
          entry.n += r.count;
          tally.set(key, entry);
        }
        const plugins = stats.filter((p) => p.camera === s.name)
          .map(({ plugin, processed, skipped, stale, misses, restarts, p99 }) => ({ plugin, processed, skipped, stale, misses, restarts, p99 }));
        outcomes.push({ scenario: s, events: events.sort((a, b) => a.timeS - b.timeS), counts: [...tally.values()], plugins });
      }
      return outcomes;
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Scores outcomes per plugin (see the file comment). */
export function scoreOutcomes(outcomes: ScenarioOutcome[]): PluginAccuracy[] {
  const byPlugin = new Map<string, ScenarioOutcome[]>();
  for (const o of outcomes) byPlugin.set(o.scenario.plugin, [...(byPlugin.get(o.scenario.plugin) ?? []), o]);
  const out: PluginAccuracy[] = [];
  for (const [plugin, list] of byPlugin) {
    let tp = 0, fp = 0, fn = 0, quietEvents = 0, quietHours = 0;
    const counts = new Map<string, { counted: number; truth: number }>();
    for (const o of list) {
      const s = o.scenario;
      const got = o.events.filter((e) => e.plugin === plugin);
      if (s.events.length === 0 && s.scoredTypes.length > 0) {
        quietEvents += got.filter((e) => s.scoredTypes.includes(e.type)).length;
        quietHours += s.scene.durationS / 3600;
      } else {
        const sc = scoreEvents(s.events, got, s.scoredTypes);
        tp += sc.tp;
        fp += sc.fp;
        fn += sc.fn;
      }
      for (const c of s.counts ?? []) {
        const e = counts.get(c.cls) ?? { counted: 0, truth: 0 };
        e.truth += c.n;
        counts.set(c.cls, e);
      }
      if (s.counts) {
        for (const c of o.counts) {
          const e = counts.get(c.cls) ?? { counted: 0, truth: 0 };
          e.counted += c.n;
          counts.set(c.cls, e);
        }
      }
    }
    const acc: PluginAccuracy = {
      plugin, scenarios: list.length, ...eventRates(tp, fp, fn),
      falseAlarmsPerCameraHour: quietHours > 0 ? quietEvents / quietHours : 0,
      quietHours,
    };
    if (counts.size > 0) {
      acc.countError = Object.fromEntries([...counts].map(([cls, c]) => [cls, { ...c, error: c.truth > 0 ? Math.abs(c.counted - c.truth) / c.truth : c.counted }]));
    }
    out.push(acc);
  }
  return out;
}

/** ffmpeg -re copies the file into the server as an RTSP push; resolves when it has sent it all. */
function publish(file: string, fps: number, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ff = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'h264', '-framerate', String(fps), '-i', file, '-c', 'copy', '-f', 'rtsp', '-rtsp_transport', 'tcp', url], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    ff.stderr.on('data', (d: Buffer) => (err += d.toString()));
    ff.on('error', reject);
    ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg publish of ${file} exited ${code}: ${err.trim()}`))));
  });
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const onlyIdx = argv.indexOf('--only');
  const only = onlyIdx >= 0 ? (argv[onlyIdx + 1] ?? '').split(',') : undefined;
  let scenarios = await allScenarios();
  if (only) scenarios = scenarios.filter((s) => only.includes(s.plugin) || only.includes(s.name));
  const log = json ? () => {} : (s: string) => console.log(`  ${s}`);
  const t0 = Date.now();
  const outcomes = await playThroughServer(scenarios, { log });
  const results = scoreOutcomes(outcomes);
  if (json) {
    console.log(JSON.stringify({ results, scenarios: outcomes.map((o) => ({ name: o.scenario.name, plugin: o.scenario.plugin, durationS: o.scenario.scene.durationS, expected: o.scenario.events.length, raised: o.events.length })) }, null, 2));
    return;
  }
  console.log(`\nbench accuracy: ${scenarios.length} scenarios through the server in ${((Date.now() - t0) / 1000).toFixed(0)} s (goals: precision, recall ≥ 95%; count error ≤ 2%; ≤ 1 false alarm per camera-hour)\n`);
  console.log('plugin       scenarios   tp   fp   fn  precision  recall     F1   false alarms/cam-h (quiet h)');
  for (const r of results) {
    console.log(`${r.plugin.padEnd(12)} ${String(r.scenarios).padStart(9)} ${String(r.tp).padStart(4)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)} ${pct(r.precision).padStart(10)} ${pct(r.recall).padStart(7)} ${pct(r.f1).padStart(6)}   ${r.falseAlarmsPerCameraHour.toFixed(1).padStart(6)} (${r.quietHours.toFixed(2)})`);
    for (const [cls, c] of Object.entries(r.countError ?? {})) console.log(`    ${cls.padEnd(10)} counted ${String(c.counted).padStart(4)}  true ${String(c.truth).padStart(4)}  error ${pct(c.error)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
