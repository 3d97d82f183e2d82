/**
 * `streamsight serve --config FILE` as a child process (bin/streamsight.js from source, as `make
 * run` does), in its own process group so its ffmpeg children can be reaped with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lib.js';

/** A running `streamsight serve`. */
export interface CliServer {
  child: ChildProcess;
  httpPort: number;
  rtspPort: number;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 20 kB the server printed. */
  output(): string;
  /** SIGKILLs the process group (the server and any ffmpeg it left); quiet when gone. */
  kill(): void;
}

/** Starts the CLI on `configPath`; resolves once it logs where it listens (rejects after `timeoutMs`). */
export function startCliServer(configPath: string, timeoutMs = 30_000): Promise<CliServer> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/streamsight.js'), 'serve', '--config', configPath], {
    cwd: ROOT,
    env: { ...process.env, STREAMSIGHT_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  const kill = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`server did not start within ${timeoutMs} ms\n${output.slice(-2000)}`));
    }, timeoutMs);
    const onData = (chunk: string): void => {
      output = (output + chunk).slice(-20_000);
      const m = /streamsight is running: open (http:\/\/127\.0\.0\.1:(\d+)\/) \(RTSP on :(\d+)/.exec(output);
      if (!m || started) return;
      started = true;
      clearTimeout(timer);
      resolve({ child, httpPort: Number(m[2]), rtspPort: Number(m[3]), base: m[1]!, exited, output: () => output, kill });
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', onData);
    void exited.then(({ code, signal }) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`server exited (${signal ?? code}) before it was running\n${output.slice(-2000)}`));
    });
  });
}
