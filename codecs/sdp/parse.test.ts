import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../core/errors.js';
import { attributeValue, parseSdp } from './parse.js';
import { writeSdp } from './write.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const fixtures = readdirSync(new URL('./testdata/', import.meta.url)).filter((f) => f.endsWith('.sdp'));

describe('parseSdp', () => {
  it('parses every fixture without throwing', () => {
    assert.ok(fixtures.length >= 10);
    for (const f of fixtures) {
      const d = parseSdp(fixture(f));
      assert.ok(d.media.length > 0, f);
    }
  });

  it('splits session and media sections (Hikvision)', () => {
    const d = parseSdp(fixture('hikvision.sdp'));
    assert.equal(d.version, 0);
    assert.equal(d.origin, '- 1700000000123456 1700000000123456 IN IP4 192.168.1.64');
    assert.equal(d.sessionName, 'Media Presentation');
    assert.equal(d.timing, '0 0');
    assert.deepEqual(d.bandwidth, ['AS:5100']);
    assert.equal(d.connection, undefined);
    assert.equal(d.media.length, 2);
    const [v, a] = d.media;
    assert.equal(v!.type, 'video');
    assert.equal(v!.port, 0);
    assert.equal(v!.protocol, 'RTP/AVP');
    assert.deepEqual(v!.formats, ['96']);
    assert.equal(v!.connection, 'IN IP4 0.0.0.0');
    assert.deepEqual(v!.bandwidth, ['AS:5000']);
    assert.deepEqual(v!.attributes[0], { name: 'recvonly' });
    assert.equal(attributeValue(v!.attributes, 'x-dimensions'), '1920,1080');
    assert.equal(attributeValue(a!.attributes, 'rtpmap'), '8 PCMA/8000');
    // a value containing ':' keeps everything after the first colon
    assert.equal(attributeValue(d.attributes, 'control'), 'rtsp://192.168.1.64:554/Streaming/Channels/101/?transportmode=unicast');
  });

  it('tolerates no c= line, odd o=, empty s=, unknown lines and LF-only ends', () => {
    const noC = parseSdp(fixture('no-c-line.sdp'));
    assert.equal(noC.connection, undefined);
    assert.equal(noC.media[1]!.connection, undefined);
    const weird = parseSdp(fixture('weird-origin.sdp'));
    assert.equal(weird.origin, 'Streaming Server 3331435948 1116907222000 IN IP4');
    assert.equal(weird.sessionName, '');
    assert.equal(weird.media.length, 1);
    const lower = parseSdp(fixture('lowercase-h264.sdp'));
    assert.equal(lower.timing, '0 0');
    assert.equal(lower.media.length, 2);
  });

  it('accepts CR-only line ends, a BOM, and "x = v" spacing', () => {
    const d = parseSdp('\uFEFFv=0\rs = x\rm=audio 5004/2 RTP/AVP 0\ra = sendonly\r');
    assert.equal(d.sessionName, 'x');
    assert.equal(d.media[0]!.port, 5004);
    assert.equal(d.media[0]!.portCount, 2);
    assert.deepEqual(d.media[0]!.attributes, [{ name: 'sendonly' }]);
  });

  it('skips a malformed m= section but keeps the good ones', () => {
    const d = parseSdp('v=0\r\nm=video abc RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 0 RTP/AVP 8\r\n');
    assert.equal(d.media.length, 1);
    assert.equal(d.media[0]!.type, 'audio');
    assert.deepEqual(d.attributes, [], 'attributes of the skipped section must not leak to the session');
  });

  it('property: arbitrary text either parses or throws ProtocolError, nothing else', () => {
    const line = fc.oneof(fc.string(), fc.constantFrom('v=0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'c=', 'm='));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), fc.constantFrom('\r\n', '\n', '\r'), (lines, eol) => {
        try {
          parseSdp(lines.join(eol));
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects unusable input with a clear ProtocolError', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['   \r\n\n', /empty/],
      ['<html><body>404 Not Found</body></html>', /not a session description/],
      ['\x00\x01\x02garbage\xff', /not a session description/],
      ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=x\r\nt=0 0\r\na=control:*\r\n', /no media description/],
      ['v=0\r\nm=video\r\n', /malformed m= line/],
    ];
    for (const [text, re] of cases) {
      assert.throws(() => parseSdp(text), (e: unknown) => e instanceof ProtocolError && re.test(e.message), JSON.stringify(text));
    }
  });
});

describe('writeSdp', () => {
  it('round-trips every fixture (parse → write → parse is stable)', () => {
    for (const f of fixtures) {
      const d = parseSdp(fixture(f));
      const text = writeSdp(d);
      assert.ok(text.endsWith('\r\n') && !/[^\r]\n/.test(text), `${f}: CRLF only`);
      assert.deepEqual(parseSdp(text), d, f);
    }
  });

  it('fills mandatory lines and never lets a value inject a line', () => {
    const text = writeSdp({
      version: 0, sessionName: 'cam\r\na=evil', attributes: [{ name: 'control', value: '*' }],
      media: [{ type: 'video', port: 0, protocol: 'RTP/AVP', formats: ['96'], attributes: [{ name: 'recvonly' }] }],
    });
    assert.equal(
      text,
      'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam a=evil\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=recvonly\r\n',
    );
  });
});
