/**
 * streamsight player — an embeddable ES module, no build step.
 *
 *   <script type="module" src="https://host:8080/player.js"></script>
 *   <streamsight-player camera="gate1" server="https://host:8080" muted autoplay controls></streamsight-player>
 *
 * Plays one camera over WHEP (RFC 9725): recvonly video + audio transceivers, the offer POSTed
 * once the first ICE candidates are in (the server does not take trickle ICE), answer applied, session DELETEd at its
 * Location when the element goes away. When ICE fails or the video stalls it negotiates a new
 * session with capped exponential backoff, without a page reload.
 *
 * Live video always plays (`autoplay` is accepted for familiarity); `muted` starts muted, and
 * without it playback falls back to muted when the browser's autoplay policy refuses sound.
 * `server` defaults to the page's origin; other origins need the server's http.corsOrigins.
 * `token`: when the server has API tokens (auth.tokens), a viewer token for this camera (minted by
 * your backend at POST /api/viewer-tokens) or an API token; it is sent as ?token=. Overlays read the
 * API and /ws, which a viewer token does not open: they need a viewer-role API token.
 *
 * Overlays: `overlays` draws the camera's detections (tracked boxes with class and id), its
 * plugins' zones and lines and the signal state over the video, matched to each frame by its
 * presentation time (overlay.js); `overlays="red-light,lane"` limits them to those plugins. They
 * read /api/cameras/:id/geometry and /ws from `server` (another origin needs http.corsOrigins).
 * `overlay-delay` (ms, default 250 with overlays) asks the browser to hold video that much longer
 * so the detections, which take decode + plugin time, are there when their frame is shown; 0 plays
 * with the least latency and draws the newest detections at or before each frame.
 *
 *   <streamsight-player camera="intersection" server="https://host:8080" overlays></streamsight-player>
 *
 * Events: 'playing' (first frame of a session), 'error' (detail: { error, retryInMs }).
 * Methods: stats() → { framesDecoded, width, height, fps, packetsLost, bytesReceived, jitterBufferDelay (s,
 * summed over frames), jitterBufferEmittedCount, state };
 * overlayState() → { frames, matched, framePts, drawn: [{ plugin, label, trackId, box, pts }], signal }.
 */
import { Overlay } from './overlay.js';


/** Never wait longer than this for ICE gathering before sending the offer. */
const ICE_GATHER_CAP_MS = 2000;
/**
 * Once the first candidate is known, wait only this much longer for the rest: Chrome's gathering
 * often takes 200-500 ms to report 'complete' although its host candidates come at once. The
 * server does not need them all — the browser is the controlling agent and sends its checks to
 * the server's candidates, from which the server learns the browser's address (peer-reflexive).
 * Measured (bench/ttff.ts): waiting for 'complete' spent 230-490 ms of a ~530 ms first frame.
 */
const ICE_AFTER_FIRST_CANDIDATE_MS = 50;
/** A session whose decoded-frame count stops moving this long is renegotiated. */
const STALL_MS = 20000;
/** How long a 'disconnected' peer connection may take to recover before a new session is negotiated. */
const DISCONNECTED_GRACE_MS = 5000;
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 15000;
/** Video held back for overlays unless `overlay-delay` says otherwise, ms. */
const DEFAULT_OVERLAY_DELAY_MS = 250;
/** HTTP statuses that no retry will fix: unknown camera, bad request, unplayable codec. */
const PERMANENT = new Set([400, 404, 415, 422]);

/** An HTTP failure of the WHEP POST; `status` decides whether a retry makes sense. */
export class WhepError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'WhepError';
    this.status = status;
  }
}

function waitIceGathering(pc, capMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    let soon;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(soon);
      pc.removeEventListener('icegatheringstatechange', check);
      pc.removeEventListener('icecandidate', onCandidate);
      resolve();
    };
    const check = () => pc.iceGatheringState === 'complete' && done();
    const onCandidate = (e) => {
      if (e.candidate && soon === undefined) soon = setTimeout(done, ICE_AFTER_FIRST_CANDIDATE_MS);
    };
    const timer = setTimeout(done, capMs);
    pc.addEventListener('icegatheringstatechange', check);
    pc.addEventListener('icecandidate', onCandidate);
  });
}

/**
 * Negotiates one WHEP session for `url` and shows it in `videoEl`.
 * Resolves with { pc, location, close() } once the answer is applied; close() DELETEs the session.
 */
