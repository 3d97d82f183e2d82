import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../core/errors.js';
import { loadConfig, parseConfigText, redactedConfig } from './load.js';

const testdata = join(import.meta.dirname, 'testdata');
const ENV = { GATE1_PASSWORD: 'hunter2', TURN_SECRET: 's3cret' };

/** Asserts that the config is rejected with exactly these lines, and returns the error. */
function rejects(text: string, lines: string[], cli: string[] = [], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfigText(text, 'test.yaml', cli, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.message, lines.join('\n'));
    return err;
  }
  assert.fail('config was accepted');
}

const cam = (body: string) => `cameras:\n  gate1:\n${body.replace(/^/gm, '    ')}\n`;

/** storage.clips when the file says nothing about clips. */
const CLIP_DEFAULTS = { enabled: true, beforeS: 5, afterS: 5, maxS: 60, minSeverity: 'warning', maxBytesPerCamera: 64 * 2 ** 20 };

describe('config rejections', () => {
  it('unknown top-level key, with a suggestion when close', () => {
    rejects('foo: 1\ncamera: {}\n', ['unknown top-level key "foo"', 'unknown top-level key "camera" (did you mean "cameras"?)']);
  });
  it('unknown key in a section', () => {
    const err = rejects('http:\n  port: 8080\n  prot: 1\n', ['http: unknown key "prot" (did you mean "port"?)']);
    assert.equal(err.path, 'http');
  });
  it('unknown key in a camera (and the camera then has no source)', () => {
    rejects(cam('urll: rtsp://10.0.0.5/'), [
      'cameras.gate1: unknown key "urll" (did you mean "url"?)',
      'cameras.gate1: exactly one of url, push, rtmp, synthetic is required',
    ]);
  });
  it('unknown key in a nested camera object', () => {
    rejects(cam('push: true\nreconnect: { initialMs: 500, max: 1 }'), ['cameras.gate1.reconnect: unknown key "max"']);
  });
  it('wrong types', () => {
    rejects('http:\n  port: "8080"\n', ['http.port: expected an integer from 0 to 65535']);
    rejects('http:\n  host: 5\n', ['http.host: expected a string, got number 5']);
    rejects('log:\n  level: verbose\n', ['log.level: expected one of debug, info, warn, error']);
    rejects(cam('push: true\nonDemand: "yes"'), ['cameras.gate1.onDemand: expected true or false, got a string']);
    rejects('cameras: [a, b]\n', ['cameras: expected a mapping, got a list']);
    rejects('http: 8080\n', ['http: expected a mapping, got number 8080']);
    rejects(cam('synthetic: true'), ['cameras.gate1.synthetic: expected a mapping, got boolean true']);
    rejects('- a\n', ['expected a mapping of sections (log, http, rtsp, rtmp, webrtc, storage, detector, mqtt, overload, auth, cluster, cameras), got a list']);
  });
  it('bad URL scheme and malformed URLs, never echoing the URL', () => {
    rejects(cam('url: http://admin:hunter2@10.0.0.5/'), ['cameras.gate1.url: expected an rtsp:// URL']);
    rejects(cam('url: 10.0.0.5/stream'), ['cameras.gate1.url: expected an rtsp:// URL']);
    rejects(cam('url: rtmp://10.0.0.5/live'), ['cameras.gate1.url: rtsps:// and rtmp:// pull are not supported yet; use an rtsp:// URL']);
    rejects(cam('url: rtsps://10.0.0.5/s1'), ['cameras.gate1.url: rtsps:// and rtmp:// pull are not supported yet; use an rtsp:// URL']);
    const bad = 'cameras.gate1.url: not a valid URL (is a special character in the password not %-encoded?)';
    rejects(cam('url: "rtsp://"'), [bad]);
    const err = rejects(cam('url: "rtsp://admin:pa#ss@10.0.0.5/"'), [bad]);
    assert.ok(!err.message.includes('pa#ss'));
  });
  it('duplicate camera id and duplicate keys in YAML, with their line', () => {
    rejects('cameras:\n  gate1:\n    push: true\n  gate1:\n    push: true\n', ['cameras: duplicate camera id "gate1" (line 4)']);
    rejects('http:\n  port: 1\n  port: 2\n', ['http: duplicate key "port" (line 3)']);
    rejects('log: {}\nlog: {}\n', ['duplicate key "log" (line 2)']);
  });
  it('--camera: duplicates, bad form, bad id, bad URL', () => {
    rejects(cam('push: true'), ['--camera: duplicate camera id "gate1" (already defined in test.yaml)'], ['gate1=rtsp://h/']);
    rejects('', ['--camera: duplicate camera id "a"'], ['a=rtsp://h/1', 'a=rtsp://h/2']);
    rejects('', ['--camera: expected ID=URL, got "gate1"'], ['gate1']);
    rejects('', ['--camera: expected ID=URL, got "=rtsp://h/"'], ['=rtsp://h/']);
    rejects('', ['--camera: expected ID=URL, got "gate1="'], ['gate1=']);
    const err = rejects('', ['--camera: expected ID=URL, got "rtsp://***@10.0.0.5/"'], ['rtsp://admin:hunter2@10.0.0.5/']);
    assert.ok(!err.message.includes('hunter2'));
    rejects('', ['--camera: invalid camera id "Gate1" (use 1-64 characters from a-z 0-9 _ -)'], ['Gate1=rtsp://h/']);
    rejects('', ['--camera g2.url: expected an rtsp:// URL'], ['g2=http://h/']);
    rejects('', ['--camera g2: environment variable NOPE is not set'], ['g2=rtsp://u:${NOPE}@h/']);
  });
  it('out-of-range numbers', () => {
    rejects('http:\n  port: 70000\n', ['http.port: expected an integer from 0 to 65535']);
    rejects('rtsp:\n  port: -1\n', ['rtsp.port: expected an integer from 0 to 65535']);
    rejects('http:\n  port: 80.5\n', ['http.port: expected an integer from 0 to 65535']);
    rejects(cam('synthetic: { fps: 0 }'), ['cameras.gate1.synthetic.fps: expected an integer from 1 to 120']);
    rejects(cam('synthetic: { fps: 121 }'), ['cameras.gate1.synthetic.fps: expected an integer from 1 to 120']);
    rejects(cam('synthetic: { width: 1281 }'), ['cameras.gate1.synthetic.width: expected an even integer from 16 to 7680']);
    rejects(cam('synthetic: { height: 8 }'), ['cameras.gate1.synthetic.height: expected an even integer from 16 to 4320']);
    rejects(cam('push: true\ntimeoutMs: 10'), ['cameras.gate1.timeoutMs: expected an integer from 1000 to 120000']);
  });
  it('port ranges: reversed, wrong length, out of bounds', () => {
    rejects('rtsp:\n  udpPortRange: [8099, 8000]\n', ['rtsp.udpPortRange: first port must not be greater than the last']);
    rejects('webrtc:\n  udpPortRange: [40000]\n', ['webrtc.udpPortRange: expected [first, last] with ports from 1 to 65535']);
    rejects('webrtc:\n  udpPortRange: [0, 70000]\n', [
      'webrtc.udpPortRange[0]: expected an integer from 1 to 65535',
      'webrtc.udpPortRange[1]: expected an integer from 1 to 65535',
    ]);
  });
  it('missing environment variables name the path and the variable', () => {
    const err = rejects(cam('url: rtsp://admin:${GATE1_PASSWORD}@10.0.0.5/\nname: ${CAM_NAME}'), [
      'cameras.gate1.url: environment variable GATE1_PASSWORD is not set',
      'cameras.gate1.name: environment variable CAM_NAME is not set',
    ]);
    assert.equal(err.path, 'cameras.gate1.url');
    rejects('http:\n  corsOrigins: [a, "${ORIGIN}"]\n', ['http.corsOrigins[1]: environment variable ORIGIN is not set']);
  });
  it('exactly one source per camera', () => {
    const msg = 'cameras.gate1: exactly one of url, push, rtmp, synthetic is required';
    rejects(cam('name: Gate'), [msg]);
    rejects(cam('push: false'), [msg]);
    rejects(cam('push: true\nurl: rtsp://h/'), [msg]);
    rejects(cam('push: true\nsynthetic: {}'), [msg]);
    rejects(cam('push: true\nrtmp: { key: abcdefgh12 }'), [msg]);
  });
  it('RTMP keys: URL-safe, 8-128 characters, never echoed', () => {
    const rule = 'cameras.gate1.rtmp.key: use 8-128 characters from A-Z a-z 0-9 . _ ~ -';
    const err = rejects(cam('rtmp: { key: "s3cr&t?x=1" }'), [rule]);
    assert.ok(!err.message.includes('s3cr'));
    rejects(cam('rtmp: { key: short }'), [rule]);
    rejects(cam('rtmp: {}'), ['cameras.gate1.rtmp.key: is required']);
    rejects(cam('rtmp: { key: abcdefgh12, push: true }'), ['cameras.gate1.rtmp: unknown key "push"']);
    rejects('rtmp:\n  port: 70000\n', ['rtmp.port: expected an integer from 0 to 65535']);
    const config = parseConfigText(cam('rtmp: { key: "${OBS_KEY}" }'), 'x', [], { OBS_KEY: 'Kx7_-.~abc' });
    assert.equal(config.cameras.gate1!.rtmp!.key, 'Kx7_-.~abc');
    assert.deepEqual(config.rtmp, { host: '0.0.0.0', port: 1935 });
    rejects('cameras:\n  gate1:\n', ['cameras.gate1: expected a mapping, got null']);
  });
  it('invalid camera ids', () => {
    const rule = '(use 1-64 characters from a-z 0-9 _ -)';
    rejects('cameras:\n  Gate 1:\n    push: true\n', [`cameras: invalid camera id "Gate 1" ${rule}`]);
    rejects(`cameras:\n  ${'a'.repeat(65)}:\n    push: true\n`, [`cameras: invalid camera id "${'a'.repeat(65)}" ${rule}`]);
  });
  it('YAML syntax errors carry file, line and column', () => {
    const err = rejects('http:\n  port: 8080\n host: 0.0.0.0\n', ['test.yaml:3:1: YAML syntax error: All mapping items must start at the same column']);
    assert.equal(err.path, 'test.yaml:3:1');
  });
  // Found by fuzz/targets/config.ts: the yaml package throws a ReferenceError from toJS(), not a syntax error.
  it('an alias to a missing anchor, or an alias bomb, is a ConfigError, not a ReferenceError', () => {
    rejects('cameras:\n  gate1: *nope\n', ['test.yaml: YAML error: Unresolved alias (the anchor must be set before the alias): nope']);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
    assert.throws(() => parseConfigText(bomb, 'test.yaml', [], {}), (err) => err instanceof ConfigError && /YAML error: Excessive alias count/.test(err.message));
  });
  // Found by fuzz/targets/config.ts (3 of 1M inputs): lineSchema's "from and to must be different" refine
  // read l.from[0] even when `from` had already failed its own rule as null.
  it('a plugin line with a null end point is a ConfigError, not a TypeError', () => {
    const text = (from: string, to: string) =>
      `cameras:\n  gate1:\n    push: true\n    plugins:\n      counting:\n        lines:\n          stop: { from: ${from}, to: ${to} }\n`;
    for (const [from, to] of [['~', '[0.5, 0.5]'], ['[0.1, 0.1]', '~']] as const) {
      assert.throws(() => parseConfigText(text(from, to), 'test.yaml', [], {}), (err) => err instanceof ConfigError && /lines\.stop\.(from|to)/.test(err.message));
    }
  });
  it('WebRTC servers and addresses', () => {
    rejects('webrtc:\n  hostAddresses: [lan.local]\n', ['webrtc.hostAddresses[0]: expected an IP address']);
    rejects('webrtc:\n  iceServers: [{ urls: "http://x" }]\n', ['webrtc.iceServers[0].urls: expected stun:, stuns:, turn: or turns: URLs']);
    rejects('webrtc:\n  iceServers: [{ urls: "turn:x" }]\n', ['webrtc.iceServers[0]: a turn: server needs username and credential']);
    rejects('webrtc:\n  iceServers: [{ username: u }]\n', ['webrtc.iceServers[0].urls: is required']);
  });
  it('cross-field rules', () => {
    rejects(cam('push: true\nreconnect: { initialMs: 9000, maxMs: 2000 }'), ['cameras.gate1.reconnect: initialMs must not be greater than maxMs']);
    rejects(cam('url: rtsp://admin:x@h/\npassword: y'), ['cameras.gate1.password: credentials are given both here and in the url; use one']);
    rejects('http:\n  host: ""\n', ['http.host: must not be empty']);
  });
  it('lists every problem, in order, under the first one\'s path', () => {
    const err = rejects('http:\n  port: 70000\nrtsp:\n  prt: 1\n', [
      'http.port: expected an integer from 0 to 65535',
      'rtsp: unknown key "prt" (did you mean "port"?)',
    ]);
    assert.equal(err.path, 'http.port');
  });
  it('names a missing file', () => {
    assert.throws(() => loadConfig(join(testdata, 'nope.yaml')), (e: unknown) =>
      e instanceof ConfigError && e.message === `${join(testdata, 'nope.yaml')}: no such file`);
  });
});

