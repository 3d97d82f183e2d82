/**
 * What the Chromium end-to-end tests share: Debian's Chromium launched with the flags loopback
 * WebRTC needs, port blocks that concurrent test files are unlikely to share, and build outputs
 * (the dashboard, the demo clips) made once when missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { packageRoot } from '../../config/load.js';

/** Debian's Chromium with a fresh profile, no network chatter, autoplay allowed and host ICE candidates on loopback. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
}

/** A random block of `size` ports from `start` (one of `blocks`), so test files running at once rarely collide. */
export function portBlock(start: number, blocks: number, size: number): [number, number] {
  const first = start + Math.floor(Math.random() * blocks) * size;
  return [first, first + size - 1];
}

/**
 * Runs `cmd` in the package root when `output` (relative to it) is missing. Test files run in
 * parallel, so a lock directory beside the output lets one build while the others wait for it.
 */
export function ensureBuilt(output: string, what: string, cmd: string, args: string[]): void {
  const root = packageRoot();
  const path = join(root, output);
  const lock = `${path}.building`;
  const deadline = Date.now() + 600_000;
  // Wait while another builds: its output may exist half-written until its lock goes.
  while (!existsSync(path) || existsSync(lock)) {
    mkdirSync(dirname(lock), { recursive: true });
    try {
      mkdirSync(lock);
    } catch {
      // A lock left by a killed run would block every later one.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 900_000) rmSync(lock, { recursive: true, force: true });
      assert.ok(Date.now() < deadline, `${what}: waited 10 min for another test file to finish it`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      continue;
    }
    try {
      if (existsSync(path)) return;
      const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', timeout: 600_000 });
      assert.equal(r.status, 0, `${what} failed`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** The demo clips under data/demo, rendered by bench/scenes/demo.ts when missing (a minute or two). */
export function ensureDemoClips(): void {
  ensureBuilt('data/demo/intersection.h264', 'rendering the demo clips', process.execPath, ['--import', 'tsx', 'bench/scenes/demo.ts', 'data/demo']);
}
