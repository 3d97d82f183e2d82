/**
 * A synthetic camera looping a recorded raw H.264 clip: the loop point is seamless. ffmpeg's
 * -stream_loop cannot seek a raw .h264 stream and ended at each loop, so the camera republished
 * (a reconnect every loop, viewers and clips starting over); the clip is now fed through stdin.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfigText } from '../../config/load.js';
import { ffmpegPath } from '../ffmpeg.js';
import { startServer, type Server } from '../server.js';

describe('synthetic camera looping a raw .h264 clip', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-synthetic-'));
  let server: Server | undefined;
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loops without republishing: no reconnect, pts rising across the loop point', async () => {
    const clip = join(dir, 'clip.h264');
    // 2 s at 10 fps, a keyframe every second.
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', '2',
      '-c:v', 'libx264', '-bf', '0', '-g', '10', '-f', 'h264', clip]);
    server = await startServer(parseConfigText([
      'log: { level: warn }', 'http: { host: 127.0.0.1, port: 0 }', 'rtsp: { host: 127.0.0.1, port: 0 }',
      `storage: { path: ${JSON.stringify(join(dir, 'data'))} }`,
      'cameras:', `  loop: { synthetic: { file: ${JSON.stringify(clip)}, fps: 10 } }`,
    ].join('\n'), 'synthetic-test'));
    const camera = server.cameras.get('loop')!;
    const pts: number[] = [];
    camera.stream.addReader({ name: 'test', write: (u) => void (u.kind === 'video' && pts.push(u.pts)) }, { gop: false });
    await new Promise((r) => setTimeout(r, 7000)); // three loops of the 2 s clip
    assert.equal(camera.reconnects, 0, 'the publisher never left');
    assert.equal(camera.state, 'online');
    assert.ok(pts.length >= 45, `${pts.length} frames in 7 s at 10 fps`);
    for (let i = 1; i < pts.length; i++) assert.ok(pts[i]! > pts[i - 1]!, `pts rise at frame ${i}: ${pts[i - 1]} → ${pts[i]}`);
  });
});
