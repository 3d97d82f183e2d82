/**
 * What `bench capacity` writes and prints (pure): the run as saved to JSON, its summary, the
 * per-trial table, and the side-by-side table of `--compare A.json B.json`.
 */
import type { LimitName } from './limits.js';
import { describeProfile, type Profile } from './profile.js';
import type { SearchOptions } from './search.js';
import type { StageCores, TrialResult } from './trial.js';

/** A whole run, as saved to the JSON file. */
export interface CapacityRun {
  bench: 'capacity';
  version: 1;
  date: string;
  host: { cores: number; cpuModel: string; node: string; nice: number; loadAverage1m: number };
  profile: Profile;
  schedule: SearchOptions;
  quick: boolean;
  /** The most cameras sustained for a full hold. */
  maxCameras: number;
  /** The failing count right above the maximum and what broke there; absent when maxCameras itself passed. */
  bound?: { cameras: number; limits: LimitName[]; details: string[] };
  /** The full hold that established the maximum (absent when nothing passed). */
  atMax?: StageReport;
  /** The measured trial at the bound (absent when it never started or nothing broke). */
  atBound?: StageReport;
  /**
   * An extrapolation, not a measurement: cameras whose server CPU (per camera, at the maximum or
   * else at the bound) fits 95 % of the cores, i.e. the count if CPU were the only limit.
   */
  cpuOnlyEstimate?: number;
  trials: TrialResult[];
  durationS: number;
}

/** CPU by stage and memory of one trial. */
export interface StageReport {
  cameras: number;
  cores: StageCores;
  perCamera: StageCores;
  memoryMiB: TrialResult['memoryMiB'];
  harnessCores: number;
  machineBusy: number;
  runQueueWait: TrialResult['runQueueWait'];
}

function stageReport(t: TrialResult): StageReport {
  return {
    cameras: t.cameras, cores: t.cores, perCamera: perCamera(t.cores, t.cameras), memoryMiB: t.memoryMiB,
    harnessCores: t.harnessCores, machineBusy: t.machineBusy, runQueueWait: t.runQueueWait,
  };
}

const f = (n: number | undefined, d: number) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));

/** "plugins, relay" or the trial's start error. */
export function boundText(t: TrialResult): string {
  if (t.error) return `did not start: ${t.error}`;
  return t.checks.filter((c) => c.broken).map((c) => `${c.limit}: ${c.detail}`).join('; ');
}

/** Each stage's cores divided by the camera count. */
export function perCamera(c: StageCores, cameras: number): StageCores {
  const k = 1 / Math.max(1, cameras);
  return { decode: c.decode * k, plugins: c.plugins * k, relay: c.relay * k, rest: c.rest * k, server: c.server * k };
}

/** Fills in the answer of a run from its trials and the search's result. */
export function summarize(trials: TrialResult[], result: { maxCameras: number; boundAt?: number }): Pick<CapacityRun, 'maxCameras' | 'bound' | 'atMax' | 'atBound' | 'cpuOnlyEstimate'> {
  const out: ReturnType<typeof summarize> = { maxCameras: result.maxCameras };
  const failedAt = result.boundAt === undefined ? undefined : [...trials].reverse().find((t) => t.cameras === result.boundAt && !t.passed);
  if (failedAt) {
    const broken = failedAt.checks.filter((c) => c.broken);
    out.bound = {
      cameras: failedAt.cameras,
      limits: failedAt.error ? [] : broken.map((c) => c.limit),
      details: failedAt.error ? [`did not start: ${failedAt.error}`] : broken.map((c) => `${c.limit}: ${c.detail}`),
    };
    if (failedAt.heldS > 0) out.atBound = stageReport(failedAt);
  }
  const best = [...trials].reverse().find((t) => t.cameras === result.maxCameras && t.passed && t.heldS >= t.holdS);
  if (best) out.atMax = stageReport(best);
  const basis = out.atMax ?? out.atBound;
  const cores = trials[0]?.measure.cores;
  if (basis && cores && basis.perCamera.server > 0) out.cpuOnlyEstimate = Math.floor((0.95 * cores) / basis.perCamera.server);
  return out;
}

