/**
 * End to end: RTMP ingest in the whole server. ffmpeg publishes H.264 (with AAC, which is
 * dropped and counted) to `rtmp://127.0.0.1:PORT/live/obs?key=K` and Chromium plays the camera
 * over WHEP; wrong, missing and second publishers are refused; the publisher leaves and returns
 * and the same viewer gets frames again. H.265 comes over enhanced RTMP from a hand-built
 * publisher (Debian's ffmpeg 5.1 cannot mux HEVC into FLV) and is read back from the RTSP
 * restream by ffmpeg.
 *
 *   node --import tsx --test core/rtmp/rtmp.e2e.test.ts
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { stringify } from 'yaml';
import { parseConfigText } from '../../config/load.js';
import { messagesFromUnits } from '../../codecs/flv/flv.testkit.js';
import { encodeClipUnits } from '../../codecs/mp4/mp4.testkit.js';
import { ffmpegPath } from '../ffmpeg.js';
import type { CameraInfo } from '../http/types.js';
import { startServer, type Server } from '../server.js';
import { launchChromium, portBlock } from '../testing/browser.js';
import { failOnUnhandledRejection, waitFor } from '../testing/wait.js';
import { exited, ffmpegPublisher, TagPublisher } from './testdata/publisher.js';

failOnUnhandledRejection();

const KEY = 'obs-Secret-Key-42';
const HEVC_KEY = 'hevc-Secret-Key-7';

/** Runs ffmpeg without blocking the event loop (the server it reads from runs in this process). */
function ffmpeg(args: string[], timeoutMs: number): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return exited(child).then((code) => {
    clearTimeout(timer);
    return { code, stdout, stderr };
  });
}

/** What the page's player reports. */
interface Playback {
  width: number;
  height: number;
  currentTime: number;
  framesDecoded: number;
  /** Audio RTP packets received and samples decoded (0 without an audio transceiver). */
  audioPackets: number;
  audioSamples: number;
}

/** In the page: a recvonly WHEP session on `url` (video, and audio if asked) into a muted, autoplaying <video>. */
async function whepPlay({ url, audio }: { url: string; audio: boolean }): Promise<void> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
  const video = document.createElement('video');
  Object.assign(video, { muted: true, autoplay: true, playsInline: true });
  document.body.append(video);
  pc.ontrack = (e) => {
    video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
  if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${await res.text()}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  Object.assign(window, { pc, video });
}

/** In the page: the <video>'s size and time, and the frames the receiver decoded. */
async function playback(): Promise<Playback> {
  const { pc, video } = window as unknown as { pc: RTCPeerConnection; video: HTMLVideoElement };
  let framesDecoded = 0;
  let audioPackets = 0;
  let audioSamples = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded ?? 0;
    if (s.type === 'inbound-rtp' && s.kind === 'audio') [audioPackets, audioSamples] = [s.packetsReceived ?? 0, s.totalSamplesReceived ?? 0];
  });
  return { width: video.videoWidth, height: video.videoHeight, currentTime: video.currentTime, framesDecoded, audioPackets, audioSamples };
}

