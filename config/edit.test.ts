/**
 * The zone editor's YAML edit on the demo config, whose gates share one `plugins:` map through an
 * alias and whose intersection plugins share one ground calibration: an edit changes the camera ×
 * plugin it names and nothing else, keeps comments, and writes points on one line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError } from '../core/errors.js';
import { patchPluginGeometry } from './edit.js';
import { defaultConfigPath, parseConfigText } from './load.js';

const TEXT = readFileSync(defaultConfigPath(), 'utf8');
const ORIGINAL = parseConfigText(TEXT, 'demo');
const GATE_LINE = { gate: { from: [0.1, 0.5] as [number, number], to: [0.9, 0.5] as [number, number] } };

function cams(text: string) {
  return parseConfigText(text, 'edited').cameras;
}

describe('patchPluginGeometry', () => {
  it('writes the new zone on one line and keeps the comments', () => {
    const zones = { ...ORIGINAL.cameras.intersection!.plugins.parking!.zones, bay: [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]] as [number, number][] };
    const out = patchPluginGeometry(TEXT, 'intersection', 'parking', { zones });
    assert.match(out, /\n {10}bay: \[\[0\.1, 0\.1\], \[0\.2, 0\.1\], \[0\.2, 0\.2\]\]\n/);
    assert.match(out, /# A real camera pulled over RTSP\. Keep the password out of the file:/);
    assert.match(out, /level: info # debug \| info \| warn \| error/);
    assert.deepEqual(cams(out).intersection!.plugins.parking!.zones, zones);
  });

  it('edits the camera behind an alias without touching the camera that holds the anchor', () => {
    const out = patchPluginGeometry(TEXT, 'gate-south', 'counting', { lines: GATE_LINE });
    assert.deepEqual(cams(out)['gate-south']!.plugins.counting!.lines, GATE_LINE);
    assert.deepEqual(cams(out)['gate-north']!.plugins.counting!, ORIGINAL.cameras['gate-north']!.plugins.counting!);
  });

  it('edits the camera that holds the anchor without changing the aliases of it', () => {
    const out = patchPluginGeometry(TEXT, 'gate-north', 'counting', { lines: GATE_LINE });
    assert.deepEqual(cams(out)['gate-north']!.plugins.counting!.lines, GATE_LINE);
    assert.deepEqual(cams(out)['gate-south']!.plugins.counting!, ORIGINAL.cameras['gate-south']!.plugins.counting!);
  });

  it('keeps a shared value shared while it is unchanged, and gives the others the old one when it changes', () => {
    const config = ORIGINAL.cameras.intersection!.plugins['red-light']!.config as Record<string, unknown>;
    const unchanged = patchPluginGeometry(TEXT, 'intersection', 'red-light', { config: { ...config, graceS: 1 } });
    assert.match(unchanged, /ground: &intersection-ground/);
    assert.equal((cams(unchanged).intersection!.plugins['red-light']!.config as { graceS: number }).graceS, 1);
    const ground = [{ image: [0, 0.5], ground: [0, 1] }];
    const changed = patchPluginGeometry(TEXT, 'intersection', 'red-light', { config: { ...config, ground } });
    const after = cams(changed).intersection!.plugins;
    assert.deepEqual((after['red-light']!.config as { ground: unknown }).ground, ground);
    for (const other of ['lane', 'parking']) {
      assert.deepEqual((after[other]!.config as { ground: unknown }).ground, (ORIGINAL.cameras.intersection!.plugins[other]!.config as { ground: unknown }).ground, other);
    }
  });

  it('gives the aliases of a deleted anchored value the old value, so none is left dangling', () => {
    const { ground: _ground, ...config } = ORIGINAL.cameras.intersection!.plugins['red-light']!.config as Record<string, unknown>;
    const out = patchPluginGeometry(TEXT, 'intersection', 'red-light', { config });
    const after = cams(out).intersection!.plugins;
    assert.equal((after['red-light']!.config as { ground?: unknown }).ground, undefined);
    for (const other of ['lane', 'parking']) {
      assert.deepEqual((after[other]!.config as { ground: unknown }).ground, (ORIGINAL.cameras.intersection!.plugins[other]!.config as { ground: unknown }).ground, other);
    }
  });

  it('leaves the text as it parses when nothing changes', () => {
    const p = ORIGINAL.cameras['gate-north']!.plugins.counting!;
    const out = patchPluginGeometry(TEXT, 'gate-north', 'counting', { zones: p.zones, lines: p.lines, config: p.config });
    assert.deepEqual(cams(out), ORIGINAL.cameras);
    assert.match(out, /plugins: \*gate-plugins/);
  });

  it('refuses an unknown camera or plugin with a ConfigError naming the path', () => {
    assert.throws(() => patchPluginGeometry(TEXT, 'nope', 'counting', {}), (e: unknown) => e instanceof ConfigError && /cameras\.nope\.plugins\.counting: not found/.test(e.message));
    assert.throws(() => patchPluginGeometry(TEXT, 'demo2', 'counting', {}), ConfigError);
    assert.throws(() => patchPluginGeometry('cameras: [', 'a', 'b', {}), /does not parse/);
  });
});
