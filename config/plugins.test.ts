/** The storage section, per-camera detect and plugins, and the helpers beside them (issue 3). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError } from '../core/errors.js';
import { defaultConfigPath, parseConfigText } from './load.js';
import { BYTE_SIZE_RULE, cameraPlugins, parseByteSize } from './schema.js';

/** Asserts that the config is rejected with exactly these lines. */
function rejects(text: string, lines: string[]): void {
  assert.throws(() => parseConfigText(text, 'test.yaml', [], {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.message, lines.join('\n'));
    return true;
  });
}

/** A push camera gate1 with these extra lines. */
const cam = (body: string) => `cameras:\n  gate1:\n    push: true\n${body.replace(/^/gm, '    ')}\n`;
/** gate1 running the brightness plugin with these settings. */
const plugin = (body: string) => cam(`plugins:\n  brightness:\n${body.replace(/^/gm, '    ')}`);

const GiB = 2 ** 30;

describe('parseByteSize', () => {
  it('reads bytes and decimal or binary units, case-insensitively', () => {
    assert.equal(parseByteSize('10GiB'), 10 * GiB);
    assert.equal(parseByteSize('500MB'), 500e6);
    assert.equal(parseByteSize('500mb'), 500e6);
    assert.equal(parseByteSize(' 1.5 GiB '), 1.5 * GiB);
    assert.equal(parseByteSize('64KiB'), 65536);
    assert.equal(parseByteSize('2kB'), 2000);
    assert.equal(parseByteSize('4096'), 4096);
    assert.equal(parseByteSize('4096B'), 4096);
    assert.equal(parseByteSize('1TiB'), 2 ** 40);
    assert.equal(parseByteSize(123456789), 123456789);
    assert.equal(parseByteSize(0), 0);
  });
  it('rejects anything else with one ConfigError', () => {
    for (const bad of ['', 'GiB', '10 gigs', '10G', '-5MB', '1e9', '10GiB extra', '1.5.2MB', 1.5, -1, NaN, Infinity, 2 ** 60]) {
      assert.throws(() => parseByteSize(bad), (e: unknown) => e instanceof ConfigError && e.message === BYTE_SIZE_RULE, String(bad));
    }
    assert.throws(() => parseByteSize('9000PiB'), ConfigError);   // past Number.MAX_SAFE_INTEGER
  });
});

describe('storage', () => {
  it('takes sizes as bytes or unit strings', () => {
    const c = parseConfigText('storage:\n  path: /srv/events\n  maxAgeDays: 7\n  maxBytes: 500MB\n  mapSizeBytes: 2147483648\n', 'x', [], {});
    assert.deepEqual({ ...c.storage, clips: undefined }, { path: '/srv/events', maxAgeDays: 7, maxBytes: 500e6, mapSizeBytes: 2 * GiB, clips: undefined });
    assert.equal(parseConfigText('storage:\n', 'x', [], {}).storage.maxBytes, 10 * GiB);
  });
  it('rejections', () => {
    rejects('storage:\n  maxBytes: 10 gigs\n', [`storage.maxBytes: ${BYTE_SIZE_RULE}`]);
    rejects('storage:\n  maxBytes: true\n', [`storage.maxBytes: ${BYTE_SIZE_RULE}`]);
    rejects('storage:\n  maxBytes: 1.5\n', [`storage.maxBytes: ${BYTE_SIZE_RULE}`]);
    rejects('storage:\n  maxBytes: 100\n', ['storage.maxBytes: expected a size from 1MiB to 1PiB']);
    rejects('storage:\n  mapSizeBytes: 2PiB\n', ['storage.mapSizeBytes: expected a size from 1MiB to 1PiB']);
    rejects('storage:\n  maxBytes: 1GiB\n  mapSizeBytes: 500MB\n', ['storage.mapSizeBytes: must not be smaller than maxBytes']);
    rejects('storage:\n  maxAgeDays: 0\n', ['storage.maxAgeDays: expected an integer from 1 to 3650']);
    rejects('storage:\n  maxAgeDays: 1.5\n', ['storage.maxAgeDays: expected an integer from 1 to 3650']);
    rejects('storage:\n  path: ""\n', ['storage.path: must not be empty']);
    rejects('storage:\n  pth: x\n', ['storage: unknown key "pth" (did you mean "path"?)']);
    rejects('storage: 5\n', ['storage: expected a mapping, got number 5']);
  });
});

