/**
 * `streamsight bench accuracy [--json] [--only NAME,...] [--parallel N] [--cache DIR] [--quiet-hours H]`: every
 * scenario of bench/scenes played through the real server path and scored against the scenes' exact ground truth.
 * With --quiet-hours, instead, each public-safety plugin's (or each --only plugin's) violation-free scenes on fresh
 * seeds, H hours of them per plugin (bench/scenes/quiet.ts): its false alarms per camera-hour.
 *
 *   scene → H.264 file → ffmpeg -re → RTSP push → stream hub → decoder → frame ring → plugin workers
 *         → event store / count store → GET /api/events, GET /api/counts, GET /api/reports/objects → scored here
 *
 * Scene time of an event: the pts of the frame it was raised on, from the first unit's. Its
 * startedAt is that frame's capturedAt, and the camera's decoded frames (FrameRefs: pts and
 * capturedAt) map it back to its pts. A reader on the camera's stream reports how far arrivals
 * strayed from the scene clock (a publisher that falls behind under load and catches up in a
 * burst); the server stamps frames on the pts clock, so that does not move speeds or dwell times.
 * Events match the truth one-to-one by type within ±1 s, or the expected event's own tolerance
 * (scoreEvents).
 *
 * Per plugin it prints event precision, recall and F1 over its violation scenarios, false alarms per
 * camera-hour over its violation-free scenarios, and for counting (and object statistics) the count
 * error per class.
 * Goals (issue 4): precision and recall ≥ 0.95, count error ≤ 2 % per class, ≤ 1 false alarm per
 * camera-hour.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../config/load.js';
import { startServer } from '../core/server.js';
import { freePort, publish } from './lib.js';
import { eventRates, scoreEvents, type PlayedEvent } from './scenes/play.js';
import { HELD_OUT_PREFIX } from './scenes/counting.js';
import { allScenarios } from './scenes/index.js';
import { QUIET_PLUGINS, quietScenes } from './scenes/quiet.js';
import type { Scenario } from './scenes/scenario.js';
import { clipFile, encodeScene } from './scenes/traffic.js';

/** What one scenario produced through the server. */
export interface ScenarioOutcome {
  scenario: Scenario;
  events: PlayedEvent[];
  counts: { line: string; cls: string; direction: string; n: number }[];
  /** Objects seen per class (GET /api/reports/objects over the days the scenario spanned). */
  objects: { cls: string; n: number }[];
  /** The plugins' stats on this camera at the end (GET /api/plugins): processed, skipped, misses, restarts. */
  plugins: { plugin: string; processed: number; skipped: number; stale: number; misses: number; restarts: number; p99: number }[];
  /** Largest lag (ms, ≥ 0) and lead (ms, ≤ 0) of a video unit's arrival against the scene clock (its pts). */
  clock: { lateMs: number; earlyMs: number };
}

/** The first video unit's arrival and pts, and the extremes of later arrivals against them. */
interface ArrivalClock {
  first: { at: number; pts: number } | undefined;
  lateMs: number;
  earlyMs: number;
  /** Scene seconds by a decoded frame's capturedAt (epoch ms, FrameRef.capturedAt). */
  sceneS: Map<number, number>;
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
  /** Alerts in the quiet scenes that a near miss of the truth explains (optional truths): not false alarms. */
  quietNearMisses: number;
  /** counting: |counted − true| / true per class, over all its scenarios. */
  countError?: Record<string, CountError>;
  /** The same over the held-out scenarios only (named `held-out-…`: not used while tuning). */
  countErrorHeldOut?: Record<string, CountError>;
  /** Object statistics: |reported − true| / true objects seen per class, over all its scenarios, and the held-out ones. */
  objectError?: Record<string, CountError>;
  objectErrorHeldOut?: Record<string, CountError>;
  /** The same per event type: matches on its violation scenes, and raised on its violation-free ones. */
  byType: Record<string, { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number; quietEvents: number }>;
}

/**
 * Plays `scenarios` through the server, at most `parallel` at a time; returns what each produced.
 * All scenes render first (rendering on this thread would stall the server's). Each scenario then
 * gets a server of its own with just its camera, started when it is its turn: a server with every
 * camera at once starts all their plugin workers together, which on a busy machine takes longer
 * than the host allows a worker to start.
 */