/** The per-trial table, one line per trial. */
export function trialTable(trials: readonly TrialResult[]): string {
  const head = 'phase    cameras  held s  result  server cores  decode  plugins  relay  rest   harness  machine  runq wait  RSS MiB  decode fps  plugin miss %  loss %   broke';
  const rows = trials.map((t) => {
    const m = t.measure;
    const slowest = m.decodedFps.length ? Math.min(...m.decodedFps) : NaN;
    const miss = t.checks.find((c) => c.limit === 'plugins')?.value;
    const loss = t.checks.find((c) => c.limit === 'relay')?.value;
    return `${t.phase.padEnd(7)}  ${String(t.cameras).padStart(7)}  ${f(t.heldS, 0).padStart(6)}  ${(t.passed ? 'pass' : 'FAIL').padEnd(6)}  ` +
      `${f(t.cores.server, 2).padStart(12)}  ${f(t.cores.decode, 2).padStart(6)}  ${f(t.cores.plugins, 2).padStart(7)}  ${f(t.cores.relay, 2).padStart(5)}  ` +
      `${f(t.cores.rest, 2).padStart(4)}  ${f(t.harnessCores, 2).padStart(7)}  ${`${f(t.machineBusy * 100, 0)} %`.padStart(7)}  ` +
      `${`${f(t.runQueueWait?.mean, 2)}/${f(t.runQueueWait?.worst2s, 2)}`.padStart(9)}  ` +
      `${f(t.memoryMiB.total, 0).padStart(7)}  ${f(slowest, 2).padStart(10)}  ${f(miss === undefined ? undefined : miss * 100, 2).padStart(13)}  ` +
      `${f(loss === undefined ? undefined : loss * 100, 3).padStart(6)}   ${t.passed ? '' : boundText(t)}`;
  });
  return [head, ...rows].join('\n');
}

/** The run's answer in a few lines. */
export function summaryText(run: CapacityRun): string {
  const lines = [`capacity: ${describeProfile(run.profile)}`,
    `machine: ${run.host.cores} cores (${run.host.cpuModel}), node ${run.host.node}, bench niceness ${run.host.nice}; ` +
    `held ${run.schedule.rampHoldS} s per ramp step, ${run.schedule.holdS} s per bisection candidate; ${f(run.durationS / 60, 1)} min`];
  lines.push(`maximum sustained for ${run.schedule.holdS} s: ${run.maxCameras} camera(s)`);
  if (run.bound) lines.push(`bound at ${run.bound.cameras} camera(s) by: ${run.bound.details.join('; ')}`);
  else lines.push(`no limit broke up to --max-cameras ${run.schedule.maxCameras}`);
  const stages = (a: StageReport, what: string) => {
    const c = a.cores, p = a.perCamera;
    lines.push(`CPU ${what}, cores (per camera): decode ${f(c.decode, 2)} (${f(p.decode, 3)}), plugins ${f(c.plugins, 2)} (${f(p.plugins, 3)}), ` +
      `relay ${f(c.relay, 2)} (${f(p.relay, 3)}), rest ${f(c.rest, 2)} (${f(p.rest, 3)}), server total ${f(c.server, 2)} (${f(p.server, 3)})`);
    lines.push(`memory ${what}: server ${f(a.memoryMiB.server, 0)} MiB + decoders ${f(a.memoryMiB.decoders, 0)} MiB = ` +
      `${f(a.memoryMiB.total, 0)} MiB (${f(a.memoryMiB.total / Math.max(1, a.cameras), 0)} MiB per camera)`);
    lines.push(`harness ${what} (publisher + viewers, not the server): ${f(a.harnessCores, 2)} cores; whole machine ${f(a.machineBusy * 100, 0)} % busy; ` +
      `server waiting for a CPU ${f(a.runQueueWait.mean, 2)} s/s (worst 2 s: ${f(a.runQueueWait.worst2s, 2)})`);
  };
  if (run.atMax) stages(run.atMax, `at the maximum, ${run.atMax.cameras} camera(s)`);
  if (run.atBound) stages(run.atBound, `at the bound, ${run.atBound.cameras} camera(s), failing`);
  if (run.cpuOnlyEstimate !== undefined) {
    lines.push(`if CPU were the only limit (95 % of ${run.host.cores} cores at the server CPU per camera above): about ${run.cpuOnlyEstimate} camera(s) — an extrapolation, not measured`);
  }
  return lines.join('\n');
}

