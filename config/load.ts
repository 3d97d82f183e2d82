/**
 * Loads the YAML configuration: parse (syntax errors carry line:column), reject duplicate keys
 * (the YAML spec forbids them, but most parsers silently keep the last), interpolate `${VAR}` from
 * the environment, add `--camera ID=URL` entries, then validate against config/schema.ts.
 * Every problem found is reported at once, one `path: message` line each, in a ConfigError.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { redactUrl } from '../core/log.js';
import { problemsFromIssues, throwProblems } from './issues.js';
import type { ConfigProblem } from './issues.js';
import { CAMERA_ID_PATTERN, CAMERA_ID_RULE, configSchema } from './schema.js';
import type { Config } from './schema.js';

/** The package root: the nearest folder above this module holding package.json (works from source and dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('streamsight: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Path of the default (demo) configuration, config/streamsight.yaml in the package. */
export function defaultConfigPath(): string {
  return join(packageRoot(), 'config', 'streamsight.yaml');
}

/** Reads and validates a configuration file (default: config/streamsight.yaml). Throws ConfigError. */
export function loadConfig(file?: string, cliCameras: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Config {
  const path = file ?? defaultConfigPath();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(err)})`, path);
  }
  return parseConfigText(text, path, cliCameras, env);
}

/** Parses and validates configuration text; `sourceName` labels YAML syntax errors. Throws ConfigError. */
export function parseConfigText(
  text: string,
  sourceName = 'config',
  cliCameras: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, lineCounter });
  const syntax = doc.errors.map((e): ConfigProblem => {
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    return { path: `${sourceName}:${pos.line}:${pos.col}`, message: `YAML syntax error: ${e.message.split('\n')[0]}` };
  });
  throwProblems(syntax);

  const problems: ConfigProblem[] = [];
  findDuplicateKeys(doc.contents, [], lineCounter, problems);
  let js: unknown;
  try {
    js = doc.toJS();
  } catch (err) {
    // The yaml package finds an alias to a missing anchor, and an alias bomb, only here (a ReferenceError).
    throw new ConfigError(`YAML error: ${(err as Error).message}`, sourceName);
  }
  const raw: unknown = interpolateEnv(js ?? {}, [], env, problems);

  const cliIds = new Set<string>();
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const rawObj = raw as Record<string, unknown>;
    // An empty section (`webrtc:` with everything below commented out) means "all defaults".
    for (const [key, value] of Object.entries(rawObj)) if (value === null) delete rawObj[key];
    emptyCameraSectionsMeanDefaults(rawObj.cameras);
    const fileCameras = rawObj.cameras;
    const cameras: Record<string, unknown> =
      fileCameras !== null && typeof fileCameras === 'object' && !Array.isArray(fileCameras)
        ? (fileCameras as Record<string, unknown>) : {};
    for (const [id, url] of parseCliCameras(cliCameras, env, problems)) {
      if (cliIds.has(id)) problems.push({ path: '--camera', message: `duplicate camera id "${id}"` });
      else if (Object.hasOwn(cameras, id)) {
        problems.push({ path: '--camera', message: `duplicate camera id "${id}" (already defined in ${sourceName})` });
      } else {
        cameras[id] = { url };
        cliIds.add(id);
      }
    }
    if (cliIds.size > 0 && (fileCameras === undefined || fileCameras === null)) rawObj.cameras = cameras;
  }
  throwProblems(problems);

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throwProblems(problemsFromIssues(result.error.issues, raw, configSchema, cliIds));
    throw new ConfigError(result.error.message);
  }
  return result.data;
}

/**
 * Empty camera sections mean defaults, as empty top-level sections do: `detect:` or `plugins:` with
 * nothing below it, and a plugin listed with nothing below it (`brightness:` runs with its defaults).
 */
function emptyCameraSectionsMeanDefaults(cameras: unknown): void {
  if (!isPlainObject(cameras)) return;
  for (const camera of Object.values(cameras)) {
    if (!isPlainObject(camera)) continue;
    if (camera.detect === null) delete camera.detect;
    if (camera.plugins === null) delete camera.plugins;
    if (!isPlainObject(camera.plugins)) continue;
    for (const [name, settings] of Object.entries(camera.plugins)) if (settings === null) camera.plugins[name] = {};
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Splits `--camera ID=URL` values; bad forms and ids are reported as `--camera` problems. */
function parseCliCameras(entries: readonly string[], env: NodeJS.ProcessEnv, problems: ConfigProblem[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const id = eq > 0 ? entry.slice(0, eq) : '';
    const url = eq > 0 ? entry.slice(eq + 1) : '';
    if (!id || !url) {
      problems.push({ path: '--camera', message: `expected ID=URL, got "${redactUrl(entry)}"` });
    } else if (!CAMERA_ID_PATTERN.test(id)) {
      problems.push({ path: '--camera', message: `invalid camera id "${id}" (${CAMERA_ID_RULE})` });
    } else {
      out.push([id, interpolateEnv(url, ['--camera', id], env, problems) as string]);
    }
  }
  return out;
}

/** Reports every mapping key that appears twice, with its line (`cameras: duplicate camera id "gate1" (line 9)`). */
function findDuplicateKeys(node: unknown, path: string[], lc: LineCounter, problems: ConfigProblem[]): void {
  if (isMap(node)) {
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (seen.has(key)) {
        const range = (pair.key as YamlNode | null)?.range;
        const where = range ? ` (line ${lc.linePos(range[0]).line})` : '';
        const isCameraId = path.length === 1 && path[0] === 'cameras';
        problems.push({ path: path.join('.'), message: `duplicate ${isCameraId ? 'camera id' : 'key'} "${key}"${where}` });
      }
      seen.add(key);
      findDuplicateKeys(pair.value, [...path, key], lc, problems);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => findDuplicateKeys(item, [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`], lc, problems));
  }
}

