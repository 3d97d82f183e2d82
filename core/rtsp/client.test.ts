import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';

import type { Track, Unit, VideoUnit } from '../../codecs/access-unit.js';
import { parseH264Sps } from '../../codecs/h264/sps.js';
import { serializeRtp } from '../../codecs/rtp/packet.js';
import { RtspClient, type RtspClientOptions } from './client.js';
import { TrackDepacketizers } from './to-stream.js';
import { GstCamera } from './testdata/gst-peer.js';
import { FakeCamera, handshakeScript } from './testdata/fake-camera.js';
import { ProtocolError } from '../errors.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';

/** sprop-parameter-sets of GStreamer's x264enc at 320x240 (baseline), for the fake camera. */
const SPROP_320x240 = 'Z0LAFdoFB+wFqDAwNSgAAAMACAAAAwD0eLF1,aM48gA==';
const T = 60_000;

failOnUnhandledRejection();

function opts(o: Partial<RtspClientOptions> = {}): RtspClientOptions {
  return { transport: 'tcp', timeoutMs: 3000, ...o };
}

/** Collects depacketized units until `done` says so, bounded in time. */
function collectUnits(client: RtspClient, tracks: readonly Track[], done: (u: Unit[]) => boolean, ms = 8000): Promise<Unit[]> {
  const dep = new TrackDepacketizers(tracks);
  const units: Unit[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${ms} ms with ${units.length} units`));
    }, ms);
    const off = client.on('rtp', (i, p, at) => {
      units.push(...dep.push(i, p, at));
      if (done(units)) {
        clearTimeout(timer);
        off();
        resolve(units);
      }
    });
  });
}

const keyframes = (units: Unit[]): VideoUnit[] => units.filter((u): u is VideoUnit => u.kind === 'video' && u.keyframe);

function spsSize(unit: VideoUnit): { width: number; height: number } | undefined {
  const sps = unit.nalus.find((n) => (n[0]! & 0x1f) === 7);
  const info = sps ? parseH264Sps(sps) : null;
  return info ? { width: info.width, height: info.height } : undefined;
}

async function playAll(client: RtspClient, url: string, o: RtspClientOptions): Promise<Track[]> {
  await client.connect(url, o);
  const { tracks } = await client.describe();
  await client.setupAll();
  await client.play();
  return tracks;
}

describe('RtspClient against a GStreamer RTSP camera', { timeout: 180_000 }, () => {
  const cam = new GstCamera({ width: 320, height: 240, fps: 15, audio: 'pcma' });
  before(() => cam.start());
  after(() => cam.stop());

  it('pulls H.264 + PCMA over TCP interleaved, sends receiver reports', { timeout: T }, async () => {
    const client = new RtspClient();
    try {
      const tracks = await playAll(client, cam.url(), opts({ rtcpIntervalMs: 200 }));
      assert.deepEqual(tracks.map((t) => t.codec), ['H264', 'PCMA']);
      assert.match(tracks[0]!.control ?? '', /^rtsp:\/\/127\.0\.0\.1:\d+\/cam\/stream=0$/);
      const units = await collectUnits(client, tracks, (u) => keyframes(u).length >= 2 && u.some((x) => x.kind === 'audio'));
      const key = keyframes(units)[0]!;
      assert.equal(key.codec, 'H264');
      assert.deepEqual(spsSize(key), { width: 320, height: 240 });
      const audio = units.find((u) => u.kind === 'audio')!;
      assert.equal(audio.codec, 'PCMA');
      assert.equal(audio.kind === 'audio' && audio.clockRate, 8000);
      await waitUntil(() => client.stats.receiverReports >= 2, 3000);
      await waitUntil(() => client.stats.rtcpPackets >= 1, 8000); // the camera's sender reports
      assert.equal(client.stats.malformed, 0);
    } finally {
      await client.teardown();
    }
    assert.equal(client.closed, true);
  });

  it('pulls over UDP and drops RTP from a foreign address', { timeout: T }, async () => {
    const client = new RtspClient();
    const foreign = dgram.createSocket('udp4');
    try {
      const tracks = await playAll(client, cam.url(), opts({ transport: 'udp', rtcpIntervalMs: 200 }));
      const units = await collectUnits(client, tracks, (u) => keyframes(u).length >= 1);
      assert.deepEqual(spsSize(keyframes(units)[0]!), { width: 320, height: 240 });
      const port = client.transports[0]!.clientPorts![0];
      await new Promise<void>((resolve) => foreign.bind(0, '127.0.0.2', resolve));
      const pkt = serializeRtp({
        marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 42, csrcs: [], padding: false,
        payload: new Uint8Array([0x65, 1, 2, 3]),
      });
      let injected = 0;
      const off = client.on('rtp', (_i, p) => {
        if (p.ssrc === 42) injected++;
      });
      foreign.send(pkt, port, '127.0.0.1');
      await waitUntil(() => client.stats.foreignPackets >= 1, 3000);
      off();
      assert.equal(injected, 0);
      await waitUntil(() => client.stats.receiverReports >= 2, 3000);
      assert.ok(client.transports[0]!.serverRtcpPort, 'the camera told us its RTCP port');
    } finally {
      foreign.close();
      await client.teardown();
    }
  });

  it('follows a 302 redirect from another server to the camera', { timeout: T }, async () => {
    const redirector = new FakeCamera((req, conn) => conn.reply(req, 302, { Location: cam.url() }));
    await redirector.listen();
    const client = new RtspClient();
    try {
      const tracks = await playAll(client, redirector.url('/old'), opts());
      assert.equal(client.stats.redirects, 1);
      assert.equal(client.url, cam.url());
      await collectUnits(client, tracks, (u) => keyframes(u).length >= 1);
    } finally {
      await client.teardown();
      await redirector.close();
    }
  });
});

describe('RtspClient Digest auth against GStreamer', { timeout: 180_000 }, () => {
  const cam = new GstCamera({ user: 'admin', password: 's3cret', transport: 'tcp' });
  before(() => cam.start());
  after(() => cam.stop());

  it('authenticates with credentials from the URL', { timeout: T }, async () => {
    const client = new RtspClient();
    try {
      const tracks = await playAll(client, cam.url('admin', 's3cret'), opts());
      await collectUnits(client, tracks, (u) => keyframes(u).length >= 1);
    } finally {
      await client.teardown();
    }
  });

  it('authenticates with credentials from the options', { timeout: T }, async () => {
    const client = new RtspClient();
    try {
      await playAll(client, cam.url(), opts({ username: 'admin', password: 's3cret' }));
    } finally {
      await client.teardown();
    }
  });

  it('a wrong password is a clear 401 error, the client closes cleanly', { timeout: T }, async () => {
    const client = new RtspClient();
    let closeError: Error | undefined;
    client.on('close', (e) => (closeError = e));
    await assert.rejects(
      async () => {
        await client.connect(cam.url('admin', 'wrong'), opts());
        await client.describe();
      },
      (err: Error) => err instanceof ProtocolError && /401/.test(err.message) && /wrong username or password/.test(err.message),
    );
    assert.equal(client.closed, true);
    assert.ok(closeError instanceof ProtocolError);
    assert.doesNotMatch(closeError.message, /wrong@|admin:/);
  });

  it('no credentials is a clear 401 error', { timeout: T }, async () => {
    const client = new RtspClient();
    await assert.rejects(async () => {
      await client.connect(cam.url(), opts());
      await client.describe();
    }, /401.*needs credentials/);
  });
});

describe('RtspClient against broken cameras', { timeout: 180_000 }, () => {
  async function withFake(script: ConstructorParameters<typeof FakeCamera>[0], fn: (cam: FakeCamera) => Promise<void>) {
    const cam = new FakeCamera(script);
    await cam.listen();
    try {
      await fn(cam);
    } finally {
      await cam.close();
    }
  }

  async function expectHandshakeError(cam: FakeCamera, pattern: RegExp, o: Partial<RtspClientOptions> = {}) {
    const client = new RtspClient();
    let closeEvents = 0;
    client.on('close', () => closeEvents++);
    await assert.rejects(() => playAll(client, cam.url(), opts(o)), (err: Error) => {
      assert.ok(err instanceof ProtocolError || err.name === 'UnsupportedError', `error class: ${err.name}`);
      assert.match(err.message, pattern);
      return true;
    });
    assert.equal(client.closed, true);
    assert.equal(closeEvents, 1);
  }

  it('garbage instead of a response', { timeout: T }, () =>
    withFake((_req, conn) => conn.raw('\x00\x01garbage garbage\r\n\r\n'), (cam) => expectHandshakeError(cam, /malformed RTSP/, { timeoutMs: 1000 })));

  it('a wrong status line', { timeout: T }, () =>
    withFake((_req, conn) => conn.raw('HTTP/1.1 200 OK\r\nCSeq: 1\r\n\r\n'), (cam) => expectHandshakeError(cam, /malformed RTSP start line "HTTP/, { timeoutMs: 1000 })));

  it('a bad Content-Length', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          if (req.method !== 'DESCRIBE') return false;
          conn.raw(`RTSP/1.0 200 OK\r\nCSeq: ${req.headers.get('cseq')}\r\nContent-Length: -12x\r\n\r\nv=0\r\n`);
          return true;
        },
      }),
      (cam) => expectHandshakeError(cam, /invalid Content-Length/, { timeoutMs: 1000 }),
    ));

  it('a Content-Length longer than the body times out clearly', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          if (req.method !== 'DESCRIBE') return false;
          conn.raw(`RTSP/1.0 200 OK\r\nCSeq: ${req.headers.get('cseq')}\r\nContent-Length: 5000\r\n\r\nv=0\r\n`);
          return true;
        },
      }),
      (cam) => expectHandshakeError(cam, /DESCRIBE.*no response within 500 ms/, { timeoutMs: 500 }),
    ));

  it('a response with the wrong CSeq', { timeout: T }, () =>
    withFake(
      (req, conn) => conn.reply(req, 200, { CSeq: '999', Public: 'OPTIONS' }),
      (cam) => expectHandshakeError(cam, /CSeq 999 does not match/),
    ));

  it('SDP garbage', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          if (req.method !== 'DESCRIBE') return false;
          conn.reply(req, 200, { 'Content-Type': 'application/sdp' }, 'this is not\r\nan SDP\r\n');
          return true;
        },
      }),
      (cam) => expectHandshakeError(cam, /DESCRIBE .*: invalid SDP: /),
    ));

  it('a camera that answers OPTIONS, then never answers DESCRIBE', { timeout: T }, () =>
    withFake(
      handshakeScript({ override: (req) => req.method === 'DESCRIBE' }),
      (cam) => expectHandshakeError(cam, /DESCRIBE .*no response within 700 ms/, { timeoutMs: 700 }),
    ));

  it('a camera that accepts TCP and sends nothing', { timeout: T }, () =>
    withFake(() => undefined, (cam) => expectHandshakeError(cam, /OPTIONS .*no response within 500 ms/, { timeoutMs: 500 })));

  it('a refused connection', { timeout: T }, async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new RtspClient();
    await assert.rejects(() => client.connect(`rtsp://127.0.0.1:${port}/x`, opts()), /ECONNREFUSED|failed/);
    assert.equal(client.closed, true);
  });

  it('a 404 on DESCRIBE', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          if (req.method !== 'DESCRIBE') return false;
          conn.reply(req, 404);
          return true;
        },
      }),
      (cam) => expectHandshakeError(cam, /DESCRIBE .* 404 Not Found/),
    ));

  it('too many redirects', { timeout: T }, () =>
    withFake(
      (req, conn) => conn.reply(req, 301, { Location: req.uri }),
      (cam) => expectHandshakeError(cam, /too many redirects/),
    ));

  it('skips truncated and garbage interleaved frames, counts them, and keeps going', { timeout: T }, () => {
    let seq = 0;
    const idr = (ts: number): Uint8Array =>
      serializeRtp({
        marker: true, payloadType: 96, sequenceNumber: seq++, timestamp: ts, ssrc: 7, csrcs: [], padding: false,
        payload: new Uint8Array([0x65, 0x88, 0x84, 0x00, 0x33, 0xff]),
      });
    return withFake(
      handshakeScript({
        sprop: SPROP_320x240,
        onPlay: (conn) => {
          conn.interleaved(0, idr(0));
          conn.interleaved(0, new Uint8Array([0x80, 0x60])); // truncated RTP header
          conn.interleaved(0, new Uint8Array([0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])); // RTP version 0
          conn.interleaved(9, new Uint8Array([1, 2, 3])); // a channel nobody set up
          conn.raw('garbage between frames'); // the parser resynchronises on the next '$'
          conn.interleaved(0, idr(3000));
          conn.interleaved(0, idr(6000));
        },
      }),
      async (cam) => {
        const client = new RtspClient();
        try {
          await client.connect(cam.url(), opts());
          const { tracks } = await client.describe();
          await client.setupAll();
          const done = collectUnits(client, tracks, (u) => keyframes(u).length >= 2, 3000);
          await client.play();
          const units = await done;
          assert.ok(keyframes(units).length >= 2);
          assert.deepEqual(spsSize(keyframes(units)[0]!), { width: 320, height: 240 });
          await waitUntil(() => client.stats.malformed >= 4, 2000);
          assert.equal(client.closed, false);
        } finally {
          await client.teardown();
        }
        assert.ok(cam.methods().includes('TEARDOWN'), `methods: ${cam.methods().join(',')}`);
        // PLAY and TEARDOWN address the session by Content-Base (the fake sends `<url>/`).
        const play = cam.requests.find((r) => r.method === 'PLAY')!;
        assert.equal(play.uri, `${cam.url()}/`);
        assert.equal(cam.requests.find((r) => r.method === 'SETUP')!.uri, `${cam.url()}/trackID=0`);
      },
    );
  });

  it('keeps the session alive with GET_PARAMETER when advertised, OPTIONS otherwise', { timeout: T }, async () => {
    for (const [publicMethods, expected] of [
      ['OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER', 'GET_PARAMETER'],
      ['OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN', 'OPTIONS'],
    ] as const) {
      await withFake(handshakeScript({ publicMethods, sessionHeader: 'abc;timeout=2' }), async (cam) => {
        const client = new RtspClient();
        try {
          await playAll(client, cam.url(), opts());
          await waitUntil(() => client.stats.keepAlives >= 1 && cam.methods().slice(-1)[0] === expected, 3000);
          const ka = cam.requests.at(-1)!;
          assert.equal(ka.headers.get('session'), 'abc');
        } finally {
          await client.teardown();
        }
      });
    }
  });

  it('an unexpected close by the camera emits close with an error', { timeout: T }, () =>
    withFake(handshakeScript({ onPlay: (conn) => setTimeout(() => conn.socket.destroy(), 50) }), async (cam) => {
      const client = new RtspClient();
      const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
      await playAll(client, cam.url(), opts());
      const err = await closed;
      assert.match(err?.message ?? '', /closed the connection/);
    }));

  it('a SETUP answer without a Session header', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          if (req.method !== 'SETUP') return false;
          conn.reply(req, 200, { Transport: req.headers.get('transport') ?? '' });
          return true;
        },
      }),
      (cam) => expectHandshakeError(cam, /no Session header/),
    ));

  it('answers Basic auth', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          const expected = `Basic ${Buffer.from('u:p w').toString('base64')}`;
          if (req.headers.get('authorization') === expected) return false;
          conn.reply(req, 401, { 'WWW-Authenticate': 'Basic realm="cam"' });
          return true;
        },
      }),
      async (cam) => {
        const client = new RtspClient();
        try {
          await playAll(client, cam.url('/cam', 'u:p%20w'), opts());
        } finally {
          await client.teardown();
        }
      },
    ));

  it('prefers Digest SHA-256 over MD5 when both are offered', { timeout: T }, async () => {
    const { verifyAuthorization } = await import('../../codecs/rtsp/auth.js');
    let sawSha256 = false;
    await withFake(
      handshakeScript({
        override: (req, conn) => {
          const header = req.headers.get('authorization');
          if (header && /algorithm=SHA-256/.test(header)) sawSha256 = true;
          if (verifyAuthorization(header, { method: req.method, realm: 'cam', nonce: 'abc', username: 'u', password: 'p' })) {
            return false;
          }
          conn.raw(
            `RTSP/1.0 401 Unauthorized\r\nCSeq: ${req.headers.get('cseq')}\r\n` +
              'WWW-Authenticate: Digest realm="cam", nonce="abc", algorithm=MD5, qop="auth"\r\n' +
              'WWW-Authenticate: Digest realm="cam", nonce="abc", algorithm=SHA-256, qop="auth"\r\n\r\n',
          );
          return true;
        },
      }),
      async (cam) => {
        const client = new RtspClient();
        try {
          await playAll(client, cam.url(), opts({ username: 'u', password: 'p' }));
          assert.equal(sawSha256, true);
        } finally {
          await client.teardown();
        }
      },
    );
  });

  it('an SDP with no supported track is an UnsupportedError', { timeout: T }, () =>
    withFake(
      handshakeScript({
        override: (req, conn) => {
          if (req.method !== 'DESCRIBE') return false;
          const sdp = 'v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:track1\r\n';
          conn.reply(req, 200, { 'Content-Type': 'application/sdp' }, sdp);
          return true;
        },
      }),
      (cam) => expectHandshakeError(cam, /no supported track in SDP/),
    ));

  it('refreshes a stale Digest nonce once', { timeout: T }, async () => {
    const { verifyAuthorization } = await import('../../codecs/rtsp/auth.js');
    let nonce = 'n1';
    let staled = false;
    await withFake(
      handshakeScript({
        override: (req, conn) => {
          const header = req.headers.get('authorization');
          const ok = header !== undefined &&
            verifyAuthorization(header, { method: req.method, realm: 'cam', nonce, username: 'u', password: 'p' });
          if (ok && req.method === 'DESCRIBE' && !staled) {
            staled = true;
            nonce = 'n2';
            conn.reply(req, 401, { 'WWW-Authenticate': `Digest realm="cam", nonce="${nonce}", stale=true` });
            return true;
          }
          if (ok) return false;
          conn.reply(req, 401, { 'WWW-Authenticate': `Digest realm="cam", nonce="${nonce}"` });
          return true;
        },
      }),
      async (cam) => {
        const client = new RtspClient();
        try {
          await playAll(client, cam.url('/cam', 'u:p'), opts());
          assert.equal(staled, true);
        } finally {
          await client.teardown();
        }
      },
    );
  });
});
