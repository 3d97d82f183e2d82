import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ProtocolError } from '../../core/errors.js';
import {
  RtspHeaders, RtspStreamParser, serializeInterleaved, serializeRequest, serializeResponse,
} from './message.js';
import type { RtspChunk } from './message.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';

const describeResponse = Buffer.from(
  'RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://cam/live/\r\nContent-Type: application/sdp\r\n' +
    `Content-Length: ${SDP.length}\r\n\r\n${SDP}`,
);
const unauthorized = Buffer.from(
  'RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\nWWW-Authenticate: Digest realm="cam", nonce="abc"\r\n' +
    'www-authenticate: Basic realm="cam"\r\n\r\n',
);
const options = Buffer.from('OPTIONS rtsp://127.0.0.1:8554/cam RTSP/1.0\r\nCSeq: 3\r\nUser-Agent: test\r\n\r\n');
const rtp = (seq: number, len = 20) => {
  const b = Buffer.alloc(len, seq & 0xff);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq, 2);
  return b;
};

/** A compact, comparable view of parser output. */
function summary(chunks: RtspChunk[]): string[] {
  return chunks.map((c) => {
    switch (c.type) {
      case 'request':
        return `req ${c.message.method} ${c.message.uri} cseq=${c.message.headers.get('cseq')} body=${c.message.body.length}`;
      case 'response':
        return `res ${c.message.statusCode} ${c.message.reason} cseq=${c.message.headers.get('CSeq')} body=${Buffer.from(c.message.body).toString()}`;
      case 'interleaved':
        return `$${c.channel} ${Buffer.from(c.data).toString('hex')}`;
      case 'error':
        return 'error';
    }
  });
}

function feed(parser: RtspStreamParser, ...parts: Uint8Array[]): RtspChunk[] {
  return parts.flatMap((p) => parser.push(p));
}

describe('RtspHeaders', () => {
  it('is case-insensitive and keeps repeated values in order', () => {
    const h = new RtspHeaders([['WWW-Authenticate', 'Digest a'], ['CSeq', '1']]);
    h.append('www-authenticate', 'Basic b');
    assert.equal(h.get('cseq'), '1');
    assert.deepEqual(h.getAll('WWW-AUTHENTICATE'), ['Digest a', 'Basic b']);
    h.set('Cseq', 2);
    assert.deepEqual([...h.entries()], [['WWW-Authenticate', 'Digest a'], ['Cseq', '2'], ['www-authenticate', 'Basic b']]);
    assert.ok(h.delete('www-authenticate'));
    assert.equal(h.has('WWW-Authenticate'), false);
    assert.equal(new RtspHeaders({ A: ['1', '2'], B: '3' }).getAll('a').length, 2);
  });
});

describe('serialize', () => {
  it('writes requests with Content-Length only when a body exists', () => {
    const headers = new RtspHeaders({ CSeq: '1', 'Content-Length': '999' });
    const empty = serializeRequest({ method: 'OPTIONS', uri: 'rtsp://h/x', headers, body: new Uint8Array() });
    assert.equal(empty.toString(), 'OPTIONS rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\n\r\n');
    const withBody = serializeRequest({ method: 'ANNOUNCE', uri: 'rtsp://h/x', headers, body: Buffer.from(SDP) });
    assert.equal(withBody.toString(), `ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`);
  });

  it('round-trips a response through the parser and refuses header injection', () => {
    const headers = new RtspHeaders({ CSeq: '7', Session: 'abc\r\nX-Evil: 1' });
    const wire = serializeResponse({ statusCode: 454, reason: 'Session Not Found', headers, body: Buffer.from('hi') });
    const [c] = new RtspStreamParser().push(wire);
    assert.equal(c?.type, 'response');
    if (c?.type !== 'response') return;
    assert.equal(c.message.statusCode, 454);
    assert.equal(c.message.reason, 'Session Not Found');
    assert.equal(c.message.headers.get('session'), 'abc X-Evil: 1');
    assert.equal(c.message.headers.has('x-evil'), false);
    assert.equal(Buffer.from(c.message.body).toString(), 'hi');
  });

  it('frames interleaved data', () => {
    assert.equal(serializeInterleaved(1, Buffer.from([0xaa, 0xbb])).toString('hex'), '24010002aabb');
    assert.throws(() => serializeInterleaved(0, new Uint8Array(70000)), RangeError);
  });
});

