/**
 * Detection overlays for <streamsight-player overlays>: tracked boxes with class and id, the
 * plugins' zones and lines, and the signal state, drawn on a canvas over the video.
 *
 * In step with the picture: each /ws detections message carries the pts (90 kHz) of the frame it
 * was computed on, and the viewer's RTP timestamps are that pts plus an offset the server reports
 * for the session (GET /whep/:camera/:session → videoRtpOffset). For every frame the browser
 * presents, requestVideoFrameCallback gives its RTP timestamp; the frame's pts picks the detections
 * at or just before it, and a track's box is interpolated towards the next detection when that one
 * has already arrived. Detections usually arrive after their frame is shown (decode + plugin
 * time), so the player asks the browser to hold video a little longer (`overlay-delay`, ms) to let
 * them catch up. Where the browser gives no RTP timestamp, the newest detections are drawn.
 */

/** Detections older than this (90 kHz ticks) do not belong to the frame shown. */
const MAX_AGE_TICKS = 2 * 90000;
/** Two detections further apart than this are not interpolated between. */
const MAX_GAP_TICKS = 90000;
/** Per plugin, detections kept for matching. */
const HISTORY = 64;
/** How often the session's RTP offset is read again (it moves when the camera reconnects). */
const OFFSET_POLL_MS = 2000;
/** How often the camera's zones and lines are read again (the zone editor may change them). */
const GEOMETRY_POLL_MS = 15000;

const SIGNAL_COLOURS = { red: '#ff3b30', amber: '#ffb300', green: '#2ecc71', unknown: '#9e9e9e' };
const PALETTE = ['#00e5ff', '#ffd600', '#ff4081', '#76ff03', '#ff9100', '#d500f9', '#1de9b6', '#ffea00'];

/**
 * One WebSocket per server and camera for every player of it on the page (`/ws?camera=`: that
 * camera's messages only, and what a viewer token for it may open); listeners get each
 * detections message.
 */
const sockets = new Map();

function detectionsFeed(server, camera, token, listener) {
  const key = `${server} ${camera} ${token ?? ''}`;
  let feed = sockets.get(key);
  if (!feed) {
    feed = { listeners: new Set(), ws: undefined, timer: undefined, attempt: 0 };
    sockets.set(key, feed);
    const open = () => {
      const url = new URL('/ws', server);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('camera', camera);
      if (token) url.searchParams.set('token', token);
      const ws = (feed.ws = new WebSocket(url));
      ws.onopen = () => (feed.attempt = 0);
      ws.onmessage = (e) => {
        let m;
        try {
          m = JSON.parse(e.data);
        } catch {
          return;
        }
        if (m.type === 'detections') for (const l of feed.listeners) l(m);
      };
      ws.onclose = () => {
        if (feed.listeners.size === 0) return;
        feed.timer = setTimeout(open, Math.min(15000, 500 * 2 ** feed.attempt++));
      };
    };
    feed.open = open;
    open();
  }
  feed.listeners.add(listener);
  return () => {
    feed.listeners.delete(listener);
    if (feed.listeners.size > 0) return;
    clearTimeout(feed.timer);
    feed.ws.onclose = null;
    feed.ws.close();
    sockets.delete(key);
  };
}

/** Signed distance a − b between two 32-bit timestamps. */
function tsDiff(a, b) {
  return ((a - b) | 0);
}

function colourOf(key) {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) | 0;
  return PALETTE[Math.abs(h) % PALETTE.length];
}

/** Draws one camera's detections over a <video>; see the file comment. */
export class Overlay {
  #video;
  #canvas;
  #ctx;
  #server;
  #camera;
  #plugins;
  #token;
  #history = new Map();
  #geometry = {};
  #offset = null;
  #session;
  #timers = [];
  #unsubscribe;
  #frameHandle;
  #closed = false;
  /** What the last frame showed, for tests and diagnostics (see state()). */
  #state = { frames: 0, matched: 0, framePts: null, drawn: [], signal: null };
  /**
   * Since the overlay started, per plugin matched to a frame by pts: how many, how many were
   * interpolated (the next detection had arrived), and the summed lag frame pts − detection pts
   * in 90 kHz ticks (bench/overlay.ts reads them).
   */
  #totals = { matches: 0, interpolated: 0, lagTicks: 0 };

