/**
 * Saves a camera × plugin's zones, lines and config from the zone editor and applies them without
 * a restart:
 *   1. the new YAML text is made from the file on disk (config/edit.ts keeps comments and anchors);
 *   2. it is validated by the same schema as at start, and the plugin's config by its own schema;
 *   3. the plugin's worker is restarted with the new settings on the same frame source, and must
 *      reach 'running' (its create() accepted the geometry, e.g. every zone the config names
 *      exists) — otherwise the old settings are put back and the worker's error is the answer;
 *   4. only then is the file replaced (written beside it and renamed, so a crash leaves either the
 *      old file or the new one, never half of one).
 * Saves run one at a time.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parseConfigText } from '../../config/load.js';
import { patchPluginGeometry, type GeometryPatch } from '../../config/edit.js';
import type { Config } from '../../config/schema.js';
import { ConfigError, InvalidStateError } from '../errors.js';
import { createLogger } from '../log.js';
import type { PluginHost, PluginSettings, RingSource } from './host.js';
import type { PluginRegistry } from './registry.js';

const log = createLogger('plugins');

/** One plugin's geometry and config as the API shows it. */
export interface PluginGeometry {
  zones: Record<string, Array<[number, number]>>;
  lines: Record<string, { from: [number, number]; to: [number, number] }>;
  config: unknown;
}

/** What a save answers. */
export interface GeometrySaved extends PluginGeometry {
  camera: string;
  plugin: string;
  /** The config file written. */
  savedTo: string;
  applied: true;
}

/** What the reconfigurer works on; the server owns all of it. */
export interface ReconfigureDeps {
  /** The running config; a save updates its camera's plugin settings in place. */
  config: Config;
  /** The file the config came from; undefined when it did not come from one (saves are refused). */
  configPath?: string;
  host?: PluginHost;
  registry?: PluginRegistry;
  /** The decoded-frame source of a camera's plugins. */
  frames(cameraId: string): RingSource | undefined;
  /** Longest wait for the restarted worker to run. Default 20 s. */
  applyTimeoutMs?: number;
}

/** Reads and saves plugin geometry; see the file comment. */
export class PluginReconfigurer {
  readonly #deps: ReconfigureDeps;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: ReconfigureDeps) {
    this.#deps = deps;
  }

  /** Every plugin's geometry and config on a camera; undefined when the camera is not configured. */
  geometry(cameraId: string): { camera: string; plugins: Record<string, PluginGeometry> } | undefined {
    const camera = this.#deps.config.cameras[cameraId];
    if (!camera) return undefined;
    const plugins: Record<string, PluginGeometry> = {};
    for (const [name, p] of Object.entries(camera.plugins ?? {})) {
      plugins[name] = { zones: p.zones, lines: p.lines, config: p.config ?? {} };
    }
    return { camera: cameraId, plugins };
  }

  /**
   * Validates, applies and saves `patch`; undefined when the camera or plugin is not configured.
   * Throws ConfigError (invalid; nothing changed) or InvalidStateError (no file to save to).
   */
  save(cameraId: string, plugin: string, patch: GeometryPatch): Promise<GeometrySaved | undefined> {
    const run = this.#queue.then(() => this.#save(cameraId, plugin, patch));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #save(cameraId: string, plugin: string, patch: GeometryPatch): Promise<GeometrySaved | undefined> {
    const { config, configPath, host, registry } = this.#deps;
    const old = config.cameras[cameraId]?.plugins?.[plugin];
    if (!old) return undefined;
    if (!configPath) throw new InvalidStateError('the server was not started from a config file: there is nowhere to save to');
    const where = `cameras.${cameraId}.plugins.${plugin}`;
    const text = patchPluginGeometry(await readFile(configPath, 'utf8'), cameraId, plugin, patch);
    const settings = parseConfigText(text, configPath).cameras[cameraId]?.plugins?.[plugin];
    if (!settings) throw new ConfigError('is gone from the edited config', where);
    registry?.validatePluginConfig(plugin, settings.config, `${where}.config`);

    const frames = this.#deps.frames(cameraId);
    const running = host?.stats().some((s) => s.camera === cameraId && s.plugin === plugin) ?? false;
    // The running worker to restart with the new settings (and back with the old ones on failure).
    const live = host && frames && running && old.enabled ? { host, frames } : undefined;
    if (live) {
      const problem = await this.#restart(live.host, live.frames, cameraId, plugin, settings);
      if (problem !== undefined) {
        await this.#restart(live.host, live.frames, cameraId, plugin, old);
        throw new ConfigError(`the plugin did not start with it: ${problem}`, where);
      }
    }
    const tmp = `${configPath}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, text);
      await rename(tmp, configPath);
    } catch (err) {
      if (live) await this.#restart(live.host, live.frames, cameraId, plugin, old);
      throw new InvalidStateError(`cannot write ${configPath}: ${(err as Error).message}`);
    }
    config.cameras[cameraId]!.plugins[plugin] = settings;
    log.info(`${where}: ${Object.keys(settings.zones).length} zone(s), ${Object.keys(settings.lines).length} line(s) saved to ${configPath} and applied`);
    return {
      camera: cameraId, plugin, zones: settings.zones, lines: settings.lines, config: settings.config ?? {},
      savedTo: configPath, applied: true,
    };
  }

  /** Restarts the plugin with `settings`; resolves with the worker's error, or undefined once it runs. */
  async #restart(host: PluginHost, frames: RingSource, cameraId: string, plugin: string, settings: PluginSettings): Promise<string | undefined> {
    await host.remove(cameraId, plugin);
    host.add(cameraId, plugin, settings, frames);
    const deadline = performance.now() + (this.#deps.applyTimeoutMs ?? 20_000);
    while (performance.now() < deadline) {
      const s = host.stats().find((x) => x.camera === cameraId && x.plugin === plugin);
      if (s?.state === 'running') return undefined;
      if (s?.lastError && s.state === 'restarting') return s.lastError;
      await new Promise((r) => setTimeout(r, 50));
    }
    return `not running after ${(this.#deps.applyTimeoutMs ?? 20_000) / 1000} s`;
  }
}
