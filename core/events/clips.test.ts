/**
 * Evidence clips: the store keeps a clip with its event (durably, counted for retention, deleted with
 * it), and the ClipRecorder cuts the right span of a real H.264 stream around each violation.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { decodeErrors, encodeClipUnits, FRAME_TICKS, probeMp4 } from '../../codecs/mp4/mp4.testkit.js';
import { InvalidStateError } from '../errors.js';
import { Stream } from '../stream/stream.js';
import { TRACKS, flush } from '../stream/testdata/units.js';
import { ClipRecorder, type ClipOptions } from './clips.js';
import type { EventInput } from './model.js';
import { EventStore } from './store.js';

const SECOND = 90_000;
const MP4 = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 7) & 0xff);

function violation(startedAt: number, over: Partial<EventInput> = {}): EventInput {
  return { camera: 'gate1', plugin: 'red-light', type: 'red-light-violation', severity: 'critical', startedAt, ...over };
}

describe('EventStore clips', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamsight-clips-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('attaches a clip durably: the record lists it, the bytes survive a reopen, and a second clip is refused', async () => {
    const path = join(dir, 'durable');
    let store = await EventStore.open({ path });
    const e = await store.append(violation(Date.now()));
    const before = store.stats.bytes;
    const clipEvents: string[] = [];
    store.on('clip', (x) => clipEvents.push(x.id));
    const updated = await store.attachClip(e.id, MP4, { startedAt: e.startedAt - 5000, endedAt: e.startedAt + 5000 });
    assert.deepEqual(updated?.clip, { bytes: MP4.length, startedAt: e.startedAt - 5000, endedAt: e.startedAt + 5000 });
    assert.deepEqual(clipEvents, [e.id]);
    assert.ok(store.stats.bytes >= before + MP4.length, `bytes ${before} → ${store.stats.bytes}`);
    await assert.rejects(store.attachClip(e.id, MP4, { startedAt: 0, endedAt: 1 }), InvalidStateError);
    await store.close();
    store = await EventStore.open({ path });
    assert.equal(store.get(e.id)?.clip?.bytes, MP4.length);
    assert.deepEqual(new Uint8Array(store.clip(e.id)!), MP4);
    assert.equal(store.clip('nope'), undefined);
    await store.close();
  });

  it('answers undefined for an event that is gone, and rejects bad input', async () => {
    const store = await EventStore.open({ path: join(dir, 'gone') });
    assert.equal(await store.attachClip('01JAAAAAAAAAAAAAAAAAAAAAAA', MP4, { startedAt: 0, endedAt: 1 }), undefined);
    await assert.rejects(store.attachClip('../etc', MP4, { startedAt: 0, endedAt: 1 }), /attachClip/);
    const e = await store.append(violation(Date.now()));
    await assert.rejects(store.attachClip(e.id, new Uint8Array(0), { startedAt: 0, endedAt: 1 }), /non-empty/);
    await store.close();
    await assert.rejects(store.attachClip(e.id, MP4, { startedAt: 0, endedAt: 1 }), /closed/);
  });

  it('counts clips toward maxBytes: retention deletes the oldest events with their clips', async () => {
    const store = await EventStore.open({ path: join(dir, 'retention'), maxBytes: 2 ** 20 });
    const ids: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 30; i++) {
      const e = await store.append(violation(t0 + i));
      await store.attachClip(e.id, MP4, { startedAt: e.startedAt, endedAt: e.startedAt + 1 });
      ids.push(e.id);
    }
    await store.enforceRetention();
    assert.ok(store.stats.bytes <= 2 ** 20, `bytes ${store.stats.bytes}`);
    const kept = ids.filter((id) => store.get(id));
    assert.ok(kept.length >= 15 && kept.length < 30, `kept ${kept.length} of 30 (50 kB clips in 1 MiB)`);
    assert.equal(kept[0], ids[30 - kept.length], 'the newest are kept');
    assert.equal(store.clip(ids[0]!), undefined, 'the oldest clip is deleted with its event');
    assert.deepEqual(new Uint8Array(store.clip(ids.at(-1)!)!), MP4);
    await store.close();
  });

  it('refuses a clip past the map cap with "event storage full" and keeps the event', async () => {
    const store = await EventStore.open({ path: join(dir, 'full'), mapSize: 2 ** 20 });
    const e = await store.append(violation(Date.now()));
    await assert.rejects(store.attachClip(e.id, new Uint8Array(2 ** 20), { startedAt: 0, endedAt: 1 }), /event storage full/);
    assert.ok(store.get(e.id), 'the acknowledged event stays');
    assert.equal(store.get(e.id)?.clip, undefined);
    await store.close();
  });
});

describe('ClipRecorder (real H.264, MP4 checked by ffprobe)', () => {
  const OPTS: ClipOptions = { beforeS: 2, afterS: 1, maxS: 60, minSeverity: 'warning', maxBytesPerCamera: 64 * 2 ** 20 };
  let units: VideoUnit[];
  let dir = '';
  before(async () => {
    units = encodeClipUnits({ codec: 'H264', seconds: 12, gop: 25 }); // a keyframe every second
    dir = await mkdtemp(join(tmpdir(), 'streamsight-clips-recorder-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** The units as a camera delivers them: arrival times in step with the pts, from `arrival0` (performance ms). */
  const arrive = (u: VideoUnit, arrival0: number): VideoUnit => ({ ...u, receivedAt: arrival0 + u.pts / 90 });

  /** A store, a camera stream and a recorder watching it, closed when the test ends; arrivals start 20 s ago. */
  async function rig(t: TestContext, name: string, opts: ClipOptions) {
    const store = await EventStore.open({ path: join(dir, name) });
    const stream = new Stream('gate1');
    stream.setTracks(TRACKS);
    const recorder = new ClipRecorder(store, opts);
    recorder.watch('gate1', stream);
    store.on('event', (e) => recorder.event(e));
    t.after(async () => {
      await recorder.close();
      stream.close();
      await store.close();
    });
    return { store, stream, recorder, arrival0: performance.now() - 20_000 };
  }

  it('stores a clip from the keyframe before `beforeS` through `afterS` after each violation, and none for info events', async (t) => {
    const { store, stream, recorder, arrival0 } = await rig(t, 'cut', OPTS);
    const epochOf = (pts: number) => performance.timeOrigin + arrival0 + pts / 90;
    for (const u of units.slice(0, 200)) stream.push(arrive(u, arrival0)); // up to 8 s
    await flush();
    const at = 164 * FRAME_TICKS; // 6.56 s
    const e = await store.append(violation(epochOf(at)));
    const info = await store.append(violation(epochOf(at), { plugin: 'brightness', type: 'scene.dark', severity: 'info' }));
    assert.equal(recorder.stats.pending, 1, 'waiting for the second after the violation');
    for (const u of units.slice(200)) stream.push(arrive(u, arrival0));
    await recorder.idle();
    assert.deepEqual(recorder.stats, { stored: 1, truncated: 0, missed: 0, pending: 0 });
    assert.equal(store.get(info.id)?.clip, undefined, 'info events get no clip');

    const stored = store.get(e.id)!;
    const mp4 = store.clip(e.id)!;
    const p = probeMp4(mp4);
    assert.equal(p.codecName, 'h264');
    assert.equal(decodeErrors(mp4), '');
    // From the keyframe at 4 s (the last one at or before 4.56 s) through the frame at 7.56 s.
    assert.equal(p.nbFrames, 90);
    assert.ok(Math.abs(p.formatDuration - 3.6) <= 0.04 + 1e-9, `duration ${p.formatDuration}`);
    assert.ok(p.formatDuration >= OPTS.beforeS + OPTS.afterS && p.formatDuration <= OPTS.beforeS + OPTS.afterS + 1, 'within one GOP of before + after');
    assert.equal(Math.round(stored.clip!.startedAt), Math.round(epochOf(4 * SECOND)));
    assert.equal(Math.round(stored.clip!.endedAt), Math.round(epochOf(189 * FRAME_TICKS)));
    const tInFile = (stored.startedAt - stored.clip!.startedAt) / 1000;
    assert.ok(p.firstPts <= tInFile && tInFile <= p.lastPts, `violation at ${tInFile} s within [${p.firstPts}, ${p.lastPts}]`);
  });

  it('clips a long event from its start through `afterS` past its end, truncated where the history no longer reaches', async (t) => {
    const { store, stream, recorder, arrival0 } = await rig(t, 'long', { ...OPTS, beforeS: 1, afterS: 1 });
    const epochOf = (pts: number) => performance.timeOrigin + arrival0 + pts / 90;
    for (const u of units.slice(0, 250)) stream.push(arrive(u, arrival0)); // up to 10 s: the history holds 5 s..10 s
    await flush();
    // A stop that began at 2 s and was reported at 9 s: the clip runs from the oldest held keyframe to 10 s.
    const e = await store.append(violation(epochOf(2 * SECOND), { plugin: 'parking', type: 'illegal-stopping', severity: 'warning', endedAt: epochOf(9 * SECOND) }));
    for (const u of units.slice(250)) stream.push(arrive(u, arrival0));
    await recorder.idle();
    assert.deepEqual(recorder.stats, { stored: 1, truncated: 1, missed: 0, pending: 0 });
    const clip = store.get(e.id)!.clip!;
    assert.ok(clip.startedAt > e.startedAt, 'starts after the event began: the history did not reach back');
    assert.equal(Math.round(clip.endedAt), Math.round(epochOf(10 * SECOND)));
  });

  it('at close, cuts a pending clip from what is held instead of waiting for the rest', async (t) => {
    const { store, stream, recorder, arrival0 } = await rig(t, 'close', { ...OPTS, afterS: 30, maxS: 60 });
    for (const u of units.slice(0, 150)) stream.push(arrive(u, arrival0));
    await flush();
    const e = await store.append(violation(performance.timeOrigin + arrival0 + 5000));
    await flush();
    assert.equal(recorder.stats.pending, 1);
    await recorder.close();
    assert.deepEqual(recorder.stats, { stored: 1, truncated: 1, missed: 0, pending: 0 });
    const p = probeMp4(store.clip(e.id)!);
    assert.equal(p.nbFrames, 150 - 75, 'from the keyframe at 3 s through the newest frame');
  });

  it('never cuts a clip from video of a later session: a camera that reconnects before the "after" part misses the clip', async (t) => {
    const { store, stream, recorder, arrival0 } = await rig(t, 'reconnect', OPTS);
    for (const u of units.slice(0, 150)) stream.push(arrive(u, arrival0));
    await flush();
    const e = await store.append(violation(performance.timeOrigin + arrival0 + 5500));
    await flush();
    stream.setTracks(TRACKS); // the camera reconnected: pts start again from 0, 10 s later
    for (const u of units.slice(0, 100)) stream.push(arrive(u, arrival0 + 10_000));
    await recorder.idle();
    assert.deepEqual(recorder.stats, { stored: 0, truncated: 0, missed: 1, pending: 0 });
    assert.equal(store.get(e.id)?.clip, undefined);
  });

  it('misses (and counts) an event of a camera it does not watch or older than its history', async (t) => {
    const { store, stream, recorder, arrival0 } = await rig(t, 'miss', OPTS);
    for (const u of units.slice(0, 250)) stream.push(arrive(u, arrival0));
    await flush();
    await store.append(violation(Date.now(), { camera: 'gate2' }));
    const old = await store.append(violation(performance.timeOrigin + arrival0 - 60_000));
    await flush();
    assert.deepEqual(recorder.stats, { stored: 0, truncated: 0, missed: 1, pending: 0 });
    assert.equal(store.get(old.id)?.clip, undefined);
  });
});

