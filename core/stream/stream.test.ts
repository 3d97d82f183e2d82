import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidStateError } from '../errors.js';
import { Stream } from './stream.js';
import { RecordingSink, TRACKS, audio, flush, video } from './testdata/units.js';

describe('Stream fan-out', () => {
  it('delivers every unit in order to three readers', async () => {
    const s = new Stream('cam');
    s.setTracks(TRACKS);
    const sinks = [new RecordingSink('a'), new RecordingSink('b'), new RecordingSink('c')];
    for (const k of sinks) s.addReader(k);
    const units = [video(0, true), audio(1), video(2), video(3), audio(4), video(5, true), video(6)];
    for (const u of units) s.push(u);
    await flush();
    for (const k of sinks) {
      assert.equal(k.units.length, units.length, k.name);
      k.units.forEach((u, i) => assert.equal(u, units[i], `${k.name} unit ${i} is the same object`));
      assert.ok(k.catchUps.every((c) => c === false));
    }
  });

  it('keeps order while the ring queue wraps around', async () => {
    const s = new Stream('cam');
    const k = new RecordingSink('k');
    const r = s.addReader(k, { maxQueue: 3 });
    const want: string[] = [];
    for (let i = 0; i < 20; i++) {
      const u = i % 3 === 2 ? audio(i) : video(i, i === 0);
      s.push(u);
      want.push(`${u.kind === 'audio' ? 'a' : i === 0 ? 'K' : 'v'}${i}`);
      if (i % 2 === 1) await flush();
    }
    await flush();
    assert.deepEqual(k.log, want);
    assert.equal(r.stats.dropped, 0);
    assert.equal(r.stats.maxQueued, 2);
  });

  it('batches delivery: push returns before any sink write', async () => {
    const s = new Stream('cam');
    const k = new RecordingSink('a');
    s.addReader(k);
    s.push(video(0, true));
    s.push(video(1));
    assert.equal(k.units.length, 0);
    await flush();
    assert.equal(k.units.length, 2);
  });

  it('starts a late reader from the GOP with catchUp=true, then live with catchUp=false', async () => {
    const s = new Stream('cam');
    s.setTracks(TRACKS);
    for (const u of [video(0, true), video(1), video(2, true), audio(3), video(4)]) s.push(u);
    const k = new RecordingSink('late');
    s.addReader(k);
    s.push(video(5));
    s.push(audio(6));
    await flush();
    assert.deepEqual(k.log, ['K2', 'v4', 'v5', 'a6']);
    assert.deepEqual(k.catchUps, [true, true, false, false]);
    assert.deepEqual(s.gopUnits().map((u) => u.pts), [2, 4, 5]);
  });

  it('makes a reader wait for a keyframe when no GOP is cached (audio still flows)', async () => {
    const s = new Stream('cam');
    s.push(video(0)); // delta before any keyframe: nothing cached
    const k = new RecordingSink('r');
    const r = s.addReader(k);
    assert.equal(r.waitingForKeyframe, true);
    s.push(video(1));
    s.push(audio(2));
    s.push(video(3, true));
    s.push(video(4));
    await flush();
    assert.deepEqual(k.log, ['a2', 'K3', 'v4']);
    assert.equal(r.stats.dropped, 0, 'the initial wait is not loss');
  });

  it('skips the GOP when gop:false', async () => {
    const s = new Stream('cam');
    s.push(video(0, true));
    s.push(video(1));
    const k = new RecordingSink('r');
    s.addReader(k, { gop: false });
    s.push(video(2));
    s.push(video(3, true));
    await flush();
    assert.deepEqual(k.log, ['K3']);
  });

  it('waits for a keyframe when the cached GOP would not fit the queue', async () => {
    const s = new Stream('cam');
    for (let i = 0; i < 10; i++) s.push(video(i, i === 0));
    const k = new RecordingSink('r');
    s.addReader(k, { maxQueue: 4 });
    s.push(video(10, true));
    await flush();
    assert.deepEqual(k.log, ['K10']);
  });

  it('respects the GOP bounds from the options', () => {
    const s = new Stream('cam', { gopMaxUnits: 3 });
    for (let i = 0; i < 4; i++) s.push(video(i, i === 0));
    assert.equal(s.gopUnits().length, 0);
    assert.equal(s.stats.gopOverflows, 1);
    const b = new Stream('cam', { gopMaxBytes: 250 });
    for (let i = 0; i < 3; i++) b.push(video(i, i === 0, 100));
    assert.equal(b.gopUnits().length, 0);
  });
});

