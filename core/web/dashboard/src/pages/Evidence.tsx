/**
 * Evidence (#/events/:id): everything an operator needs to judge one event — the evidence images
 * in order (the server has already drawn the track and the signal into them), the snapshot with
 * the event's boxes drawn over it, when and where, the plugin's attributes, and a zip to hand on.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { authed, type Camera, type Detection, type StoredEvent } from '../api';
import { attrText, localDateTime } from '../format';
import { usePoll } from '../hooks';
import { SeverityBadge } from './Events';

/** An attribute as text; epoch-ms times (keys ending in 'At') also in local time. */
function attrValue(key: string, v: unknown): string {
  if (typeof v === 'number' && /At$/.test(key) && v > 1e12) return `${localDateTime(v)} (${Math.round(v)})`;
  return attrText(v);
}

/** Draws `boxes` ([x, y, w, h] normalised) over the snapshot, in the canvas's own pixel grid. */
function drawBoxes(canvas: HTMLCanvasElement, img: HTMLImageElement, boxes: Detection[]): void {
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const w = canvas.width;
  const h = canvas.height;
  const line = Math.max(2, Math.round(w / 320));
  ctx.lineWidth = line;
  ctx.font = `${Math.max(12, Math.round(w / 60))}px system-ui, sans-serif`;
  ctx.textBaseline = 'bottom';
  for (const d of boxes) {
    const [x, y, bw, bh] = d.box;
    ctx.strokeStyle = '#ffcc00';
    ctx.strokeRect(x * w, y * h, bw * w, bh * h);
    const label = d.trackId !== undefined ? `${d.label} #${d.trackId}` : d.label;
    const tw = ctx.measureText(label).width + 8;
    const th = parseInt(ctx.font, 10) + 4;
    const ty = Math.max(th, y * h);
    ctx.fillStyle = 'rgba(0,0,0,.7)';
    ctx.fillRect(x * w, ty - th, tw, th);
    ctx.fillStyle = '#ffcc00';
    ctx.fillText(label, x * w + 4, ty - 2);
  }
}

function nearestEvidence(e: StoredEvent): number {
  const list = e.evidence ?? [];
  let best = 0;
  list.forEach((x, i) => Math.abs(x.capturedAt - e.startedAt) < Math.abs(list[best]!.capturedAt - e.startedAt) && (best = i));
  return best;
}

/** The snapshot with the event's boxes drawn over it; without a snapshot, the evidence image taken at the event. */
function Snapshot({ event }: { event: StoredEvent }) {
  const img = useRef<HTMLImageElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const base = `/api/events/${encodeURIComponent(event.id)}`;
  // The boxes belong to the moment the event started: draw them on the image nearest to it.
  const at = nearestEvidence(event);
  const src = authed(event.hasSnapshot ? `${base}/snapshot.jpg` : `${base}/evidence/${at}.jpg`);
  const paint = () => img.current && canvas.current && drawBoxes(canvas.current, img.current, event.boxes ?? []);
  useEffect(() => {
    if (img.current?.complete && img.current.naturalWidth) paint();
  }, [event]);
  return (
    <figure class="snapshot">
      <div class="overlay-stack">
        <img ref={img} src={src} alt="snapshot" onLoad={paint} data-testid="evidence-snapshot" />
        <canvas ref={canvas} data-testid="evidence-boxes" />
      </div>
      <figcaption>
        <b>{event.hasSnapshot ? 'Snapshot' : `Evidence '${event.evidence![at!]!.label}'`} with the event's {event.boxes?.length ?? 0} detection box{event.boxes?.length === 1 ? '' : 'es'}</b>
      </figcaption>
    </figure>
  );
}

/** The signal state as a lamp-coloured badge (red-light events carry attributes.signal). */
function SignalBadge({ signal }: { signal: unknown }) {
  const s = String(signal);
  return <span class={`badge signal signal-${s}`} data-testid="evidence-signal">signal {s}</span>;
}

function Lightbox({ src, caption, close }: { src: string; caption: string; close: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="lightbox" onClick={close} data-testid="evidence-lightbox" role="dialog">
      <img src={src} alt={caption} />
      <p>{caption} — click or Esc to close</p>
    </div>
  );
}

