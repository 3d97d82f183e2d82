/**
 * The short fuzz run of `make test`: every target of fuzz/targets with a few thousand inputs from a
 * fixed seed (the long run is `make fuzz`, a million per target). A failure prints the input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RtspStreamParser } from '../codecs/rtsp/message.js';
import { clean, runTarget } from './harness.js';
import { TARGETS } from './targets/index.js';
import { RTMP_SESSIONS, rtmpTarget } from './targets/rtmp.js';

/** Inputs per target; config is ~50x slower per input than the binary parsers, rtmp ~10x (a connection per input). */
const RUNS: Readonly<Record<string, number>> = { 'config': 5000, 'rtsp': 10000, 'rtmp': 5000 };
const DEFAULT_RUNS = 15000;
const SEED = 20261124;

describe('fuzz (short run)', () => {
  for (const [name, make] of Object.entries(TARGETS)) {
    it(`${name}: no crash, no input over 100 ms, bounded heap`, () => {
      const r = runTarget(make(), { runs: RUNS[name] ?? DEFAULT_RUNS, seed: SEED, heapEvery: 1000, heapBoundMB: 64 });
      const report = r.failures.map((f) => `${f.kind}: ${f.message}\n  input: ${f.input}\n${f.stack ?? ''}`).join('\n\n');
      assert.ok(clean(r), `${name}: ${r.crashes} crashes, ${r.slowInputs} slow inputs, heap ${r.heapStartMB.toFixed(1)} → ${r.heapEndMB.toFixed(1)} MB\n${report}`);
      assert.equal(r.inputs, RUNS[name] ?? DEFAULT_RUNS);
    });
  }

  it('RtspStreamParser holds at most its header limit on a header line that never ends', () => {
    for (const start of ['DESCRIBE rtsp://cam/live RTSP/1.0\r\nX-Pad: ', 'RTSP/1.0 200 OK\r\nCSeq: 1\r\n', 'OPTIONS rtsp://cam/']) {
      const p = new RtspStreamParser({ maxHeaderBytes: 4096 });
      p.push(Buffer.from(start));
      let most = 0;
      for (let i = 0; i < 1000; i++) {
        p.push(Buffer.alloc(1024, 0x61)); // 1 MB of 'a', never a line end
        most = Math.max(most, p.buffered);
      }
      assert.ok(most <= 4096 + 1024, `${JSON.stringify(start)}: held ${most} bytes`);
      assert.ok(p.stats.errors >= 1);
    }
  });

  it('rtmp: the unmutated publish sessions publish and deliver video and G.711, in any cut', () => {
    const t = rtmpTarget();
    for (const handshake of [0, 1]) {
      for (const cuts of [[], [1, 3000, 3100, 9000], [32768]]) {
        t.run({ handshake, handshakeOps: null, session: RTMP_SESSIONS.h264, cuts });
        t.run({ handshake, handshakeOps: null, session: RTMP_SESSIONS.h265Extended, cuts });
      }
    }
    assert.equal(t.server.stats.published, 12);
    assert.equal(t.server.stats.protocolErrors, 0);
    assert.deepEqual(t.delivered, { video: 6 * 4 + 6 * 3, audio: 6 * 8, keyframes: 12 }); // H.264: 4 pictures + 8 G.711 units; H.265: 3 pictures
  });

  it('the harness counts a crash, and a documented error is not one', () => {
    const r = runTarget({
      name: 'self-test', covers: 'harness', arbitrary: TARGETS['rtp']!().arbitrary as never,
      run(input: Uint8Array) { if (input.length % 7 === 3) throw new TypeError('boom'); },
    }, { runs: 500, seed: SEED });
    assert.ok(r.crashes > 0 && r.crashes < 500, `crashes ${r.crashes}`);
    assert.match(r.failures[0]!.message, /TypeError: boom/);
    assert.equal(clean(r), false);
  });
});
