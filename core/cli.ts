/**
 * The `streamsight` command line: `serve` loads the configuration and runs the server until
 * SIGINT/SIGTERM; `check-config` validates a file and exits. Usage errors exit 2, configuration
 * errors 1. bin/streamsight.js calls runCli(); `node --import tsx core/cli.ts ...` works too.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { defaultConfigPath, loadConfig, packageRoot, parseConfigText, redactedConfig } from '../config/load.js';
import { cameraPlugins, type Config } from '../config/schema.js';
import { selectNode } from '../config/cluster.js';
import { ConfigError } from './errors.js';
import { createLogger, setLogLevel } from './log.js';

const log = createLogger('cli');

/** Benchmarks `streamsight bench NAME` runs (bench/NAME.ts, or its compiled .js). */
export const BENCHES = ['relay', 'ttff', 'pipeline', 'ring', 'accuracy', 'quiet-soak', 'plugins', 'vtest', 'detector', 'capacity', 'overlay', 'faults', 'soak', 'clips'] as const;

/** Help text printed by --help and on usage errors. */
export const USAGE = `usage: streamsight <command> [options]

commands:
  serve          start the server
    --config FILE        configuration file (default: config/streamsight.yaml in the package)
    --camera ID=URL      add a camera pulled from an rtsp:// URL (repeatable)
    --http-port N        override http.port (0 picks a free port)
    --rtsp-port N        override rtsp.port (0 picks a free port)
    --node NAME          with cluster:, which node this is (overrides $STREAMSIGHT_NODE and cluster.node)
  check-config [FILE]    validate a configuration file (default: the packaged one) and exit
    --camera ID=URL      also validate these cameras
  bench NAME [--json]    run a benchmark from bench/: ${BENCHES.join(', ')} (prints a table, or JSON)

options:
  -h, --help     show this help
  --version      print the version

exit codes: 0 ok, 1 invalid configuration or startup failure, 2 usage error
`;

const SHUTDOWN_TIMEOUT_MS = 10_000;

/** A bad command line (exit 2). */
class UsageError extends Error {}

/** Runs the CLI and returns the exit code, or undefined while `serve` keeps running. */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  try {
    return await dispatch(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`streamsight: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

/** Runs the CLI with `process.argv`-style arguments and sets the process exit code. */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    const code = await main(argv);
    if (code !== undefined) process.exitCode = code;
  } catch (err) {
    process.stderr.write(`streamsight: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}

async function dispatch(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('missing command');
  if (command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === '--version') {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`streamsight ${pkg.version}\n`);
    return 0;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'check-config') return checkConfig(rest);
  if (command === 'bench') return bench(rest);
  throw new UsageError(`unknown command "${command}"`);
}

/**
 * Runs a benchmark in a child process with the terminal's stdio, from source (through tsx) or
 * from the compiled dist/, whichever this CLI runs from; resolves with its exit code.
 */
async function bench(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args;
  if (!name || !(BENCHES as readonly string[]).includes(name)) {
    throw new UsageError(`bench: expected one of ${BENCHES.join(', ')}`);
  }
  const fromSource = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`../bench/${name}.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), file, ...rest], { stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}

/** Runs parseArgs, turning its errors (unknown flag, missing value) into usage errors. */
function strictArgs<T>(parseFn: () => T): T {
  try {
    return parseFn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n <= 65535)) throw new UsageError(`--${name}: expected an integer from 0 to 65535, got "${value}"`);
  return n;
}

/**
 * The config `serve` runs: the file when --config is given; with only --camera flags, built-in
 * defaults and just those cameras (no demo cameras), so `serve --camera door=rtsp://…` is a
 * complete first try; with neither, the packaged demo config.
 */
export function configForServe(file: string | undefined, cameras: readonly string[] = [], env = process.env): Config {
  if (file === undefined && cameras.length > 0) return parseConfigText('', '--camera', cameras, env);
  return loadConfig(file, cameras, env);
}

/** Loads the config, printing a ConfigError's lines under a header; returns undefined on error. */
function tryLoad(file: string | undefined, cameras: string[], load = loadConfig): Config | undefined {
  try {
    return load(file, cameras);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${file ?? defaultConfigPath()}: invalid configuration\n${err.message}\n`);
    return undefined;
  }
}

async function checkConfig(args: readonly string[]): Promise<number> {
  const { values, positionals } = strictArgs(() =>
    parseArgs({
      args: [...args],
      options: { camera: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`check-config takes one FILE, got ${positionals.length}`);
  const config = tryLoad(positionals[0], values.camera ?? []);
  if (!config) return 1;
  // Plugin configs are checked against each plugin's own schema, as `serve` will.
  const plugins = cameraPlugins(config);
  if (plugins.length > 0) {
    setLogLevel('warn'); // check-config prints its verdict only
    const { PluginRegistry } = await import('./plugins/registry.js');
    try {
      (await PluginRegistry.load()).validateCameraPlugins(plugins);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${positionals[0] ?? defaultConfigPath()}: invalid configuration\n${err.message}\n`);
      return 1;
    }
  }
  const n = Object.keys(config.cameras).length;
  process.stdout.write(`ok: ${n} camera${n === 1 ? '' : 's'}\n`);
  return 0;
}

async function serve(args: readonly string[]): Promise<number | undefined> {
  const { values } = strictArgs(() =>
    parseArgs({
      args: [...args],
      options: {
        config: { type: 'string' },
        camera: { type: 'string', multiple: true },
        'http-port': { type: 'string' },
        'rtsp-port': { type: 'string' },
        node: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const httpPort = portFlag('http-port', values['http-port']);
  const rtspPort = portFlag('rtsp-port', values['rtsp-port']);
  const file = values.config;
  const config = tryLoad(file, values.camera ?? [], (f, cameras) => selectNode(configForServe(f, cameras), values.node));
  if (!config) return 1;
  if (httpPort !== undefined) config.http.port = httpPort;
  if (rtspPort !== undefined) config.rtsp.port = rtspPort;
  setLogLevel(config.log.level);
  log.info(`config ${file ?? (values.camera?.length ? '--camera' : defaultConfigPath())}: ${Object.keys(config.cameras).length} camera(s)`);
  log.debug(`effective config ${JSON.stringify(redactedConfig(config))}`);

  // Signals are handled from here on, so a Ctrl-C during startup still shuts down cleanly.
  let stopping = false;
  let server: Promise<{ close(): Promise<void> } | undefined> = Promise.resolve(undefined);
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    const timer = setTimeout(() => {
      log.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms, exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.then((s) => s?.close()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('error while shutting down', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // Imported lazily so check-config does not load the media stack.
  // The zone editor saves into the file the config came from (none when only --camera flags gave it).
  const configPath = file ?? (values.camera?.length ? undefined : defaultConfigPath());
  server = import('./server.js').then(({ startServer }) => startServer(config, configPath !== undefined ? { configPath } : {}));
  try {
    await server;
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`${file ?? '--camera'}: invalid configuration\n${err.message}\n`);
    else log.error('cannot start', err);
    server = Promise.resolve(undefined);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    return 1;
  }
  return undefined;
}

/** True when this module is the process entry (`node --import tsx core/cli.ts ...`). */
function isEntry(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntry()) await runCli();
