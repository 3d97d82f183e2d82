/**
 * The RTSP header-value parsers on hostile values: parseTransport, parseSession, parseRange,
 * parseRtpInfo (codecs/rtsp/transport.ts), parseWwwAuthenticate, parseAuthorization and the Digest
 * answer/verification built on them (codecs/rtsp/auth.ts).
 *
 * Checks: only ProtocolError (parseSession) and UnsupportedError (authorizationHeader) escape; port
 * pairs, interleaved channels and RTP-Info numbers stay in range; formatTransport output parses back
 * to the same spec.
 */
import fc from 'fast-check';
import { ProtocolError, UnsupportedError } from '../../core/errors.js';
import { authorizationHeader, parseAuthorization, parseWwwAuthenticate, pickChallenge, verifyAuthorization } from '../../codecs/rtsp/auth.js';
import { formatTransport, parseRange, parseRtpInfo, parseSession, parseTransport } from '../../codecs/rtsp/transport.js';
import { allowing, invariant, type FuzzTarget } from '../harness.js';
import { mutatedText } from '../mutate.js';

const TRANSPORTS = [
  'RTP/AVP/TCP;unicast;interleaved=0-1',
  'RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;ssrc=5A3E2C1B;mode="PLAY"',
  'RTP/AVP;multicast;destination=239.0.0.1;port=5000-5001;ttl=16, RTP/AVP/UDP;unicast;client_port=5002',
  'RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=0000000012345678;mode=record;source="192.168.1.64"',
  'RTP/SAVPF;unicast;client_port=40000-40001;append;layers=2',
];
const SESSIONS = ['47112344;timeout=60', '12345678', 'ABCDEF0123;timeout="30"', ' 9f2a ; foo=bar ; timeout = 5 '];
const RANGES = ['npt=0.000-', 'npt=now-', 'npt=00:01:02.5-00:02:00;time=19970123T143720Z', 'clock=19961108T142300Z-19961108T143520Z', 'smpte=10:07:00-10:07:33:05.01', 'npt=10-20.5'];
const RTP_INFOS = [
  'url=rtsp://cam/live/trackID=1;seq=4321;rtptime=123456,url=rtsp://cam/live/trackID=2;seq=17;rtptime=99',
  'url="rtsp://cam/a?x=1,2";seq=65535;rtptime=4294967295',
  'url=trackID=0;seq=0',
];
const CHALLENGES = [
  'Digest realm="IP Camera(C6496)", nonce="a8b1f7d3a6e2b9c4", stale="FALSE", algorithm=MD5, qop="auth,auth-int", opaque="x,y"',
  'Basic realm="cam"',
  'Digest realm="axis", nonce="0024e47aY398109708de9ccd8056c58a068a59540a6207", algorithm=SHA-256, qop="auth", Digest realm="axis", nonce="01", algorithm=MD5-sess',
  'Digest realm="a\\"b", nonce="n", algorithm=SHA-512-256, stale=TRUE, Basic realm="b", Bearer abc.def',
];
const AUTHORIZATIONS = [
  'Digest username="admin", realm="streamsight", nonce="a8b1f7d3a6e2b9c4", uri="rtsp://cam/live", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
  'Basic YWRtaW46c2VjcmV0',
  'Digest username="admin", realm="streamsight", nonce="a8b1f7d3a6e2b9c4", uri="rtsp://cam/live", response="x"',
];

const SEEDS = [...TRANSPORTS, ...SESSIONS, ...RANGES, ...RTP_INFOS, ...CHALLENGES, ...AUTHORIZATIONS];
const TOKENS = [';', ',', '=', '"', '\\', '-', ':', ' ', 'interleaved=', 'client_port=', 'ssrc=', 'timeout=', 'npt=', 'url=', 'seq=', 'rtptime=',
  'nonce=', 'qop=', 'algorithm=', 'realm=', 'Digest ', 'Basic ', '99999999999999999999', '-1', '65536', 'now'];

const inPair = (p: [number, number] | undefined, max: number): boolean =>
  p === undefined || (Number.isInteger(p[0]) && Number.isInteger(p[1]) && p[0] >= 0 && p[0] <= max && p[1] >= 0 && p[1] <= max + 1);

/** RTSP header values: Transport, Session, Range, RTP-Info, WWW-Authenticate, Authorization. */
export function rtspHeadersTarget(): FuzzTarget<string> {
  return {
    name: 'rtsp-headers',
    covers: 'parseTransport/formatTransport, parseSession, parseRange, parseRtpInfo, parseWwwAuthenticate, parseAuthorization, Digest answer and verify',
    arbitrary: mutatedText(SEEDS, { tokens: TOKENS }),
    run(value) {
      for (const spec of parseTransport(value)) {
        invariant(inPair(spec.interleaved, 255) && inPair(spec.clientPort, 65535) && inPair(spec.serverPort, 65535) && inPair(spec.port, 65535), `port pair out of range: ${JSON.stringify(spec)}`);
        invariant(spec.ssrc === undefined || (Number.isInteger(spec.ssrc) && spec.ssrc >= 0 && spec.ssrc <= 0xffffffff), `ssrc ${spec.ssrc}`);
        // What our server answers from a client's spec must read back the same (no injected ';' or ',').
        if (!/[;,"]/.test(`${spec.destination ?? ''}${spec.source ?? ''}${spec.mode ?? ''}`)) {
          const again = parseTransport(formatTransport(spec));
          invariant(again.length === 1, `formatTransport output gives ${again.length} specs`);
          invariant(JSON.stringify(again[0]!.interleaved) === JSON.stringify(spec.interleaved), 'interleaved changed by format/parse');
          invariant(JSON.stringify(again[0]!.clientPort) === JSON.stringify(spec.clientPort), 'client_port changed by format/parse');
        }
      }
      const session = allowing([ProtocolError], () => parseSession(value));
      if (session) invariant(session.id !== '' && (session.timeoutSec === undefined || Number.isFinite(session.timeoutSec)), 'bad session');
      const range = parseRange(value);
      if (range) invariant((range.start === undefined || Number.isFinite(range.start)) && (range.end === undefined || Number.isFinite(range.end)), 'range not finite');
      for (const e of parseRtpInfo(value)) {
        invariant(e.seq === undefined || (e.seq >= 0 && e.seq <= 0xffff), `seq ${e.seq}`);
        invariant(e.rtptime === undefined || (e.rtptime >= 0 && e.rtptime <= 0xffffffff), `rtptime ${e.rtptime}`);
      }
      const challenges = parseWwwAuthenticate([value, value]);
      const best = pickChallenge(challenges);
      if (best) {
        const answer = allowing([UnsupportedError], () =>
          authorizationHeader(best, { username: 'admin', password: 'se"cr\\et', method: 'DESCRIBE', uri: 'rtsp://cam/live' }, 1, { cnonce: '0a4f113b' }));
        // Our own answer must verify against the same challenge: a camera's odd realm or nonce must not break it.
        if (answer && best.scheme === 'Digest' && best.nonce !== undefined) {
          const ok = verifyAuthorization(answer, { method: 'DESCRIBE', realm: best.realm, nonce: best.nonce, username: 'admin', password: 'se"cr\\et', uri: 'rtsp://cam/live' });
          invariant(ok, `our Digest answer does not verify: ${answer.slice(0, 200)}`);
        }
      }
      parseAuthorization(value);
      verifyAuthorization(value, { method: 'DESCRIBE', realm: 'streamsight', nonce: 'a8b1f7d3a6e2b9c4', username: 'admin', password: 'secret' });
    },
  };
}
