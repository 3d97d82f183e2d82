/**
 * A real Mosquitto for the tests, on a free loopback port with its own config file (installed by
 * `.ci/setup test`). `stop()` and `start()` again keep the port, for broker-restart tests; with
 * `persistence` the broker saves its sessions and queued messages on SIGTERM and reloads them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../../testing/wait.js';

/** Where mosquitto is: on PATH, or Debian's /usr/sbin (not on a normal user's PATH). */
function mosquittoBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin')) {
    if (dir && existsSync(join(dir, 'mosquitto'))) return join(dir, 'mosquitto');
  }
  throw new Error('mosquitto not found: run .ci/setup test');
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** One Mosquitto, restartable on the same port. */
export class TestBroker {
  readonly dir = mkdtempSync(join(tmpdir(), 'streamsight-mosquitto-'));
  #child?: ChildProcess;
  #log = '';

  private constructor(readonly port: number, private readonly persistence: boolean) {
    const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `persistence ${persistence}`];
    if (persistence) lines.push(`persistence_location ${this.dir}/`, 'autosave_interval 0');
    writeFileSync(join(this.dir, 'mosquitto.conf'), lines.join('\n') + '\n');
  }

  /** Starts a broker on a free port. */
  static async start(opts: { persistence?: boolean } = {}): Promise<TestBroker> {
    const broker = new TestBroker(await freePort(), opts.persistence ?? false);
    await broker.start();
    return broker;
  }

  /** mqtt://127.0.0.1:port */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the broker and resolves once it accepts connections. */
  async start(): Promise<void> {
    const child = (this.#child = spawn(mosquittoBinary(), ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }));
    const keep = (d: Buffer) => (this.#log = (this.#log + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitUntil(async () => {
      if (exited) throw new Error(`mosquitto exited:\n${this.#log}`);
      return accepts(this.port);
    }, 5000, 'mosquitto to listen', 50);
  }

  /** Stops the broker (SIGTERM saves persistence; SIGKILL does not) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Stops the broker and removes its files. */
  async close(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
