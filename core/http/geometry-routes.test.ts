/**
 * The zone editor's API against a running server on a config file: a zone saved with PUT lands in
 * the file (its comments kept), is applied without a restart (the brightness plugin's events
 * start naming the new zone), and anything invalid — by the config schema, by the plugin's own
 * schema, or by the plugin's worker, which refuses a lamp naming no zone — leaves the file and
 * the running plugin as they were.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, parseConfigText } from '../../config/load.js';
import { startServer, type Server } from '../server.js';
import { waitFor } from '../testing/wait.js';

const LAMPS = (x: number) => [[x, 0.05], [x + 0.05, 0.05], [x + 0.05, 0.1], [x, 0.1]];

function configText(dir: string): string {
  return [
    '# a comment the editor must keep',
    'log: { level: warn }',
    'http: { host: 127.0.0.1, port: 0 }',
    'rtsp: { host: 127.0.0.1, port: 0 }',
    'webrtc: { hostAddresses: [127.0.0.1] }',
    `storage: { path: ${JSON.stringify(join(dir, 'data'))} }`,
    'cameras:',
    '  yard:',
    '    synthetic: { width: 320, height: 240, fps: 10, bitrateKbps: 300, gop: 10 }',
    '    detect: { fps: 5 }',
    '    plugins:',
    '      brightness:',
    '        fps: 2',
    '        zones:',
    '          left: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]   # the left half',
    '        config: { darkBelow: 180, brightAbove: 250 }',
    '      red-light:',
    '        fps: 2',
    '        zones:',
    `          lamp_red: ${JSON.stringify(LAMPS(0.8))}`,
    `          lamp_green: ${JSON.stringify(LAMPS(0.9))}`,
    '          junction: [[0.2, 0.1], [0.8, 0.1], [0.8, 0.3], [0.2, 0.3]]',
    '        lines:',
    '          stop_line: { from: [0.1, 0.5], to: [0.9, 0.5] }',
    '        config: { lamps: { red: lamp_red, green: lamp_green } }',
  ].join('\n');
}

interface Saved { savedTo: string; applied: boolean; zones: Record<string, unknown> }

describe('zone editor API (GET/PUT /api/cameras/:id/geometry)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-geometry-'));
  const file = join(dir, 'streamsight.yaml');
  let server: Server;
  let base = '';
  const put = (plugin: string, body: unknown, type = 'application/json') =>
    fetch(`${base}api/cameras/yard/geometry/${plugin}`, { method: 'PUT', headers: { 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const pluginState = async (plugin: string) =>
    ((await (await fetch(`${base}api/plugins`)).json()) as { plugin: string; state: string; restarts: number }[]).find((p) => p.plugin === plugin);

  before(async () => {
    writeFileSync(file, configText(dir));
    server = await startServer(loadConfig(file), { configPath: file });
    base = server.addresses.pageUrl;
    await waitFor('red-light running', 30_000, async () => ((await pluginState('red-light'))?.state === 'running' ? true : undefined));
  });

  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves every plugin geometry and config of a camera, 404 for an unknown camera', async () => {
    const res = await fetch(`${base}api/cameras/yard/geometry`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { camera: string; plugins: Record<string, { zones: Record<string, unknown>; lines: Record<string, unknown>; config: { lamps?: unknown } }> };
    assert.equal(body.camera, 'yard');
    assert.deepEqual(Object.keys(body.plugins).sort(), ['brightness', 'red-light']);
    assert.deepEqual(body.plugins.brightness!.zones.left, [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]);
    assert.deepEqual(body.plugins['red-light']!.lines.stop_line, { from: [0.1, 0.5], to: [0.9, 0.5] });
    assert.deepEqual(body.plugins['red-light']!.config.lamps, { red: 'lamp_red', green: 'lamp_green' });
    assert.equal((await fetch(`${base}api/cameras/nope/geometry`)).status, 404);
  });

  it('saves a new zone into the file and applies it: the plugin events name it', async () => {
    const right = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]];
    const since = Date.now();
    const res = await put('brightness', { zones: { right } });
    assert.equal(res.status, 200, await res.clone().text());
    const saved = (await res.json()) as Saved;
    assert.equal(saved.savedTo, file);
    assert.equal(saved.applied, true);
    assert.deepEqual(Object.keys(saved.zones), ['right']);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /right: \[\[0\.5, 0\], \[1, 0\], \[1, 1\], \[0\.5, 1\]\]/);
    assert.doesNotMatch(text, /left:/, 'the zone the save left out is gone');
    assert.match(text, /# a comment the editor must keep/);
    assert.deepEqual(parseConfigText(text).cameras.yard!.plugins.brightness!.zones, { right });
    // Applied without a restart: the running plugin now measures the new zone (the test pattern is "dark" under 180).
    await waitFor('an event in the new zone', 20_000, async () => {
      const { events } = (await (await fetch(`${base}api/events?plugin=brightness&from=${since}`)).json()) as { events: { zone?: string }[] };
      return events.some((e) => e.zone === 'right') ? true : undefined;
    }, 250);
    const after = (await (await fetch(`${base}api/cameras/yard/geometry`)).json()) as { plugins: { brightness: { zones: object } } };
    assert.ok(Object.hasOwn(after.plugins.brightness.zones, 'right'));
  });

  it('refuses what the schema rejects, naming the path, and changes nothing', async () => {
    const before = readFileSync(file, 'utf8');
    const twoPoints = await put('brightness', { zones: { bad: [[0, 0], [1, 1]] } });
    assert.equal(twoPoints.status, 400);
    assert.match(((await twoPoints.json()) as { error: string }).error, /cameras\.yard\.plugins\.brightness\.zones\.bad.*at least 3 points/);
    const pluginSchema = await put('brightness', { config: { darkBelow: 300 } });
    assert.equal(pluginSchema.status, 400);
    assert.match(((await pluginSchema.json()) as { error: string }).error, /cameras\.yard\.plugins\.brightness\.config\.darkBelow/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('puts the old settings back when the plugin will not start with the new ones', async () => {
    const before = readFileSync(file, 'utf8');
    const res = await put('red-light', { config: { lamps: { red: 'no_such_zone', green: 'lamp_green' } } });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /did not start with it: .*no_such_zone/);
    assert.equal(readFileSync(file, 'utf8'), before);
    await waitFor('red-light running again', 30_000, async () => ((await pluginState('red-light'))?.state === 'running' ? true : undefined));
    const geometry = (await (await fetch(`${base}api/cameras/yard/geometry`)).json()) as { plugins: Record<string, { config: { lamps: { red: string } } }> };
    assert.equal(geometry.plugins['red-light']!.config.lamps.red, 'lamp_red');
  });

  it('answers 404, 400, 415 for an unknown plugin, bad JSON, unknown keys and a wrong type', async () => {
    assert.equal((await put('nope', { zones: {} })).status, 404);
    assert.equal((await put('brightness', '{not json')).status, 400);
    assert.equal((await put('brightness', { colour: 'red' })).status, 400);
    assert.equal((await put('brightness', { zones: {} }, 'text/plain')).status, 415);
  });
});

describe('zone editor API without a config file', { timeout: 60_000 }, () => {
  it('refuses to save with 409: there is nowhere to save to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-geometry-'));
    const server = await startServer(parseConfigText(configText(dir)));
    try {
      const res = await fetch(`${server.addresses.pageUrl}api/cameras/yard/geometry/brightness`, {
        method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ zones: {} }),
      });
      assert.equal(res.status, 409);
      assert.match(((await res.json()) as { error: string }).error, /not started from a config file/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
