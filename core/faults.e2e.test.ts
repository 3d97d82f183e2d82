/**
 * Faults against a real running server, one test each (bench/faults/: the same modules
 * `streamsight bench faults` prints as a table). Each module starts its own server, breaks one
 * thing and returns what it observed; a test fails with that observation when the outcome is wrong.
 *
 *   camera stall          ClipCamera stops RTP on an open session → reconnect, viewer frames again
 *   resolution change     new SPS mid-stream → WHEP viewer and plugin frames at the new size
 *   UDP loss/reorder      lossy proxy (core/testing/lossy-proxy.ts) → packetsLost/packetsReordered
 *                         equal to what the proxy did (issue: packetsReordered was not reported)
 *   decoder killed        SIGKILL of the decoder's ffmpeg → restarted, plugin frames again
 *   storage full          1 MiB LMDB map → "event storage full" logged and counted, relay keeps going
 *   SIGTERM               the CLI: TEARDOWN, DTLS close_notify to the viewer (issue: werift sent
 *                         none, so viewers never learned), acknowledged event kept, exit 0
 *
 * Plugin crash/hang and SIGKILL during writes are proven by core/plugins/host.test.ts and
 * core/server.sigkill.e2e.test.ts, which `make test` runs; the bench runs them for its table, this
 * file leaves them out rather than run them twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAULTS } from '../bench/faults.js';
import { runFault } from '../bench/faults/harness.js';
import { failOnUnhandledRejection } from './testing/wait.js';

failOnUnhandledRejection();

/** Faults whose tests live in another file of the suite. */
const COVERED_ELSEWHERE = new Set(['plugin', 'sigkill']);

describe('faults against a running server', { timeout: 170_000 }, () => {
  for (const fault of FAULTS.filter((f) => !COVERED_ELSEWHERE.has(f.id))) {
    it(`${fault.name}: ${fault.expected}`, { timeout: 60_000 }, async (t) => {
      const r = await runFault(fault);
      t.diagnostic(`${r.seconds.toFixed(1)} s: ${r.observed}`);
      assert.ok(r.ok, r.observed);
    });
  }
});