describe('detect', () => {
  it('defaults to 5 fps and leaves size and format to the plugins', () => {
    assert.deepEqual(parseConfigText(cam(''), 'x', [], {}).cameras.gate1!.detect, { fps: 5, threads: 1, model: true });
    assert.deepEqual(parseConfigText(cam('detect:'), 'x', [], {}).cameras.gate1!.detect, { fps: 5, threads: 1, model: true });
    assert.deepEqual(parseConfigText(cam('detect: { width: 640, fps: 0.5, format: i420 }'), 'x', [], {}).cameras.gate1!.detect,
      { width: 640, fps: 0.5, format: 'i420', threads: 1, model: true });
  });
  it('rejections', () => {
    rejects(cam('detect: { width: 641, height: 8, fps: 0, format: rgb }'), [
      'cameras.gate1.detect.width: expected an even integer from 16 to 7680',
      'cameras.gate1.detect.height: expected an even integer from 16 to 4320',
      'cameras.gate1.detect.fps: expected a number from 0.1 to 60',
      'cameras.gate1.detect.format: expected i420 or gray',
    ]);
    rejects(cam('detect: { width: 7682, height: 4322, fps: 61 }'), [
      'cameras.gate1.detect.width: expected an even integer from 16 to 7680',
      'cameras.gate1.detect.height: expected an even integer from 16 to 4320',
      'cameras.gate1.detect.fps: expected a number from 0.1 to 60',
    ]);
    rejects(cam('detect: { fps: "5" }'), ['cameras.gate1.detect.fps: expected a number from 0.1 to 60']);
    rejects(cam('detect: { witdh: 640 }'), ['cameras.gate1.detect: unknown key "witdh" (did you mean "width"?)']);
  });
});