/** The event's video clip, opened at the moment of the event. */
function Clip({ event, src }: { event: StoredEvent; src: string }) {
  const clip = event.clip!;
  const at = Math.max(0, (event.startedAt - clip.startedAt) / 1000);
  return (
    <figure class="evidence-image evidence-clip">
      <video src={src} controls muted playsInline preload="auto" data-testid="evidence-clip"
        onLoadedMetadata={(e) => { (e.currentTarget as HTMLVideoElement).currentTime = at; }} />
      <figcaption>
        <b>Video</b> <span class="muted">{localDateTime(clip.startedAt)} – {localDateTime(clip.endedAt)} · the event at {at.toFixed(1)} s</span>{' '}
        <a href={src} download={`${event.id}.mp4`}>Download MP4</a>
      </figcaption>
    </figure>
  );
}

/** #/events/:id — one event's evidence. */
export function Evidence({ id, cameras }: { id: string; cameras: Camera[] }) {
  const { data: event, error } = usePoll<StoredEvent>(`/api/events/${encodeURIComponent(id)}`, 0);
  const [enlarged, setEnlarged] = useState<{ src: string; caption: string }>();
  if (error) return <section><a href="#/events" class="back">← Events</a><p class="alert">{error}</p></section>;
  if (!event) return <section><p class="muted">Loading…</p></section>;
  const camera = cameras.find((c) => c.id === event.camera);
  const base = `/api/events/${encodeURIComponent(event.id)}`;
  const attrs = Object.entries(event.attributes ?? {});
  const signal = event.attributes?.signal;
  return (
    <section data-testid="evidence-view">
      <div class="toolbar">
        <a href="#/events" class="back">← Events</a>
        <h1>{event.type}</h1>
        <SeverityBadge severity={event.severity} />
        {signal !== undefined && <SignalBadge signal={signal} />}
        <span class="spacer" />
        <a class="btn primary" href={authed(`/api/export/events?format=zip&id=${encodeURIComponent(event.id)}`)} download data-testid="evidence-download">Download evidence (zip)</a>
      </div>
      <div class="evidence-layout">
        <div class="evidence-images">
          {event.clip && <Clip event={event} src={authed(`${base}/clip.mp4`)} />}
          {(event.evidence ?? []).map((ev, i) => {
            const src = authed(`${base}/evidence/${i}.jpg`);
            const caption = `${ev.label} · ${localDateTime(ev.capturedAt)}`;
            return (
              <figure key={i} class="evidence-image">
                <img src={src} alt={ev.label} data-testid={`evidence-image-${i}`} onClick={() => setEnlarged({ src, caption })} />
                <figcaption><b>{i + 1}. {ev.label}</b> <span class="muted" title={new Date(ev.capturedAt).toISOString()}>{localDateTime(ev.capturedAt)}</span></figcaption>
              </figure>
            );
          })}
          {!event.evidence?.length && <p class="empty">This event has no evidence images.</p>}
          {(event.hasSnapshot || (!!event.evidence?.length && !!event.boxes?.length)) && <Snapshot event={event} />}
        </div>
        <aside class="card facts-panel">
          <h2>When</h2>
          <dl class="kv">
            <dt>Started</dt><dd>{localDateTime(event.startedAt)}<br /><code>{new Date(event.startedAt).toISOString()}</code></dd>
            {event.endedAt !== undefined && <><dt>Ended</dt><dd>{localDateTime(event.endedAt)}<br /><code>{new Date(event.endedAt).toISOString()}</code></dd></>}
          </dl>
          <h2>Where</h2>
          <dl class="kv">
            <dt>Camera</dt><dd>{camera?.name ?? event.camera} <code>{event.camera}</code></dd>
            {camera?.location && <><dt>Location</dt><dd>{camera.location}</dd></>}
            <dt>Zone</dt><dd>{event.zone ?? '—'}</dd>
          </dl>
          <h2>What</h2>
          <dl class="kv">
            <dt>Plugin</dt><dd>{event.plugin}</dd>
            <dt>Type</dt><dd>{event.type}</dd>
            <dt>Severity</dt><dd><SeverityBadge severity={event.severity} /></dd>
            <dt>Track</dt><dd>{event.trackId !== undefined ? `#${event.trackId}` : '—'}</dd>
            <dt>Event id</dt><dd><code>{event.id}</code></dd>
          </dl>
          <h2>Attributes</h2>
          {attrs.length ? (
            <table class="grid compact" data-testid="evidence-attributes">
              <tbody>{attrs.map(([k, v]) => <tr key={k}><th>{k}</th><td>{attrValue(k, v)}</td></tr>)}</tbody>
            </table>
          ) : <p class="muted">none</p>}
        </aside>
      </div>
      {enlarged && <Lightbox {...enlarged} close={() => setEnlarged(undefined)} />}
    </section>
  );
}