export async function playThroughServer(scenarios: Scenario[], opts: { parallel?: number; log?: (s: string) => void; cacheDir?: string; clips?: Record<string, string> } = {}): Promise<ScenarioOutcome[]> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-accuracy-'));
  try {
    const files = new Map<string, string>();
    for (const s of scenarios) {
      // A clip prepared by the caller (real footage) plays as it is.
      const given = opts.clips?.[s.name];
      if (given) {
        files.set(s.name, given);
        continue;
      }
      const file = clipFile(opts.cacheDir ?? dir, s.name, s.scene);
      files.set(s.name, file);
      if (opts.cacheDir && existsSync(file)) continue;
      log(`rendering ${s.name} (${s.scene.durationS} s)`);
      await encodeScene(s.scene, file);
    }
    const queue = [...scenarios];
    const outcomes = new Map<string, ScenarioOutcome>();
    await Promise.all(Array.from({ length: Math.min(Math.max(1, opts.parallel ?? 4), queue.length) }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) outcomes.set(s.name, await playOne(s, files.get(s.name)!, join(dir, `${s.name}-data`), log));
    }));
    return scenarios.map((s) => outcomes.get(s.name)!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One scenario's camera on a server of its own: started, played, read back, closed. */
async function playOne(s: Scenario, file: string, storage: string, log: (s: string) => void): Promise<ScenarioOutcome> {
  const [httpPort, rtspPort] = [await freePort(), await freePort()];
  const fps = Math.max(...Object.values(s.plugins).map((p) => p.fps ?? 10));
  const camera = {
    push: true,
    ...(s.gate ? { gate: s.gate } : {}),
    detect: { width: s.scene.camera.width, height: s.scene.camera.height, fps },
    plugins: Object.fromEntries(Object.entries(s.plugins).map(([name, p]) => [name, {
      ...(p.fps ? { fps: p.fps } : {}), ...(p.latencyBudgetMs ? { latencyBudgetMs: p.latencyBudgetMs } : {}),
      config: p.config ?? {}, zones: p.zones ?? {}, lines: p.lines ?? {},
    }])),
  };
  const config = parseConfigText(JSON.stringify({
    log: { level: 'warn' },
    http: { host: '127.0.0.1', port: httpPort },
    rtsp: { host: '127.0.0.1', port: rtspPort },
    storage: { path: storage },
    // Accuracy is measured on every frame the plugins ask for: load shedding would skip some when scenarios run in parallel.
    overload: { enabled: false },
    cameras: { [s.name]: camera },
  }), 'accuracy.yaml');
  const server = await startServer(config);
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    const clock: ArrivalClock = { first: undefined, lateMs: 0, earlyMs: 0, sceneS: new Map() };
    server.cameras.get(s.name)!.stream.addReader({
      name: 'accuracy-clock',
      write: (unit) => {
        if (unit.kind !== 'video') return;
        clock.first ??= { at: unit.receivedAt, pts: unit.pts };
        // Arrival against the scene clock: how far a publisher that falls behind and catches up strays.
        const skew = unit.receivedAt - clock.first.at - (unit.pts - clock.first.pts) / 90;
        clock.lateMs = Math.max(clock.lateMs, skew);
        clock.earlyMs = Math.min(clock.earlyMs, skew);
      },
    }, { gop: false });
    await pluginsRunning(base, 120_000);
    // Frames exist once plugins run; an event's startedAt is the capturedAt of the frame it was raised
    // on, or a time between two frames' (a tripwire dated to when the foot stepped over the line).
    server.cameras.get(s.name)!.frames!.on('frame', (ref) => {
      if (clock.first) clock.sceneS.set(ref.capturedAt, (ref.pts - clock.first.pts) / 90_000);
    });
    log(`playing ${s.name} into the server (${s.scene.durationS} s)`);
    await publish(file, s.scene.fps, `rtsp://127.0.0.1:${rtspPort}/${s.name}`);
    // Let the last frames through the decoder and the plugins, and the events reach the store.
    await new Promise((r) => setTimeout(r, 3000));
    if (!clock.first) throw new Error(`${s.name}: no video reached the server`);
    const t0 = performance.timeOrigin + clock.first.at;
    const events: PlayedEvent[] = [];
    const sceneTime = frameClock(clock.sceneS);
    let unmapped = 0;
    let next: string | null = null;
    do {
      const page = (await (await fetch(`${base}/api/events?camera=${s.name}&limit=500${next ? `&cursor=${next}` : ''}`)).json()) as { events: { plugin: string; type: string; startedAt: number; zone?: string; trackId?: number; attributes?: Record<string, unknown>; evidence?: { label: string }[] }[]; next: string | null };
      for (const e of page.events) {
        const sceneS = sceneTime(e.startedAt);
        if (sceneS === undefined) unmapped++;
        const ev: PlayedEvent = { plugin: e.plugin, type: e.type, timeS: sceneS ?? (e.startedAt - t0) / 1000, trackId: e.trackId, attributes: e.attributes };
        if (e.zone !== undefined) ev.zone = e.zone;
        if (e.evidence) ev.evidence = e.evidence.map((x) => x.label);
        events.push(ev);
      }
      next = page.next;
    } while (next);
    if (unmapped > 0) log(`${s.name}: ${unmapped} events on capture times outside the decoded frames'; timed from the first arrival instead`);
    const rows = (await (await fetch(`${base}/api/counts?camera=${s.name}&bucket=day&from=${Math.floor(t0) - 86_400_000}`)).json()) as { counts: { line: string; cls: string; direction: string; count: number }[] };
    const tally = new Map<string, { line: string; cls: string; direction: string; n: number }>();
    for (const r of rows.counts) {
      const key = `${r.line}/${r.cls}/${r.direction}`;
      const entry = tally.get(key) ?? { line: r.line, cls: r.cls, direction: r.direction, n: 0 };
      entry.n += r.count;
      tally.set(key, entry);
    }
    const objects = new Map<string, number>();
    // Every local day the scene spanned (one, unless it ran over midnight).
    for (let day = new Date(t0); day.getTime() <= Date.now(); day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
      const date = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
      const report = (await (await fetch(`${base}/api/reports/objects?camera=${s.name}&date=${date}`)).json()) as { byClass: Record<string, number> };
      for (const [cls, n] of Object.entries(report.byClass)) objects.set(cls, (objects.get(cls) ?? 0) + n);
    }
    const stats = (await (await fetch(`${base}/api/plugins`)).json()) as ScenarioOutcome['plugins'];
    const plugins = stats.map(({ plugin, processed, skipped, stale, misses, restarts, p99 }) => ({ plugin, processed, skipped, stale, misses, restarts, p99 }));
    return { scenario: s, events: events.sort((a, b) => a.timeS - b.timeS), counts: [...tally.values()], objects: [...objects].map(([cls, n]) => ({ cls, n })), plugins, clock: { lateMs: clock.lateMs, earlyMs: clock.earlyMs } };
  } finally {
    await server.close();
  }
}