describe('config acceptance', () => {
  it('the packaged default config has the demo cameras: two test patterns, three traffic clips and the campus footage', () => {
    const config = loadConfig();
    assert.deepEqual(Object.keys(config.cameras), ['demo1', 'demo2', 'intersection', 'gate-north', 'gate-south', 'campus']);
    assert.equal(config.cameras['gate-north']!.synthetic!.file, 'data/demo/gate-north.h264');
    assert.deepEqual(config.cameras.demo1!.synthetic, { width: 1280, height: 720, fps: 25, bitrateKbps: 2000, gop: 50 });
    assert.deepEqual(config.cameras.demo2!.synthetic, { width: 640, height: 360, fps: 15, bitrateKbps: 600, gop: 30 });
    assert.equal(config.http.port, 8080);
    assert.equal(config.rtsp.port, 8554);
    assert.deepEqual(config.webrtc.iceServers, []);
  });
  it('an empty file gives every default', () => {
    assert.deepEqual(parseConfigText('', 'empty.yaml', [], {}), {
      log: { level: 'info' },
      http: { host: '0.0.0.0', port: 8080, maxBodyBytes: 65536, corsOrigins: ['*'], trustProxy: [] },
      rtsp: { host: '0.0.0.0', port: 8554, udpPortRange: [8000, 8099] },
      rtmp: { host: '0.0.0.0', port: 1935 },
      webrtc: { udpPortRange: [40000, 40999], hostAddresses: [], iceServers: [] },
      storage: { path: 'data', maxAgeDays: 30, maxBytes: 10 * 2 ** 30, clips: CLIP_DEFAULTS },
      overload: { enabled: true, lagHighMs: 50, lagLowMs: 25, escalateAfterS: 3, relaxAfterS: 10, minFpsScale: 0.25, warmupS: 20 },
      cameras: {},
    });
    assert.deepEqual(parseConfigText('webrtc:\ncameras:\n', 'x', [], {}).webrtc.iceServers, []);
  });
  it('the full example: every kind of camera, defaults filled in, env interpolated', () => {
    const config = loadConfig(join(testdata, 'full.yaml'), [], ENV);
    const gate1 = config.cameras.gate1!;
    assert.equal(gate1.password, 'hunter2');
    assert.equal(gate1.transport, 'udp');
    assert.deepEqual(gate1.reconnect, { initialMs: 250, maxMs: 10000 });
    assert.equal(config.webrtc.iceServers[1]!.credential, 's3cret');
    assert.deepEqual(config.cameras.door, {
      push: true, transport: 'tcp', onDemand: false, onDemandCloseAfterMs: 10000, timeoutMs: 10000,
      reconnect: { initialMs: 500, maxMs: 30000 }, enabled: true, detect: { fps: 5, threads: 1, model: true }, plugins: {},
    });
    assert.deepEqual(config.storage, { path: '/var/lib/streamsight', maxAgeDays: 7, maxBytes: 500e6, mapSizeBytes: 2 ** 30, clips: CLIP_DEFAULTS });
    assert.deepEqual(gate1.detect, { width: 640, height: 360, fps: 10, format: 'gray', threads: 1, model: true });
    assert.deepEqual(gate1.plugins, {
      brightness: {
        enabled: true, fps: 2, latencyBudgetMs: 50, priority: 50,
        zones: { road: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] },
        lines: { kerb: { from: [0, 0.6], to: [1, 0.6] } },
      },
    });
    assert.deepEqual(Object.entries(config.cameras).map(([id, c]) => [id, c.url ? 'url' : c.push ? 'push' : c.rtmp ? 'rtmp' : c.synthetic ? 'synthetic' : '?']),
      [['gate1', 'url'], ['door', 'push'], ['studio', 'rtmp'], ['demo', 'synthetic']]);
    assert.deepEqual(config.rtmp, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(config.cameras.studio!.rtmp, { key: 'studio-key-123' });
  });
  it('env interpolation: inside strings, fallbacks, $${ escape', () => {
    const env = { HOST: '10.0.0.5', PW: 'p@ss' };
    const config = parseConfigText(
      cam('url: rtsp://${HOST}:554/${STREAM:-main}\npassword: ${PW}\nname: "cost $${PRICE}"'), 'x', [], env);
    assert.equal(config.cameras.gate1!.url, 'rtsp://10.0.0.5:554/main');
    assert.equal(config.cameras.gate1!.password, 'p@ss');
    assert.equal(config.cameras.gate1!.name, 'cost ${PRICE}');
  });
  it('--camera adds pull cameras with defaults, beside the file\'s', () => {
    const config = parseConfigText(cam('push: true'), 'x', ['yard=rtsp://h/yard', 'gate2=rtsp://h/gate2'], {});
    assert.deepEqual(Object.keys(config.cameras), ['gate1', 'yard', 'gate2']);
    assert.equal(config.cameras.yard!.url, 'rtsp://h/yard');
    assert.equal(config.cameras.yard!.transport, 'tcp');
  });
});

