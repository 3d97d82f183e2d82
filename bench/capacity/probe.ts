/**
 * Where the server's CPU goes, read from Linux /proc (proc(5)): per thread from
 * /proc/PID/task/TID/stat, the decoder children from /proc/CHILD/stat.
 *
 * Node (20) gives worker threads no OS name (every thread's comm is "node"), so threads are told
 * apart by when they were created (the stat `starttime` field, then the tid) and what they do:
 *   - runtime threads: the oldest R threads (main, V8's platform workers, libuv's pool, the tsx
 *     loader-hooks thread), where R is what a bare `node --import tsx` process has (runtimeThreadCount);
 *   - decoder frame-reader threads: each camera's decoder starts one in the same call that spawns
 *     its ffmpeg child, so the reader is the thread whose starttime is closest to, and not after,
 *     that child's;
 *   - plugin workers: of the threads created after the runtime's (plugin workers, the JPEG snapshot
 *     pool, and one idle loader-hooks thread per worker, which tsx's `--import` adds), the
 *     (cameras × plugins) that used the most CPU in a window where every plugin had frames. The
 *     hooks threads idle after start-up; a snapshot thread busier than a plugin worker would swap
 *     places with it (the error is that thread's CPU);
 *   - the main thread has tid = pid;
 *   - everything else (V8's GC and compiler threads, which also collect the workers' heaps, libuv's
 *     pool, the snapshot pool, LMDB) is "other threads".
 * A thread that exits between two samples takes its CPU out of the per-thread sums (the process
 * total, from /proc/PID/stat, still has it): what no live thread accounts for lands in "other".
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times (USER_HZ; 100 on Linux). */
const HZ = 100;

/** The fields of a /proc stat line after the command name. */
function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone
  }
}

/** utime + stime, seconds (fields 14 and 15 of proc(5); 0-based 11 and 12 after the comm). */
function cpuOf(fields: string[] | undefined): number {
  return fields ? (Number(fields[11]) + Number(fields[12])) / HZ : 0;
}

/** A thread of the server: id, creation time (ticks since boot) and CPU seconds so far. */
export interface ThreadInfo {
  tid: number;
  start: number;
  cpu: number;
}

/** The threads of `pid`, oldest first. */
export function threads(pid: number): ThreadInfo[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadInfo[] = [];
  for (const t of tids) {
    const f = statFields(`/proc/${pid}/task/${t}/stat`);
    if (f) out.push({ tid: Number(t), start: Number(f[19]), cpu: cpuOf(f) });
  }
  return out.sort((a, b) => a.start - b.start || a.tid - b.tid);
}

