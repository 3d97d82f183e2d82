import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { decodeErrors, encodeClipUnits, FRAME_TICKS, probeMp4 } from '../../codecs/mp4/mp4.testkit.js';
import { Stream } from './stream.js';
import { TRACKS, flush } from './testdata/units.js';
import { UnitHistory } from './unit-history.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const SPS = hex('6764001eacb405017fcb80880000030008000003019078b175');
const SPS_OTHER = hex('6742c00dd90141fb0110000003001000000303c0f142a480');
const PPS = hex('68ebe3cb22c0');
const SECOND = 90000;

/** Frame n of a 25 fps stream with a keyframe every `gop` frames; slices of `size` bytes. */
function frame(n: number, gop = 25, size = 100, sps = SPS): VideoUnit {
  const keyframe = n % gop === 0;
  const slice = new Uint8Array(size).fill(n & 0xff);
  slice[0] = keyframe ? 0x65 : 0x41;
  return { kind: 'video', codec: 'H264', pts: n * FRAME_TICKS, keyframe, nalus: keyframe ? [sps, PPS, slice] : [slice], receivedAt: 0 };
}

function feed(h: UnitHistory, from: number, to: number, gop = 25, size = 100): void {
  for (let n = from; n < to; n++) h.write(frame(n, gop, size));
}

describe('UnitHistory (crafted units)', () => {
  it('keeps at least `seconds`, dropping whole GOPs so it starts at a keyframe', () => {
    const h = new UnitHistory('test', { seconds: 4 });
    feed(h, 0, 250); // 10 s, a keyframe every second
    const s = h.stats;
    assert.equal(s.firstPts, 5 * SECOND, 'the GOP at 6 s alone would cover only 3.96 s');
    assert.equal(s.lastPts, 249 * FRAME_TICKS);
    assert.equal(s.gops, 5);
    assert.equal(s.units, 125);
    assert.equal(s.droppedForBytes, 0);
  });

  it('stays within maxBytes by dropping front GOPs, and counts what it dropped', () => {
    const gopBytes = SPS.length + PPS.length + 25 * 1000;
    const h = new UnitHistory('test', { seconds: 30, maxBytes: 3 * gopBytes + 500 });
    for (let n = 0; n < 250; n++) {
      h.write(frame(n, 25, 1000));
      assert.ok(h.stats.bytes <= h.maxBytes, `bytes ${h.stats.bytes} at frame ${n}`);
      const c = h.clip(0, 0)!;
      assert.equal(c.samples[0]!.keyframe, true, `starts at a keyframe at frame ${n}`);
    }
    assert.equal(h.stats.gops, 3);
    assert.equal(h.stats.units, 75);
    assert.equal(h.stats.droppedForBytes, 175);
  });

  it('drops a GOP larger than maxBytes whole and waits for the next keyframe', () => {
    const h = new UnitHistory('test', { maxBytes: 10_000 });
    feed(h, 0, 20, 25, 1000); // reaches 10 kB at frame 9
    assert.equal(h.stats.units, 0);
    assert.equal(h.stats.droppedForBytes, 20, 'the 10 dropped with the GOP and the 10 skipped after');
    assert.equal(h.clip(0, 1e9), undefined);
    feed(h, 25, 30, 25, 100);
    assert.equal(h.stats.firstPts, 25 * FRAME_TICKS);
  });

  it('clips from the last keyframe at or before fromPts through the first unit at or after toPts', () => {
    const h = new UnitHistory('test', { seconds: 30 });
    feed(h, 0, 250);
    const c = h.clip(3.5 * SECOND, 5.5 * SECOND)!;
    assert.equal(c.firstPts, 3 * SECOND);
    assert.equal(c.samples[0]!.keyframe, true);
    assert.equal(c.lastPts, 138 * FRAME_TICKS, 'first frame at or after 5.5 s (frames are 40 ms apart)');
    assert.equal(c.samples.length, 64);
    assert.deepEqual(c.track, { codec: 'H264', sps: SPS, pps: PPS, timescale: 90000 });
    assert.equal(h.clip(2 * SECOND, 2 * SECOND)!.samples.length, 1, 'a keyframe exactly at fromPts');
    const tail = h.clip(9.5 * SECOND, 20 * SECOND)!;
    assert.equal(tail.lastPts, 249 * FRAME_TICKS, 'toPts not reached yet: up to the newest unit');
    assert.equal(h.clip(5 * SECOND, 4 * SECOND), undefined);
  });

  it('clips from the oldest keyframe when fromPts is older than the history', () => {
    const h = new UnitHistory('test', { seconds: 2 });
    feed(h, 0, 250);
    assert.equal(h.clip(0, 9 * SECOND)!.firstPts, 7 * SECOND);
  });

  it('starts over on a new SPS, on pts going backwards and on new tracks', () => {
    const h = new UnitHistory('test');
    feed(h, 0, 30);
    h.write(frame(50, 25, 100, SPS_OTHER));
    assert.deepEqual([h.stats.units, h.stats.firstPts, h.stats.resets], [1, 50 * FRAME_TICKS, 1]);
    assert.equal(h.clip(0, 1e9)!.track.sps, SPS_OTHER);
    h.write(frame(10));
    assert.deepEqual([h.stats.units, h.stats.resets], [0, 2], 'pts went back: the P-frame waits for a keyframe');
    feed(h, 25, 30);
    h.onTracks(TRACKS);
    assert.deepEqual([h.stats.units, h.stats.resets], [0, 3]);
  });

  it('whenAvailable resolves when the pts arrives, false on timeout and on close', async () => {
    const h = new UnitHistory('test');
    feed(h, 0, 10);
    assert.equal(await h.whenAvailable(5 * FRAME_TICKS, 10), true, 'already held');
    const later = h.whenAvailable(20 * FRAME_TICKS, 5000);
    feed(h, 10, 21);
    assert.equal(await later, true);
    assert.equal(await h.whenAvailable(100 * FRAME_TICKS, 20), false, 'timeout');
    const pending = h.whenAvailable(100 * FRAME_TICKS, 5000);
    h.close();
    assert.equal(await pending, false);
    assert.equal(h.stats.units, 0);
  });

  it('attaches to a Stream as a reader and closes with it', async () => {
    const stream = new Stream('cam');
    stream.setTracks(TRACKS);
    for (let n = 0; n < 30; n++) stream.push(frame(n));
    const h = new UnitHistory('history:cam');
    h.attach(stream);
    await flush();
    assert.equal(h.stats.firstPts, 25 * FRAME_TICKS, 'started from the cached GOP');
    for (let n = 30; n < 60; n++) stream.push(frame(n));
    await flush();
    assert.equal(h.stats.units, 35);
    assert.equal(stream.readers.size, 1);
    stream.close();
    assert.equal(h.closed, true);
  });

  it('maps a capture time (epoch ms) to the pts of the unit captured nearest to it, as the decoder stamps frames', () => {
    const h = new UnitHistory('test', { seconds: 10 });
    // 25 fps arriving on time, except frame 7, which arrives 30 ms late: capture times follow the pts, not the arrival.
    for (let n = 0; n < 50; n++) h.write({ ...frame(n), receivedAt: 1000 + n * 40 + (n === 7 ? 30 : 0) });
    const at = (n: number) => performance.timeOrigin + 1000 + n * 40;
    assert.equal(h.ptsAt(at(10)), 10 * FRAME_TICKS);
    assert.equal(h.ptsAt(at(7) + 5), 7 * FRAME_TICKS, 'the late arrival of frame 7 does not move its capture time');
    assert.equal(h.ptsAt(at(20) + 25), 21 * FRAME_TICKS, 'nearest, not the one before');
    assert.equal(h.ptsAt(at(49) + 1000), 49 * FRAME_TICKS + SECOND, 'later than the newest: extrapolated on the pts clock');
    assert.equal(h.ptsAt(at(0) - 1000), undefined, 'older than the history');
    const c = h.clip(10 * FRAME_TICKS, 20 * FRAME_TICKS)!;
    assert.equal(c.firstAt, at(0), 'the clip starts at the keyframe before, captured at frame 0');
    assert.equal(c.lastAt, at(20));
    assert.equal(new UnitHistory('empty').ptsAt(at(0)), undefined);
  });
});

