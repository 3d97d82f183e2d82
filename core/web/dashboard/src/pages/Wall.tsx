/**
 * The live wall (#/): every camera as a card with its player, state and stream facts; and the
 * single-camera view (#/camera/:id). The players reconnect by themselves; the card's state comes
 * from the 2 s /api/cameras poll so an offline camera shows it even while its last frame lingers.
 */
import { useRef } from 'preact/hooks';
import { authToken, type Camera } from '../api';
import { bitrate, num } from '../format';
import { useStored } from '../hooks';

const COLUMN_CHOICES = ['auto', '1', '2', '3', '4'] as const;

/** The state badge: online green, connecting amber, offline red, idle grey. */
export function StateBadge({ camera }: { camera: Camera }) {
  return (
    <span class={`badge state-${camera.state}`} data-testid={`camera-state-${camera.id}`}>
      {camera.state}
    </span>
  );
}

function Facts({ camera }: { camera: Camera }) {
  const size = camera.width && camera.height ? `${camera.width}×${camera.height}` : '—';
  return (
    <dl class="facts">
      <div><dt>codec</dt><dd>{camera.codec ?? '—'}</dd></div>
      <div><dt>size</dt><dd>{size}</dd></div>
      <div><dt>fps</dt><dd>{num(camera.fps)}</dd></div>
      <div><dt>bitrate</dt><dd>{bitrate(camera.bitrateBps)}</dd></div>
      <div><dt>viewers</dt><dd>{camera.viewers}</dd></div>
      <div><dt>reconnects</dt><dd>{camera.reconnects}</dd></div>
    </dl>
  );
}

/** One camera card; `large` is the single-camera view. */
function CameraCard({ camera, overlays, large }: { camera: Camera; overlays: boolean; large?: boolean }) {
  const card = useRef<HTMLElement>(null);
  const down = camera.state === 'offline' || camera.state === 'connecting';
  const fullscreen = () => {
    const el = card.current;
    if (!el) return;
    if (document.fullscreenElement === el) void document.exitFullscreen();
    else void el.requestFullscreen?.().catch(() => undefined);
  };
  return (
    <article ref={card} class={`card camera-card ${camera.state}${large ? ' large' : ''}`} data-testid={large ? `camera-view-${camera.id}` : `camera-tile-${camera.id}`}>
      <header>
        <h2 title={camera.id}>
          {camera.name ?? camera.id}
          {camera.location && <small> · {camera.location}</small>}
        </h2>
        <StateBadge camera={camera} />
        {!large && (
          <a class="icon-btn" href={`#/camera/${encodeURIComponent(camera.id)}`} title="Open this camera" data-testid={`camera-open-${camera.id}`}>⤢</a>
        )}
        <button type="button" class="icon-btn" onClick={fullscreen} title="Full screen" data-testid={`camera-fullscreen-${camera.id}`}>
          <svg width="15" height="15" viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" /></svg>
        </button>
      </header>
      <div class="video-wrap">
        <streamsight-player
          camera={camera.id}
          token={authToken()}
          overlays={overlays ? '' : undefined}
          muted=""
          autoplay=""
          controls={large ? '' : undefined}
          data-testid={`camera-player-${camera.id}`}
        />
        {down && (
          <div class={`video-banner ${camera.state}`}>
            {camera.state === 'offline' ? 'Camera offline — reconnecting' : 'Connecting to camera…'}
          </div>
        )}
      </div>
      {camera.lastError && camera.state !== 'online' && <p class="card-error" title={camera.lastError}>{camera.lastError}</p>}
      <Facts camera={camera} />
    </article>
  );
}

/** The overlays switch, shared by the wall and the single-camera view. */
function OverlayToggle({ on, set }: { on: boolean; set: (v: boolean) => void }) {
  return (
    <label class="toggle" data-testid="wall-overlays">
      <input type="checkbox" checked={on} onChange={(e) => set((e.target as HTMLInputElement).checked)} /> Overlays
    </label>
  );
}

/** #/ — the grid of every camera. */
export function Wall({ cameras, error }: { cameras: Camera[]; error?: string }) {
  const [columns, setColumns] = useStored<string>('streamsight.wall.columns', 'auto');
  const [overlays, setOverlays] = useStored<boolean>('streamsight.wall.overlays', true);
  const style = columns === 'auto' ? undefined : { gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` };
  return (
    <section>
      <div class="toolbar">
        <h1>Live wall</h1>
        <span class="muted">{cameras.length} cameras</span>
        <span class="spacer" />
        <label>
          Columns{' '}
          <select value={columns} onChange={(e) => setColumns((e.target as HTMLSelectElement).value)} data-testid="wall-columns">
            {COLUMN_CHOICES.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <OverlayToggle on={overlays} set={setOverlays} />
      </div>
      {error && <p class="alert">Cannot list cameras: {error}</p>}
      {!error && cameras.length === 0 && <p class="empty">No cameras configured.</p>}
      <div class="wall" style={style}>
        {cameras.map((c) => <CameraCard key={c.id} camera={c} overlays={overlays} />)}
      </div>
    </section>
  );
}

/** #/camera/:id — one camera, large, with its stream facts. */
export function CameraView({ cameras, id }: { cameras: Camera[]; id: string }) {
  const [overlays, setOverlays] = useStored<boolean>('streamsight.wall.overlays', true);
  const camera = cameras.find((c) => c.id === id);
  return (
    <section>
      <div class="toolbar">
        <a href="#/" class="back">← Wall</a>
        <h1>{camera?.name ?? id}</h1>
        <span class="spacer" />
        <a href={`#/events?camera=${encodeURIComponent(id)}`}>Events of this camera</a>
        <OverlayToggle on={overlays} set={setOverlays} />
      </div>
      {camera ? <CameraCard camera={camera} overlays={overlays} large /> : <p class="empty">{cameras.length ? `No camera '${id}'.` : 'Loading…'}</p>}
    </section>
  );
}
