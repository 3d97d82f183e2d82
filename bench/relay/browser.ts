/**
 * The relay bench's real-browser check: a few headless Chromium pages, inside the bench's network
 * namespace, play the relay under test while it carries the bench's viewers, and report what
 * Chromium decoded (RTCInboundRtpStreamStats.framesDecoded, frame size, codec).
 *
 * Chromium runs in the namespace through a two-line wrapper (`ip netns exec NS chromium ...`;
 * playwright drives it over a pipe, so the namespace does not get in the way). The pages signal
 * from the page itself with fetch, on a page of the relay's own origin: WHEP to streamsight, the
 * Janus HTTP API to Janus. Host candidates are sent in the clear: Janus cannot resolve mDNS names.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Netns } from '../janus/netns.js';

/** What one page decoded. */
export interface BrowserPlay {
  framesDecoded: number;
  frameWidth?: number;
  frameHeight?: number;
  mimeType?: string;
  error?: string;
}

/** Where the pages play from: streamsight's WHEP endpoint or a Janus streaming mountpoint. */
export type BrowserTarget = { whep: string } | { janus: string; mountpoint: number };

/** Runs in the page: signals, then waits for `frames` decoded frames (or 20 s). */
async function playInPage(arg: { target: BrowserTarget; frames: number }): Promise<BrowserPlay> {
  const { target, frames } = arg;
  const pc = new RTCPeerConnection();
  const gathered = () => new Promise<void>((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 3000);
  });
  const post = async (url: string, body: unknown) => {
    const res = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
    return res.json() as Promise<{ janus: string; data?: { id: number }; jsep?: RTCSessionDescriptionInit }>;
  };
  try {
    if ('whep' in target) {
      pc.addTransceiver('video', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await gathered();
      const res = await fetch(target.whep, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
      if (res.status !== 201) throw new Error(`WHEP ${res.status}`);
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    } else {
      const tx = () => Math.random().toString(36).slice(2);
      const session = (await post(target.janus, { janus: 'create', transaction: tx() })).data!.id;
      const handle = (await post(`${target.janus}/${session}`, { janus: 'attach', plugin: 'janus.plugin.streaming', transaction: tx() })).data!.id;
      await post(`${target.janus}/${session}/${handle}`, { janus: 'message', transaction: tx(), body: { request: 'watch', id: target.mountpoint } });
      let offer: RTCSessionDescriptionInit | undefined;
      for (let i = 0; i < 20 && !offer; i++) {
        const events = await (await fetch(`${target.janus}/${session}?maxev=5`)).json() as Array<{ jsep?: RTCSessionDescriptionInit }> | { jsep?: RTCSessionDescriptionInit };
        offer = (Array.isArray(events) ? events : [events]).find((e) => e.jsep?.type === 'offer')?.jsep;
      }
      if (!offer) throw new Error('Janus sent no offer');
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
      await gathered();
      await post(`${target.janus}/${session}/${handle}`, { janus: 'message', transaction: tx(), body: { request: 'start' }, jsep: { type: 'answer', sdp: pc.localDescription!.sdp } });
    }
    const deadline = performance.now() + 20_000;
    let result: BrowserPlay = { framesDecoded: 0 };
    while (performance.now() < deadline && result.framesDecoded < frames) {
      await new Promise((r) => setTimeout(r, 250));
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        const codec = s.codecId ? report.get(s.codecId) : undefined;
        result = { framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth, frameHeight: s.frameHeight, mimeType: codec?.mimeType };
      });
    }
    return result;
  } catch (e) {
    return { framesDecoded: 0, error: String(e) };
  } finally {
    pc.close();
  }
}

/** Plays `target` in `pages` Chromium pages at once inside `netns`; resolves what each decoded. */
export async function browserCheck(netns: Netns, target: BrowserTarget, pages = 2, frames = 50): Promise<BrowserPlay[]> {
  const wrapper = join(tmpdir(), `streamsight-chromium-${netns.name}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${netns.name} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await chromium.launch({
    executablePath: wrapper,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
  try {
    const all = await Promise.all(Array.from({ length: pages }, async () => {
      const page = await browser.newPage();
      // tsx (esbuild keepNames) wraps named inner functions in __name(); the page has no such helper.
      await page.addInitScript('globalThis.__name = (f) => f');
      // A page of the relay's own origin: its fetches are then same-origin (from about:blank,
      // Chromium refuses them as requests into a private network).
      const url = 'whep' in target ? target.whep : target.janus;
      await page.goto(`${new URL(url).origin}/${'whep' in target ? 'healthz' : 'janus/info'}`);
      return page.evaluate(playInPage, { target, frames });
    }));
    return all;
  } finally {
    await browser.close();
    rmSync(wrapper, { force: true });
  }
}
