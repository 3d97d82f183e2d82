/**
 * The whole server against a real GStreamer RTSP camera on loopback: Digest auth with the
 * password from an environment variable, a WHEP viewer over HTTP that stays connected while
 * the camera is killed and restarted, on-demand connection, ffprobe reading the restream, and
 * the password never showing up in the API or the logs; an AAC camera reported unplayable while its
 * video plays; hostile HTTP against the real WHEP service.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseConfigText } from '../config/load.js';
import type { CameraInfo } from './http/types.js';
import { GstCamera } from './rtsp/testdata/gst-peer.js';
import { startServer, type Server } from './server.js';
import { waitFor } from './testing/wait.js';
import { Viewer } from './webrtc/testdata/whep-client.js';

const PASSWORD = 's3cret-Pa55';
const WIDTH = 320;
const HEIGHT = 240;

describe('server with a real RTSP camera', { timeout: 360_000 }, () => {
  const camera = new GstCamera({ user: 'admin', password: PASSWORD, width: WIDTH, height: HEIGHT, fps: 15 });
  let server: Server;
  let base = '';
  const logged: string[] = [];
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

  const cameraInfo = async (id: string): Promise<CameraInfo> => (await fetch(`${base}api/cameras/${id}`)).json() as Promise<CameraInfo>;

  before(async () => {
    // Capture everything the server logs, to prove the password never appears.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      logged.push(String(chunk));
      return writes.out(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      logged.push(String(chunk));
      return writes.err(chunk, ...rest);
    }) as typeof process.stderr.write;
    await camera.start();
    const url = camera.url();
    const config = parseConfigText(
      [
        'log: { level: debug }',
        'http: { host: 127.0.0.1, port: 0 }',
        'rtsp: { host: 127.0.0.1, port: 0 }',
        'webrtc: { hostAddresses: [127.0.0.1] }',
        'cameras:',
        '  gate1:',
        `    url: ${url}`,
        '    username: admin',
        '    password: ${GATE1_PASSWORD}',
        '    timeoutMs: 3000',
        '    reconnect: { initialMs: 200, maxMs: 1000 }',
        '  lazy:',
        `    url: ${url}`,
        '    username: admin',
        '    password: ${GATE1_PASSWORD}',
        '    onDemand: true',
        '    onDemandCloseAfterMs: 500',
        '  aac:',
        '    push: true',
      ].join('\n'),
      'e2e',
      [],
      { GATE1_PASSWORD: PASSWORD },
    );
    server = await startServer(config);
    base = server.addresses.pageUrl;
  });

  after(async () => {
    await server?.close();
    await camera.stop();
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  });

  it('pulls the camera with Digest auth and reports its video in the API without the password', async () => {
    const info = await waitFor('gate1 online', 15_000, async () => {
      const c = await cameraInfo('gate1');
      return c.state === 'online' && c.width ? c : undefined;
    });
    assert.equal(info.codec, 'H264');
    assert.equal(info.width, WIDTH);
    assert.equal(info.height, HEIGHT);
    const list = await (await fetch(`${base}api/cameras`)).text();
    assert.ok(list.includes('gate1'));
    assert.ok(!list.includes(PASSWORD), 'password in /api/cameras');
  });

  it('restreams the pulled camera over RTSP, read back by ffprobe', async () => {
    const { stdout } = await promisify(execFile)('ffprobe', [
      '-v', 'error', '-rtsp_transport', 'tcp', '-show_streams', '-of', 'json',
      `rtsp://127.0.0.1:${server.addresses.rtspPort}/gate1`,
    ], { timeout: 60_000 });
    const video = (JSON.parse(stdout) as { streams: Array<{ codec_name: string; width: number; height: number }> }).streams[0]!;
    assert.equal(video.codec_name, 'h264');
    assert.equal(video.width, WIDTH);
    assert.equal(video.height, HEIGHT);
  });

  it('keeps a connected viewer through a camera restart: frames flow again without a new session', async () => {
    const viewer = new Viewer();
    try {
      await viewer.connect(base, 'gate1');
      await waitFor('first keyframe', 10_000, () => (viewer.keyframes > 0 ? true : undefined));
      const before = await cameraInfo('gate1');
      await camera.stop();
      await waitFor('gate1 offline', 15_000, async () => ((await cameraInfo('gate1')).state !== 'online' ? true : undefined));
      const unitsWhileDown = viewer.units;
      await camera.start();
      await waitFor('gate1 back online', 20_000, async () => ((await cameraInfo('gate1')).state === 'online' ? true : undefined));
      const keyframesBefore = viewer.keyframes;
      await waitFor('a keyframe after the restart', 15_000, () => (viewer.keyframes > keyframesBefore ? true : undefined));
      await waitFor('frames flowing again', 10_000, () => (viewer.units > unitsWhileDown + 15 ? true : undefined));
      const after = await cameraInfo('gate1');
      assert.ok(after.reconnects > before.reconnects, `reconnects ${before.reconnects} → ${after.reconnects}`);
      assert.equal(after.viewers, 1, 'the same viewer stayed attached');
    } finally {
      await viewer.close(base);
    }
  });

  it('connects an on-demand camera only while someone watches', async () => {
    assert.equal((await cameraInfo('lazy')).state, 'idle');
    const viewer = new Viewer();
    try {
      await viewer.connect(base, 'lazy');
      await waitFor('lazy online', 15_000, async () => ((await cameraInfo('lazy')).state === 'online' ? true : undefined));
      await waitFor('frames from the on-demand camera', 10_000, () => (viewer.keyframes > 0 ? true : undefined));
    } finally {
      await viewer.close(base);
    }
    await waitFor('lazy idle again', 10_000, async () => ((await cameraInfo('lazy')).state === 'idle' ? true : undefined));
  });

  it('reports an AAC track as not playable over WebRTC, and still plays the video', async () => {
    const publisher = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '15', '-bf', '0', '-c:a', 'aac',
      '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${server.addresses.rtspPort}/aac`,
    ], { stdio: 'ignore' });
    const viewer = new Viewer();
    try {
      const info = await waitFor('aac online', 15_000, async () => {
        const c = await cameraInfo('aac');
        return c.state === 'online' && c.audio ? c : undefined;
      });
      assert.deepEqual(info.audio, { codec: 'AAC', playable: false });
      await viewer.connect(base, 'aac');
      await waitFor('video from the AAC camera', 10_000, () => (viewer.keyframes > 0 ? true : undefined));
    } finally {
      await viewer.close(base);
      publisher.kill('SIGKILL');
    }
  });

  it('answers hostile WHEP requests with clear errors and stays up', async () => {
    const post = (camera: string, body: string, type = 'application/sdp') =>
      fetch(`${base}whep/${camera}`, { method: 'POST', headers: { 'content-type': type }, body });
    const unknown = await post('nope', 'v=0');
    assert.equal(unknown.status, 404);
    const garbage = await post('gate1', 'this is not an SDP offer');
    assert.equal(garbage.status, 400);
    assert.match(((await garbage.json()) as { error: string }).error, /\S/);
    assert.equal((await post('gate1', 'v=0', 'text/plain')).status, 415);
    const huge = await post('gate1', 'a'.repeat(1024 * 1024));
    assert.equal(huge.status, 413);
    assert.equal((await fetch(`${base}healthz`)).status, 200);
    assert.equal((await cameraInfo('gate1')).viewers, 0, 'no session left behind');
  });

  it('never logs the password', () => {
    const all = logged.join('');
    assert.ok(all.includes('gate1'), 'the server logged something about gate1');
    assert.ok(!all.includes(PASSWORD), 'password found in the log');
  });
});