describe('RTMP ingest', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamsight-rtmp-e2e-'));
  let server: Server;
  let browser: Browser;
  let page: Page;
  let base = '';
  let rtmpUrl = '';
  let publisher: ReturnType<typeof ffmpegPublisher> | undefined;
  let hevc: TagPublisher | undefined;
  const logged: string[] = [];
  const writes = { out: process.stdout.write, err: process.stderr.write };

  const camera = async (id: string): Promise<CameraInfo> => {
    const cams = (await (await fetch(`${base}/api/cameras`)).json()) as CameraInfo[];
    const cam = cams.find((c) => c.id === id);
    assert.ok(cam, `camera ${id} listed`);
    return cam;
  };

  before(async () => {
    // Every log line is kept to check that no key ever reaches the log.
    for (const [stream, original] of [[process.stdout, writes.out], [process.stderr, writes.err]] as const) {
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        logged.push(String(chunk));
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as typeof stream.write;
    }
    const config = {
      log: { level: 'info' },
      http: { host: '127.0.0.1', port: 0 },
      rtsp: { host: '127.0.0.1', port: 0, udpPortRange: portBlock(52000, 100, 20) },
      rtmp: { host: '127.0.0.1', port: 0 },
      webrtc: { udpPortRange: portBlock(50000, 100, 20), hostAddresses: ['127.0.0.1'] },
      storage: { path: join(dir, 'data') },
      cameras: {
        obs: { name: 'OBS', rtmp: { key: KEY } },
        hevc: { rtmp: { key: HEVC_KEY } },
        door: { push: true },
      },
    };
    server = await startServer(parseConfigText(stringify(config), 'rtmp-e2e'));
    assert.ok(server.rtmp, 'an rtmp: camera starts the RTMP server');
    const port = server.addresses.rtmpPort;
    assert.ok(port !== undefined && port > 0, 'the bound RTMP port is in the addresses');
    rtmpUrl = `rtmp://127.0.0.1:${port}/live`;
    base = `http://127.0.0.1:${server.addresses.httpPort}`;
    browser = await launchChromium();
  });

  after(async () => {
    publisher?.kill('SIGKILL');
    hevc?.close();
    await browser?.close();
    await server?.close();
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    rmSync(dir, { recursive: true, force: true });
  });

  it('ffmpeg publishes H.264 with its key and Chromium plays the camera over WHEP; AAC is dropped and counted', async () => {
    const before = await camera('obs');
    assert.deepEqual([before.source, before.state], ['rtmp', 'offline']);
    publisher = ffmpegPublisher(`${rtmpUrl}/obs?key=${KEY}`);
    const online = await waitFor('obs online with its video size', 15_000, async () => {
      const c = await camera('obs');
      return c.state === 'online' && c.width ? c : undefined;
    });
    assert.deepEqual([online.codec, online.width, online.height], ['H264', 640, 360]);
    page = await browser.newPage();
    await page.goto(`${base}/api/cameras`);
    await page.evaluate(whepPlay, { url: `${base}/whep/obs`, audio: false });
    const first = await waitFor('decoded frames in Chromium', 15_000, async () => {
      const p = await page.evaluate(playback);
      return p.width > 0 && p.framesDecoded >= 25 && p.currentTime > 0 ? p : undefined;
    });
    assert.deepEqual([first.width, first.height], [640, 360]);
    const later = await waitFor('the video to advance', 10_000, async () => {
      const p = await page.evaluate(playback);
      return p.currentTime > first.currentTime + 0.5 && p.framesDecoded > first.framesDecoded + 10 ? p : undefined;
    });
    assert.ok(later.framesDecoded > first.framesDecoded);
    assert.equal((await camera('obs')).viewers, 1);
    const stats = server.rtmp!.stats;
    assert.equal(stats.published, 1);
    assert.equal(stats.publishing, 1);
    assert.ok((stats.audioDropped.AAC ?? 0) > 0, `AAC counted as dropped: ${JSON.stringify(stats.audioDropped)}`);
    assert.equal(stats.video.malformed, 0);
    assert.equal(server.cameras.get('obs')!.stream.stats.audioUnits, 0, 'no audio reaches the hub');
  });

  it('refuses a wrong key, a missing key, an unknown camera, a non-RTMP camera, a second publisher and an RTSP push', async () => {
    const unitsBefore = server.cameras.get('hevc')!.stream.stats.unitsIn;
    const refusedBefore = server.rtmp!.stats.refused;
    const attempts = [
      `${rtmpUrl}/hevc?key=wrong-key-123`,
      `${rtmpUrl}/hevc`,
      `${rtmpUrl}/nope?key=${HEVC_KEY}`,
      `${rtmpUrl}/door?key=${HEVC_KEY}`,
      `${rtmpUrl}/obs?key=${KEY}`, // obs is being published by the first test's ffmpeg
      `rtmp://127.0.0.1:${server.addresses.rtmpPort}/other/hevc?key=${HEVC_KEY}`,
    ];
    const results = await Promise.all(attempts.map(async (url) => {
      const child = ffmpegPublisher(url, { width: 160, height: 120 });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited(child);
      clearTimeout(timer);
      return { url, code, stderr: child.stderrText() };
    }));
    for (const r of results) {
      assert.notEqual(r.code, 0, `${r.url} refused`);
      assert.notEqual(r.code, 'SIGKILL', `${r.url}: ffmpeg gave up by itself`);
    }
    const refused = server.rtmp!.stats.refused;
    assert.equal(refused.badKey - refusedBefore.badKey, 2);
    assert.equal(refused.unknownCamera - refusedBefore.unknownCamera, 2);
    assert.equal(refused.busy - refusedBefore.busy, 1);
    assert.equal(refused.badApp - refusedBefore.badApp, 1);
    assert.equal(server.cameras.get('hevc')!.stream.stats.unitsIn, unitsBefore, 'nothing was published');
    const refusedCam = await camera('hevc');
    assert.equal(refusedCam.state, 'offline');
    assert.match(refusedCam.lastError ?? '', /^publish refused: (wrong|missing) key$/, 'the API says why');
    assert.equal((await camera('obs')).state, 'online', 'the first publisher keeps its camera');
    // An RTMP camera has a key: an RTSP push to it (which carries none) is refused.
    const rtsp = await ffmpeg(['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '1',
      '-c:v', 'libx264', '-f', 'rtsp', '-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${server.addresses.rtspPort}/hevc`], 15_000);
    assert.notEqual(rtsp.code, 0, 'RTSP ANNOUNCE to an RTMP camera refused');
    // The hand-built publisher sees the onStatus refusal itself.
    await assert.rejects(TagPublisher.publish(rtmpUrl, 'hevc?key=wrong-key-456'), /wrong key/);
  });

  it('the publisher leaves (camera offline) and returns (online) with G.711 audio; the same WHEP viewer gets frames again, a new one gets sound', async () => {
    publisher!.kill('SIGKILL');
    await exited(publisher!);
    await waitFor('obs offline', 10_000, async () => ((await camera('obs')).state === 'offline' ? true : undefined));
    const stalled = await page.evaluate(playback);
    publisher = ffmpegPublisher(`${rtmpUrl}/obs?key=${KEY}`, { audio: 'pcma' });
    await waitFor('obs online again', 15_000, async () => ((await camera('obs')).state === 'online' ? true : undefined));
    const resumed = await waitFor('frames decoded again', 20_000, async () => {
      const p = await page.evaluate(playback);
      return p.framesDecoded >= stalled.framesDecoded + 25 ? p : undefined;
    });
    assert.equal(resumed.width, 640);
    const info = await camera('obs');
    assert.equal(info.reconnects, 1);
    assert.deepEqual(info.audio, { codec: 'PCMA', playable: true });
    assert.equal(server.rtmp!.stats.published, 2);
    const listener = await browser.newPage();
    await listener.goto(`${base}/api/cameras`);
    await listener.evaluate(whepPlay, { url: `${base}/whep/obs`, audio: true });
    const heard = await waitFor('G.711 audio in Chromium', 15_000, async () => {
      const p = await listener.evaluate(playback);
      return p.audioPackets >= 50 && p.audioSamples > 8000 && p.framesDecoded > 0 ? p : undefined;
    });
    assert.ok(heard.audioSamples > 8000, 'over a second of audio decoded');
    await listener.close();
  });

  it('H.265 over enhanced RTMP reaches the RTSP restream, where ffmpeg decodes it', async () => {
    const units = encodeClipUnits({ codec: 'H265', width: 320, height: 240, seconds: 2, gop: 25 });
    hevc = await TagPublisher.publish(rtmpUrl, `hevc?key=${HEVC_KEY}`);
    hevc.start(messagesFromUnits(units, 'enhanced'));
    const online = await waitFor('hevc online', 15_000, async () => {
      const c = await camera('hevc');
      return c.state === 'online' && c.width ? c : undefined;
    });
    assert.deepEqual([online.codec, online.width, online.height], ['H265', 320, 240]);
    assert.equal(online.lastError, undefined, 'an accepted publish clears the refusal');
    const r = await ffmpeg([
      '-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', `rtsp://127.0.0.1:${server.addresses.rtspPort}/hevc`,
      '-frames:v', '25', '-f', 'framemd5', 'pipe:1',
    ], 20_000);
    assert.equal(r.code, 0, r.stderr);
    const frames = r.stdout.split('\n').filter((l) => /^0,/.test(l));
    assert.equal(frames.length, 25, 'ffmpeg decoded 25 frames from the restream');
    assert.match(r.stdout, /#dimensions 0: 320x240/);
    hevc.close();
    await waitFor('hevc offline', 10_000, async () => ((await camera('hevc')).state === 'offline' ? true : undefined));
  });

  it('never shows a key: not in the API, not in the log', async () => {
    const text = await (await fetch(`${base}/api/cameras`)).text();
    const log = logged.join('');
    assert.match(log, /refused: wrong key/);
    assert.match(log, /RTMP on :\d+/, 'the start line names the RTMP port');
    for (const secret of [KEY, HEVC_KEY, 'wrong-key-123', 'wrong-key-456']) {
      assert.ok(!text.includes(secret), `API leaks ${secret}`);
      assert.ok(!log.includes(secret), `log leaks ${secret}`);
    }
  });
});
