/**
 * THE durability test: an acknowledged append survives the process being killed. A child appends in
 * bursts and prints each id after append() resolved; we SIGKILL it mid-burst, reopen the store and
 * require every printed id (and its index entry) to be there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { EventStore } from './store.js';

const WRITER = fileURLToPath(new URL('./testdata/writer.ts', import.meta.url));

test('every id acknowledged before SIGKILL is present after reopening', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-events-durable-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], {
      env: { ...process.env, STREAMSIGHT_LOG: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const acked: string[] = [];
    let partial = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000); // bound the test even if the writer stalls
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!; // an unterminated line is not a complete acknowledgement
      acked.push(...lines);
      // Kill while bursts are in flight: well past start-up, at a moment chosen by the data, not a timer.
      if (acked.length >= 600 && !child.killed) child.kill('SIGKILL');
    });
    const signal = await exited;
    clearTimeout(killer);
    assert.equal(signal, 'SIGKILL', `writer ended by itself: ${stderr}`);
    assert.ok(acked.length >= 600, `writer acknowledged only ${acked.length} ids: ${stderr}`);

    const store = await EventStore.open({ path: dir });
    try {
      const missing = acked.filter((id) => store.get(id) === undefined);
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged ids lost`);
      // The indexes committed with the events: every acknowledged id is found through the camera index too.
      const viaIndex = new Set<string>();
      for (const camera of ['cam0', 'cam1', 'cam2']) {
        let cursor: string | undefined;
        do {
          const page = store.query({ camera, limit: 500, ...(cursor ? { cursor } : {}) });
          for (const e of page.events) viaIndex.add(e.id);
          cursor = page.next;
        } while (cursor);
      }
      assert.deepEqual(acked.filter((id) => !viaIndex.has(id)), []);
      const withSnapshot = acked.map((id) => store.get(id)!).filter((e) => e.hasSnapshot);
      assert.ok(withSnapshot.length > 0);
      for (const e of withSnapshot) assert.equal(store.snapshot(e.id)?.[0], 0xff);
      // Still writable after the crash.
      await store.append({ camera: 'cam0', plugin: 'p', type: 't', severity: 'info', startedAt: Date.now() });
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
