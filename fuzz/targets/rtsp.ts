/**
 * RtspStreamParser (codecs/rtsp/message.ts) on a byte stream of requests, responses and `$` frames,
 * cut into chunks at random points, and the header parsers an RTSP client and server run on what
 * it yields (Transport, Session, Range, RTP-Info, WWW-Authenticate, Authorization, SDP bodies).
 *
 * Checks: push never throws; every message body is exactly its Content-Length; a `$` frame's data is
 * exactly its length field; the parser never holds more than its limits allow; the messages and
 * frames found do not depend on where the stream was cut.
 */
import fc from 'fast-check';
import { ProtocolError, UnsupportedError } from '../../core/errors.js';
import { authorizationHeader, parseAuthorization, parseWwwAuthenticate, pickChallenge, verifyAuthorization } from '../../codecs/rtsp/auth.js';
import { RtspStreamParser, serializeInterleaved } from '../../codecs/rtsp/message.js';
import type { RtspChunk, RtspHeaders } from '../../codecs/rtsp/message.js';
import { parseRange, parseRtpInfo, parseSession, parseTransport } from '../../codecs/rtsp/transport.js';
import { parseSdp } from '../../codecs/sdp/parse.js';
import { tracksFromSdp } from '../../codecs/sdp/tracks.js';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { parseRtcp } from '../../codecs/rtp/rtcp.js';
import { allowing, invariant, type FuzzTarget } from '../harness.js';
import { chunksOf, mutatedBytes, splitPoints } from '../mutate.js';
import { h264Rtp, sdps } from '../seeds.js';

const MAX_HEADER = 2048;
const MAX_BODY = 8192;
/** The most a parser may hold: a header section, a body, or one whole `$` frame, whichever is largest. */
const MAX_BUFFERED = Math.max(MAX_HEADER + 4, MAX_BODY, 4 + 0xffff);

const msg = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const withBody = (head: string, body: string): Uint8Array => msg(`${head}Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`);

/** What cameras, ffmpeg and our own client put on an RTSP connection. */
export const RTSP_SEEDS: readonly Uint8Array[] = [
  msg('OPTIONS rtsp://192.168.1.64:554/Streaming/Channels/101 RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: streamsight\r\n\r\n'),
  msg('RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, PAUSE, GET_PARAMETER\r\n\r\n'),
  msg('RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="IP Camera(C6496)", nonce="a8b1f7d3a6e2b9c4", stale="FALSE", algorithm=MD5, qop="auth,auth-int"\r\nWWW-Authenticate: Basic realm="IP Camera(C6496)"\r\nDate: Tue, Nov 24 2026 09:00:00 GMT\r\n\r\n'),
  msg('DESCRIBE rtsp://cam/live RTSP/1.0\r\nCSeq: 3\r\nAccept: application/sdp\r\nAuthorization: Digest username="admin", realm="IP Camera(C6496)", nonce="a8b1f7d3a6e2b9c4", uri="rtsp://cam/live", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"\r\n\r\n'),
  withBody('RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\nContent-Base: rtsp://192.168.1.64:554/Streaming/Channels/101/\r\n', sdps[0]!),
  withBody('RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\nContent-Base: rtsp://cam/\r\n', sdps[2]!),
  msg('SETUP rtsp://cam/live/trackID=1 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n'),
  msg('RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession: 47112344;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=5A3E2C1B;mode="PLAY"\r\n\r\n'),
  msg('RTSP/1.0 200 OK\r\nCSeq: 4\r\nSession:       12345678\r\nTransport: RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;source=192.168.1.64\r\n\r\n'),
  msg('PLAY rtsp://cam/live/ RTSP/1.0\r\nCSeq: 5\r\nSession: 47112344\r\nRange: npt=0.000-\r\n\r\n'),
  msg('RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 47112344\r\nRange: npt=now-\r\nRTP-Info: url=rtsp://cam/live/trackID=1;seq=4321;rtptime=123456,url=rtsp://cam/live/trackID=2;seq=17;rtptime=99\r\n\r\n'),
  withBody('ANNOUNCE rtsp://127.0.0.1:8554/gate1 RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\n', sdps[sdps.length - 2]!),
  msg('RECORD rtsp://127.0.0.1:8554/gate1 RTSP/1.0\r\nCSeq: 6\r\nSession: 9f2a\r\nRange: npt=00:01:02.5-00:02:00;time=19970123T143720Z\r\n\r\n'),
  withBody('GET_PARAMETER rtsp://cam/live RTSP/1.0\r\nCSeq: 7\r\nSession: 47112344\r\nContent-Type: text/parameters\r\n', 'position\r\n'),
  msg('TEARDOWN * RTSP/1.0\r\nCSeq: 8\r\nSession: 47112344\r\n\r\n'),
  msg('RTSP/1.0 454 Session Not Found\nCSeq: 9\n\n'),
  serializeInterleaved(0, h264Rtp[0]!),
  serializeInterleaved(0, h264Rtp[3]!),
  serializeInterleaved(1, Uint8Array.from([0x80, 0xc8, 0, 6, 0, 0, 0, 1, 0xe8, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 100])),
  msg('\r\n\r\n'),
];

