/**
 * Events (#/events): filters, a paged table (the server's opaque `next` cursor; earlier cursors
 * are kept so Previous needs no server support), live events from /ws prepended with a highlight
 * while the first page is shown, and export links carrying the same filters.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { authed, eventQuery, getJson, matchesFilters, type Camera, type EventFilters, type EventPage, type PluginStats, type StoredEvent } from '../api';
import { fromDateTimeLocal, shortTime } from '../format';
import { hashParams, setHashParams, useLiveEvents, usePoll } from '../hooks';

const PAGE_SIZE = 50;
/** Most live events kept on top of the first page before the oldest fall off. */
const MAX_LIVE = 200;

interface FilterForm {
  camera: string;
  plugin: string;
  type: string;
  from: string;
  to: string;
}

const FIELDS = ['camera', 'plugin', 'type', 'from', 'to'] as const;

function formFromHash(): FilterForm {
  const q = hashParams();
  return { camera: q.get('camera') ?? '', plugin: q.get('plugin') ?? '', type: q.get('type') ?? '', from: q.get('from') ?? '', to: q.get('to') ?? '' };
}

function toFilters(f: FilterForm): EventFilters {
  return {
    camera: f.camera || undefined,
    plugin: f.plugin || undefined,
    type: f.type.trim() || undefined,
    from: fromDateTimeLocal(f.from),
    // datetime-local has minute precision: 'to' means through the end of that minute.
    to: f.to ? (fromDateTimeLocal(f.to) ?? 0) + 59_999 : undefined,
  };
}

/** The image that best shows the event: its snapshot, else the evidence image taken at the event. */
export function thumbnail(e: StoredEvent): string | undefined {
  const base = `/api/events/${encodeURIComponent(e.id)}`;
  if (e.hasSnapshot) return authed(`${base}/snapshot.jpg`);
  const i = atIndex(e);
  return i === undefined ? undefined : authed(`${base}/evidence/${i}.jpg`);
}

/** Index of the evidence image labelled 'at' (the moment of the event), else the last one. */
export function atIndex(e: StoredEvent): number | undefined {
  const list = e.evidence ?? [];
  if (!list.length) return undefined;
  const at = list.findIndex((x) => x.label === 'at');
  return at >= 0 ? at : list.length - 1;
}

/** The severity as a coloured pill. */
export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