export async function play(videoEl, url, { iceServers = [] } = {}) {
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
  const media = new MediaStream();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addEventListener('track', (event) => {
    media.addTrack(event.track);
    if (videoEl.srcObject !== media) videoEl.srcObject = media;
    // Autoplay policy: playback with sound may need a user gesture; muted playback never does.
    videoEl.play().catch(() => {
      videoEl.muted = true;
      videoEl.play().catch(() => undefined);
    });
  });
  let location;
  const close = () => {
    pc.close();
    if (location) fetch(location, { method: 'DELETE', keepalive: true }).catch(() => undefined);
    location = undefined;
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await waitIceGathering(pc, ICE_GATHER_CAP_MS);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201) {
      let reason = res.statusText;
      try {
        reason = (await res.json()).error ?? reason;
      } catch {
        // not JSON: keep the status text
      }
      throw new WhepError(`WHEP ${res.status}: ${reason}`, res.status);
    }
    const header = res.headers.get('Location');
    // Relative to the URL that answered: with several nodes the POST may have been redirected (307)
    // to the camera's node, which holds the session, so DELETE and the overlays go straight there.
    location = header ? new URL(header, res.url || url) : undefined;
    // The session's URL needs the endpoint's token too (DELETE, and the overlays' session info).
    const token = new URL(url, globalThis.location?.href).searchParams.get('token');
    if (location && token) location.searchParams.set('token', token);
    location = location?.href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  } catch (err) {
    close();
    throw err;
  }
  return { pc, get location() { return location; }, close };
}

