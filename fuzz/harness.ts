/**
 * The fuzz loop shared by every target: fast-check draws the inputs, the harness times each one,
 * counts crashes instead of stopping at the first, and samples the heap after a forced GC.
 *
 *   for each input (fc.assert, numRuns = runs, fixed seed):
 *     t0 ─ target.run(input) ─ t1      throw = crash (documented errors are caught by the target)
 *     t1 - t0 > slowMs ⇒ run again      slow 3 times = a slow input (one GC pause is not a hang)
 *     every heapEvery inputs: gc(), heapUsed - start > heapBoundMB ⇒ memory failure
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

/** One parser under fuzz. Targets are made by factories, so every run starts with fresh long-lived state. */
export interface FuzzTarget<T> {
  name: string;
  /** What the target feeds and checks, one line (for the CLI listing and README). */
  covers: string;
  arbitrary: fc.Arbitrary<T>;
  /** Parses one input; throws only on a crash: an undocumented exception or a broken invariant. */
  run(input: T): void;
}

/** A broken invariant (as opposed to an exception from the parser itself). */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Throws InvariantError when `cond` is false. */
export function invariant(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

/** Runs `fn`; an exception of one of `documented` is the parser's answer (undefined), anything else escapes. */
export function allowing<R>(documented: ReadonlyArray<abstract new (...args: never[]) => Error>, fn: () => R): R | undefined {
  try {
    return fn();
  } catch (err) {
    if (documented.some((cls) => err instanceof cls)) return undefined;
    throw err;
  }
}

/** One failing input, enough to reproduce it. */
export interface FuzzFailure {
  kind: 'crash' | 'slow' | 'memory';
  message: string;
  /** fast-check's rendering of the input, cut to 2000 characters. */
  input: string;
  /** 0-based input number: `fuzz/run.ts --only <target> --seed <seed> --replay <index>` runs it again. */
  index: number;
  stack?: string;
}

/** The outcome of one target's run. */
export interface FuzzResult {
  name: string;
  seed: number;
  inputs: number;
  crashes: number;
  /** Inputs slower than slowMs 3 times in a row. */
  slowInputs: number;
  slowestMs: number;
  heapStartMB: number;
  heapEndMB: number;
  heapPeakMB: number;
  memoryExceeded: boolean;
  seconds: number;
  inputsPerSec: number;
  /** The first few failures of each kind. */
  failures: FuzzFailure[];
}

/** Options of runTarget. */
export interface RunOptions {
  runs: number;
  seed?: number;
  /** Heap sample period in inputs (default 100 000). */
  heapEvery?: number;
  /** Heap growth over the start that fails the run, MB (default 64). */
  heapBoundMB?: number;
  /** An input slower than this, 3 times, is reported (default 100 ms). */
  slowMs?: number;
  /** Failures kept per run (default 5). */
  keepFailures?: number;
  /** Called every `progressEvery` inputs (default 50 000). */
  onProgress?: (done: number) => void;
  progressEvery?: number;
}

let gcFn: (() => void) | undefined;
/** A forced full GC, so heap samples measure what is live rather than when V8 last collected. */
function collect(): void {
  if (!gcFn) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (g) gcFn = g;
    else {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    }
  }
  gcFn();
}

const MB = 1024 * 1024;