describe('plugins', () => {
  it('fills defaults; a plugin listed with nothing below it runs with its defaults; config passes through unchecked', () => {
    const c = parseConfigText(cam([
      'detect: { fps: 10 }',
      'plugins:',
      '  brightness:',
      '  counting:',
      '    fps: 10',
      '    latencyBudgetMs: 200',
      '    zones: { road: [[0, 0.5], [1, 0.5], [1, 1]] }',
      '    lines: { kerb: { from: [0, 0.6], to: [1, 0.6] } }',
      '    config: { anything: [1, 2], goes: here }',
      '  tamper: { enabled: false }',
    ].join('\n')), 'x', [], {});
    assert.deepEqual(c.cameras.gate1!.plugins, {
      brightness: { enabled: true, priority: 50, zones: {}, lines: {} },
      counting: {
        enabled: true, fps: 10, latencyBudgetMs: 200, priority: 50,
        zones: { road: [[0, 0.5], [1, 0.5], [1, 1]] },
        lines: { kerb: { from: [0, 0.6], to: [1, 0.6] } },
        config: { anything: [1, 2], goes: 'here' },
      },
      tamper: { enabled: false, priority: 50, zones: {}, lines: {} },
    });
    assert.deepEqual(parseConfigText(cam('plugins:'), 'x', [], {}).cameras.gate1!.plugins, {});
  });

  it('cameraPlugins lists enabled plugins of enabled cameras, in file order', () => {
    const c = parseConfigText([
      'cameras:',
      '  a:',
      '    push: true',
      '    plugins: { brightness: { fps: 2 }, tamper: { enabled: false }, counting: {} }',
      '  off:',
      '    push: true',
      '    enabled: false',
      '    plugins: { brightness: {} }',
      '  b:',
      '    push: true',
      '    plugins: { brightness: {} }',
      '  none:',
      '    push: true',
    ].join('\n'), 'x', [], {});
    assert.deepEqual(cameraPlugins(c).map((p) => [p.cameraId, p.pluginName, p.settings.fps]), [
      ['a', 'brightness', 2], ['a', 'counting', undefined], ['b', 'brightness', undefined],
    ]);
    assert.equal(cameraPlugins(c)[0]!.settings, c.cameras.a!.plugins.brightness);
  });

  it('rejects bad names and settings', () => {
    rejects(cam('plugins:\n  Bright_ness: {}'),
      ['cameras.gate1.plugins: invalid plugin name "Bright_ness" (use 1-64 characters from a-z 0-9 -)']);
    rejects(cam(`plugins:\n  ${'p'.repeat(65)}: {}`),
      [`cameras.gate1.plugins: invalid plugin name "${'p'.repeat(65)}" (use 1-64 characters from a-z 0-9 -)`]);
    rejects(cam('plugins: [brightness]'), ['cameras.gate1.plugins: expected a mapping, got a list']);
    rejects(plugin('fsp: 2'), ['cameras.gate1.plugins.brightness: unknown key "fsp" (did you mean "fps"?)']);
    rejects(plugin('enabled: 1'), ['cameras.gate1.plugins.brightness.enabled: expected true or false, got number 1']);
    rejects(plugin('fps: 0.05'), ['cameras.gate1.plugins.brightness.fps: expected a number from 0.1 to 60']);
    rejects(cam('detect: { fps: 60 }\nplugins:\n  brightness: { fps: 61 }'),
      ['cameras.gate1.plugins.brightness.fps: expected a number from 0.1 to 60']);
    rejects(plugin('latencyBudgetMs: 0.5'), ['cameras.gate1.plugins.brightness.latencyBudgetMs: expected an integer from 1 to 60000']);
    rejects(plugin('latencyBudgetMs: 60001'), ['cameras.gate1.plugins.brightness.latencyBudgetMs: expected an integer from 1 to 60000']);
  });

  it('a plugin cannot ask for more frames than detect decodes', () => {
    rejects(plugin('fps: 10'), ['cameras.gate1.plugins.brightness.fps: must not be greater than detect.fps (5)']);
    rejects(cam('detect: { fps: 2 }\nplugins:\n  brightness: { fps: 2.5 }'),
      ['cameras.gate1.plugins.brightness.fps: must not be greater than detect.fps (2)']);
    assert.equal(parseConfigText(cam('detect: { fps: 2.5 }\nplugins:\n  brightness: { fps: 2.5 }'), 'x', [], {})
      .cameras.gate1!.plugins.brightness!.fps, 2.5);
  });

  it('rejects bad zones, naming the point', () => {
    const point = 'expected [x, y] with 0 ≤ x, y ≤ 1';
    const zones = 'cameras.gate1.plugins.brightness.zones';
    rejects(plugin('zones:\n  road: [[0, 0], [1, 0], [1.2, 1]]'), [`${zones}.road[2]: ${point}`]);
    rejects(plugin('zones:\n  road: [[0, 0], [1, -0.1], [1, 1]]'), [`${zones}.road[1]: ${point}`]);
    rejects(plugin('zones:\n  road: [[0, "a"], [0], [0, 0, 0], 5]'),
      [0, 1, 2, 3].map((i) => `${zones}.road[${i}]: ${point}`));
    rejects(plugin('zones:\n  road: [[0, 0], [1, 1]]'), [`${zones}.road: a zone needs at least 3 points`]);
    rejects(plugin('zones:\n  road: "x"'), [`${zones}.road: expected a list of [x, y] points`]);
    rejects(plugin('zones:\n  Bad Zone: [[0, 0], [1, 0], [1, 1]]'),
      [`${zones}: invalid zone name "Bad Zone" (use 1-64 characters from a-z 0-9 _ -)`]);
    rejects(plugin('zones: [[0, 0], [1, 0], [1, 1]]'), [`${zones}: expected a mapping, got a list`]);
  });

  it('rejects bad lines', () => {
    const lines = 'cameras.gate1.plugins.brightness.lines';
    rejects(plugin('lines:\n  kerb: { from: [0, 0], to: [0, 0] }'), [`${lines}.kerb: from and to must be different points`]);
    rejects(plugin('lines:\n  kerb: { from: [0, 0] }'), [`${lines}.kerb.to: is required`]);
    rejects(plugin('lines:\n  kerb: { from: [0, 2], to: [1, 1] }'), [`${lines}.kerb.from: expected [x, y] with 0 ≤ x, y ≤ 1`]);
    rejects(plugin('lines:\n  kerb: { from: [0, 0], to: [1, 1], via: [0.5, 0.5] }'), [`${lines}.kerb: unknown key "via"`]);
    rejects(plugin('lines:\n  kerb: [[0, 0], [1, 1]]'), [`${lines}.kerb: expected a mapping, got a list`]);
    rejects(plugin('lines:\n  Kerb: { from: [0, 0], to: [1, 1] }'),
      [`${lines}: invalid line name "Kerb" (use 1-64 characters from a-z 0-9 _ -)`]);
  });
});

describe('packaged config', () => {
  it('has storage defaults and runs brightness on demo1, red-light, lane and parking on the intersection counting on the gates and objects on the campus', () => {
    const text = readFileSync(defaultConfigPath(), 'utf8');
    const base = parseConfigText(text, 'streamsight.yaml', [], {});
    assert.deepEqual(base.storage, {
      path: 'data', maxAgeDays: 30, maxBytes: 10 * GiB,
      clips: { enabled: true, beforeS: 5, afterS: 5, maxS: 60, minSeverity: 'warning', maxBytesPerCamera: 64 * 2 ** 20 },
    });
    assert.deepEqual(cameraPlugins(base).map((p) => [p.cameraId, p.pluginName, p.settings.fps]), [
      ['demo1', 'brightness', 2], ['intersection', 'red-light', undefined], ['intersection', 'lane', 5], ['intersection', 'parking', 5],
      ['gate-north', 'counting', 10], ['gate-south', 'counting', 10], ['campus', 'objects', 2],
    ]);
  });
});
