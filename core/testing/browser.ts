/**
 * What the Chromium end-to-end tests share: Debian's Chromium launched with the flags loopback
 * WebRTC needs, port blocks that concurrent test files are unlikely to share, and build outputs
 * (the dashboard, the demo clips) made once when missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

/** Runs `cmd` in the package root when `output` (relative to it) is missing; each such step caches its own work. */
export function ensureBuilt(output: string, what: string, cmd: string, args: string[]): void {
  const root = packageRoot();
  if (existsSync(join(root, output))) return;
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', timeout: 600_000 });
  assert.equal(r.status, 0, `${what} failed`);
}

/** The demo clips under data/demo, rendered by bench/scenes/demo.ts when missing (a minute or two). */
export function ensureDemoClips(): void {
  ensureBuilt('data/demo/intersection.h264', 'rendering the demo clips', process.execPath, ['--import', 'tsx', 'bench/scenes/demo.ts', 'data/demo']);
}