  /** `plugins`: names to draw, or null for every plugin of the camera. */
  constructor(video, canvas, { server, camera, plugins, token = null }) {
    this.#video = video;
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d');
    this.#server = server;
    this.#camera = camera;
    this.#plugins = plugins;
    this.#token = token;
    this.#unsubscribe = detectionsFeed(server, camera, token, (m) => this.#onDetections(m));
    this.#loadGeometry();
    this.#timers.push(setInterval(() => this.#loadGeometry(), GEOMETRY_POLL_MS));
    this.#timers.push(setInterval(() => this.#loadOffset(), OFFSET_POLL_MS));
    this.#nextFrame();
  }

  /** The WHEP session URL whose RTP offset maps frames to detections (undefined between sessions). */
  set session(url) {
    this.#session = url;
    this.#offset = null;
    this.#loadOffset();
  }

  /** A copy of what the last presented frame showed: frames drawn, how many matched by pts, the boxes, and the totals. */
  state() {
    return structuredClone({ ...this.#state, totals: this.#totals });
  }

  /** Stops drawing and listening. */
  close() {
    this.#closed = true;
    this.#unsubscribe();
    for (const t of this.#timers) clearInterval(t);
    if (this.#frameHandle !== undefined && 'cancelVideoFrameCallback' in this.#video) this.#video.cancelVideoFrameCallback(this.#frameHandle);
    this.#ctx.clearRect(0, 0, this.#canvas.width, this.#canvas.height);
  }

  #wanted(plugin) {
    return this.#plugins === null || this.#plugins.includes(plugin);
  }

  #onDetections(m) {
    if (m.camera !== this.#camera || !this.#wanted(m.plugin)) return;
    let list = this.#history.get(m.plugin);
    if (!list) this.#history.set(m.plugin, (list = []));
    list.push({ pts: m.pts >>> 0, detections: m.detections });
    if (list.length > HISTORY) list.shift();
  }

  async #loadGeometry() {
    try {
      const token = this.#token ? `?token=${encodeURIComponent(this.#token)}` : '';
      const res = await fetch(`${this.#server}/api/cameras/${encodeURIComponent(this.#camera)}/geometry${token}`, { cache: 'no-store' });
      if (res.ok) this.#geometry = (await res.json()).plugins ?? {};
    } catch {
      // the server is away: keep the last geometry
    }
  }

  /** Reads the session's RTP offset; it is null until the server sends the first live frame, so that is asked again soon. */
  async #loadOffset(retries = 25) {
    const url = this.#session;
    if (!url || this.#closed) return;
    try {
      const res = await fetch(url, { cache: 'no-store' });
      if (!res.ok || url !== this.#session) return;
      this.#offset = (await res.json()).videoRtpOffset;
      if (this.#offset === null && retries > 0) setTimeout(() => url === this.#session && this.#loadOffset(retries - 1), 200);
    } catch {
      // try again at the next poll
    }
  }

  #nextFrame() {
    if (this.#closed) return;
    if ('requestVideoFrameCallback' in this.#video) {
      this.#frameHandle = this.#video.requestVideoFrameCallback((_now, meta) => {
        this.#draw(meta.rtpTimestamp);
        this.#nextFrame();
      });
    } else {
      requestAnimationFrame(() => {
        this.#draw(undefined);
        this.#nextFrame();
      });
    }
  }

  /** The detections for a frame with 32-bit pts `pts` (undefined: the newest), tracks interpolated. */
  #detectionsAt(list, pts) {
    if (pts === undefined) return list.at(-1);
    let before;
    let after;
    for (const m of list) {
      const d = tsDiff(pts, m.pts);
      if (d >= 0 && d <= MAX_AGE_TICKS && (!before || d < tsDiff(pts, before.pts))) before = m;
      if (d < 0 && (!after || d > tsDiff(pts, after.pts))) after = m;
    }
    if (!before) return undefined;
    if (!after || tsDiff(after.pts, before.pts) > MAX_GAP_TICKS) return { ...before, interpolated: false };
    const t = tsDiff(pts, before.pts) / tsDiff(after.pts, before.pts);
    const next = new Map(after.detections.filter((d) => d.trackId !== undefined).map((d) => [d.trackId, d]));
    const detections = before.detections.map((d) => {
      const n = d.trackId !== undefined ? next.get(d.trackId) : undefined;
      return n ? { ...d, box: d.box.map((v, i) => v + (n.box[i] - v) * t) } : d;
    });
    return { pts: before.pts, detections, interpolated: true };
  }

  #draw(rtpTimestamp) {
    const canvas = this.#canvas;
    const ctx = this.#ctx;
    const dpr = window.devicePixelRatio || 1;
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) {
      canvas.width = Math.round(cw * dpr);
      canvas.height = Math.round(ch * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    const vw = this.#video.videoWidth;
    const vh = this.#video.videoHeight;
    if (!vw || !vh) return;
    // object-fit: contain — the picture's rectangle inside the element.
    const scale = Math.min(cw / vw, ch / vh);
    const rect = { x: (cw - vw * scale) / 2, y: (ch - vh * scale) / 2, w: vw * scale, h: vh * scale };
    const px = ([x, y]) => [rect.x + x * rect.w, rect.y + y * rect.h];
    const framePts = rtpTimestamp !== undefined && this.#offset !== null ? (rtpTimestamp - this.#offset) >>> 0 : undefined;
    const state = { frames: this.#state.frames + 1, matched: this.#state.matched, framePts: framePts ?? null, drawn: [], signal: null };

    ctx.lineWidth = 2;
    ctx.font = '12px system-ui, sans-serif';
    for (const [plugin, g] of Object.entries(this.#geometry)) {
      if (!this.#wanted(plugin)) continue;
      const colour = colourOf(plugin);
      for (const [name, points] of Object.entries(g.zones ?? {})) {
        ctx.strokeStyle = colour;
        ctx.fillStyle = `${colour}1a`;
        ctx.beginPath();
        points.forEach((p, i) => (i ? ctx.lineTo(...px(p)) : ctx.moveTo(...px(p))));
        ctx.closePath();
        ctx.fill();
        ctx.setLineDash([4, 4]);
        ctx.stroke();
        ctx.setLineDash([]);
        this.#label(name, px(points[0]), colour, 'rgba(0,0,0,.45)');
      }
      for (const [name, line] of Object.entries(g.lines ?? {})) {
        ctx.strokeStyle = colour;
        const [x1, y1] = px(line.from);
        const [x2, y2] = px(line.to);
        ctx.beginPath();
        ctx.moveTo(x1, y1);
        ctx.lineTo(x2, y2);
        ctx.stroke();
        this.#label(name, [(x1 + x2) / 2, (y1 + y2) / 2], colour, 'rgba(0,0,0,.45)');
      }
    }

    // Unmatched (no offset yet, or the frame is older than what is kept): the newest, only without RTP timestamps.
    const usePts = rtpTimestamp === undefined ? undefined : framePts;
    let matchedAny = false;
    for (const [plugin, list] of this.#history) {
      if (rtpTimestamp !== undefined && usePts === undefined) break;
      const m = this.#detectionsAt(list, usePts);
      if (!m) continue;
      matchedAny = true;
      if (usePts !== undefined) {
        this.#totals.matches++;
        if (m.interpolated) this.#totals.interpolated++;
        this.#totals.lagTicks += tsDiff(usePts, m.pts);
      }
      for (const d of m.detections) {
        const [x, y] = px([d.box[0], d.box[1]]);
        const w = d.box[2] * rect.w;
        const h = d.box[3] * rect.h;
        if (d.label.startsWith('signal:')) {
          const s = d.label.slice(7);
          state.signal = s;
          ctx.strokeStyle = SIGNAL_COLOURS[s] ?? '#fff';
          ctx.lineWidth = 3;
          ctx.strokeRect(x - 3, y - 3, w + 6, h + 6);
          ctx.lineWidth = 2;
          this.#label(`● ${s.toUpperCase()}`, [rect.x + 8, rect.y + 8], '#fff', SIGNAL_COLOURS[s] ?? '#555');
        } else {
          const colour = d.label.includes('red-light') ? SIGNAL_COLOURS.red : colourOf(d.label.split(' ')[0]);
          ctx.strokeStyle = colour;
          ctx.strokeRect(x, y, w, h);
          this.#label(d.trackId !== undefined ? `${d.label} #${d.trackId}` : d.label, [x, y - 16], '#000', colour);
        }
        state.drawn.push({ plugin, label: d.label, trackId: d.trackId ?? null, box: d.box, pts: m.pts });
      }
    }
    if (matchedAny && usePts !== undefined) state.matched++;
    this.#state = state;
  }

  /** A text on a filled band at (x, y), kept inside the canvas so a box at the picture's edge keeps its label. */
  #label(text, [x, y], colour, background) {
    const ctx = this.#ctx;
    const w = ctx.measureText(text).width + 8;
    const cx = Math.max(0, Math.min(x, this.#canvas.clientWidth - w));
    const cy = Math.max(0, Math.min(y, this.#canvas.clientHeight - 16));
    ctx.fillStyle = background;
    ctx.fillRect(cx, cy, w, 16);
    ctx.fillStyle = colour;
    ctx.fillText(text, cx + 4, cy + 12);
  }
}
