import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Track, Unit } from '../../codecs/access-unit.js';
import { messagesFromUnits } from '../../codecs/flv/flv.testkit.js';
import { encodeClipUnits } from '../../codecs/mp4/mp4.testkit.js';
import { setLogLevel } from '../log.js';
import { Stream } from '../stream/stream.js';
import { RtmpToStream } from './to-stream.js';

setLogLevel('error');

/** Readers drain on a later turn of the event loop. */
const drained = () => new Promise<void>((resolve) => setImmediate(resolve));

const video = messagesFromUnits(encodeClipUnits({ codec: 'H264', seconds: 1, gop: 25 }));
const alaw = Uint8Array.from([0x72, ...new Uint8Array(320).fill(0xd5)]);
const aac = Uint8Array.from([0xaf, 1, 0x21, 0x10]);

function setup() {
  const stream = new Stream('cam');
  const units: Unit[] = [];
  const tracks: (readonly Track[])[] = [];
  stream.addReader({ name: 'test', write: (u) => void units.push(u) }, { gop: false });
  stream.on('tracks', (t) => tracks.push(t));
  const dropped: Record<string, number> = {};
  const media = new RtmpToStream('cam', '127.0.0.1:1', stream, (c) => void (dropped[c] = (dropped[c] ?? 0) + 1));
  return { stream, units, tracks, dropped, media };
}

describe('RtmpToStream', () => {
  it('announces the tracks at the first keyframe, with G.711 when onMetaData said so, and carries it', async () => {
    const { units, tracks, dropped, media } = setup();
    media.metadata({ videocodecid: 7, audiocodecid: 7, stereo: false });
    media.video(0, video[0]!.body, 0); // sequence header: nothing announced yet
    assert.equal(tracks.length, 0);
    media.audio(0, alaw, 0); // before the tracks: dropped
    media.video(0, video[1]!.body, 0);
    assert.deepEqual(tracks.map((t) => t.map((x) => x.codec)), [['H264', 'PCMA']]);
    media.audio(40, alaw, 0);
    media.video(40, video[2]!.body, 0);
    await drained();
    assert.deepEqual(units.map((u) => `${u.kind}:${u.pts}`), ['video:0', 'audio:320', 'audio:480', 'video:3600']);
    assert.deepEqual(dropped, { PCMA: 1 });
  });
  it('learns G.711 from an audio message that comes before the first keyframe', () => {
    const { tracks, media } = setup();
    media.video(0, video[0]!.body, 0);
    media.audio(0, Uint8Array.from([0x83, 0, 0]), 0); // stereo µ-law
    media.video(0, video[1]!.body, 0);
    assert.deepEqual(tracks[0]!.map((t) => (t.kind === 'audio' ? `${t.codec}/${t.channels}` : t.codec)), ['H264', 'PCMU/2']);
  });
  it('drops and counts AAC, and G.711 that starts after the video was announced', async () => {
    const { stream, units, tracks, dropped, media } = setup();
    media.metadata({ audiocodecid: 10 });
    media.video(0, video[0]!.body, 0);
    media.video(0, video[1]!.body, 0);
    media.audio(0, aac, 0);
    media.audio(20, aac, 0);
    media.audio(40, alaw, 0);
    assert.deepEqual(tracks.map((t) => t.map((x) => x.codec)), [['H264']]);
    assert.deepEqual(dropped, { AAC: 2, PCMA: 1 });
    await drained();
    assert.equal(units.filter((u) => u.kind === 'video').length, 1);
    assert.equal(units.filter((u) => u.kind === 'audio').length, 0);
    assert.equal(stream.stats.audioUnits, 0);
  });
  it('a new sequence header (new encoder settings) announces again at its keyframe', () => {
    const { tracks, media } = setup();
    media.video(0, video[0]!.body, 0);
    media.video(0, video[1]!.body, 0);
    const h265 = messagesFromUnits(encodeClipUnits({ codec: 'H265', seconds: 1, gop: 25 }));
    media.video(40, h265[0]!.body, 0);
    media.video(40, h265[1]!.body, 0);
    assert.deepEqual(tracks.map((t) => t[0]!.codec), ['H264', 'H265']);
  });
});
