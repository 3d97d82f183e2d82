/** Helpers shared by the benchmarks: free ports, child processes, CPU sampling, clips. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ffmpegPath } from '../core/ffmpeg.js';
import { waitFor as pollFor } from '../core/testing/wait.js';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** User+system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] = utime, fields[12] = stime (clock ticks; 100 per second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident set size of a process in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 200 ms until it returns a value (a throwing check means "not ready yet"), or throws after `timeoutMs`. */
export function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  return pollFor(what, timeoutMs, check, 200, { retryErrors: true });
}

/**
 * An H.264 clip encoded once and cached in bench/.cache: testsrc2 at the given size, constant
 * bitrate, a keyframe every 2 s, no B-frames (what IP cameras send). 180 s by default: longer
 * than a whole bench run, because ffmpeg's -stream_loop sends a burst at the loop point, which
 * a viewer then sees as loss that is the input's doing, not the relay's.
 */
export function benchClip(width: number, height: number, kbps: number, seconds = 180): string {
  const dir = join(ROOT, 'bench', '.cache');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${width}x${height}-${kbps}k-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`,
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-bf', '0', '-g', '50', '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-x264-params', 'nal-hrd=cbr', file,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not encode the bench clip: ${r.stderr}`);
  return file;
}

/** Spawns a child whose stdout lines are handed to `onLine`; killed with the bench. */
export function child(cmd: string, args: string[], onLine?: (line: string) => void): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, env: { ...process.env, STREAMSIGHT_LOG: 'warn' } });
  let buf = '';
  p.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine?.(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  p.on('exit', (code) => {
    if (code && code !== 0 && !p.killed) process.stderr.write(`${cmd} exited ${code}: ${err}\n`);
  });
  children.add(p);
  return p;
}

const children = new Set<ChildProcess>();
/** Kills every child started with `child`. */
export function killChildren(): void {
  for (const p of children) p.kill('SIGKILL');
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(1));

/** p-th percentile (0..100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** ffmpeg -re copies the file into the server as an RTSP push; resolves when it has sent it all. */
export function publish(file: string, fps: number, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ff = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'h264', '-framerate', String(fps), '-i', file, '-c', 'copy', '-f', 'rtsp', '-rtsp_transport', 'tcp', url], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    ff.stderr.on('data', (d: Buffer) => (err += d.toString()));
    ff.on('error', reject);
    ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg publish of ${file} exited ${code}: ${err.trim()}`))));
  });
}
