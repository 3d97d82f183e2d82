import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError } from '../../core/errors.js';
import { formatTransport, parseRange, parseRtpInfo, parseSession, parseTransport } from './transport.js';

describe('parseTransport', () => {
  it('parses TCP interleaved (ffmpeg / VLC request)', () => {
    assert.deepEqual(parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1'), [
      { protocol: 'tcp', unicast: true, profile: 'RTP/AVP/TCP', interleaved: [0, 1] },
    ]);
  });

  it('parses a UDP server reply with ssrc and quoted mode (live555 / Hikvision)', () => {
    const [s] = parseTransport('RTP/AVP;unicast;destination=192.168.1.5;source=192.168.1.64;client_port=50000-50001;server_port=8218-8219;ssrc=0A1B2C3D;mode="PLAY"');
    assert.deepEqual(s, {
      protocol: 'udp', unicast: true, profile: 'RTP/AVP', destination: '192.168.1.5', source: '192.168.1.64',
      clientPort: [50000, 50001], serverPort: [8218, 8219], ssrc: 0x0a1b2c3d, mode: 'PLAY',
    });
  });

  it('parses several comma-separated specs, RTP/AVP/UDP, record mode unquoted, multicast', () => {
    const specs = parseTransport(
      'RTP/AVP/TCP;unicast;interleaved=2-3;mode=record, RTP/AVP/UDP;unicast;client_port=6000-6001,RTP/AVP;multicast;destination=232.0.0.1;port=5000-5001;ttl=16',
    );
    assert.equal(specs.length, 3);
    assert.deepEqual(specs[0]!.interleaved, [2, 3]);
    assert.equal(specs[0]!.mode, 'RECORD');
    assert.equal(specs[1]!.protocol, 'udp');
    assert.deepEqual(specs[1]!.clientPort, [6000, 6001]);
    assert.deepEqual([specs[2]!.unicast, specs[2]!.port, specs[2]!.ttl], [false, [5000, 5001], 16]);
  });

  it('tolerates single ports, short ssrc, lower-case profile, and skips non-RTP specs', () => {
    const specs = parseTransport('RAW/RAW/UDP;unicast;client_port=3000,rtp/avp;client_port=7000;ssrc=ABC;interleaved=999-1000');
    assert.equal(specs.length, 1);
    assert.deepEqual(specs[0]!.clientPort, [7000, 7001]);
    assert.equal(specs[0]!.ssrc, 0xabc);
    assert.equal(specs[0]!.interleaved, undefined);
    assert.ok(!('interleaved' in specs[0]!));
    assert.deepEqual(parseTransport('garbage'), []);
  });

  it('keeps a quoted mode list containing a comma in one spec', () => {
    const specs = parseTransport('RTP/AVP;unicast;client_port=1-2;mode="PLAY,RECORD"');
    assert.equal(specs.length, 1);
    assert.equal(specs[0]!.mode, 'PLAY,RECORD');
  });

  it('formatTransport round-trips', () => {
    const tcp = { protocol: 'tcp' as const, unicast: true, interleaved: [4, 5] as [number, number], ssrc: 0xdeadbeef, mode: 'play' };
    const text = formatTransport(tcp);
    assert.equal(text, 'RTP/AVP/TCP;unicast;interleaved=4-5;ssrc=DEADBEEF;mode="PLAY"');
    const [back] = parseTransport(text);
    assert.deepEqual([back!.interleaved, back!.ssrc, back!.mode], [[4, 5], 0xdeadbeef, 'PLAY']);
    assert.equal(
      formatTransport({ protocol: 'udp', unicast: true, clientPort: [5000, 5001], serverPort: [6000, 6001] }),
      'RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001',
    );
  });
});

describe('parseSession', () => {
  it('reads the id and timeout', () => {
    assert.deepEqual(parseSession('abc123;timeout=60'), { id: 'abc123', timeoutSec: 60 });
    assert.deepEqual(parseSession(' 47112344 '), { id: '47112344' });
    assert.deepEqual(parseSession('A1b$-_.+;Timeout = 30'), { id: 'A1b$-_.+', timeoutSec: 30 });
    assert.throws(() => parseSession(';timeout=5'), ProtocolError);
  });
});

describe('parseRange', () => {
  it('parses npt forms', () => {
    assert.deepEqual(parseRange('npt=0-'), { unit: 'npt', value: '0-', start: 0 });
    assert.deepEqual(parseRange('npt=now-'), { unit: 'npt', value: 'now-' });
    assert.deepEqual(parseRange('npt=0.000-12.5'), { unit: 'npt', value: '0.000-12.5', start: 0, end: 12.5 });
    assert.deepEqual(parseRange('npt=00:01:02.5-01:00:00'), { unit: 'npt', value: '00:01:02.5-01:00:00', start: 62.5, end: 3600 });
    assert.equal(parseRange('clock=19961108T142300Z-;time=19970123T143720Z')?.time, '19970123T143720Z');
    assert.equal(parseRange('npt=abc-'), undefined);
    assert.equal(parseRange('nonsense'), undefined);
  });
});

describe('parseRtpInfo', () => {
  it('parses several entries, with and without rtptime', () => {
    const info = parseRtpInfo(
      'url=rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=0;seq=29513;rtptime=3456789012, ' +
        'url=rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=1;seq=100',
    );
    assert.deepEqual(info, [
      { url: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=0', seq: 29513, rtptime: 3456789012 },
      { url: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=1', seq: 100 },
    ]);
    assert.deepEqual(parseRtpInfo('url=rtsp://h/a,b;seq=1'), [{ url: 'rtsp://h/a,b', seq: 1 }]);
    assert.deepEqual(parseRtpInfo('seq=1'), []);
  });
});