describe('UnitHistory (real clip, MP4 checked by ffprobe)', () => {
  it('cuts an evidence clip around a violation, starting at a keyframe, readable by ffprobe', async () => {
    const units = encodeClipUnits({ codec: 'H264', seconds: 10, gop: 50 });
    const stream = new Stream('cam');
    stream.setTracks(TRACKS);
    const h = new UnitHistory('history:cam', { seconds: 6 });
    h.attach(stream);
    // Integer ticks: 7.3 * 90000 in floating point is not exactly 657000.
    const t = 657_000; // 7.3 s
    const [before, after] = [180_000, 135_000];
    for (const u of units.slice(0, 190)) stream.push(u);
    const ready = h.whenAvailable(t + after, 5000);
    await flush();
    for (const u of units.slice(190)) stream.push(u);
    assert.equal(await ready, true);
    const c = h.clip(t - before, t + after)!;
    assert.equal(c.firstPts, 4 * SECOND, 'keyframe at 4 s, the last one before 5.3 s');
    assert.equal(c.lastPts, 220 * FRAME_TICKS, 'the frame at 8.8 s');
    const mp4 = h.clipMp4(t - before, t + after)!;
    const p = probeMp4(mp4);
    const frameSec = FRAME_TICKS / SECOND;
    assert.equal(p.codecName, 'h264');
    assert.equal(p.nbFrames, 121);
    assert.ok(Math.abs(p.formatDuration - 4.84) <= frameSec, `duration ${p.formatDuration}`);
    const tInFile = (t - c.firstPts) / SECOND;
    assert.ok(p.firstPts <= tInFile && tInFile <= p.lastPts, `${tInFile} s within [${p.firstPts}, ${p.lastPts}]`);
    assert.equal(decodeErrors(mp4), '');
    stream.close();
  });
});
