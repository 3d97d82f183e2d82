import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { Track, Unit, VideoUnit } from '../../codecs/access-unit.js';
import { serializeRtp } from '../../codecs/rtp/packet.js';
import { Stream } from '../stream/stream.js';
import type { ReaderSink } from '../stream/reader.js';
import { GstCamera } from '../rtsp/testdata/gst-peer.js';
import { FakeCamera, handshakeScript } from '../rtsp/testdata/fake-camera.js';
import { RtspPullSource, type PullState, type RtspPullOptions } from './rtsp-pull.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';

const T = 60_000;
/** sprop-parameter-sets of GStreamer's x264enc at 320x240 (baseline). */
const SPROP_320x240 = 'Z0LAFdoFB+wFqDAwNSgAAAMACAAAAwD0eLF1,aM48gA==';

failOnUnhandledRejection();

/** A reader sink that records what it is given. */
class RecordingSink implements ReaderSink {
  readonly name = 'test:recorder';
  units: Unit[] = [];
  trackChanges: Array<readonly Track[]> = [];
  write(unit: Unit): void {
    this.units.push(unit);
  }
  onTracks(tracks: readonly Track[]): void {
    this.trackChanges.push(tracks);
  }
  keyframes(): VideoUnit[] {
    return this.units.filter((u): u is VideoUnit => u.kind === 'video' && u.keyframe);
  }
}

function pullOpts(url: string, o: Partial<RtspPullOptions> = {}): RtspPullOptions {
  return { url, transport: 'tcp', timeoutMs: 2000, backoff: { initialMs: 100, maxMs: 400 }, ...o };
}

describe('RtspPullSource with a GStreamer camera', { timeout: 270_000 }, () => {
  const cam = new GstCamera({ width: 320, height: 240, fps: 15, audio: 'pcmu' });
  before(() => cam.start());
  after(() => cam.stop());

  for (const transport of ['tcp', 'udp'] as const) {
    it(`feeds the stream over ${transport}: tracks, keyframes, video info`, { timeout: T }, async () => {
      const stream = new Stream('cam1');
      const sink = new RecordingSink();
      stream.addReader(sink);
      const source = new RtspPullSource(pullOpts(cam.url(), { transport }), stream);
      const states: PullState[] = [];
      source.on('state', (s) => states.push(s));
      try {
        source.start();
        await waitUntil(() => sink.keyframes().length >= 1 && sink.units.some((u) => u.kind === 'audio'), 10_000, 'units');
        assert.equal(stream.state, 'online');
        assert.deepEqual(stream.tracks.map((t) => t.codec), ['H264', 'PCMU']);
        assert.equal(stream.stats.width, 320);
        assert.equal(stream.stats.height, 240);
        assert.equal(stream.stats.codec, 'H264');
        assert.deepEqual(states.slice(0, 2), ['connecting', 'online']);
        assert.equal(source.stats.reconnects, 0);
        assert.ok(source.stats.packets > 0);
      } finally {
        source.close();
        stream.close();
      }
      assert.equal(source.state, 'closed');
    });
  }

  it('reconnects after the camera is killed and restarted; an attached reader keeps receiving', { timeout: T }, async () => {
    const stream = new Stream('cam2');
    const sink = new RecordingSink();
    stream.addReader(sink);
    const source = new RtspPullSource(pullOpts(cam.url(), { timeoutMs: 1500 }), stream);
    try {
      source.start();
      await waitUntil(() => sink.keyframes().length >= 1, 8000, 'first keyframe');
      await cam.stop();
      await waitUntil(() => stream.state === 'offline' && source.stats.reconnects >= 1, 5000, 'offline');
      const before = sink.units.length;
      await cam.start();
      await waitUntil(() => stream.state === 'online', 8000, 'online again');
      await waitUntil(() => sink.units.length > before && sink.keyframes().some((k) => sink.units.indexOf(k) >= before), 8000, 'units after restart');
      assert.ok(source.stats.reconnects >= 1);
      assert.match(source.stats.lastError ?? '', /closed|refused|failed/);
      assert.ok(sink.trackChanges.length >= 1, 'the reader was told about the new tracks');
    } finally {
      source.close();
      stream.close();
    }
  });
});

