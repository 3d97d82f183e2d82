import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '..');
/** The built-in plugins: every plugins/<name>/ folder with an index.ts, the SDK aside. */
const builtinPlugins = () => readdirSync(join(root, 'plugins')).filter((d) => d !== 'sdk' && existsSync(join(root, 'plugins', d, 'index.ts'))).sort();
const testdata = join(root, 'config', 'testdata');

/** Runs the CLI from source in a child process (killed after 30 s) and returns its exit code and output. */
function cli(args: string[], opts: { viaBin?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const entry = opts.viaBin ? ['bin/streamsight.js'] : ['--import', 'tsx', 'core/cli.ts'];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: root,
    env: { ...process.env, STREAMSIGHT_FROM_SOURCE: '1', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('streamsight check-config', { concurrency: true }, () => {
  it('accepts the packaged config', async () => {
    const r = await cli(['check-config', 'config/streamsight.yaml']);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'ok: 6 cameras\n');
    assert.equal(r.code, 0);
  });

  it('checks plugin configs against each plugin\'s own schema, listing every problem', async () => {
    const file = join(testdata, 'bad-plugin.yaml');
    const r = await cli(['check-config', file]);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `${file}: invalid configuration\n` +
        'cameras.door.plugins.brightness.config.darkBelow: expected a number, got a string\n' +
        `cameras.door.plugins.nope: unknown plugin "nope" (loaded: ${builtinPlugins().join(', ')})\n`,
    );
    assert.equal(r.code, 1);
  });

  it('accepts a full config with its environment, also through bin/streamsight.js', async () => {
    const r = await cli(['check-config', join(testdata, 'full.yaml'), '--camera', 'yard=rtsp://h/yard'], {
      viaBin: true,
      env: { GATE1_PASSWORD: 'hunter2', TURN_SECRET: 'x' },
    });
    assert.equal(r.stdout, 'ok: 5 cameras\n');
    assert.equal(r.code, 0);
  });

  it('prints every path-named problem and exits 1', async () => {
    const file = join(testdata, 'bad.yaml');
    const r = await cli(['check-config', file]);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `${file}: invalid configuration\n` +
        'http.port: expected an integer from 0 to 65535\n' +
        'cameras.gate1: unknown key "urll" (did you mean "url"?)\n' +
        'cameras.gate1: exactly one of url, push, rtmp, synthetic is required\n',
    );
    assert.equal(r.code, 1);
  });

  it('reports a missing environment variable and a YAML syntax error with its line', async () => {
    const full = join(testdata, 'full.yaml');
    const r = await cli(['check-config', full], { env: { GATE1_PASSWORD: 'x', TURN_SECRET: '' } });
    assert.equal(r.code, 0, r.stderr);
    const missing = await cli(['check-config', full], { env: { GATE1_PASSWORD: undefined, TURN_SECRET: 'x' } });
    assert.equal(missing.stderr, `${full}: invalid configuration\ncameras.gate1.password: environment variable GATE1_PASSWORD is not set\n`);
    assert.equal(missing.code, 1);
    const syntax = join(testdata, 'syntax.yaml');
    const s = await cli(['check-config', syntax]);
    assert.equal(s.stderr, `${syntax}: invalid configuration\n${syntax}:3:1: YAML syntax error: All mapping items must start at the same column\n`);
    assert.equal(s.code, 1);
  });

  it('names a missing file', async () => {
    const r = await cli(['check-config', 'nope.yaml']);
    assert.equal(r.stderr, 'nope.yaml: invalid configuration\nnope.yaml: no such file\n');
    assert.equal(r.code, 1);
  });

  it('reports a bad --camera without echoing its password', async () => {
    const r = await cli(['check-config', 'config/streamsight.yaml', '--camera', 'rtsp://admin:hunter2@10.0.0.5/']);
    assert.match(r.stderr, /^--camera: expected ID=URL, got "rtsp:\/\/\*\*\*@10\.0\.0\.5\/"$/m);
    assert.ok(!r.stderr.includes('hunter2'));
    assert.equal(r.code, 1);
  });
});

