/**
 * streamsight operator dashboard: live wall, events and their evidence, traffic and object
 * reports, health, and the zone editor, behind hash routes (#/, #/camera/:id, #/events,
 * #/events/:id, #/reports, #/health, #/zones[/:camera]).
 *
 * data-testid attributes (stable, for the e2e test and anyone scripting the page):
 *   nav-<wall|events|reports|health|zones>, header-online, header-events-today
 *   wall: wall-columns, wall-overlays, camera-tile-<id>, camera-state-<id>, camera-player-<id>,
 *         camera-fullscreen-<id>, camera-open-<id>, camera-view-<id> (single-camera page)
 *   events: filter-camera, filter-plugin, filter-type, filter-from, filter-to, filter-clear,
 *           export-csv, export-json, export-zip, event-row-<id>, events-next, events-prev,
 *           events-newer (live events waiting while not on the first page), events-empty
 *   evidence: evidence-view, evidence-image-<i>, evidence-snapshot, evidence-boxes (canvas),
 *             evidence-signal, evidence-attributes, evidence-download, evidence-lightbox
 *   reports: report-date, report-empty, report-gate-<gate>, report-busiest-gate,
 *            report-objects-camera, canvases carry data-chart="<chart id>" (window.streamsightCharts)
 *   health: health-summary, health-camera-<id>, health-plugin-<camera>-<plugin> (over-budget badge), health-detector
 *   zones: zone-camera, zone-plugin, zone-canvas, zone-refresh, zone-tool-select, zone-tool-polygon,
 *          zone-tool-line, zone-tool-lamp, zone-lamp-role, zone-name, zone-save, zone-revert, zone-status,
 *          zone-dirty, zone-item-<zone|line>-<name>, zone-rename-<zone|line>-<name> (then
 *          zone-rename-input-<zone|line>-<name>), zone-delete-<zone|line>-<name>
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../../player.js';
import './styles.css';
import { AUTH_REQUIRED, authToken, eventQuery, setAuthToken, type Camera, type EventPage } from './api';
import { startOfToday } from './format';
import { useLiveEvents, usePoll, useRoute } from './hooks';
import { Evidence } from './pages/Evidence';
import { Events } from './pages/Events';
import { Health } from './pages/Health';
import { Reports } from './pages/Reports';
import { CameraView, Wall } from './pages/Wall';
import { Zones } from './pages/Zones';

const SECTIONS = [
  { id: 'wall', href: '#/', label: 'Live wall' },
  { id: 'events', href: '#/events', label: 'Events' },
  { id: 'reports', href: '#/reports', label: 'Reports' },
  { id: 'health', href: '#/health', label: 'Health' },
  { id: 'zones', href: '#/zones', label: 'Zones' },
] as const;

/** Events since local midnight; the store bounds a page, so past 500 it says '500+'. */
function useEventsToday(): string {
  const [today] = useState(startOfToday);
  const polled = usePoll<EventPage>(`/api/events?${eventQuery({ from: today }, { limit: 500 })}`, 30000);
  const [live, setLive] = useState(0);
  // A fresh poll already includes the live ones counted so far.
  useEffect(() => setLive(0), [polled.data]);
  useLiveEvents((e) => e.startedAt >= today && setLive((n) => n + 1));
  if (!polled.data) return '…';
  return `${polled.data.events.length + live}${polled.data.next ? '+' : ''}`;
}

/** Asks for an API token once the server answers 401 (auth.tokens set); kept in this browser. */
function TokenGate() {
  const [asked, setAsked] = useState(false);
  const [value, setValue] = useState('');
  useEffect(() => {
    const ask = () => setAsked(true);
    window.addEventListener(AUTH_REQUIRED, ask);
    return () => window.removeEventListener(AUTH_REQUIRED, ask);
  }, []);
  if (!asked) return null;
  const save = (e: Event) => {
    e.preventDefault();
    setAuthToken(value.trim() || undefined);
    location.reload();
  };
  return (
    <div class="lightbox" role="dialog" data-testid="token-gate">
      <form class="card token-form" onSubmit={save}>
        <h2>Sign in</h2>
        <p class="muted">{authToken() ? 'The token was refused.' : 'This server asks for an API token.'} Paste one from <code>auth.tokens</code>; it stays in this browser.</p>
        <input type="password" autocomplete="current-password" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} data-testid="token-input" />
        <button type="submit" class="btn primary" data-testid="token-save">Sign in</button>
      </form>
    </div>
  );
}

function App() {
  const route = useRoute();
  const cameras = usePoll<Camera[]>('/api/cameras', 2000);
  const list = cameras.data ?? [];
  const online = list.filter((c) => c.state === 'online').length;
  const eventsToday = useEventsToday();
  const section = route[0] === 'camera' || route[0] === undefined ? 'wall' : route[0];

  let page;
  if (route[0] === 'camera' && route[1]) page = <CameraView cameras={list} id={route[1]} />;
  else if (route[0] === 'events' && route[1]) page = <Evidence id={route[1]} cameras={list} />;
  else if (route[0] === 'events') page = <Events cameras={list} />;
  else if (route[0] === 'reports') page = <Reports cameras={list} />;
  else if (route[0] === 'health') page = <Health cameras={list} camerasError={cameras.error} />;
  else if (route[0] === 'zones') page = <Zones cameras={list} camera={route[1]} />;
  else page = <Wall cameras={list} error={cameras.error} />;

  return (
    <>
      <header class="top">
        <a class="brand" href="#/">streamsight</a>
        <nav>
          {SECTIONS.map((s) => (
            <a key={s.id} href={s.href} class={section === s.id ? 'active' : ''} data-testid={`nav-${s.id}`}>
              {s.label}
            </a>
          ))}
        </nav>
        <div class="live-counts">
          <span data-testid="header-online" class={cameras.data && online < list.length ? 'warn' : ''}>
            <b>{cameras.data ? `${online}/${list.length}` : '…'}</b> cameras online
          </span>
          <span data-testid="header-events-today">
            <b>{eventsToday}</b> events today
          </span>
        </div>
      </header>
      <main class="page">{page}</main>
      <TokenGate />
    </>
  );
}

render(<App />, document.getElementById('app')!);