describe('RtspPullSource against broken cameras', { timeout: 180_000 }, () => {
  it('a camera that stops sending after PLAY stalls, the source reconnects', { timeout: T }, async () => {
    const cam = new FakeCamera(handshakeScript({}));
    await cam.listen();
    const stream = new Stream('stall');
    const source = new RtspPullSource(pullOpts(cam.url(), { timeoutMs: 400 }), stream);
    try {
      source.start();
      await waitUntil(() => source.stats.stalls >= 1 && cam.connections >= 2, 5000, 'stall + reconnect');
      assert.ok(source.stats.reconnects >= 1);
      assert.match(source.stats.lastError ?? '', /no RTP for 400 ms/);
    } finally {
      source.close();
      stream.close();
      await cam.close();
    }
  });

  it('garbage and truncated interleaved RTP is counted as malformed; units keep flowing', { timeout: T }, async () => {
    let seq = 0;
    const idr = (ts: number): Uint8Array =>
      serializeRtp({
        marker: true, payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: ts, ssrc: 7, csrcs: [], padding: false,
        payload: new Uint8Array([0x65, 0x88, 0x84, 0x00, 0x33, 0xff]),
      });
    const timers = new Set<NodeJS.Timeout>();
    const cam = new FakeCamera(
      handshakeScript({
        sprop: SPROP_320x240,
        onPlay: (conn) => {
          let n = 0;
          const timer = setInterval(() => {
            n++;
            conn.interleaved(0, idr(n * 3000));
            if (n % 3 === 0) conn.interleaved(0, new Uint8Array([0x80])); // truncated RTP
            if (n % 5 === 0) conn.raw('\x07\x07 not rtsp');
          }, 20);
          timers.add(timer);
          conn.socket.once('close', () => clearInterval(timer));
        },
      }),
    );
    await cam.listen();
    const stream = new Stream('garbage');
    const sink = new RecordingSink();
    stream.addReader(sink);
    const source = new RtspPullSource(pullOpts(cam.url(), { timeoutMs: 1000 }), stream);
    try {
      source.start();
      await waitUntil(() => source.stats.malformed >= 4 && sink.keyframes().length >= 20, 8000, 'malformed + units');
      assert.equal(source.stats.reconnects, 0);
      assert.equal(stream.state, 'online');
      assert.equal(stream.stats.width, 320);
    } finally {
      for (const t of timers) clearInterval(t);
      source.close();
      stream.close();
      await cam.close();
    }
  });

  it('a wrong password: lastError says 401 and never holds the password; retries with backoff', { timeout: T }, async () => {
    const cam = new GstCamera({ user: 'admin', password: 'right', transport: 'tcp' });
    await cam.start();
    const stream = new Stream('auth');
    const source = new RtspPullSource(pullOpts(cam.url('admin', 'Hunter2pw'), { backoff: { initialMs: 50, maxMs: 100 } }), stream);
    try {
      source.start();
      await waitUntil(() => source.stats.reconnects >= 2, 8000, 'retries');
      assert.match(source.stats.lastError ?? '', /401/);
      assert.doesNotMatch(source.stats.lastError ?? '', /Hunter2pw/);
      assert.equal(stream.state, 'offline');
    } finally {
      source.close();
      stream.close();
      await cam.stop();
    }
  });

  it('stop() sends TEARDOWN and goes idle; start() connects again; close() is final', { timeout: T }, async () => {
    const cam = new FakeCamera(handshakeScript({}));
    await cam.listen();
    const stream = new Stream('lifecycle');
    const source = new RtspPullSource(pullOpts(cam.url(), { timeoutMs: 5000 }), stream);
    try {
      source.start();
      await waitUntil(() => source.state === 'online', 3000, 'online');
      source.stop();
      assert.equal(source.state, 'idle');
      assert.equal(stream.state, 'offline');
      await waitUntil(() => cam.methods().includes('TEARDOWN'), 3000, 'TEARDOWN');
      source.start();
      await waitUntil(() => source.state === 'online' && cam.connections === 2, 3000, 'online again');
      assert.equal(source.stats.reconnects, 0, 'an on-demand restart is not a reconnect');
      source.close();
      source.start();
      assert.equal(source.state, 'closed');
      await waitUntil(() => cam.methods().filter((m) => m === 'TEARDOWN').length === 2, 3000, 'second TEARDOWN');
    } finally {
      source.close();
      stream.close();
      await cam.close();
    }
  });
});