/** Direct children of `pid` whose command is `comm` (e.g. the server's ffmpeg decoders), with start and CPU. */
export function children(pid: number, comm: string): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${e}/stat`, 'utf8');
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(f[1]) === pid && name === comm) out.push({ tid: Number(e), start: Number(f[19]), cpu: cpuOf(f) });
  }
  return out;
}

/** CPU seconds of a whole process (all its threads, live or exited). */
export function processCpu(pid: number): number {
  return cpuOf(statFields(`/proc/${pid}/stat`));
}

/** Busy and total jiffies of the whole machine (/proc/stat's cpu line; iowait counts as idle). */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!;
  return { busy: total - idle, total };
}

/**
 * How many threads a bare `node --import tsx` process has once started (the runtime's own): a
 * throwaway process is started, and counted once its count has held still for half a second.
 */
export async function runtimeThreadCount(): Promise<number> {
  const p = spawn(process.execPath, ['--import', 'tsx', '-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    let last = -1, still = 0;
    for (let i = 0; i < 150; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const n = threads(p.pid!).length;
      still = n === last && n > 1 ? still + 1 : 0;
      last = n;
      if (still >= 5 && i >= 10) return n;
    }
    throw new Error('could not count the runtime threads of a bare node process');
  } finally {
    p.kill('SIGKILL');
  }
}

/**
 * The plugin workers: of the threads after the oldest `runtime`, not in `exclude`, the `count`
 * that used the most CPU from `before` to `after` (thread lists of the same process).
 */
export function pluginThreads(before: readonly ThreadInfo[], after: readonly ThreadInfo[], runtime: number, count: number, exclude: ReadonlySet<number>): Set<number> {
  const cpu0 = new Map(before.map((t) => [t.tid, t.cpu]));
  const late = after.slice(runtime).filter((t) => !exclude.has(t.tid));
  const used = late.map((t) => ({ tid: t.tid, cpu: t.cpu - (cpu0.get(t.tid) ?? 0) })).sort((a, b) => b.cpu - a.cpu || a.tid - b.tid);
  return new Set(used.slice(0, count).map((t) => t.tid));
}

/**
 * For each decoder child, the thread born closest before it (within `slackTicks`) among `candidates`:
 * its frame reader. Returns the reader tids found.
 */
export function readerThreads(candidates: readonly ThreadInfo[], decoders: readonly ThreadInfo[], slackTicks = 5): Set<number> {
  const found = new Set<number>();
  for (const d of decoders) {
    let best: ThreadInfo | undefined;
    for (const t of candidates) {
      if (found.has(t.tid) || t.start > d.start || d.start - t.start > slackTicks) continue;
      if (!best || t.start > best.start || (t.start === best.start && t.tid > best.tid)) best = t;
    }
    if (best) found.add(best.tid);
  }
  return found;
}

/**
 * Seconds the threads of `pid` (and of its ffmpeg children) have spent runnable but waiting for a
 * CPU (/proc/PID/task/TID/schedstat, second field, ns): how much other work (or each other) held
 * the server off the cores. Threads that exited take theirs with them.
 */
export function runQueueWait(pid: number, decoders: readonly number[]): number {
  let ns = 0;
  const add = (path: string) => {
    try {
      ns += Number(readFileSync(path, 'utf8').split(' ')[1]);
    } catch { /* gone */ }
  };
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch { /* gone */ }
  for (const t of tids) add(`/proc/${pid}/task/${t}/schedstat`);
  for (const d of decoders) add(`/proc/${d}/schedstat`);
  return ns / 1e9;
}

/** One reading of every counter the stage split needs. */
export interface CpuSample {
  at: number;
  process: number;
  main: number;
  plugins: number;
  readers: number;
  decoders: number;
  harness: number;
  /** runQueueWait() of the server and its decoders. */
  waiting: number;
  machine: { busy: number; total: number };
}

/** Reads the server's CPU by stage; `harness` pids are the publisher and viewer processes. */
export function sampleCpu(pid: number, pluginTids: ReadonlySet<number>, readerTids: ReadonlySet<number>, harness: readonly number[]): CpuSample {
  let main = 0, plugins = 0, readers = 0;
  const decoders = children(pid, 'ffmpeg');
  for (const t of threads(pid)) {
    if (t.tid === pid) main = t.cpu;
    else if (pluginTids.has(t.tid)) plugins += t.cpu;
    else if (readerTids.has(t.tid)) readers += t.cpu;
  }
  return {
    at: performance.now() / 1000,
    process: processCpu(pid),
    main,
    plugins,
    readers,
    decoders: decoders.reduce((s, c) => s + c.cpu, 0),
    harness: harness.reduce((s, h) => s + processCpu(h), 0),
    waiting: runQueueWait(pid, decoders.map((d) => d.tid)),
    machine: machineTicks(),
  };
}

/** Cores used by each stage between two samples (CPU seconds per wall second). */
export interface CoreUse {
  /** Server process (all threads) plus its ffmpeg decoders. */
  server: number;
  main: number;
  plugins: number;
  /** ffmpeg decoders plus the frame-reader threads. */
  decode: number;
  /** Server threads that are neither main, plugin nor reader threads. */
  otherThreads: number;
  harness: number;
  /** Seconds per second the server's threads and decoders spent runnable but waiting for a CPU. */
  waiting: number;
  /** Busy share of the whole machine, 0..1. */
  machineBusy: number;
}

/** The cores each stage used from `a` to `b`. */
export function coreUse(a: CpuSample, b: CpuSample): CoreUse {
  const wall = Math.max(1e-3, b.at - a.at);
  const d = (k: 'process' | 'main' | 'plugins' | 'readers' | 'decoders' | 'harness' | 'waiting') => Math.max(0, b[k] - a[k]) / wall;
  const process = d('process');
  return {
    server: process + d('decoders'),
    main: d('main'),
    plugins: d('plugins'),
    decode: d('decoders') + d('readers'),
    otherThreads: Math.max(0, process - d('main') - d('plugins') - d('readers')),
    harness: d('harness'),
    waiting: d('waiting'),
    machineBusy: (b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total),
  };
}
