import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { BUILTIN_PLUGINS_DIR, PluginRegistry } from './registry.js';

const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const SDK_URL = new URL('../../plugins/sdk/index.ts', import.meta.url).href;
const ZOD_URL = import.meta.resolve('zod');

let registry: PluginRegistry;
let tmp: string;

/** Writes an installed plugin package under `<tmp>/node_modules/<name>`. */
function writePackage(name: string, pkg: object, files: Record<string, string>): void {
  const dir = join(tmp, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

const pluginModule = (name: string) => `
import { z } from ${JSON.stringify(ZOD_URL)};
import { definePlugin } from ${JSON.stringify(SDK_URL)};
export default definePlugin({
  name: ${JSON.stringify(name)}, description: 'installed', configSchema: z.strictObject({ level: z.number().default(1) }),
  defaults: { fps: 1, latencyBudgetMs: 100, input: { format: 'gray' } },
  create() { return { onFrame() {} }; },
});
`;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'streamsight-registry-'));
  writePackage('streamsight-plugin-demo', { type: 'module', exports: { '.': { import: './main.js' } } }, { 'main.js': pluginModule('demo') });
  mkdirSync(join(tmp, 'node_modules', '@acme'), { recursive: true });
  writePackage('@acme/streamsight-plugin-scoped', { type: 'module', main: 'lib.js' }, { 'lib.js': pluginModule('scoped') });
  writePackage('streamsight-plugin-empty', { type: 'module' }, {});
  writePackage('not-a-plugin', { type: 'module' }, { 'index.js': 'throw new Error("must not be imported")' });
  registry = await PluginRegistry.load({ dirs: [BUILTIN_PLUGINS_DIR, TESTDATA], nodeModules: [join(tmp, 'node_modules')] });
});

after(() => rmSync(tmp, { recursive: true, force: true }));

/** The built-in plugins: every plugins/<name>/ folder with an index.ts (the SDK has none). */
const builtins = () => readdirSync(BUILTIN_PLUGINS_DIR).filter((d) => d !== 'sdk' && existsSync(join(BUILTIN_PLUGINS_DIR, d, 'index.ts')));
const expectedNames = () => [...builtins(), 'crash', 'demo', 'fast', 'hang', 'scoped', 'slow'].sort();

describe('PluginRegistry', () => {
  it('finds plugins/<name>/index.ts and installed streamsight-plugin-* packages', () => {
    assert.ok(builtins().includes('brightness') && builtins().includes('motion'));
    assert.deepEqual(registry.names(), expectedNames());
    const b = registry.get('brightness')!;
    assert.equal(b.source, 'folder');
    assert.equal(b.url, new URL('../../plugins/brightness/index.ts', import.meta.url).href);
    assert.equal(b.definition.defaults.fps, 2);
    assert.equal(registry.get('demo')!.source, 'package');
    assert.match(registry.get('scoped')!.url, /@acme\/streamsight-plugin-scoped\/lib\.js$/);
  });

  it('logs and skips plugins that fail to load', () => {
    const failures = Object.fromEntries(registry.failures.map((f) => [f.where.replace(/.*[/\\]/, ''), f.error]));
    assert.deepEqual(failures, {
      broken: 'broken plugin: failed at import',
      bogus: 'the default export is not a definePlugin(...) result',
      'streamsight-plugin-empty': 'no entry point (package.json "exports"/"main" or index.js)',
    });
  });

  it('a missing folder is no plugins, not an error', async () => {
    const empty = await PluginRegistry.load({ dirs: [join(tmp, 'nope')], nodeModules: [] });
    assert.deepEqual(empty.names(), []);
    assert.deepEqual(empty.failures, []);
  });
});

describe('validatePluginConfig', () => {
  const path = 'cameras.gate1.plugins.brightness.config';
  const check = (raw: unknown, message: string) =>
    assert.throws(() => registry.validatePluginConfig('brightness', raw, path), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, message);
      return true;
    });

  it('returns the parsed config with defaults', () => {
    assert.deepEqual(registry.validatePluginConfig('brightness', undefined, path), { darkBelow: 40, brightAbove: 200, hysteresis: 8 });
    assert.deepEqual(registry.validatePluginConfig('brightness', { darkBelow: 10 }, path), { darkBelow: 10, brightAbove: 200, hysteresis: 8 });
    assert.deepEqual(registry.validatePluginConfig('demo', { level: 3 }, 'cameras.x.plugins.demo.config'), { level: 3 });
  });

  it('names each problem by its full path, one line each', () => {
    check({ darkBelow: 'dark' }, `${path}.darkBelow: expected a number, got a string`);
    check({ darkBelo: 10 }, `${path}: unknown key "darkBelo" (did you mean "darkBelow"?)`);
    check({ hysteresis: 500 }, `${path}.hysteresis: must be at most 128`);
    check({ darkBelow: 100, brightAbove: 50 }, `${path}.darkBelow: darkBelow must be lower than brightAbove`);
    check({ darkBelow: -1, brightAbove: true }, `${path}.darkBelow: must be at least 0\n${path}.brightAbove: expected a number, got boolean true`);
    check(5, `${path}: expected a mapping, got number 5`);
    check([], `${path}: expected a mapping, got a list`);
  });

  it('an unknown plugin is named on the plugin path with the loaded ones', () => {
    assert.throws(() => registry.validatePluginConfig('brightnes', {}, 'cameras.gate1.plugins.brightnes.config'), {
      name: 'ConfigError',
      message: `cameras.gate1.plugins.brightnes: unknown plugin "brightnes" (loaded: ${expectedNames().join(', ')})`,
    });
  });
});
