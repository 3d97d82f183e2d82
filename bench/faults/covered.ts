/**
 * Faults that other test files already prove; the table runs them from here so it shows every
 * fault in one place. core/faults.e2e.test.ts does not run them again: `make test` runs the files.
 *
 *   plugin crash or hang   core/plugins/host.test.ts (a throwing/exiting worker restarted with
 *                          backoff, a hung one terminated; the other plugins keep going)
 *   SIGKILL during writes  core/server.sigkill.e2e.test.ts (the CLI killed mid-burst of events,
 *                          every event acknowledged on /ws served after the restart)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lib.js';
import type { Fault } from './harness.js';

/** Runs a test file (tests whose names match `pattern`) with node's runner; passes, failures and the tests' names. */
async function runTests(file: string, pattern?: string): Promise<{ pass: number; fail: number; names: string[]; output: string }> {
  const args = ['--import', 'tsx', '--test', '--test-reporter=tap', ...(pattern ? [`--test-name-pattern=${pattern}`] : []), join(ROOT, file)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  await new Promise((resolve) => child.once('close', resolve));
  const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
  // Leaf tests only: "ok N - name" lines indented under the describe, without a skip directive.
  const names = [...output.matchAll(/^\s+ok \d+ - (.*)$/gm)].map((m) => m[1]!).filter((n) => !n.includes('# SKIP'));
  return { pass: count('pass'), fail: count('fail'), names, output };
}

export const pluginCrashFault: Fault = {
  id: 'plugin',
  name: 'plugin crash or hang',
  injected: 'a plugin worker throws, exits, fails create(), or hangs (core/plugins/host.test.ts)',
  expected: 'restarted with backoff (hung: terminated); other plugins keep going',
  async run() {
    const r = await runTests('core/plugins/host.test.ts', 'hung plugin|crashing plugin|create\\(\\) fails');
    const failures = r.fail > 0 || r.pass < 4 ? [`host.test.ts: ${r.pass} passed, ${r.fail} failed\n${r.output.slice(-2000)}`] : [];
    return { observed: `core/plugins/host.test.ts: ${r.pass} tests passed (${r.names.join('; ')})`, failures };
  },
};

export const sigkillFault: Fault = {
  id: 'sigkill',
  name: 'SIGKILL during writes',
  injected: 'SIGKILL `streamsight serve` mid-burst of events (core/server.sigkill.e2e.test.ts)',
  expected: 'after a restart, no event acknowledged on /ws is lost',
  async run() {
    const r = await runTests('core/server.sigkill.e2e.test.ts');
    const diag = /^# (\d+ events acknowledged before SIGKILL, \d+ stored after the restart)/m.exec(r.output)?.[1];
    const failures = r.fail > 0 || r.pass < 1 ? [`server.sigkill.e2e.test.ts: ${r.pass} passed, ${r.fail} failed\n${r.output.slice(-2000)}`] : [];
    return { observed: `core/server.sigkill.e2e.test.ts passed: ${diag ?? 'no diagnostic'}`, failures };
  },
};
