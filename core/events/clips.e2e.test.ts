/**
 * Evidence clips end to end in one server: ffmpeg pushes a test pattern over RTSP that turns dark
 * after DARK_AT_S seconds; the brightness plugin raises scene.dark on the decoded frames (clips are
 * kept for info events here), the event is committed, then the clip is cut from the camera's history
 * and stored with it. The clip is
 * checked with ffprobe (duration), and its frames are compared with the event's snapshot, the frame
 * the plugin raised the event on: the best match must sit at the event's time in the clip.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import jpeg from 'jpeg-js';
import { decodeErrors, probeMp4, withTempFile } from '../../codecs/mp4/mp4.testkit.js';
import { parseConfigText } from '../../config/load.js';
import { ffmpegPath } from '../ffmpeg.js';
import { startServer, type Server } from '../server.js';
import { waitFor } from '../testing/wait.js';
import type { StoredEvent } from './model.js';

const [W, H, FPS, GOP] = [320, 240, 10, 10];
const [BEFORE_S, AFTER_S] = [2, 2];
/** When the pushed picture turns dark: late enough for the history to hold BEFORE_S and a GOP before it. */
const DARK_AT_S = 5;

describe('evidence clips in the server', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-clips-e2e-'));
  let server: Server;
  let base = '';
  let publisher: ChildProcess | undefined;

  before(async () => {
    server = await startServer(
      parseConfigText(
        [
          'log: { level: warn }',
          'http: { host: 127.0.0.1, port: 0 }',
          'rtsp: { host: 127.0.0.1, port: 0 }',
          'webrtc: { hostAddresses: [127.0.0.1] }',
          `storage: { path: ${JSON.stringify(dir)}, clips: { minSeverity: info, beforeS: ${BEFORE_S}, afterS: ${AFTER_S} } }`,
          'cameras:',
          '  yard:',
          '    push: true',
          '    detect: { fps: 5 }',
          '    plugins:',
          '      brightness: { fps: 5, config: { darkBelow: 50, brightAbove: 250 } }',
        ].join('\n'),
        'clips-e2e',
      ),
    );
    base = server.addresses.pageUrl;
    publisher = spawn(ffmpegPath(), [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=${W}x${H}:rate=${FPS}`,
      '-vf', `eq=brightness='if(gt(t,${DARK_AT_S}),-0.4,0)':eval=frame`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-bf', '0', '-g', String(GOP), '-keyint_min', String(GOP),
      '-t', '30', '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${server.addresses.rtspPort}/yard`,
    ], { stdio: 'ignore' });
  });

  after(async () => {
    publisher?.kill('SIGKILL');
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a clip with the event: within one GOP of before + after, with the event\'s frame at its time', async () => {
    const event = await waitFor('an event with its clip', 40_000, async () => {
      const page = (await (await fetch(`${base}api/events?camera=yard&type=scene.dark`)).json()) as { events: StoredEvent[] };
      return page.events.find((e) => e.clip);
    }, 250);
    const clip = event.clip!;
    const res = await fetch(`${base}api/events/${event.id}/clip.mp4`);
    assert.equal(res.status, 200);
    const mp4 = new Uint8Array(await res.arrayBuffer());
    assert.equal(mp4.length, clip.bytes);
    assert.equal(decodeErrors(mp4), '');

    const p = probeMp4(mp4);
    const gopS = GOP / FPS;
    assert.equal(p.codecName, 'h264');
    assert.equal([p.width, p.height].join('x'), `${W}x${H}`);
    assert.ok(p.formatDuration >= BEFORE_S + AFTER_S - 1 / FPS && p.formatDuration <= BEFORE_S + AFTER_S + gopS + 1 / FPS,
      `duration ${p.formatDuration} s: ${BEFORE_S} + ${AFTER_S} s within one GOP (${gopS} s)`);
    assert.ok(Math.abs((clip.endedAt - clip.startedAt) / 1000 - (p.lastPts - p.firstPts)) < 0.05, 'the listed times span the file');
    assert.ok(clip.startedAt <= event.startedAt - BEFORE_S * 1000 + 100 && event.startedAt + AFTER_S * 1000 - 100 <= clip.endedAt,
      `[${clip.startedAt}, ${clip.endedAt}] holds ${BEFORE_S} s before and ${AFTER_S} s after ${event.startedAt}`);

    // The frame the plugin saw (the snapshot) is the clip's frame at the event's time.
    const snapshot = jpeg.decode(new Uint8Array(await (await fetch(`${base}api/events/${event.id}/snapshot.jpg`)).arrayBuffer()), { useTArray: true });
    assert.equal(`${snapshot.width}x${snapshot.height}`, `${W}x${H}`);
    const frames = decodeGray(mp4);
    assert.equal(frames.length, p.nbFrames);
    const diffs = frames.map((f) => meanAbsDiff(f, snapshot.data));
    const best = diffs.indexOf(Math.min(...diffs));
    const expected = Math.round((event.startedAt - clip.startedAt) / (1000 / FPS));
    assert.ok(Math.abs(best - expected) <= 1, `best match is frame ${best} (diff ${diffs[best]!.toFixed(1)}), the event's time is frame ${expected}`);
    assert.ok(diffs[best]! < 8, `the snapshot matches a clip frame (mean diff ${diffs[best]!.toFixed(1)})`);

    const metrics = await (await fetch(`${base}metrics`)).text();
    assert.match(metrics, /^streamsight_clips_stored_total [1-9]/m, 'the stored clip is counted on /metrics');

    const range = await fetch(`${base}api/events/${event.id}/clip.mp4`, { headers: { Range: 'bytes=0-7' } });
    assert.equal(range.status, 206);
    assert.deepEqual([...new Uint8Array(await range.arrayBuffer())].slice(4, 8), [...Buffer.from('ftyp')], 'the file starts with ftyp');
  });
});

/** The clip's frames as 8-bit gray planes, decoded by ffmpeg. */
function decodeGray(mp4: Uint8Array): Uint8Array[] {
  const raw = withTempFile(mp4, (path) => {
    const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { maxBuffer: 64 * 2 ** 20 });
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
    return new Uint8Array(r.stdout);
  });
  const frames: Uint8Array[] = [];
  for (let o = 0; o + W * H <= raw.length; o += W * H) frames.push(raw.subarray(o, o + W * H));
  return frames;
}

/** Mean absolute difference between a gray plane and the luma of an RGBA image of the same size. */
function meanAbsDiff(gray: Uint8Array, rgba: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < gray.length; i++) {
    const y = 0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!;
    sum += Math.abs(gray[i]! - y);
  }
  return sum / gray.length;
}
