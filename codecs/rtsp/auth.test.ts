import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsupportedError } from '../../core/errors.js';
import {
  authorizationHeader, basicChallenge, digestChallenge, digestResponse, newNonce, parseAuthorization,
  parseWwwAuthenticate, pickChallenge, verifyAuthorization,
} from './auth.js';

describe('parseWwwAuthenticate', () => {
  it('parses Digest with quoted commas, qop list, opaque, stale, and Basic from separate values', () => {
    const ch = parseWwwAuthenticate([
      'Digest realm="Login to, camera", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", qop="auth,auth-int", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41", stale=FALSE, algorithm=MD5',
      'Basic realm="Login to, camera"',
    ]);
    assert.equal(ch.length, 2);
    assert.deepEqual(
      { ...ch[0], params: undefined },
      {
        scheme: 'Digest', realm: 'Login to, camera', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', algorithm: 'MD5',
        qop: ['auth', 'auth-int'], opaque: '5ccc069c403ebaf9f0171e9517f40e41', stale: false, params: undefined,
      },
    );
    assert.equal(ch[1]!.scheme, 'Basic');
    assert.equal(ch[1]!.realm, 'Login to, camera');
  });

  it('parses several challenges in one value, escaped quotes, and lower-case schemes', () => {
    const ch = parseWwwAuthenticate([
      'Digest realm="a\\"b", nonce="n1", algorithm=SHA-256, Digest realm="a", nonce="n2", basic realm=x',
    ]);
    assert.deepEqual(ch.map((c) => [c.scheme, c.realm, c.nonce, c.algorithm]), [
      ['Digest', 'a"b', 'n1', 'SHA-256'], ['Digest', 'a', 'n2', undefined], ['Basic', 'x', undefined, undefined],
    ]);
    assert.equal(parseWwwAuthenticate(['Digest realm="r", nonce="n", algorithm=md5-sess'])[0]!.algorithm, 'MD5-SESS');
  });

  it('pickChallenge prefers SHA-256 > MD5 > Basic and skips what it cannot answer', () => {
    const ch = parseWwwAuthenticate([
      'Basic realm="r"', 'Digest realm="r", nonce="1"', 'Digest realm="r", nonce="2", algorithm=SHA-256',
      'Digest realm="r", nonce="3", algorithm=SHA-999', 'Negotiate',
    ]);
    assert.equal(pickChallenge(ch)?.nonce, '2');
    assert.equal(pickChallenge(ch.slice(0, 2))?.nonce, '1');
    assert.equal(pickChallenge(ch.slice(0, 1))?.scheme, 'Basic');
    assert.equal(pickChallenge(ch.slice(3)), undefined);
    assert.equal(pickChallenge(parseWwwAuthenticate(['Digest realm="r"'])), undefined, 'no nonce');
  });
});

