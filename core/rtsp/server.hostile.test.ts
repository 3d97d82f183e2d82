/**
 * RtspServer against misbehaving clients: garbage, oversized headers, bad CSeq, wrong method
 * order, unsupported transports, competing publishers, a viewer that stops reading, and
 * sessions that never send a keep-alive. Streams are fed in-process, no ffmpeg needed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { VideoTrack, VideoUnit } from '../../codecs/access-unit.js';
import { parseSdp } from '../../codecs/sdp/parse.js';
import { tracksFromSdp } from '../../codecs/sdp/tracks.js';
import { Stream } from '../stream/index.js';
import { RtspServer } from './server.js';
import { TCP_CONGESTION_BYTES } from './session.js';
import { RawRtspClient, TestResolver, sessionOf } from './server.testkit.js';
import { waitUntil } from '../testing/wait.js';

const SPS = Uint8Array.from([0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xca, 0x3c, 0x58, 0xba, 0x80]);
const PPS = Uint8Array.from([0x68, 0xce, 0x0f, 0xc8]);
const H264_TRACK: VideoTrack = { kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {} };
const PUBLISH_SDP = [
  'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=test', 't=0 0',
  'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1', 'a=control:streamid=0', '',
].join('\r\n');

/** A synthetic H.264 unit: SPS+PPS+IDR for keyframes, one slice otherwise, `size` bytes of slice data. */
function unit(n: number, size: number, keyframe: boolean, slice: Uint8Array): VideoUnit {
  const nalus = keyframe ? [SPS, PPS, slice.subarray(0, size)] : [slice.subarray(0, size)];
  return { kind: 'video', codec: 'H264', pts: n * 3600, keyframe, nalus, receivedAt: performance.now() };
}