const ENV_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` (or `${VAR:-fallback}`) in every string value with the environment variable;
 * `$${` stays a literal `${`. A missing variable is a problem naming the path and the variable.
 */
function interpolateEnv(value: unknown, path: readonly string[], env: NodeJS.ProcessEnv, problems: ConfigProblem[]): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REF, (match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const v = env[name] ?? fallback;
      if (v === undefined) {
        problems.push({ path: joinPath(path), message: `environment variable ${name} is not set` });
        return match;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, [...path.slice(0, -1), `${path.at(-1) ?? ''}[${i}]`], env, problems));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, [...path, k], env, problems);
    return out;
  }
  return value;
}

function joinPath(path: readonly string[]): string {
  return path[0] === '--camera' ? `--camera ${path[1] ?? ''}` : path.join('.');
}

/** A deep copy safe for logs and the API: passwords, RTMP keys, TURN credentials and URL userinfo become `***`. */
export function redactedConfig(config: Config): Config {
  const copy = structuredClone(config);
  for (const cam of Object.values(copy.cameras)) {
    if (cam.url !== undefined) cam.url = redactUrl(cam.url);
    if (cam.password !== undefined) cam.password = '***';
    if (cam.rtmp !== undefined) cam.rtmp.key = '***';
    if (cam.publishAuth !== undefined) cam.publishAuth.password = '***';
  }
  for (const server of copy.webrtc.iceServers) {
    if (server.credential !== undefined) server.credential = '***';
  }
  if (copy.http.tls?.passphrase !== undefined) copy.http.tls.passphrase = '***';
  if (copy.auth) {
    for (const t of copy.auth.tokens) t.token = '***';
    if (copy.auth.viewerTokenSecret !== undefined) copy.auth.viewerTokenSecret = '***';
  }
  if (copy.mqtt) {
    copy.mqtt.url = redactUrl(copy.mqtt.url);
    if (copy.mqtt.password !== undefined) copy.mqtt.password = '***';
  }
  return copy;
}