const TOKENS = [
  'RTSP/1.0 ', ' RTSP/1.0\r\n', 'RTSP/1.0 200 OK\r\n', 'Content-Length: ', 'Content-Length: 99999999\r\n', 'CSeq: ', '\r\n', '\r\n\r\n', '\n\n',
  ': ', ' ', '\t', '$\x00\x00\x08', '$\x01\xff\xff', 'Transport: ', 'Session: ', 'Range: npt=', 'RTP-Info: url=', ';seq=', ',',
  'WWW-Authenticate: Digest ', 'Authorization: Basic ', 'nonce="', 'DESCRIBE ', 'rtsp://', '"', '\\',
];

/** A comparable line per item (errors excluded: where a resync reports is allowed to move). */
function summary(chunks: readonly RtspChunk[]): string[] {
  const out: string[] = [];
  for (const c of chunks) {
    if (c.type === 'request') out.push(`req ${c.message.method} ${c.message.uri} ${c.message.headers.size} ${Buffer.from(c.message.body).toString('hex')}`);
    else if (c.type === 'response') out.push(`res ${c.message.statusCode} ${c.message.headers.size} ${Buffer.from(c.message.body).toString('hex')}`);
    else if (c.type === 'interleaved') out.push(`$${c.channel} ${Buffer.from(c.data).toString('hex')}`);
  }
  return out;
}

/** What the RTSP client and server do with a message's headers and body. */
export function useHeaders(headers: RtspHeaders, body: Uint8Array, method?: string): void {
  const transport = headers.get('transport');
  if (transport !== undefined) parseTransport(transport);
  const session = headers.get('session');
  if (session !== undefined) allowing([ProtocolError], () => parseSession(session));
  const range = headers.get('range');
  if (range !== undefined) parseRange(range);
  const rtpInfo = headers.get('rtp-info');
  if (rtpInfo !== undefined) parseRtpInfo(rtpInfo);
  const challenges = parseWwwAuthenticate(headers.getAll('www-authenticate'));
  const best = pickChallenge(challenges);
  if (best) {
    allowing([UnsupportedError], () =>
      authorizationHeader(best, { username: 'admin', password: 'p:w"d', method: 'DESCRIBE', uri: 'rtsp://cam/live' }, 1, { cnonce: '0a4f113b' }));
  }
  const authorization = headers.get('authorization');
  if (authorization !== undefined) {
    parseAuthorization(authorization);
    verifyAuthorization(authorization, { method: method ?? 'DESCRIBE', realm: 'streamsight', nonce: 'a8b1f7d3a6e2b9c4', username: 'admin', password: 'secret' });
  }
  if (body.length > 0 && /sdp/i.test(headers.get('content-type') ?? '')) {
    const d = allowing([ProtocolError], () => parseSdp(Buffer.from(body).toString('utf8')));
    if (d) tracksFromSdp(d, headers.get('content-base') ?? 'rtsp://cam/live/');
  }
}

function check(parser: RtspStreamParser, out: readonly RtspChunk[]): void {
  invariant(parser.buffered <= MAX_BUFFERED, `parser holds ${parser.buffered} bytes (limit ${MAX_BUFFERED})`);
  for (const c of out) {
    if (c.type === 'interleaved') {
      invariant(c.channel >= 0 && c.channel <= 255, `channel ${c.channel}`);
      continue;
    }
    if (c.type === 'error') {
      invariant(c.error instanceof ProtocolError, 'error item is not a ProtocolError');
      continue;
    }
    const cl = c.message.headers.get('content-length');
    const expected = cl === undefined ? 0 : Number(cl);
    invariant(c.message.body.length === expected, `body of ${c.message.body.length} bytes, Content-Length ${cl}`);
  }
}

/** RTSP stream parser and the header parsers behind it. */
export function rtspTarget(): FuzzTarget<{ parts: Uint8Array[]; cuts: number[] }> {
  // One parser fed every input back to back, as one endless hostile connection: it must stay bounded.
  const longLived = new RtspStreamParser({ maxHeaderBytes: MAX_HEADER, maxBodyBytes: MAX_BODY });
  return {
    name: 'rtsp',
    covers: 'RtspStreamParser (requests, responses, $ frames, chunked) + Transport/Session/Range/RTP-Info/auth headers + SDP bodies',
    arbitrary: fc.record({
      parts: fc.array(mutatedBytes(RTSP_SEEDS, { tokens: TOKENS, maxRandomLength: 256 }), { minLength: 1, maxLength: 4 }),
      cuts: splitPoints,
    }),
    run({ parts, cuts }) {
      const stream = Buffer.concat(parts);
      const whole = new RtspStreamParser({ maxHeaderBytes: MAX_HEADER, maxBodyBytes: MAX_BODY });
      const all = whole.push(stream);
      check(whole, all);
      const chunked = new RtspStreamParser({ maxHeaderBytes: MAX_HEADER, maxBodyBytes: MAX_BODY });
      const pieces: RtspChunk[] = [];
      for (const c of chunksOf(stream, cuts)) {
        const out = chunked.push(c);
        check(chunked, out);
        pieces.push(...out);
        check(longLived, longLived.push(c));
      }
      const a = summary(all);
      const b = summary(pieces);
      invariant(a.length === b.length && a.every((s, i) => s === b[i]), `chunked parse differs: ${a.length} items whole, ${b.length} chunked`);
      for (const c of all) {
        if (c.type === 'request') useHeaders(c.message.headers, c.message.body, c.message.method);
        else if (c.type === 'response') useHeaders(c.message.headers, c.message.body);
        else if (c.type === 'interleaved') {
          if (c.channel % 2 === 0) parseRtp(c.data);
          else parseRtcp(c.data);
        }
      }
    },
  };
}