describe('Stream slow and broken readers', () => {
  it('overflows a congested reader, counts the loss, resyncs at the next keyframe; others unaffected', async () => {
    const s = new Stream('cam');
    const slow = new RecordingSink('slow');
    const fast = new RecordingSink('fast');
    slow.isCongested = true;
    const rs = s.addReader(slow, { maxQueue: 4 });
    s.addReader(fast, { maxQueue: 4 });
    const units = [video(0, true), video(1), video(2), video(3), video(4), video(5), audio(6), video(7, true), video(8)];
    for (const u of units) {
      s.push(u);
      await flush(); // the fast reader drains between pushes, the slow one does not
    }
    assert.equal(fast.units.length, units.length);
    assert.equal(slow.units.length, 0);
    // Queue [K0 v1 v2 v3] overflows when v4 arrives: 4 lost; v4 and v5 skipped while resyncing; a6, K7, v8 queued.
    assert.equal(rs.stats.resyncs, 1);
    assert.equal(rs.stats.dropped, 6);
    assert.equal(rs.stats.queued, 3);
    slow.isCongested = false;
    rs.resume();
    await flush();
    assert.deepEqual(slow.log, ['a6', 'K7', 'v8']);
    assert.equal(s.stats.readerDropped, 6);
  });

  it('resume() restarts a drain paused by congestion', async () => {
    const s = new Stream('cam');
    const k = new RecordingSink('k');
    const r = s.addReader(k);
    s.push(video(0, true));
    await flush();
    k.isCongested = true;
    s.push(video(1));
    s.push(video(2));
    await flush();
    assert.deepEqual(k.log, ['K0']);
    k.isCongested = false;
    await flush();
    assert.deepEqual(k.log, ['K0'], 'nothing moves until resume()');
    r.resume();
    await flush();
    assert.deepEqual(k.log, ['K0', 'v1', 'v2']);
    assert.equal(r.stats.delivered, 3);
  });

  it('closes a reader whose sink throws; the others keep receiving', async () => {
    const s = new Stream('cam');
    const bad = new RecordingSink('bad');
    bad.throwOn = (u) => u.pts === 1;
    const good = new RecordingSink('good');
    const rb = s.addReader(bad);
    s.addReader(good);
    const counts: number[] = [];
    s.on('readers', (n) => counts.push(n));
    for (const u of [video(0, true), video(1), video(2)]) s.push(u);
    await flush();
    assert.equal(rb.closed, true);
    assert.equal(s.readers.size, 1);
    assert.deepEqual(counts, [1]);
    assert.deepEqual(bad.log, ['K0']);
    assert.deepEqual(good.log, ['K0', 'v1', 'v2']);
    s.push(video(3));
    await flush();
    assert.deepEqual(good.log, ['K0', 'v1', 'v2', 'v3']);
  });

  it('closes a reader whose onTracks throws', () => {
    const s = new Stream('cam');
    const r = s.addReader({ name: 'x', write() {}, onTracks() { throw new Error('nope'); } });
    s.setTracks(TRACKS);
    assert.equal(r.closed, true);
    assert.equal(s.readers.size, 0);
  });
});

