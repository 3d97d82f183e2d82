/**
 * The fuzz CLI: runs targets one after another in this process and prints a table.
 *
 *   node --import tsx fuzz/run.ts [--runs 1000000] [--only rtsp,sdp] [--seed N] [--json] [--list]
 *   node --import tsx fuzz/run.ts --only config --seed 1 --replay 123456     (one failing input again)
 *
 * Exit status 1 when any target crashed, had a slow input (> 100 ms twice) or outgrew the heap
 * bound; the first failures of each target are printed with the input that caused them. The same
 * --seed replays the same inputs.
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { clean, replayInput, runTarget, type FuzzResult } from './harness.js';
import fc from 'fast-check';
import { TARGETS } from './targets/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    only: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    replay: { type: 'string' },
  },
});

if (values.list) {
  for (const [name, make] of Object.entries(TARGETS)) console.log(`${name.padEnd(18)} ${make().covers}`);
  process.exit(0);
}

const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs <= 0) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const names = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(TARGETS);
for (const n of names) if (!TARGETS[n]) throw new Error(`unknown target "${n}"; targets: ${Object.keys(TARGETS).join(', ')}`);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 0x7fffffff;

if (values.replay !== undefined) {
  if (names.length !== 1 || values.seed === undefined) throw new Error('--replay needs --only <one target> and --seed');
  const target = TARGETS[names[0]!]!();
  const input = replayInput(target, seed, Number(values.replay));
  console.log(fc.stringify(input));
  const t0 = performance.now();
  try {
    target.run(input);
    console.log(`ok in ${(performance.now() - t0).toFixed(1)} ms`);
  } catch (err) {
    console.log(`crash after ${(performance.now() - t0).toFixed(1)} ms:`, err);
    process.exitCode = 1;
  }
  process.exit();
}

const results: FuzzResult[] = [];
for (const name of names) {
  const started = Date.now();
  const r = runTarget(TARGETS[name]!(), {
    runs, seed,
    onProgress: (done) => process.stderr.write(`\r${name}: ${done} / ${runs} (${((Date.now() - started) / 1000).toFixed(0)} s)   `),
  });
  process.stderr.write(`\r${name}: ${r.inputs} inputs, ${r.crashes} crashes, ${r.seconds.toFixed(1)} s${' '.repeat(20)}\n`);
  results.push(r);
}

if (values.json) {
  console.log(JSON.stringify({ seed, runs, node: process.version, cpu: cpus()[0]?.model, results }, null, 2));
} else {
  const head = ['target', 'inputs', 'crashes', 'slowest ms', 'heap start MB', 'heap end MB', 'inputs/s'];
  const rows = results.map((r) => [
    r.name, String(r.inputs), `${r.crashes}${r.slowInputs ? ` +${r.slowInputs} slow` : ''}${r.memoryExceeded ? ' +heap' : ''}`,
    r.slowestMs.toFixed(1), r.heapStartMB.toFixed(1), r.heapEndMB.toFixed(1), Math.round(r.inputsPerSec).toString(),
  ].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`seed ${seed}, ${runs} inputs per target, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  for (const r of results) {
    for (const f of r.failures) {
      console.log(`\n${r.name} ${f.kind}: ${f.message} (replay: --only ${r.name} --seed ${r.seed} --replay ${f.index})\n  input: ${f.input}`);
      if (f.stack) console.log(f.stack.split('\n').slice(1, 6).join('\n'));
    }
  }
}
process.exitCode = results.every(clean) ? 0 : 1;