describe('RtspStreamParser', () => {
  const stream = Buffer.concat([
    unauthorized,
    Buffer.from('$\x00\x00\x14'), rtp(1),
    describeResponse,
    Buffer.from('$\x01\x00\x08'), Buffer.from([0x81, 0xc9, 0, 1, 1, 2, 3, 4]),
    options,
    Buffer.from('\r\n'), // keep-alive CRLF between messages
    Buffer.from('$\x00\x00\x14'), rtp(2),
  ]);
  const expected = [
    'res 401 Unauthorized cseq=1 body=',
    `$0 ${rtp(1).toString('hex')}`,
    `res 200 OK cseq=2 body=${SDP}`,
    '$1 81c9000101020304',
    'req OPTIONS rtsp://127.0.0.1:8554/cam cseq=3 body=0',
    `$0 ${rtp(2).toString('hex')}`,
  ];

  it('parses messages, bodies and interleaved frames in one chunk', () => {
    const p = new RtspStreamParser();
    const out = p.push(stream);
    assert.deepEqual(summary(out), expected);
    const res = out[0]!;
    assert.ok(res.type === 'response');
    assert.deepEqual(res.message.headers.getAll('www-authenticate'), ['Digest realm="cam", nonce="abc"', 'Basic realm="cam"']);
    assert.equal(p.buffered, 0);
    assert.deepEqual(p.stats, { messages: 3, interleaved: 3, errors: 0, skippedBytes: 0 });
  });

  it('gives the same result when split at every byte position', () => {
    for (let i = 1; i < stream.length; i++) {
      const p = new RtspStreamParser();
      assert.deepEqual(summary(feed(p, stream.subarray(0, i), stream.subarray(i))), expected, `split at ${i}`);
    }
  });

  it('gives the same result fed one byte at a time', () => {
    const p = new RtspStreamParser();
    const out: RtspChunk[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...p.push(stream.subarray(i, i + 1)));
    assert.deepEqual(summary(out), expected);
  });

  it('accepts LF-only heads and folded header lines', () => {
    const out = new RtspStreamParser().push(Buffer.from('RTSP/1.0 200 OK\nCSeq: 4\nPublic: OPTIONS,\n DESCRIBE\n\n'));
    assert.ok(out[0]?.type === 'response');
    assert.equal(out[0].message.headers.get('public'), 'OPTIONS, DESCRIBE');
  });

  it('reports an oversized header section, then recovers at the next message', () => {
    const p = new RtspStreamParser();
    const big = Buffer.from(`RTSP/1.0 200 OK\r\nCSeq: 1\r\nX-Pad: ${'A'.repeat(20000)}\r\n\r\n`);
    const out = feed(p, big.subarray(0, 9000), big.subarray(9000), options);
    assert.deepEqual(summary(out), ['error', 'req OPTIONS rtsp://127.0.0.1:8554/cam cseq=3 body=0']);
    assert.ok(out[0]?.type === 'error' && out[0].error instanceof ProtocolError);
    assert.match((out[0] as { error: Error }).error.message, /exceeds 16384/);
    assert.ok(p.buffered < 64);
  });

  it('reports garbage once, then parses the next valid message and frame', () => {
    const p = new RtspStreamParser();
    const garbage = Buffer.from([0x00, 0xff, 0x13, 0x37, 0x24, 0xee, 0x00, 0x02, 0x10, 0x0d, 0x0a]);
    const out = feed(p, garbage, Buffer.from('hello there\r\n'), describeResponse, Buffer.from('$\x00\x00\x14'), rtp(9));
    assert.deepEqual(summary(out), ['error', `res 200 OK cseq=2 body=${SDP}`, `$0 ${rtp(9).toString('hex')}`]);
    assert.equal(p.stats.errors, 1);
  });

  it('recovers from a malformed start line to an interleaved frame mid-line', () => {
    const p = new RtspStreamParser();
    const out = feed(p, Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), Buffer.from('junk$\x00\x00\x14'), rtp(5), unauthorized);
    assert.deepEqual(summary(out), ['error', `$0 ${rtp(5).toString('hex')}`, 'res 401 Unauthorized cseq=1 body=']);
  });

  it('rejects a body over the limit and a bad Content-Length, without buffering them', () => {
    const p = new RtspStreamParser({ maxBodyBytes: 100 });
    const out = p.push(Buffer.from(`ANNOUNCE rtsp://h/x RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`));
    assert.deepEqual(summary(out), ['error']);
    assert.ok(p.buffered < 64, `buffered ${p.buffered}`);
    const bad = new RtspStreamParser().push(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: -4\r\n\r\n'));
    assert.deepEqual(summary(bad), ['error']);
    assert.match((bad[0] as { error: Error }).error.message, /Content-Length/);
  });

  it('stays bounded and keeps working under random bytes', () => {
    const p = new RtspStreamParser();
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.alloc(1000);
      for (let j = 0; j < chunk.length; j++) chunk[j] = rand();
      p.push(chunk);
      assert.ok(p.buffered <= 16 * 1024 + 70000, `buffered ${p.buffered}`);
    }
    assert.ok(p.stats.errors > 0);
    // A false '$' frame may still swallow bytes; after it, real traffic parses again.
    const out = feed(p, Buffer.alloc(70000), options, options);
    assert.ok(summary(out).includes('req OPTIONS rtsp://127.0.0.1:8554/cam cseq=3 body=0'));
  });

  // Found by fuzz/targets/rtsp.ts: a head that arrived whole went through parseHead's lenient start-line check,
  // one that arrived in pieces through implausibleStart's strict one, so TCP segmentation changed the result.
  it('a control byte in the request line is refused whether the head arrives whole or split', () => {
    const wire = Buffer.from('RECORD rtsp://127.0.0.1:855\x14/gate1 RTSP/1.0\r\nCSeq: 6\r\n\r\n', 'latin1');
    const whole = new RtspStreamParser();
    const split = new RtspStreamParser();
    assert.deepEqual(summary(whole.push(wire)), ['error']);
    assert.deepEqual(summary(feed(split, wire.subarray(0, 20), wire.subarray(20))), ['error']);
    // Trailing blanks after RTSP/1.0 are refused both ways too, and the next message still parses.
    const trailing = Buffer.from('OPTIONS rtsp://h/x RTSP/1.0 \r\nCSeq: 1\r\n\r\n');
    assert.deepEqual(summary(new RtspStreamParser().push(Buffer.concat([trailing, options]))), ['error', 'req OPTIONS rtsp://127.0.0.1:8554/cam cseq=3 body=0']);
    assert.deepEqual(summary(feed(new RtspStreamParser(), trailing.subarray(0, 10), trailing.subarray(10), options)), ['error', 'req OPTIONS rtsp://127.0.0.1:8554/cam cseq=3 body=0']);
    // Octets >= 0x80 are legal in a reason phrase, and accepted both ways.
    const utf8 = Buffer.from('RTSP/1.0 200 Réussi\r\nCSeq: 4\r\n\r\n', 'utf8');
    assert.deepEqual(summary(new RtspStreamParser().push(utf8)), [`res 200 ${utf8.toString('latin1').split('\r')[0]!.slice(13)} cseq=4 body=`]);
    assert.deepEqual(summary(feed(new RtspStreamParser(), utf8.subarray(0, 16), utf8.subarray(16))), [`res 200 ${utf8.toString('latin1').split('\r')[0]!.slice(13)} cseq=4 body=`]);
  });

  it('property: any sequence of frames and messages, split anywhere, parses back identically', () => {
    const item = fc.oneof(
      fc.record({ ch: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 300 }) })
        .map(({ ch, data }) => ({ wire: serializeInterleaved(ch, data), want: `$${ch} ${Buffer.from(data).toString('hex')}` })),
      fc.record({ cseq: fc.nat(), body: fc.uint8Array({ maxLength: 200 }) }).map(({ cseq, body }) => ({
        wire: serializeResponse({ statusCode: 200, reason: 'OK', headers: new RtspHeaders({ CSeq: String(cseq) }), body }),
        want: `res 200 OK cseq=${cseq} body=${Buffer.from(body).toString()}`,
      })),
      fc.nat().map((cseq) => ({
        wire: serializeRequest({ method: 'GET_PARAMETER', uri: 'rtsp://h/x', headers: new RtspHeaders({ CSeq: String(cseq) }), body: new Uint8Array() }),
        want: `req GET_PARAMETER rtsp://h/x cseq=${cseq} body=0`,
      })),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), (items, cuts) => {
        const wire = Buffer.concat(items.map((i) => i.wire));
        const points = [...new Set(cuts.map((c) => (wire.length ? c % wire.length : 0)))].sort((a, b) => a - b);
        const parts: Buffer[] = [];
        let last = 0;
        for (const p of points) {
          parts.push(wire.subarray(last, p));
          last = p;
        }
        parts.push(wire.subarray(last));
        const p = new RtspStreamParser();
        assert.deepEqual(summary(feed(p, ...parts)), items.map((i) => i.want));
        assert.equal(p.buffered, 0);
      }),
      { numRuns: 300 },
    );
  });
});