describe('Stream lifecycle', () => {
  it('setTracks goes online, resets the GOP, clears queues and tells readers', async () => {
    const s = new Stream('cam');
    const states: string[] = [];
    const trackEvents: number[] = [];
    s.on('state', (st) => states.push(st));
    s.on('tracks', (t) => trackEvents.push(t.length));
    const k = new RecordingSink('k');
    k.isCongested = true;
    const r = s.addReader(k);
    s.setTracks(TRACKS);
    s.push(video(0, true));
    s.push(video(1));
    assert.equal(s.gopUnits().length, 2);
    s.setOffline();
    assert.equal(s.state, 'offline');
    assert.equal(s.gopUnits().length, 0);
    s.setTracks(TRACKS);
    assert.equal(s.state, 'online');
    assert.deepEqual(states, ['online', 'offline', 'online']);
    assert.deepEqual(trackEvents, [2, 2]);
    assert.equal(k.tracks.length, 2);
    assert.equal(r.stats.queued, 0, 'units of the old session are discarded');
    assert.equal(r.stats.dropped, 2, '… and counted as dropped: the reader never got them');
    assert.equal(r.waitingForKeyframe, true);
    k.isCongested = false;
    s.push(video(5)); // delta of the new session: held back
    s.push(video(6, true));
    r.resume();
    await flush();
    assert.deepEqual(k.log, ['K6']);
    assert.deepEqual(s.tracks, TRACKS);
  });

  it('emits readers counts on add and remove', () => {
    const s = new Stream('cam');
    const counts: number[] = [];
    s.on('readers', (n) => counts.push(n));
    const a = s.addReader(new RecordingSink('a'));
    const b = s.addReader(new RecordingSink('b'));
    a.close();
    a.close();
    b.close();
    assert.deepEqual(counts, [1, 2, 1, 0]);
  });

  it('close() closes readers, emits close once, and rejects new readers', () => {
    const s = new Stream('cam');
    const r1 = s.addReader(new RecordingSink('a'));
    const r2 = s.addReader(new RecordingSink('b'));
    let closes = 0;
    let readerCloses = 0;
    s.on('close', () => closes++);
    r1.on('close', () => readerCloses++);
    s.close();
    s.close();
    assert.equal(s.closed, true);
    assert.equal(r1.closed && r2.closed, true);
    assert.equal(closes, 1);
    assert.equal(readerCloses, 1);
    assert.equal(s.readers.size, 0);
    assert.throws(() => s.addReader(new RecordingSink('c')), InvalidStateError);
    s.push(video(0, true)); // ignored, no throw
    assert.equal(s.stats.unitsIn, 0);
  });

  it('never throws from push, even for a malformed unit', () => {
    const s = new Stream('cam');
    s.addReader(new RecordingSink('a'));
    assert.doesNotThrow(() => s.push({ kind: 'video' } as never));
    assert.equal(s.stats.pushErrors, 1);
  });
});

describe('Stream stats', () => {
  it('counts units and measures fps and bitrate over a synthetic clock', () => {
    let now = 0;
    const s = new Stream('cam', { now: () => now });
    s.setTracks(TRACKS);
    // 25 fps of 4000-byte frames (800 kbit/s) plus 50 audio packets/s of 160 bytes (64 kbit/s), for 4 s.
    for (let t = 0; t < 4000; t += 20) {
      now = t;
      if (t % 40 === 0) s.push(video(t, t % 1000 === 0, 4000));
      s.push(audio(t, 160));
    }
    const st = s.stats;
    assert.equal(st.videoUnits, 100);
    assert.equal(st.audioUnits, 200);
    assert.equal(st.unitsIn, 300);
    assert.equal(st.keyframes, 4);
    assert.equal(st.bytesIn, 100 * 4000 + 200 * 160);
    assert.equal(st.lastUnitAt, 3980);
    assert.equal(st.codec, 'H264');
    assert.ok(Math.abs(st.fps - 25) < 1.5, `fps ${st.fps}`);
    assert.ok(Math.abs(st.bitrateBps - 864000) < 50000, `bps ${st.bitrateBps}`);
    now = 10000;
    assert.equal(s.stats.fps, 0, 'rates decay when units stop');
    assert.ok(JSON.parse(JSON.stringify(s.stats)).unitsIn === 300, 'stats serialise');
  });

  it('learns codec, size and profile from the SPS of the SDP track and of keyframes', () => {
    // A real 320x240 constrained-baseline SPS (GStreamer's x264 sprop-parameter-sets).
    const sps = new Uint8Array(Buffer.from('Z0LAFdoFB+wFqDAwNSgAAAMACAAAAwD0eLF1', 'base64'));
    const fromTrack = new Stream('cam');
    fromTrack.setTracks([{ kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, sps }]);
    const t = fromTrack.stats;
    assert.deepEqual([t.codec, t.width, t.height, t.profile], ['H264', 320, 240, '42c015']);
    const fromUnit = new Stream('cam');
    fromUnit.setTracks(TRACKS);
    fromUnit.push({ kind: 'video', codec: 'H264', pts: 0, keyframe: true, nalus: [sps, new Uint8Array([0x65, 0x88])], receivedAt: 0 });
    const u = fromUnit.stats;
    assert.deepEqual([u.width, u.height, u.profile], [320, 240, '42c015']);
  });
});