/** Feeds `runs` inputs to the target and reports what broke. Never throws for a crash: it counts it. */
export function runTarget<T>(target: FuzzTarget<T>, opts: RunOptions): FuzzResult {
  const seed = opts.seed ?? Date.now() ^ (Math.random() * 0x7fffffff);
  const heapEvery = opts.heapEvery ?? 100_000;
  const bound = (opts.heapBoundMB ?? 64) * MB;
  const slowMs = opts.slowMs ?? 100;
  const keep = opts.keepFailures ?? 5;
  const progressEvery = opts.progressEvery ?? 50_000;
  const failures: FuzzFailure[] = [];
  const kept = { crash: 0, slow: 0, memory: 0 };
  const note = (f: FuzzFailure): void => {
    if (kept[f.kind]++ < keep) failures.push(f);
  };
  const render = (input: T): string => {
    const s = fc.stringify(input);
    return s.length > 2000 ? `${s.slice(0, 2000)}… (${s.length} chars)` : s;
  };

  collect();
  const heapStart = process.memoryUsage().heapUsed;
  let heapPeak = heapStart;
  let heapLast = heapStart;
  let memoryExceeded = false;
  let inputs = 0;
  let crashes = 0;
  let slowInputs = 0;
  let slowest = 0;

  const timed = (input: T): { ms: number; error?: unknown } => {
    const t0 = performance.now();
    try {
      target.run(input);
      return { ms: performance.now() - t0 };
    } catch (error) {
      return { ms: performance.now() - t0, error };
    }
  };

  const started = performance.now();
  fc.assert(
    fc.property(target.arbitrary, (input) => {
      inputs++;
      let r = timed(input);
      if (r.error !== undefined) {
        crashes++;
        const e = r.error instanceof Error ? r.error : new Error(String(r.error));
        note({ kind: 'crash', message: `${e.name}: ${e.message}`, input: render(input), index: inputs - 1, stack: e.stack });
      }
      // A GC pause or a busy neighbour on a shared machine is not a slow parser: a slow input is slow 3 times.
      for (let retry = 0; retry < 2 && r.ms > slowMs; retry++) {
        const again = timed(input);
        if (again.ms < r.ms) r = again;
      }
      if (r.ms > slowMs) {
        slowInputs++;
        note({ kind: 'slow', message: `${r.ms.toFixed(1)} ms`, input: render(input), index: inputs - 1 });
      }
      if (r.ms > slowest) slowest = r.ms;
      if (inputs % heapEvery === 0) {
        collect();
        heapLast = process.memoryUsage().heapUsed;
        heapPeak = Math.max(heapPeak, heapLast);
        if (heapLast - heapStart > bound && !memoryExceeded) {
          memoryExceeded = true;
          note({ kind: 'memory', message: `heap grew ${((heapLast - heapStart) / MB).toFixed(1)} MB after ${inputs} inputs`, input: render(input), index: inputs - 1 });
        }
      }
      if (opts.onProgress && inputs % progressEvery === 0) opts.onProgress(inputs);
      return true;
    }),
    { numRuns: opts.runs, seed, endOnFailure: true },
  );
  const seconds = (performance.now() - started) / 1000;
  collect();
  const heapEnd = process.memoryUsage().heapUsed;
  heapPeak = Math.max(heapPeak, heapEnd);
  if (heapEnd - heapStart > bound && !memoryExceeded) {
    memoryExceeded = true;
    note({ kind: 'memory', message: `heap grew ${((heapEnd - heapStart) / MB).toFixed(1)} MB over the run`, input: '', index: inputs - 1 });
  }
  return {
    name: target.name, seed, inputs, crashes, slowInputs, slowestMs: slowest,
    heapStartMB: heapStart / MB, heapEndMB: heapEnd / MB, heapPeakMB: heapPeak / MB, memoryExceeded,
    seconds, inputsPerSec: inputs / seconds, failures,
  };
}

/** True when the run found nothing: no crash, no slow input, no runaway heap. */
export function clean(r: FuzzResult): boolean {
  return r.crashes === 0 && r.slowInputs === 0 && !r.memoryExceeded;
}

/** Input number `index` of a run with `seed` (fast-check replays it from its path without drawing the others). */
export function replayInput<T>(target: FuzzTarget<T>, seed: number, index: number): T {
  let found: { value: T } | undefined;
  fc.assert(fc.property(target.arbitrary, (input) => { found = { value: input }; return true; }), { seed, path: String(index), numRuns: 1 });
  if (!found) throw new Error(`no input ${index} for seed ${seed}`);
  return found.value;
}