describe('streamsight usage', { concurrency: true }, () => {
  it('--help prints usage and exits 0', async () => {
    const r = await cli(['--help']);
    assert.match(r.stdout, /^usage: streamsight <command>/);
    assert.match(r.stdout, /check-config \[FILE\]/);
    assert.equal(r.code, 0);
  });

  it('no command, an unknown command or an unknown flag: usage on stderr and exit 2', async () => {
    const cases = [
      [[], 'streamsight: missing command'],
      [['frobnicate'], 'streamsight: unknown command "frobnicate"'],
      [['serve', '--bogus'], "streamsight: Unknown option '--bogus'"],
      [['check-config', 'a.yaml', 'b.yaml'], 'streamsight: check-config takes one FILE, got 2'],
      [['serve', 'extra'], 'streamsight: Unexpected argument'],
      [['serve', '--http-port', '99999'], 'streamsight: --http-port: expected an integer from 0 to 65535, got "99999"'],
      [['serve', '--rtsp-port', 'x'], 'streamsight: --rtsp-port: expected an integer from 0 to 65535, got "x"'],
      [['bench', 'nope'], 'streamsight: bench: expected one of relay, ttff, pipeline, ring'],
    ] as const;
    const results = await Promise.all(cases.map(([args]) => cli([...args])));
    cases.forEach(([args, first], i) => {
      const r = results[i]!;
      assert.ok(r.stderr.startsWith(first), `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /usage: streamsight <command>/);
      assert.equal(r.stdout, '');
      assert.equal(r.code, 2, args.join(' '));
    });
  });

  it('serve with cluster: names this node by --node, else STREAMSIGHT_NODE, else cluster.node, and rejects an unknown one', async () => {
    const file = join(testdata, 'cluster.yaml');
    const cases = [
      [['--node', 'z'], {}, '--node: unknown node "z" (cluster.nodes has a, b)'],
      [[], { STREAMSIGHT_NODE: 'q' }, 'STREAMSIGHT_NODE: unknown node "q" (cluster.nodes has a, b)'],
      [[], { STREAMSIGHT_NODE: '' }, 'cluster.node: which node is this? Set cluster.node, pass --node NAME or set STREAMSIGHT_NODE (one of a, b)'],
    ] as const;
    const results = await Promise.all(cases.map(([args, env]) => cli(['serve', '--config', file, ...args], { env })));
    cases.forEach(([args, env, message], i) => {
      const r = results[i]!;
      assert.equal(r.stderr, `${file}: invalid configuration\n${message}\n`, `${args.join(' ')} ${JSON.stringify(env)}`);
      assert.equal(r.code, 1);
    });
  });

  it('serve with an invalid config exits 1 before starting anything', async () => {
    const file = join(testdata, 'bad.yaml');
    const r = await cli(['serve', '--config', file]);
    assert.match(r.stderr, /^.*bad\.yaml: invalid configuration\nhttp\.port: expected an integer from 0 to 65535\n/);
    assert.equal(r.code, 1);
  });
});

/**
 * `streamsight serve ARGS` from source, waited for until it says it is running (or exits, or 30 s
 * pass); `stop()` sends SIGTERM and resolves with the exit code, or 'timeout' after 15 s. The
 * caller kills it in `finally` with `kill()` when it is still alive.
 */
async function serve(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['bin/streamsight.js', 'serve', ...args], {
    cwd: root,
    env: { ...process.env, STREAMSIGHT_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!/streamsight is running/.test(output) && child.exitCode === null && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => output,
    stop: (): Promise<number | null | 'timeout'> => {
      child.kill('SIGTERM');
      return Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

describe('streamsight serve', () => {
  it('starts on free ports and exits 0 on SIGTERM after closing', async () => {
    const server = await serve(['--config', join(testdata, 'push-only.yaml')]);
    try {
      assert.match(server.output(), /streamsight is running/, server.output());
      assert.equal(await server.stop(), 0, server.output());
      assert.match(server.output(), /SIGTERM: shutting down/);
    } finally {
      server.kill();
    }
  });
});

describe('streamsight serve --node', () => {
  it('runs only this node\'s cameras, --node winning over STREAMSIGHT_NODE', async () => {
    const server = await serve(['--config', join(testdata, 'cluster.yaml'), '--node', 'b'], { STREAMSIGHT_NODE: 'a' });
    try {
      assert.match(server.output(), /streamsight is running: .*\(RTSP on :\d+, 1 camera\(s\), node b\)/, server.output());
      assert.equal(await server.stop(), 0, server.output());
    } finally {
      server.kill();
    }
  });
});

describe('configForServe', () => {
  it('--camera without --config runs just that camera on built-in defaults (no demo cameras)', async () => {
    const { configForServe } = await import('./cli.js');
    const config = configForServe(undefined, ['door=rtsp://user:pass@10.0.0.5/stream1'], {});
    assert.deepEqual(Object.keys(config.cameras), ['door']);
    assert.equal(config.cameras.door!.url, 'rtsp://user:pass@10.0.0.5/stream1');
    assert.equal(config.http.port, 8080);
    assert.equal(config.rtsp.port, 8554);
  });

  it('with neither flag, the packaged demo config', async () => {
    const { configForServe } = await import('./cli.js');
    const config = configForServe(undefined, [], {});
    assert.deepEqual(Object.keys(config.cameras), ['demo1', 'demo2', 'intersection', 'gate-north', 'gate-south', 'campus']);
  });
});
