/**
 * Interop with a real browser: headless Chromium plays a WhepService session on loopback (the
 * offer/answer goes through page.exposeFunction; HTTP is core/http's business). Run twice: with
 * Chromium's host candidates in the clear, and with the default mDNS-obfuscated candidates, which
 * the service drops (it must then learn the browser's address from its connectivity checks).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { setLogLevel } from '../log.js';
import { Stream } from '../stream/index.js';
import { feedLoop, testVideoUnits, videoTrack } from './testdata/h264-units.js';
import { WhepService } from './whep.js';

setLogLevel('warn');

interface InboundVideo {
  framesDecoded: number;
  frameWidth?: number;
  frameHeight?: number;
  mimeType?: string;
  fmtp?: string;
  offerHadMdns: boolean;
}

/** Runs in the page: negotiates through window.whepOffer and reports inbound video stats. */
async function playInPage(): Promise<InboundVideo> {
  const w = window as unknown as { whepOffer(sdp: string): Promise<string> };
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  const offer = pc.localDescription!.sdp;
  await pc.setRemoteDescription({ type: 'answer', sdp: await w.whepOffer(offer) });
  // Returns at 40 frames; the 30 s are for a CI VM starved of CPU (Chromium decodes in software here).
  const deadline = performance.now() + 30_000;
  let result: InboundVideo = { framesDecoded: 0, offerHadMdns: /\.local /.test(offer) };
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        const codec = s.codecId ? report.get(s.codecId) : undefined;
        result = {
          ...result,
          framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth, frameHeight: s.frameHeight,
          mimeType: codec?.mimeType, fmtp: codec?.sdpFmtpLine,
        };
      }
    });
    if (result.framesDecoded >= 40) break;
  }
  pc.close();
  return result;
}

describe('WHEP in Chromium', { timeout: 180_000 }, () => {
  let stream: Stream;
  let service: WhepService;
  let feeder: ReturnType<typeof feedLoop> | undefined;
  const browsers: Browser[] = [];

  before(() => {
    const units = testVideoUnits(50, 'main');
    stream = new Stream('cam');
    stream.setTracks([videoTrack(units)]);
    service = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [] }, { get: () => stream });
    feeder = feedLoop(stream, units);
  });

  after(async () => {
    feeder?.stop();
    await Promise.all(browsers.map((b) => b.close()));
    service.close();
    stream.close();
  });

  for (const mdns of [false, true]) {
    it(`decodes 640x360 H.264 (Main) with ${mdns ? 'mDNS' : 'plain'} browser candidates`, async () => {
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: [
          '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--allow-loopback-in-peer-connection',
          ...(mdns ? [] : ['--disable-features=WebRtcHideLocalIpsWithMdns']),
        ],
      });
      browsers.push(browser);
      const page = await browser.newPage();
      await page.exposeFunction('whepOffer', async (sdp: string) => (await service.createSession('cam', sdp)).answerSdp);
      const stats = await page.evaluate(playInPage);
      assert.equal(stats.offerHadMdns, mdns, `offer ${mdns ? 'should' : 'should not'} carry .local candidates`);
      assert.ok(stats.framesDecoded >= 40, `decoded ${stats.framesDecoded} frames`);
      assert.equal(stats.frameWidth, 640);
      assert.equal(stats.frameHeight, 360);
      assert.equal(stats.mimeType, 'video/H264');
      assert.match(stats.fmtp ?? '', /profile-level-id=4d/);
      await browser.close();
    });
  }
});
