/**
 * Fault injection against a real running server: each fault in bench/faults/ breaks one thing
 * (a camera, the network, a child process, the disk, the server process) and reports what the
 * server did. core/faults.e2e.test.ts runs the same modules and asserts every outcome.
 *
 *   npx streamsight bench faults [--only stall,udp] [--json]
 *
 * Faults: stall, resolution, udp, decoder, plugin, storage, sigkill, sigterm. Prints a table of
 * what was injected, what must happen and what was observed; exits 1 when a fault's outcome was wrong.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pluginCrashFault, sigkillFault } from './faults/covered.js';
import { decoderKillFault } from './faults/decoder-kill.js';
import { runFault, type Fault, type FaultResult } from './faults/harness.js';
import { resolutionFault } from './faults/resolution.js';
import { sigtermFault } from './faults/sigterm.js';
import { stallFault } from './faults/stall.js';
import { storageFullFault } from './faults/storage-full.js';
import { udpLossFault } from './faults/udp-loss.js';

/** Every fault, in the order the table shows them. */
export const FAULTS: readonly Fault[] = [
  stallFault, resolutionFault, udpLossFault, decoderKillFault, pluginCrashFault, storageFullFault, sigkillFault, sigtermFault,
];

/** The results as a Markdown table. */
export function faultTable(results: readonly FaultResult[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = results.map((r) =>
    `| ${cell(r.fault)} | ${cell(r.injected)} | ${cell(r.expected)} | ${cell(r.observed)} | ${r.ok ? 'ok' : '**FAIL**'} | ${r.seconds.toFixed(1)} |`);
  return ['| Fault | Injected | Expected | Observed | Outcome | s |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((id) => !FAULTS.some((f) => f.id === id)) ?? [];
  if (unknown.length) {
    process.stderr.write(`bench faults: unknown fault ${unknown.join(', ')}; expected some of ${FAULTS.map((f) => f.id).join(', ')}\n`);
    return 2;
  }
  const results: FaultResult[] = [];
  for (const fault of FAULTS.filter((f) => !only || only.includes(f.id))) {
    if (!values.json) process.stderr.write(`fault ${fault.id}: ${fault.injected}\n`);
    const r = await runFault(fault);
    results.push(r);
    if (!values.json) process.stderr.write(`  ${r.ok ? 'ok' : 'FAIL'} in ${r.seconds.toFixed(1)} s: ${r.observed}\n`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(results, null, 2)}\n` : `\n${faultTable(results)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

/** True when this file is the process entry (the CLI's `bench faults` runs it), not imported by the test. */
function isEntry(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntry()) process.exit(await main());