/** One row of the compare table: a label and how to read it from a run. */
interface CompareRow {
  label: string;
  value: (r: CapacityRun) => number | string | undefined;
  digits?: number;
}

const ROWS: CompareRow[] = [
  { label: 'date', value: (r) => r.date.slice(0, 16).replace('T', ' ') },
  { label: 'camera stream', value: (r) => `${r.profile.width}x${r.profile.height} ${r.profile.fps} fps` },
  { label: 'GOP, kbit/s', value: (r) => `${r.profile.gop}, ${r.profile.kbps}` },
  { label: 'detect', value: (r) => `${r.profile.detectWidth}x${r.profile.detectHeight} ${r.profile.detectFps} fps` },
  { label: 'plugins', value: (r) => r.profile.plugins.join('+') || 'none' },
  { label: 'plugin budget ms', value: (r) => (r.profile.budgetMs === undefined ? "plugins' own" : String(r.profile.budgetMs)) },
  { label: 'viewers/camera', value: (r) => r.profile.viewersPerCamera, digits: 0 },
  { label: 'hold s', value: (r) => r.schedule.holdS, digits: 0 },
  { label: 'machine cores', value: (r) => r.host.cores, digits: 0 },
  { label: 'max cameras', value: (r) => r.maxCameras, digits: 0 },
  { label: 'bound by', value: (r) => (r.bound ? r.bound.limits.join(', ') || 'did not start' : 'none') },
  { label: 'CPU-only estimate (extrapolated)', value: (r) => r.cpuOnlyEstimate, digits: 0 },
  { label: 'server cores at max', value: (r) => r.atMax?.cores.server, digits: 2 },
  { label: 'decode cores/camera', value: (r) => r.atMax?.perCamera.decode, digits: 3 },
  { label: 'plugins cores/camera', value: (r) => r.atMax?.perCamera.plugins, digits: 3 },
  { label: 'relay cores/camera', value: (r) => r.atMax?.perCamera.relay, digits: 3 },
  { label: 'rest cores/camera', value: (r) => r.atMax?.perCamera.rest, digits: 3 },
  { label: 'memory MiB at max', value: (r) => r.atMax?.memoryMiB.total, digits: 0 },
  { label: 'memory MiB/camera', value: (r) => (r.atMax ? r.atMax.memoryMiB.total / Math.max(1, r.maxCameras) : undefined), digits: 0 },
  { label: 'harness cores at max', value: (r) => r.atMax?.harnessCores, digits: 2 },
  { label: 'run-queue wait at max s/s', value: (r) => r.atMax?.runQueueWait.mean, digits: 2 },
  { label: 'machine busy at max %', value: (r) => (r.atMax ? r.atMax.machineBusy * 100 : undefined), digits: 0 },
  { label: 'run minutes', value: (r) => r.durationS / 60, digits: 1 },
];

/** `--compare`: two runs side by side, with B − A for the numbers; `names` (their files) head the table. */
export function compareTable(a: CapacityRun, b: CapacityRun, names: [string, string] = ['A', 'B']): string {
  const cell = (v: number | string | undefined, d = 2) => (typeof v === 'number' ? f(v, d) : (v ?? '-'));
  const rows = ROWS.map((row) => {
    const va = row.value(a), vb = row.value(b);
    const delta = typeof va === 'number' && typeof vb === 'number' ? `${vb - va >= 0 ? '+' : ''}${f(vb - va, row.digits ?? 2)}` : '';
    return [row.label, cell(va, row.digits), cell(vb, row.digits), delta];
  });
  const header = ['', 'A', 'B', 'B − A'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [`A: ${names[0]}`, `B: ${names[1]}`, '', line(header), ...rows.map(line)].join('\n');
}