/** The <streamsight-player> custom element. */
export class StreamsightPlayer extends HTMLElement {
  static observedAttributes = ['camera', 'server', 'token', 'controls', 'muted', 'overlays', 'overlay-delay'];
  #video;
  #canvas;
  #overlay;
  #connected = false;
  #status;
  #session;
  #generation = 0;
  #attempt = 0;
  #timer;
  #watchdog;
  #onPageHide = () => this.#session?.close();
  // A page restored from the back/forward cache had its session closed on pagehide.
  #onPageShow = (event) => event.persisted && this.#restart();
  /** performance.now() when the current session started negotiating, and when it showed a frame. */
  timings = { startedAt: undefined, firstFrameAt: undefined };

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>
      :host { display: block; position: relative; background: #000; aspect-ratio: 16 / 9; overflow: hidden; }
      video { width: 100%; height: 100%; object-fit: contain; display: block; }
      canvas { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
      .status { position: absolute; left: 8px; bottom: 8px; padding: 2px 8px; border-radius: 4px;
        font: 12px/1.6 system-ui, sans-serif; color: #fff; background: rgba(0, 0, 0, .6); }
      .status:empty { display: none; }
    </style><video playsinline muted autoplay></video><canvas part="overlay"></canvas><div class="status" part="status"></div>`;
    this.#video = root.querySelector('video');
    this.#canvas = root.querySelector('canvas');
    this.#status = root.querySelector('.status');
  }

  /** The <video> inside the shadow root. */
  get video() {
    return this.#video;
  }

  /** The server's origin: the `server` attribute, or the page's. */
  get server() {
    return (this.getAttribute('server') ?? '').replace(/\/+$/, '') || location.origin;
  }

  /** The WHEP endpoint from the camera, server and token attributes. */
  get endpoint() {
    const token = this.getAttribute('token');
    return `${this.server}/whep/${encodeURIComponent(this.getAttribute('camera') ?? '')}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  }

  /** What the overlay drew on the last frame (null without `overlays`). */
  overlayState() {
    return this.#overlay?.state() ?? null;
  }

  connectedCallback() {
    this.#connected = true;
    this.#applyAttributes();
    window.addEventListener('pagehide', this.#onPageHide);
    window.addEventListener('pageshow', this.#onPageShow);
    this.#restart();
    this.#setupOverlay();
  }

  disconnectedCallback() {
    this.#connected = false;
    window.removeEventListener('pagehide', this.#onPageHide);
    window.removeEventListener('pageshow', this.#onPageShow);
    this.#stop();
    this.#overlay?.close();
    this.#overlay = undefined;
  }

  attributeChangedCallback(name, oldValue, newValue) {
    // Custom element reactions for a parsed element's attributes run after it is inserted but before
    // connectedCallback: without this check each would start a session of its own.
    if (!this.#connected || oldValue === newValue) return;
    this.#applyAttributes();
    if (name === 'camera' || name === 'server' || name === 'token') {
      this.#restart();
      this.#setupOverlay();
    } else if (name === 'overlays') this.#setupOverlay();
    else if (name === 'overlay-delay') this.#applyDelay();
  }

  /** Starts, restarts or stops the overlay to match the `overlays` attribute. */
  #setupOverlay() {
    this.#overlay?.close();
    this.#overlay = undefined;
    if (!this.hasAttribute('overlays')) return;
    const list = (this.getAttribute('overlays') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    this.#overlay = new Overlay(this.#video, this.#canvas, {
      server: this.server, camera: this.getAttribute('camera') ?? '', plugins: list.length ? list : null, token: this.getAttribute('token'),
    });
    this.#overlay.session = this.#session?.location;
    this.#applyDelay();
  }

  /** Sets the video receiver's jitter buffer target (Chromium: jitterBufferTarget, ms). */
  #applyDelay() {
    const receiver = this.#session?.pc.getReceivers().find((r) => r.track?.kind === 'video');
    if (!receiver || !('jitterBufferTarget' in receiver)) return;
    const attr = Number(this.getAttribute('overlay-delay'));
    const ms = this.hasAttribute('overlays') ? (this.hasAttribute('overlay-delay') && attr >= 0 ? Math.min(attr, 4000) : DEFAULT_OVERLAY_DELAY_MS) : 0;
    try {
      receiver.jitterBufferTarget = ms;
    } catch {
      // an older browser's range: play without the hint
    }
  }

  /** Inbound video statistics of the current session (zeros when not connected). */
  async stats() {
    const out = { framesDecoded: 0, width: this.#video.videoWidth, height: this.#video.videoHeight, fps: 0,
      packetsLost: 0, bytesReceived: 0, jitterBufferDelay: 0, jitterBufferEmittedCount: 0,
      state: this.#session?.pc.connectionState ?? 'new' };
    if (!this.#session) return out;
    let report;
    try {
      report = await this.#session.pc.getStats();
    } catch {
      return out; // closed while we asked
    }
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      out.framesDecoded = s.framesDecoded ?? 0;
      out.width = s.frameWidth ?? out.width;
      out.height = s.frameHeight ?? out.height;
      out.fps = s.framesPerSecond ?? 0;
      out.packetsLost = s.packetsLost ?? 0;
      out.bytesReceived = s.bytesReceived ?? 0;
      out.jitterBufferDelay = s.jitterBufferDelay ?? 0;
      out.jitterBufferEmittedCount = s.jitterBufferEmittedCount ?? 0;
    });
    return out;
  }

  #applyAttributes() {
    this.#video.muted = this.hasAttribute('muted');
    this.#video.controls = this.hasAttribute('controls');
  }

  #stop() {
    this.#generation++;
    clearTimeout(this.#timer);
    clearInterval(this.#watchdog);
    this.#session?.close();
    this.#session = undefined;
  }

  /** Drops the current session (if any) and negotiates a new one. */
  #restart() {
    this.#stop();
    const generation = this.#generation;
    this.timings = { startedAt: performance.now(), firstFrameAt: undefined };
    this.#setStatus('connecting…');
    this.#connect(generation);
  }

  async #connect(generation) {
    let session;
    try {
      session = await play(this.#video, this.endpoint);
    } catch (error) {
      if (generation === this.#generation) this.#fail(error);
      return;
    }
    if (generation !== this.#generation) {
      session.close(); // removed or restarted while negotiating
      return;
    }
    this.#session = session;
    if (this.#overlay) this.#overlay.session = session.location;
    this.#applyDelay();
    const { pc } = session;
    let disconnectTimer;
    pc.addEventListener('connectionstatechange', () => {
      if (generation !== this.#generation) return;
      clearTimeout(disconnectTimer);
      if (pc.connectionState === 'connected') this.#attempt = 0;
      if (pc.connectionState === 'failed') this.#fail(new Error('ICE connection failed'));
      // 'disconnected' often heals by itself (a lost burst); a server restart does not, and
      // Chromium takes ~30 s to call it 'failed'.
      if (pc.connectionState === 'disconnected') {
        disconnectTimer = setTimeout(() => {
          if (generation === this.#generation && pc.connectionState === 'disconnected') this.#fail(new Error('connection lost'));
        }, DISCONNECTED_GRACE_MS);
      }
    });
    this.#awaitFirstFrame(generation);
    let lastFrames = -1;
    let lastChange = performance.now();
    this.#watchdog = setInterval(async () => {
      const { framesDecoded } = await this.stats();
      if (generation !== this.#generation) return;
      if (framesDecoded !== lastFrames) {
        lastFrames = framesDecoded;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > STALL_MS) {
        this.#fail(new Error(`no video for ${STALL_MS / 1000} s`));
      }
    }, 2000);
  }

  #awaitFirstFrame(generation) {
    const shown = () => {
      if (generation !== this.#generation || this.timings.firstFrameAt !== undefined) return;
      this.timings.firstFrameAt = performance.now();
      this.#setStatus('');
      this.dispatchEvent(new CustomEvent('playing'));
    };
    if ('requestVideoFrameCallback' in this.#video) this.#video.requestVideoFrameCallback(shown);
    else this.#video.addEventListener('playing', shown, { once: true });
  }

  /** Reports `error`, then retries with capped exponential backoff and full jitter. */
  #fail(error) {
    const permanent = error instanceof WhepError && PERMANENT.has(error.status);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.#attempt++);
    const retryInMs = permanent ? undefined : Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#stop();
    const generation = this.#generation;
    this.#setStatus(retryInMs === undefined ? error.message : `${error.message} — retrying in ${Math.ceil(retryInMs / 1000)} s`);
    this.dispatchEvent(new CustomEvent('error', { detail: { error, retryInMs } }));
    if (retryInMs === undefined) return;
    this.#timer = setTimeout(() => {
      if (generation !== this.#generation) return;
      this.timings = { startedAt: performance.now(), firstFrameAt: undefined };
      this.#setStatus('reconnecting…');
      this.#connect(generation);
    }, retryInMs);
  }

  #setStatus(text) {
    this.#status.textContent = text;
  }
}

if (!customElements.get('streamsight-player')) customElements.define('streamsight-player', StreamsightPlayer);