describe('redactedConfig', () => {
  it('masks passwords, URL userinfo and TURN credentials, and leaves the original alone', () => {
    const config = parseConfigText(cam('url: rtsp://admin:hunter2@10.0.0.5/ch1'), 'x', ['b=rtsp://u:topsecret@h/'], {});
    const full = loadConfig(join(testdata, 'full.yaml'), [], ENV);
    const redacted = redactedConfig(config);
    assert.equal(redacted.cameras.gate1!.url, 'rtsp://***@10.0.0.5/ch1');
    const text = JSON.stringify([redacted, redactedConfig(full)]);
    for (const secret of ['hunter2', 'topsecret', 's3cret', 'admin:', 'studio-key-123']) assert.ok(!text.includes(secret), secret);
    assert.equal(redactedConfig(full).cameras.gate1!.password, '***');
    assert.equal(config.cameras.gate1!.url, 'rtsp://admin:hunter2@10.0.0.5/ch1');
    assert.equal(full.cameras.gate1!.password, 'hunter2');
  });
  it('masks RTMP publish keys', () => {
    const config = parseConfigText(cam('rtmp: { key: obs-Key-12345 }'), 'x', [], {});
    const redacted = redactedConfig(config);
    assert.equal(redacted.cameras.gate1!.rtmp!.key, '***');
    assert.ok(!JSON.stringify(redacted).includes('obs-Key-12345'));
    assert.equal(config.cameras.gate1!.rtmp!.key, 'obs-Key-12345');
  });
});