describe('authorizationHeader', () => {
  it('RFC 2617 section 3.5 example (MD5, qop=auth)', () => {
    const [ch] = parseWwwAuthenticate([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    const header = authorizationHeader(
      ch!, { username: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html' }, 1, { cnonce: '0a4f113b' },
    );
    assert.equal(
      header,
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41", ' +
        'qop=auth, nc=00000001, cnonce="0a4f113b"',
    );
  });

  it('RFC 7616 section 3.9.1 example (SHA-256 and MD5)', () => {
    const common = {
      realm: 'http-auth@example.org', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth', nc: '00000001',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', username: 'Mufasa', password: 'Circle of Life',
      method: 'GET', uri: '/dir/index.html',
    };
    assert.equal(digestResponse({ ...common, algorithm: 'SHA-256' }), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    assert.equal(digestResponse({ ...common, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
    const [ch] = parseWwwAuthenticate([
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    ]);
    const header = authorizationHeader(ch!, common, 1, { cnonce: common.cnonce });
    assert.match(header, /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/);
    assert.match(header, /algorithm=SHA-256/);
  });

  it('without qop (RFC 2069 style, what many cameras send) and with a random cnonce', () => {
    const [ch] = parseWwwAuthenticate(['Digest realm="IP Camera(12345)", nonce="0123456789abcdef"']);
    const creds = { username: 'admin', password: 'secret', method: 'DESCRIBE', uri: 'rtsp://10.0.0.2:554/Streaming/Channels/101' };
    const header = authorizationHeader(ch!, creds);
    assert.doesNotMatch(header, /qop|nc=|cnonce|algorithm/);
    assert.ok(verifyAuthorization(header, { ...creds, realm: 'IP Camera(12345)', nonce: '0123456789abcdef' }));
    const [q] = parseWwwAuthenticate(['Digest realm="r", nonce="n", qop="auth"']);
    const a = authorizationHeader(q!, creds, 2);
    const b = authorizationHeader(q!, creds, 2);
    assert.match(a, /nc=00000002/);
    assert.notEqual(parseAuthorization(a)?.params['cnonce'], parseAuthorization(b)?.params['cnonce']);
  });

  it('Basic, and rejects schemes it cannot answer', () => {
    const [ch] = parseWwwAuthenticate(['Basic realm="cam"']);
    assert.equal(
      authorizationHeader(ch!, { username: 'Aladdin', password: 'open sesame', method: 'DESCRIBE', uri: '/' }),
      'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    );
    const [neg] = parseWwwAuthenticate(['Negotiate']);
    assert.throws(() => authorizationHeader(neg!, { username: 'a', password: 'b', method: 'X', uri: '/' }), UnsupportedError);
  });
});

describe('verifyAuthorization', () => {
  const realm = 'streamsight';
  const nonce = newNonce();
  const server = { method: 'DESCRIBE', realm, nonce, username: 'viewer', password: 'p4ss' };
  const uri = 'rtsp://127.0.0.1:8554/cam';

  for (const algorithm of [undefined, 'MD5', 'SHA-256', 'MD5-sess']) {
    it(`Digest ${algorithm ?? '(no algorithm)'}: right password accepted, wrong rejected`, () => {
      for (const qop of [false, true]) {
        const [ch] = parseWwwAuthenticate([digestChallenge({ realm, nonce, algorithm, qop })]);
        const good = authorizationHeader(ch!, { username: 'viewer', password: 'p4ss', method: 'DESCRIBE', uri });
        const bad = authorizationHeader(ch!, { username: 'viewer', password: 'p4sS', method: 'DESCRIBE', uri });
        assert.equal(verifyAuthorization(good, server), true);
        assert.equal(verifyAuthorization(good, { ...server, uri }), true);
        assert.equal(verifyAuthorization(bad, server), false);
        assert.equal(verifyAuthorization(good, { ...server, method: 'PLAY' }), false, 'method is part of HA2');
        assert.equal(verifyAuthorization(good, { ...server, nonce: 'stale' }), false);
        assert.equal(verifyAuthorization(good, { ...server, uri: 'rtsp://127.0.0.1:8554/other' }), false);
      }
    });
  }

  it('Basic: right accepted, wrong and malformed rejected', () => {
    const [ch] = parseWwwAuthenticate([basicChallenge(realm)]);
    const creds = { method: 'DESCRIBE', uri };
    assert.equal(verifyAuthorization(authorizationHeader(ch!, { ...creds, username: 'viewer', password: 'p4ss' }), server), true);
    assert.equal(verifyAuthorization(authorizationHeader(ch!, { ...creds, username: 'viewer', password: 'nope' }), server), false);
    assert.equal(verifyAuthorization(authorizationHeader(ch!, { ...creds, username: 'other', password: 'p4ss' }), server), false);
    assert.equal(verifyAuthorization('Basic !!!', server), false);
    assert.equal(verifyAuthorization('Bearer abc', server), false);
    assert.equal(verifyAuthorization(undefined, server), false);
    assert.equal(verifyAuthorization('', server), false);
  });
});
