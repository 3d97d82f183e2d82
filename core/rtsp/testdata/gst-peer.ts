/**
 * Test helper: runs gst-rtsp-server.py (a real GStreamer RTSP camera) as a child process on
 * 127.0.0.1 and always kills it — on `stop()`, and as a last resort when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const SCRIPT = fileURLToPath(new URL('./gst-rtsp-server.py', import.meta.url));
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** Options of the GStreamer test camera. */
export interface GstCameraOptions {
  port?: number;
  mount?: string;
  width?: number;
  height?: number;
  fps?: number;
  user?: string;
  password?: string;
  transport?: 'tcp' | 'udp' | 'any';
  audio?: 'none' | 'pcma' | 'pcmu';
}

/** A running GStreamer RTSP camera. */
export class GstCamera {
  #proc: ChildProcess | undefined;
  #port = 0;
  constructor(readonly opts: GstCameraOptions = {}) {}

  /** The port it listens on (after start). */
  get port(): number {
    return this.#port;
  }

  /** rtsp:// URL of the mount, with credentials when given. */
  url(user?: string, password?: string): string {
    const auth = user !== undefined ? `${encodeURIComponent(user)}:${encodeURIComponent(password ?? '')}@` : '';
    return `rtsp://${auth}127.0.0.1:${this.#port}${this.opts.mount ?? '/cam'}`;
  }

  /** Starts the server (on the previous port when restarting) and waits for "READY <port>". */
  async start(timeoutMs = 10_000): Promise<number> {
    if (this.#proc) throw new Error('already running');
    const o = this.opts;
    const args = [SCRIPT, '--port', String(this.#port || o.port || 0), '--mount', o.mount ?? '/cam'];
    args.push('--width', String(o.width ?? 320), '--height', String(o.height ?? 240), '--fps', String(o.fps ?? 15));
    args.push('--transport', o.transport ?? 'any', '--audio', o.audio ?? 'none');
    if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '');
    const proc = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const lines = createInterface({ input: proc.stdout! });
    try {
      this.#port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`gst-rtsp-server not ready in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
        lines.on('line', (line) => {
          const m = /^READY (\d+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`gst-rtsp-server exited with ${code}: ${stderr}`));
        });
      });
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.#port;
  }

  /** Kills the server like a power cut (SIGKILL) and waits for it to exit. Idempotent. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    this.#proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  }
}