/** #/events — the filtered, paged, live event list. */
export function Events({ cameras }: { cameras: Camera[] }) {
  const [form, setForm] = useState<FilterForm>(formFromHash);
  const filters = useMemo(() => toFilters(form), [form]);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<EventPage>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState<StoredEvent[]>([]);
  const [waiting, setWaiting] = useState(0);
  const [typesSeen, setTypesSeen] = useState<Set<string>>(new Set());
  const plugins = usePoll<PluginStats[]>('/api/plugins', 0);
  const pageIndex = cursors.length - 1;
  const cursor = cursors[pageIndex];

  useEffect(() => {
    const q = new URLSearchParams();
    for (const k of FIELDS) if (form[k]) q.set(k, form[k]);
    setHashParams(q);
  }, [form]);

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    getJson<EventPage>(`/api/events?${eventQuery(filters, { cursor, limit: PAGE_SIZE })}`, ctl.signal)
      .then((p) => {
        setPage(p);
        setError(undefined);
        setTypesSeen((s) => new Set([...s, ...p.events.map((e) => e.type)]));
      })
      .catch((err: Error) => !ctl.signal.aborted && setError(err.message))
      .finally(() => !ctl.signal.aborted && setLoading(false));
    return () => ctl.abort();
  }, [filters, cursor]);

  useLiveEvents((e) => {
    setTypesSeen((s) => (s.has(e.type) ? s : new Set([...s, e.type])));
    if (!matchesFilters(e, filters)) return;
    if (pageIndex === 0) setLive((l) => [e, ...l.filter((x) => x.id !== e.id)].slice(0, MAX_LIVE));
    else setWaiting((n) => n + 1);
  });

  const update = (patch: Partial<FilterForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setCursors([undefined]);
    setLive([]);
    setWaiting(0);
  };
  const toFirst = () => {
    setCursors([undefined]);
    setLive([]);
    setWaiting(0);
  };

  const liveIds = new Set(live.map((e) => e.id));
  const rows = pageIndex === 0 ? [...live, ...(page?.events ?? []).filter((e) => !liveIds.has(e.id))] : page?.events ?? [];
  const names = new Map(cameras.map((c) => [c.id, c.name ?? c.id]));
  const pluginNames = [...new Set((plugins.data ?? []).map((p) => p.plugin))].sort();
  const exportHref = (format: string) => authed(`/api/export/events?${eventQuery(filters, { format })}`);

  return (
    <section>
      <div class="toolbar">
        <h1>Events</h1>
        {loading && <span class="muted">loading…</span>}
        <span class="spacer" />
        <a class="btn" href={exportHref('csv')} download data-testid="export-csv">Export CSV</a>
        <a class="btn" href={exportHref('json')} download data-testid="export-json">Export JSON</a>
        <a class="btn" href={exportHref('zip')} download data-testid="export-zip">Evidence ZIP</a>
      </div>
      <form class="filters card" onSubmit={(e) => e.preventDefault()}>
        <label>Camera
          <select value={form.camera} onChange={(e) => update({ camera: (e.target as HTMLSelectElement).value })} data-testid="filter-camera">
            <option value="">all</option>
            {cameras.map((c) => <option key={c.id} value={c.id}>{c.name ?? c.id}</option>)}
          </select>
        </label>
        <label>Plugin
          <select value={form.plugin} onChange={(e) => update({ plugin: (e.target as HTMLSelectElement).value })} data-testid="filter-plugin">
            <option value="">all</option>
            {pluginNames.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
        <label>Type
          <input list="event-types" value={form.type} placeholder="any" onChange={(e) => update({ type: (e.target as HTMLInputElement).value })} data-testid="filter-type" />
          <datalist id="event-types">{[...typesSeen].sort().map((t) => <option key={t} value={t} />)}</datalist>
        </label>
        <label>From
          <input type="datetime-local" value={form.from} onChange={(e) => update({ from: (e.target as HTMLInputElement).value })} data-testid="filter-from" />
        </label>
        <label>To
          <input type="datetime-local" value={form.to} onChange={(e) => update({ to: (e.target as HTMLInputElement).value })} data-testid="filter-to" />
        </label>
        <button type="button" class="btn ghost" onClick={() => update({ camera: '', plugin: '', type: '', from: '', to: '' })} data-testid="filter-clear">Clear</button>
      </form>
      {error && <p class="alert">{error}</p>}
      {waiting > 0 && (
        <button type="button" class="btn newer" onClick={toFirst} data-testid="events-newer">{waiting} newer event{waiting > 1 ? 's' : ''} — show</button>
      )}
      <table class="grid events">
        <thead>
          <tr><th /><th>Time</th><th>Camera</th><th>Plugin</th><th>Type</th><th>Severity</th><th>Zone</th><th>Track</th></tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id} class={`clickable${liveIds.has(e.id) ? ' fresh' : ''}`} data-testid={`event-row-${e.id}`} onClick={() => (location.hash = `#/events/${encodeURIComponent(e.id)}`)}>
              <td class="thumb">
                {thumbnail(e) ? <img src={thumbnail(e)} loading="lazy" alt="" width={96} height={54} /> : <span class="no-thumb" />}
              </td>
              <td title={new Date(e.startedAt).toISOString()}>{shortTime(e.startedAt)}</td>
              <td>{names.get(e.camera) ?? e.camera}</td>
              <td>{e.plugin}</td>
              <td><a href={`#/events/${encodeURIComponent(e.id)}`} onClick={(ev) => ev.stopPropagation()}>{e.type}</a></td>
              <td><SeverityBadge severity={e.severity} /></td>
              <td>{e.zone ?? '—'}</td>
              <td>{e.trackId !== undefined ? `#${e.trackId}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && rows.length === 0 && <p class="empty" data-testid="events-empty">No events match these filters.</p>}
      <div class="pager">
        <button type="button" class="btn" disabled={pageIndex === 0} onClick={() => setCursors((c) => c.slice(0, -1))} data-testid="events-prev">← Previous</button>
        <span class="muted">page {pageIndex + 1}</span>
        <button type="button" class="btn" disabled={!page?.next} onClick={() => setCursors((c) => [...c, page!.next!])} data-testid="events-next">Next →</button>
      </div>
    </section>
  );
}
