/**
 * Finds detector plugins: `plugins/<name>/index.(ts|js)` (default export = definePlugin(...)) and
 * installed `streamsight-plugin-*` packages (node_modules, scoped or not). A plugin that fails to load
 * is logged and skipped: one broken detector never keeps the server from starting.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { problemsFromIssues, throwProblems } from '../../config/issues.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { isPluginDefinition } from '../../plugins/sdk/index.js';
import type { PluginDefinition } from '../../plugins/sdk/index.js';

const log = createLogger('plugins');

/** Repository root (this file is core/plugins/registry.(ts|js), or dist/core/plugins/registry.js). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built-in plugins folder: `plugins/` of the repository (or of dist/ when compiled). */
export const BUILTIN_PLUGINS_DIR = join(ROOT, 'plugins');

/** Folders under plugins/ that are not plugins. */
const NOT_PLUGINS = new Set(['sdk', 'node_modules']);

/** A plugin that loaded: its definition and the module that worker threads import. */
export interface PluginEntry {
  name: string;
  definition: PluginDefinition;
  /** file: URL of the module (the worker imports it again in its own thread). */
  url: string;
  source: 'folder' | 'package';
}

/** A plugin that failed to load, kept for `GET /api/plugins` and the startup log. */
export interface PluginLoadFailure {
  where: string;
  error: string;
}

/** Where to look; defaults: BUILTIN_PLUGINS_DIR and `<cwd>/node_modules`. */
export interface RegistryOptions {
  dirs?: string[];
  nodeModules?: string[];
}

/** The loaded plugins by name. */
export class PluginRegistry {
  readonly #plugins = new Map<string, PluginEntry>();
  /** Plugins that were found but did not load. */
  readonly failures: PluginLoadFailure[] = [];

  private constructor() {}

  /** Scans the folders and packages and imports every plugin found. Never throws for a bad plugin. */
  static async load(opts: RegistryOptions = {}): Promise<PluginRegistry> {
    const reg = new PluginRegistry();
    const candidates: { file: string; where: string; source: PluginEntry['source'] }[] = [];
    for (const dir of opts.dirs ?? [BUILTIN_PLUGINS_DIR]) {
      for (const name of listDirs(dir)) {
        if (NOT_PLUGINS.has(name) || name.startsWith('.') || name.startsWith('_')) continue;
        const file = indexFile(join(dir, name));
        if (file) candidates.push({ file, where: join(dir, name), source: 'folder' });
      }
    }
    for (const nm of opts.nodeModules ?? [join(process.cwd(), 'node_modules')]) {
      for (const pkgDir of pluginPackages(nm)) {
        const file = await packageEntry(pkgDir);
        if (file) candidates.push({ file, where: pkgDir, source: 'package' });
        else reg.#fail(pkgDir, new Error('no entry point (package.json "exports"/"main" or index.js)'));
      }
    }
    for (const c of candidates) await reg.#import(c.file, c.where, c.source);
    log.info(`plugins: ${[...reg.#plugins.keys()].join(', ') || 'none'}${reg.failures.length ? ` (${reg.failures.length} failed)` : ''}`);
    return reg;
  }

  /** A registry holding exactly these definitions (tests, embedding); `url` is the module each worker imports. */
  static of(entries: { definition: PluginDefinition; url: string }[]): PluginRegistry {
    const reg = new PluginRegistry();
    for (const e of entries) reg.#plugins.set(e.definition.name, { name: e.definition.name, ...e, source: 'folder' });
    return reg;
  }

  /** The plugin called `name`, or undefined. */
  get(name: string): PluginEntry | undefined {
    return this.#plugins.get(name);
  }

