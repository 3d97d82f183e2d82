/**
 * ffmpegPath(): Debian's ffmpeg first, else the binary of the optional `@ffmpeg-installer/linux-x64`
 * package (issue 3), with $FFMPEG_PATH overriding both. The fallback test runs the binary it finds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bundledFfmpeg, ffmpegPath, passthroughArgs, probeFfmpeg, SYSTEM_FFMPEG } from './ffmpeg.js';

const dir = mkdtempSync(join(tmpdir(), 'streamsight-ffmpeg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const missing = join(dir, 'no-such-ffmpeg');

describe('ffmpegPath', () => {
  it('prefers $FFMPEG_PATH over everything', () => {
    assert.equal(ffmpegPath({ env: { FFMPEG_PATH: '/opt/ff/ffmpeg' }, bundled: () => undefined }), '/opt/ff/ffmpeg');
  });

  it("uses Debian's binary when it is there", () => {
    assert.equal(ffmpegPath({ env: {} }), SYSTEM_FFMPEG, 'this machine is set up by .ci/setup, which installs Debian ffmpeg');
  });

  it('falls back to @ffmpeg-installer/linux-x64 without a system ffmpeg, and that binary runs', () => {
    const bundled = bundledFfmpeg();
    assert.ok(bundled, '@ffmpeg-installer/linux-x64 is installed (optionalDependencies; npm install)');
    const found = ffmpegPath({ env: {}, systemPath: missing });
    assert.equal(found, bundled);
    assert.notEqual(found, SYSTEM_FFMPEG);
    const out = execFileSync(found, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
    assert.match(out, /^ffmpeg version \S+/);
  });

  it('skips a candidate that is not executable', () => {
    const notExecutable = join(dir, 'ffmpeg');
    writeFileSync(notExecutable, '#!/bin/sh\n');
    chmodSync(notExecutable, 0o644);
    assert.equal(ffmpegPath({ env: {}, systemPath: notExecutable, bundled: () => undefined }), 'ffmpeg');
    assert.equal(ffmpegPath({ env: {}, systemPath: missing, bundled: () => notExecutable }), 'ffmpeg');
  });

  it('ends with plain `ffmpeg` on PATH when neither is installed', () => {
    assert.equal(ffmpegPath({ env: {}, systemPath: missing, bundled: () => undefined }), 'ffmpeg');
  });
});

describe('passthroughArgs', () => {
  it('asks the binary: -fps_mode for Debian ffmpeg 5.1, -vsync for the 2018 bundled build', () => {
    assert.deepEqual(passthroughArgs(SYSTEM_FFMPEG), ['-fps_mode', 'passthrough']);
    const bundled = bundledFfmpeg();
    assert.ok(bundled, 'the optional package is installed here');
    assert.deepEqual(passthroughArgs(bundled), ['-vsync', 'passthrough']);
  });
});

describe('probeFfmpeg', () => {
  it('asks a binary it has not seen without blocking, and passthroughArgs answers from that', async () => {
    // Paths passthroughArgs has not cached yet: the answer must come from the probe itself.
    const modern = join(dir, 'modern-ffmpeg');
    symlinkSync(SYSTEM_FFMPEG, modern);
    const old = join(dir, 'old-ffmpeg');
    writeFileSync(old, '#!/bin/sh\necho "-vsync             video sync method"\n');
    chmodSync(old, 0o755);
    await Promise.all([probeFfmpeg(modern), probeFfmpeg(old)]);
    rmSync(modern);
    rmSync(old); // a second, synchronous look at the binaries would now fail
    assert.deepEqual(passthroughArgs(modern), ['-fps_mode', 'passthrough']);
    assert.deepEqual(passthroughArgs(old), ['-vsync', 'passthrough']);
  });
});