describe('RtspServer with hostile or confused clients', () => {
  const resolver = new TestResolver(new Set(['pub']));
  const server = new RtspServer({ host: '127.0.0.1', port: 0, sessionTimeoutMs: 2000 }, resolver);
  let port = 0;
  const url = (path: string): string => `rtsp://127.0.0.1:${port}/${path}`;
  const clients: RawRtspClient[] = [];
  const connect = async (): Promise<RawRtspClient> => {
    const c = await RawRtspClient.connect(port);
    clients.push(c);
    return c;
  };

  before(async () => {
    port = await server.listen();
    const synth = new Stream('synth');
    synth.setTracks([H264_TRACK]);
    const slice = new Uint8Array(3000).fill(0x41);
    slice[0] = 0x65;
    synth.push(unit(0, 3000, true, slice));
    resolver.streams.set('synth', synth);
    resolver.streams.set('offline', new Stream('offline'));
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    resolver.close();
  });

  it('answers garbage with 400 and keeps serving', async () => {
    const c = await connect();
    c.send(randomBytes(4096).map((b) => (b === 0x24 ? 0x25 : b))); // no '$' so it cannot pass as interleaved
    const res = await c.nextResponse();
    assert.equal(res.statusCode, 400);
    assert.ok(server.stats.parseErrors > 0);
    const fresh = await connect();
    const ok = await fresh.request('OPTIONS', url('synth'));
    assert.equal(ok.statusCode, 200);
    assert.match(ok.headers.get('public') ?? '', /ANNOUNCE/);
  });

  it('rejects a 100 KB header with 400, then resynchronises on the next request', async () => {
    const c = await connect();
    c.send(`OPTIONS ${url('synth')} RTSP/1.0\r\nCSeq: 1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`);
    assert.equal((await c.nextResponse()).statusCode, 400);
    c.send(`OPTIONS ${url('synth')} RTSP/1.0\r\nCSeq: 2\r\n\r\n`);
    const res = await c.nextResponse();
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.get('cseq'), '2');
  });

  it('rejects a missing or invalid CSeq with 400 and unknown methods with 501', async () => {
    const c = await connect();
    c.send(`OPTIONS ${url('synth')} RTSP/1.0\r\nCSeq: abc\r\n\r\n`);
    assert.equal((await c.nextResponse()).statusCode, 400);
    c.send(`OPTIONS ${url('synth')} RTSP/1.0\r\n\r\n`);
    assert.equal((await c.nextResponse()).statusCode, 400);
    assert.equal((await c.request('REDIRECT', url('synth'))).statusCode, 501);
  });

  it('DESCRIBE: 404 for an unknown path, 503 for a camera without a source, SDP with sprop otherwise', async () => {
    const c = await connect();
    assert.equal((await c.request('DESCRIBE', url('nope'))).statusCode, 404);
    const offline = await c.request('DESCRIBE', url('offline'));
    assert.equal(offline.statusCode, 503);
    assert.match(offline.reason, /offline/i);
    const res = await c.request('DESCRIBE', url('synth'), { Accept: 'application/sdp' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.get('content-base'), `${url('synth')}/`);
    const sdp = Buffer.from(res.body).toString();
    assert.match(sdp, /a=rtpmap:96 H264\/90000/);
    assert.match(sdp, /a=control:trackID=0/);
    const tracks = tracksFromSdp(parseSdp(sdp), url('synth')).tracks;
    assert.deepEqual(tracks[0]!.kind === 'video' && [...tracks[0]!.sps!], [...SPS], 'sprop SPS from the cached GOP');
  });

  it('PLAY before SETUP is 455, an unknown session 454, a second SETUP without Session 455, multicast 461', async () => {
    const c = await connect();
    assert.equal((await c.request('PLAY', url('synth'))).statusCode, 455);
    assert.equal((await c.request('PLAY', url('synth'), { Session: 'deadbeef' })).statusCode, 454);
    const multicast = await c.request('SETUP', `${url('synth')}/trackID=0`, { Transport: 'RTP/AVP;multicast;port=5000-5001' });
    assert.equal(multicast.statusCode, 461);
    const setup = await c.request('SETUP', `${url('synth')}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal(setup.statusCode, 200);
    assert.match(setup.headers.get('session') ?? '', /^[0-9a-f]{16};timeout=2$/);
    assert.match(setup.headers.get('transport') ?? '', /interleaved=0-1/);
    const again = await c.request('SETUP', `${url('synth')}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=2-3' });
    assert.equal(again.statusCode, 455);
    assert.equal((await c.request('SETUP', `${url('synth')}/trackID=7`, { Transport: 'RTP/AVP/TCP;unicast', Session: sessionOf(setup) })).statusCode, 404);
    assert.equal((await c.request('RECORD', url('synth'), { Session: sessionOf(setup) })).statusCode, 455);
    const play = await c.request('PLAY', url('synth'), { Session: sessionOf(setup) });
    assert.equal(play.statusCode, 200);
    assert.match(play.headers.get('rtp-info') ?? '', /^url=rtsp:\/\/127\.0\.0\.1:\d+\/synth\/trackID=0;seq=\d+;rtptime=\d+$/);
    await waitUntil(() => c.interleavedFrames > 0, 2000, 'GOP replayed as interleaved RTP');
    const synth = resolver.streams.get('synth')!;
    assert.equal(synth.readers.size, 1);
    assert.equal((await c.request('PAUSE', url('synth'), { Session: sessionOf(setup) })).statusCode, 200);
    assert.equal(synth.readers.size, 0, 'PAUSE detaches the reader');
    assert.equal((await c.request('PLAY', url('synth'), { Session: sessionOf(setup) })).statusCode, 200);
    assert.equal(synth.readers.size, 1, 'PLAY after PAUSE re-attaches');
    assert.equal((await c.request('GET_PARAMETER', url('synth'), { Session: sessionOf(setup) })).statusCode, 200);
    assert.equal((await c.request('TEARDOWN', url('synth'), { Session: sessionOf(setup) })).statusCode, 200);
    await waitUntil(() => server.stats.playSessions === 0, 1000, 'session gone');
  });

  it('publishing: 403 for a serve-only path, 404 for an unknown one, 400 for bad SDP, 455 for a second publisher', async () => {
    const a = await connect();
    const sdpHeaders = { 'Content-Type': 'application/sdp' };
    assert.equal((await a.request('ANNOUNCE', url('synth'), sdpHeaders, PUBLISH_SDP)).statusCode, 403);
    assert.equal((await a.request('ANNOUNCE', url('nowhere'), sdpHeaders, PUBLISH_SDP)).statusCode, 404);
    assert.equal((await a.request('ANNOUNCE', url('pub'), sdpHeaders, 'not sdp at all')).statusCode, 400);
    assert.equal((await a.request('SETUP', `${url('pub')}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' })).statusCode, 455);
    assert.equal((await a.request('ANNOUNCE', url('pub'), sdpHeaders, PUBLISH_SDP)).statusCode, 200);
    const b = await connect();
    const second = await b.request('ANNOUNCE', url('pub'), sdpHeaders, PUBLISH_SDP);
    assert.equal(second.statusCode, 455);
    assert.match(second.reason, /publisher/i);

    const setup = await a.request('SETUP', `${url('pub')}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
    assert.equal(setup.statusCode, 200);
    assert.match(setup.headers.get('transport') ?? '', /mode="RECORD"/);
    const session = sessionOf(setup);
    assert.equal((await a.request('PLAY', url('pub'), { Session: session })).statusCode, 455);
    assert.equal((await a.request('RECORD', url('pub'), { Session: session })).statusCode, 200);
    const stream = resolver.streams.get('pub')!;
    assert.equal(stream.state, 'online');
    const before = server.stats.malformedRtp;
    a.send(Uint8Array.from([0x24, 0, 0, 3, 1, 2, 3])); // 3-byte "RTP" packet
    a.send(Uint8Array.from([0x24, 9, 0, 2, 1, 2])); // a channel nobody set up
    await waitUntil(() => server.stats.malformedRtp === before + 1, 1000, 'malformed RTP counted');
    assert.equal((await a.request('TEARDOWN', url('pub'), { Session: session })).statusCode, 200);
    await waitUntil(() => stream.state === 'offline' && resolver.unpublished.includes('pub'), 1000, 'unpublished');
    assert.equal((await b.request('ANNOUNCE', url('pub'), sdpHeaders, PUBLISH_SDP)).statusCode, 200, 'path free again');
    b.close();
    await waitUntil(() => resolver.unpublished.filter((p) => p === 'pub').length === 2, 1000, 'disconnect unpublishes');
  });

  it('reaps a UDP session that sends no keep-alive, and its idle connection', { timeout: 30_000 }, async () => {
    const c = await connect();
    const setup = await c.request('SETUP', `${url('synth')}/trackID=0`, { Transport: 'RTP/AVP;unicast;client_port=40000-40001' });
    assert.equal(setup.statusCode, 200);
    assert.match(setup.headers.get('transport') ?? '', /client_port=40000-40001;server_port=\d+-\d+;ssrc=[0-9A-F]{8}/);
    const timedOut = server.stats.sessionsTimedOut;
    await waitUntil(() => server.stats.sessionsTimedOut > timedOut, 5000, 'session timeout');
    await waitUntil(() => c.closed, 5000, 'idle connection closed');
    const other = await connect();
    assert.equal((await other.request('PLAY', url('synth'), { Session: sessionOf(setup) })).statusCode, 454);
  });

  it('bounds memory for a viewer that stops reading: queue capped, losses counted, session reaped', { timeout: 60_000 }, async () => {
    const big = new Stream('big');
    big.setTracks([H264_TRACK]);
    resolver.streams.set('big', big);
    const slice = new Uint8Array(200_000).fill(0x41);
    slice[0] = 0x65;
    const c = await connect();
    const setup = await c.request('SETUP', `${url('big')}/trackID=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
    assert.equal((await c.request('PLAY', url('big'), { Session: sessionOf(setup) })).statusCode, 200);
    c.socket.pause();
    let n = 0;
    let maxQueued = 0;
    const feeder = setInterval(() => {
      for (let i = 0; i < 2; i++, n++) big.push(unit(n, 200_000, n % 10 === 0, slice));
      maxQueued = Math.max(maxQueued, server.stats.queuedBytes);
    }, 5);
    try {
      await waitUntil(() => big.stats.readerDropped > 0, 10_000, 'reader drops');
      await waitUntil(() => server.stats.playSessions === 0, 6000, 'stalled session reaped');
    } finally {
      clearInterval(feeder);
    }
    assert.ok(maxQueued <= TCP_CONGESTION_BYTES + 512 * 1024, `queued ${maxQueued} bytes`);
    assert.ok(big.stats.readerDropped > 0);
    assert.equal(big.readers.size, 0);
  });
});