/** Counted and true vehicles of one class. */
interface ClassTally {
  counted: number;
  truth: number;
}

/** A class's tally and its count error |counted − true| / true. */
export interface CountError extends ClassTally {
  error: number;
}

/** Adds a scenario's true and counted vehicles per class to `into`. */
function addCounts(into: Map<string, ClassTally>, o: ScenarioOutcome): Map<string, ClassTally> {
  return addTally(into, o.scenario.counts ?? [], o.counts);
}

/** Adds a scenario's true and reported objects seen per class to `into`. */
function addObjects(into: Map<string, ClassTally>, o: ScenarioOutcome): Map<string, ClassTally> {
  return addTally(into, o.scenario.objects ?? [], o.objects);
}

/**
 * Scene seconds of a capture time: a decoded frame's own, or interpolated between the two frames
 * around it; undefined outside them.
 */
function frameClock(sceneS: ReadonlyMap<number, number>): (at: number) => number | undefined {
  const times = [...sceneS.keys()].sort((a, b) => a - b);
  return (at) => {
    const exact = sceneS.get(at);
    if (exact !== undefined) return exact;
    let lo = 0;
    let hi = times.length - 1;
    if (hi < 1 || at < times[0]! || at > times[hi]!) return undefined;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! <= at) lo = mid;
      else hi = mid;
    }
    const [a, b] = [times[lo]!, times[hi]!];
    return sceneS.get(a)! + ((at - a) / (b - a)) * (sceneS.get(b)! - sceneS.get(a)!);
  };
}

function addTally(into: Map<string, ClassTally>, truth: readonly { cls: string; n: number }[], got: readonly { cls: string; n: number }[]): Map<string, ClassTally> {
  const entry = (cls: string) => into.get(cls) ?? into.set(cls, { counted: 0, truth: 0 }).get(cls)!;
  for (const c of truth) entry(c.cls).truth += c.n;
  for (const c of got) entry(c.cls).counted += c.n;
  return into;
}

function countErrors(counts: Map<string, ClassTally>): Record<string, CountError> {
  return Object.fromEntries([...counts].map(([cls, c]) => [cls, { ...c, error: c.truth > 0 ? Math.abs(c.counted - c.truth) / c.truth : c.counted }]));
}

