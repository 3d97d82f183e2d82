/**
 * How many cameras this machine carries: `streamsight bench capacity [--json] [--quick] [profile options]`.
 *
 * Synthetic cameras (one clip, published by bench/capacity/publisher.ts without re-encoding) are
 * added until a limit breaks (bench/capacity/limits.ts: decode behind, a plugin missing its budget
 * on more than 1 % of frames, relay loss above 0.1 %, the server's CPU saturated); the count is
 * then bisected to the most cameras sustained for a full hold (bench/capacity/search.ts). Each
 * count is a fresh server (bench/capacity/trial.ts). Reported: that maximum, the limit that bound
 * it, CPU per stage (decode, plugins, relay, the rest; bench/capacity/probe.ts says how threads
 * are told apart) and memory. Progress goes to stderr; the run to PREFIX.json and PREFIX.html
 * (charts, self-contained).
 *
 *   node --import tsx bench/capacity.ts [--quick] [--json] [--out PREFIX]
 *     [--width 1280 --height 720 --fps 15 --gop 30 --kbps 2000]
 *     [--detect-width 640 --detect-height 360 --detect-fps 5] [--plugins red-light,lane,parking,counting|none]
 *     [--viewers 1] [--budget-ms N] [--source FILE|testsrc2] [--start 1] [--max-cameras 32] [--ramp-hold 20] [--hold 60]
 *   node --import tsx bench/capacity.ts --compare A.json B.json
 *
 * --quick (2 then 3 cameras, 15 s holds) checks the harness end to end in about two minutes; its
 * holds carry too few frames for the 1 % and 0.1 % limits to mean much.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, getPriority, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { capacityClip, pickSource } from './capacity/clip.js';
import { reportHtml } from './capacity/html.js';
import { runtimeThreadCount } from './capacity/probe.js';
import { DEFAULT_PROFILE, describeProfile, type Profile } from './capacity/profile.js';
import { compareTable, summarize, summaryText, trialTable, type CapacityRun } from './capacity/report.js';
import { CapacitySearch, type SearchOptions } from './capacity/search.js';
import { failedToStart, runTrial, type TrialResult } from './capacity/trial.js';
import { killChildren, ROOT } from './lib.js';

const say = (s: string) => process.stderr.write(`${s}\n`);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    compare: { type: 'boolean', default: false },
    out: { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
    fps: { type: 'string' },
    gop: { type: 'string' },
    kbps: { type: 'string' },
    'detect-width': { type: 'string' },
    'detect-height': { type: 'string' },
    'detect-fps': { type: 'string' },
    plugins: { type: 'string' },
    viewers: { type: 'string' },
    'budget-ms': { type: 'string' },
    source: { type: 'string' },
    start: { type: 'string' },
    'max-cameras': { type: 'string' },
    'ramp-hold': { type: 'string' },
    hold: { type: 'string' },
  },
});

/** A numeric option, or its default; exits with a usage message when it is not a number ≥ min. */
function num(name: keyof typeof values, def: number, min = 0): number {
  const v = values[name];
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n < min) {
    say(`bench capacity: --${name}: expected a number ≥ ${min}, got "${String(v)}"`);
    process.exit(2);
  }
  return n;
}

if (values.compare) {
  if (positionals.length !== 2) {
    say('usage: bench capacity --compare A.json B.json');
    process.exit(2);
  }
  const [a, b] = positionals.map((p) => JSON.parse(readFileSync(p, 'utf8')) as CapacityRun);
  console.log(compareTable(a!, b!, [positionals[0]!, positionals[1]!]));
  process.exit(0);
}

const d = DEFAULT_PROFILE;
const profile: Profile = {
  width: num('width', d.width, 16),
  height: num('height', d.height, 16),
  fps: num('fps', d.fps, 1),
  gop: num('gop', d.gop, 1),
  kbps: num('kbps', d.kbps, 50),
  detectWidth: num('detect-width', d.detectWidth, 16),
  detectHeight: num('detect-height', d.detectHeight, 16),
  detectFps: num('detect-fps', d.detectFps, 0.1),
  plugins: values.plugins === undefined ? [...d.plugins] : values.plugins === 'none' ? [] : values.plugins.split(',').filter(Boolean),
  viewersPerCamera: num('viewers', d.viewersPerCamera, 0),
  ...(values['budget-ms'] === undefined ? {} : { budgetMs: num('budget-ms', 0, 1) }),
  source: pickSource(values.source),
};
const schedule: SearchOptions = {
  start: num('start', values.quick ? 2 : 1, 1),
  maxCameras: num('max-cameras', values.quick ? 3 : 32, 1),
  rampHoldS: num('ramp-hold', values.quick ? 15 : 20, 5),
  holdS: num('hold', values.quick ? 15 : 60, 5),
};
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
const prefix = values.out ?? join(ROOT, 'bench', '.cache', `capacity-${stamp}`);

const started = performance.now();
say(`capacity: ${describeProfile(profile)}`);
if (profile.source === 'testsrc2' && values.source === undefined) say('  (data/demo/intersection.h264 not rendered: `make demo` renders it; using testsrc2)');
say(`  encoding the clip from ${profile.source} ...`);
const clip = capacityClip({ width: profile.width, height: profile.height, fps: profile.fps, gop: profile.gop, kbps: profile.kbps, source: profile.source, seconds: 120 });

const runtimeThreads = await runtimeThreadCount();
const search = new CapacitySearch(schedule);
const trials: TrialResult[] = [];
try {
  for (let trial = search.next(); trial; trial = search.next()) {
    say(`  ${trial.phase}: ${trial.cameras} camera(s), hold ${trial.holdS} s (${((performance.now() - started) / 60_000).toFixed(1)} min so far) ...`);
    const t0 = performance.now();
    const r = await runTrial(profile, trial, clip, runtimeThreads)
      .catch((err: Error) => failedToStart(trial, err.message, (performance.now() - t0) / 1000));
    trials.push(r);
    say(`  ${trial.phase}: ${trial.cameras} camera(s) ${r.passed ? 'passed' : `FAILED (${r.error ? `did not start: ${r.error}` : r.checks.filter((c) => c.broken).map((c) => `${c.limit}: ${c.detail}`).join('; ')})`}` +
      `; server ${r.cores.server.toFixed(2)} cores, started in ${r.startupS.toFixed(0)} s${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`);
    search.record(trial, r.passed);
  }
} finally {
  killChildren();
}

const run: CapacityRun = {
  bench: 'capacity',
  version: 1,
  date: new Date().toISOString(),
  host: { cores: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, nice: getPriority(), loadAverage1m: loadavg()[0]! },
  profile,
  schedule,
  quick: values.quick!,
  ...summarize(trials, search.result()),
  trials,
  durationS: (performance.now() - started) / 1000,
};
mkdirSync(dirname(prefix), { recursive: true });
writeFileSync(`${prefix}.json`, `${JSON.stringify(run, null, 2)}\n`);
writeFileSync(`${prefix}.html`, reportHtml(run));
say(`  wrote ${prefix}.json and ${prefix}.html`);
if (values.json) process.stdout.write(`${JSON.stringify(run)}\n`);
else console.log(`${trialTable(run.trials)}\n\n${summaryText(run)}`);
process.exit(0);