  /** Every loaded plugin, by name. */
  list(): PluginEntry[] {
    return [...this.#plugins.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Names of the loaded plugins. */
  names(): string[] {
    return this.list().map((p) => p.name);
  }

  /**
   * Validates a camera's `config:` block for plugin `name` against the plugin's schema and returns the
   * parsed value. `path` names the block (`cameras.gate1.plugins.brightness.config`); a ConfigError lists
   * one `path.key: message` line per problem. An unknown plugin is a ConfigError on the parent path.
   */
  validatePluginConfig(name: string, raw: unknown, path: string): unknown {
    const entry = this.#plugins.get(name);
    if (!entry) {
      const parent = path.replace(/\.config$/, '');
      const known = this.names();
      throw new ConfigError(`unknown plugin "${name}" (${known.length ? `loaded: ${known.join(', ')}` : 'no plugins loaded'})`, parent);
    }
    return parsePluginConfig(entry.definition, raw, path);
  }

  /**
   * Validates every camera × plugin of a config at once (unknown plugins, configs their schema
   * rejects): one ConfigError with a `path: message` line per problem, so `check-config` and
   * `serve` report all of them, not the first.
   */
  validateCameraPlugins(plugins: ReadonlyArray<{ cameraId: string; pluginName: string; settings: { config?: unknown } }>): void {
    const lines: string[] = [];
    for (const { cameraId, pluginName, settings } of plugins) {
      try {
        this.validatePluginConfig(pluginName, settings.config, `cameras.${cameraId}.plugins.${pluginName}.config`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        lines.push(err.message);
      }
    }
    if (lines.length > 0) throw new ConfigError(lines.join('\n'));
  }

  async #import(file: string, where: string, source: PluginEntry['source']): Promise<void> {
    const url = pathToFileURL(file).href;
    try {
      const mod = (await import(url)) as { default?: unknown };
      const def = mod.default;
      if (!isPluginDefinition(def)) throw new Error('the default export is not a definePlugin(...) result');
      const clash = this.#plugins.get(def.name);
      if (clash) throw new Error(`plugin name "${def.name}" is already taken by ${clash.url}`);
      this.#plugins.set(def.name, { name: def.name, definition: def, url, source });
    } catch (err) {
      this.#fail(where, err);
    }
  }

  #fail(where: string, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    this.failures.push({ where, error });
    log.error(`plugin at ${where} skipped: ${error}`);
  }
}

/** Parses `raw` with the plugin's schema; a missing block means `{}` (all defaults). Throws ConfigError naming each key under `path`. */
export function parsePluginConfig<C>(def: PluginDefinition<C>, raw: unknown, path: string): C {
  // Wrapping the block under one key keeps config/issues.ts's wording for nested values (its root-level
  // messages describe the whole config file); the placeholder is swapped for the real path afterwards.
  const KEY = '\u0000config';
  const wrapped = z.object({ [KEY]: def.configSchema });
  const result = wrapped.safeParse({ [KEY]: raw ?? {} });
  if (result.success) return (result.data as Record<string, C>)[KEY]!;
  const problems = problemsFromIssues(result.error.issues, { [KEY]: raw ?? {} }, wrapped).map((p) => ({
    path: p.path === KEY ? path : p.path.startsWith(KEY) ? path + p.path.slice(KEY.length) : p.path,
    message: p.message,
  }));
  throwProblems(problems);
  throw new ConfigError(result.error.message, path);
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** index.ts when running from source (tsx), else index.js. */
function indexFile(dir: string): string | undefined {
  const order = import.meta.url.endsWith('.ts') ? ['index.ts', 'index.js'] : ['index.js'];
  for (const f of order) if (existsSync(join(dir, f))) return join(dir, f);
  return undefined;
}

/** `streamsight-plugin-*` and `@scope/streamsight-plugin-*` folders of a node_modules. */
function pluginPackages(nodeModules: string): string[] {
  const out: string[] = [];
  for (const name of listDirs(nodeModules)) {
    if (name.startsWith('streamsight-plugin-')) out.push(join(nodeModules, name));
    else if (name.startsWith('@')) {
      for (const sub of listDirs(join(nodeModules, name))) if (sub.startsWith('streamsight-plugin-')) out.push(join(nodeModules, name, sub));
    }
  }
  return out;
}

/** The package's ESM entry: exports["."] (string or import/default condition), then main, then index.js. */
async function packageEntry(pkgDir: string): Promise<string | undefined> {
  let pkg: { exports?: unknown; main?: string } = {};
  try {
    const { readFile } = await import('node:fs/promises');
    pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    /* no or unreadable package.json: fall back to index.js */
  }
  const fromExports = exportTarget(pkg.exports);
  for (const rel of [fromExports, pkg.main, 'index.js']) {
    if (rel && existsSync(join(pkgDir, rel))) return join(pkgDir, rel);
  }
  return undefined;
}

function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (!exports || typeof exports !== 'object') return undefined;
  const e = exports as Record<string, unknown>;
  const dot = '.' in e ? e['.'] : e;
  if (typeof dot === 'string') return dot;
  if (dot && typeof dot === 'object') {
    const c = dot as Record<string, unknown>;
    for (const k of ['import', 'node', 'default']) {
      const v = c[k];
      if (typeof v === 'string') return v;
      if (v && typeof v === 'object' && typeof (v as { default?: unknown }).default === 'string') return (v as { default: string }).default;
    }
  }
  return undefined;
}