/** Scores outcomes per plugin (see the file comment). */
export function scoreOutcomes(outcomes: ScenarioOutcome[]): PluginAccuracy[] {
  const byPlugin = new Map<string, ScenarioOutcome[]>();
  for (const o of outcomes) byPlugin.set(o.scenario.plugin, [...(byPlugin.get(o.scenario.plugin) ?? []), o]);
  const out: PluginAccuracy[] = [];
  for (const [plugin, list] of byPlugin) {
    let tp = 0, fp = 0, fn = 0, quietEvents = 0, quietNearMisses = 0, quietHours = 0;
    const counts = new Map<string, ClassTally>();
    const heldOut = new Map<string, ClassTally>();
    const objects = new Map<string, ClassTally>();
    const objectsHeldOut = new Map<string, ClassTally>();
    const types = new Map<string, { tp: number; fp: number; fn: number; quietEvents: number }>();
    const typeOf = (t: string) => types.get(t) ?? types.set(t, { tp: 0, fp: 0, fn: 0, quietEvents: 0 }).get(t)!;
    for (const o of list) {
      const s = o.scenario;
      const got = o.events.filter((e) => e.plugin === plugin);
      if (s.events.every((e) => e.optional) && s.scoredTypes.length > 0) {
        // Quiet: every event is a false alarm, except one a near miss of the truth explains.
        const sc = scoreEvents(s.events, got, s.scoredTypes);
        quietEvents += sc.fp;
        quietNearMisses += sc.nearMisses;
        quietHours += s.scene.durationS / 3600;
        for (const t of s.scoredTypes) typeOf(t).quietEvents += scoreEvents(s.events, got, [t]).fp;
      } else {
        const sc = scoreEvents(s.events, got, s.scoredTypes);
        tp += sc.tp;
        fp += sc.fp;
        fn += sc.fn;
        for (const t of s.scoredTypes) {
          const one = scoreEvents(s.events, got, [t]);
          const acc = typeOf(t);
          [acc.tp, acc.fp, acc.fn] = [acc.tp + one.tp, acc.fp + one.fp, acc.fn + one.fn];
        }
      }
      if (s.counts) {
        addCounts(counts, o);
        if (s.name.startsWith(HELD_OUT_PREFIX)) addCounts(heldOut, o);
      }
      if (s.objects) {
        addObjects(objects, o);
        if (s.name.startsWith(HELD_OUT_PREFIX)) addObjects(objectsHeldOut, o);
      }
    }
    const acc: PluginAccuracy = {
      plugin, scenarios: list.length, ...eventRates(tp, fp, fn),
      falseAlarmsPerCameraHour: quietHours > 0 ? quietEvents / quietHours : 0,
      quietHours,
      quietNearMisses,
      byType: Object.fromEntries([...types].map(([t, c]) => [t, { ...eventRates(c.tp, c.fp, c.fn), quietEvents: c.quietEvents }])),
    };
    if (counts.size > 0) acc.countError = countErrors(counts);
    if (heldOut.size > 0) acc.countErrorHeldOut = countErrors(heldOut);
    if (objects.size > 0) acc.objectError = countErrors(objects);
    if (objectsHeldOut.size > 0) acc.objectErrorHeldOut = countErrors(objectsHeldOut);
    out.push(acc);
  }
  return out;
}

/**
 * Waits until the server's plugins have all started: a worker still starting when the scene begins
 * would miss its first seconds, which is start-up, not accuracy.
 */
async function pluginsRunning(base: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const stats = (await (await fetch(`${base}/api/plugins`)).json()) as { camera: string; state: string }[];
    if (stats.length > 0 && stats.every((p) => p.state === 'running')) return;
    if (Date.now() > until) throw new Error(`plugins not running after ${timeoutMs} ms: ${JSON.stringify(stats.map((p) => [p.camera, p.state]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] ?? '' : undefined);
  const only = arg('--only')?.split(',');
  const parallel = Number(arg('--parallel') ?? 4);
  const cacheDir = arg('--cache');
  if (cacheDir) mkdirSync(cacheDir, { recursive: true });
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be a whole number ≥ 1, got ${arg('--parallel')}`);
  const quietHours = arg('--quiet-hours');
  let scenarios: Scenario[];
  if (quietHours !== undefined) {
    // A long quiet run: the plugins' violation-free scenes on fresh seeds, `quietHours` per plugin.
    const hours = Number(quietHours);
    if (!(hours > 0)) throw new Error(`--quiet-hours must be a number > 0, got '${quietHours}'`);
    scenarios = (only ?? QUIET_PLUGINS).flatMap((plugin) => quietScenes(plugin, hours));
  } else {
    scenarios = await allScenarios();
    if (only) scenarios = scenarios.filter((s) => only.includes(s.plugin) || only.includes(s.name));
  }
  if (scenarios.length === 0) throw new Error(`no scenario matches --only ${only?.join(',')}`);
  const log = json ? () => {} : (s: string) => console.log(`  ${s}`);
  const t0 = Date.now();
  const outcomes = await playThroughServer(scenarios, { parallel, log, ...(cacheDir ? { cacheDir } : {}) });
  const results = scoreOutcomes(outcomes);
  const perScenario = outcomes.map((o) => {
    const sc = scoreEvents(o.scenario.events, o.events.filter((e) => e.plugin === o.scenario.plugin), o.scenario.scoredTypes);
    const counts = o.scenario.counts ? countErrors(addCounts(new Map(), o)) : o.scenario.objects ? countErrors(addObjects(new Map(), o)) : undefined;
    return { name: o.scenario.name, plugin: o.scenario.plugin, durationS: o.scenario.scene.durationS, expected: sc.tp + sc.fn, tp: sc.tp, fp: sc.fp, fn: sc.fn, raised: o.events.length, counts, clock: o.clock, plugins: o.plugins };
  });
  if (json) {
    console.log(JSON.stringify({ results, scenarios: perScenario }, null, 2));
    return;
  }
  console.log(`\nbench accuracy: ${scenarios.length} scenarios through the server, ${parallel} at a time, in ${((Date.now() - t0) / 1000).toFixed(0)} s (goals: precision, recall ≥ 95%; count error ≤ 2%; ≤ 1 false alarm per camera-hour)\n`);
  // Per scenario, with what the host did: frames skipped or workers restarted under load cost events.
  console.log('scenario                  secs  tp  fp  fn   processed skipped restarts  arrival lag/lead ms');
  for (const r of perScenario) {
    const p = r.plugins.find((x) => x.plugin === r.plugin);
    console.log(`${r.name.padEnd(24)} ${String(r.durationS).padStart(5)} ${String(r.tp).padStart(3)} ${String(r.fp).padStart(3)} ${String(r.fn).padStart(3)}   ${String(p?.processed ?? '-').padStart(9)} ${String(p?.skipped ?? '-').padStart(7)} ${String(p?.restarts ?? '-').padStart(8)}  ${r.clock.lateMs.toFixed(0).padStart(8)} / ${r.clock.earlyMs.toFixed(0)}${r.counts ? `  counted − true: ${Object.entries(r.counts).map(([cls, c]) => `${cls} ${c.counted - c.truth >= 0 ? '+' : ''}${c.counted - c.truth}`).join(', ')}` : ''}`);
  }
  console.log('\nplugin / type      scenarios   tp   fp   fn  precision  recall     F1   false alarms/cam-h (quiet h)');
  for (const r of results) {
    console.log(`${r.plugin.padEnd(18)} ${String(r.scenarios).padStart(9)} ${String(r.tp).padStart(4)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)} ${pct(r.precision).padStart(10)} ${pct(r.recall).padStart(7)} ${pct(r.f1).padStart(6)}   ${r.falseAlarmsPerCameraHour.toFixed(1).padStart(6)} (${r.quietHours.toFixed(2)}${r.quietNearMisses > 0 ? `; near misses ${r.quietNearMisses}` : ''})`);
    for (const [type, t] of Object.entries(r.byType)) {
      if (Object.keys(r.byType).length < 2) break;
      const perHour = r.quietHours > 0 ? (t.quietEvents / r.quietHours).toFixed(1) : '-';
      console.log(`  ${type.padEnd(18)} ${''.padStart(7)} ${String(t.tp).padStart(4)} ${String(t.fp).padStart(4)} ${String(t.fn).padStart(4)} ${pct(t.precision).padStart(10)} ${pct(t.recall).padStart(7)} ${pct(t.f1).padStart(6)}   ${perHour.padStart(6)}`);
    }
    for (const [all, heldOut] of [[r.countError, r.countErrorHeldOut], [r.objectError, r.objectErrorHeldOut]] as const) {
      for (const [cls, c] of Object.entries(all ?? {})) {
        const h = heldOut?.[cls];
        const held = h ? `   held out: counted ${String(h.counted).padStart(4)}  true ${String(h.truth).padStart(4)}  error ${pct(h.error)}` : '';
        console.log(`    ${cls.padEnd(10)} counted ${String(c.counted).padStart(4)}  true ${String(c.truth).padStart(4)}  error ${pct(c.error)}${held}`);
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
