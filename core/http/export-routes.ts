/**
 * Bulk export of stored events: `GET /api/export/events?format=json|csv|zip` with the filters of
 * `GET /api/events` (camera, plugin, type, from, to) or one event by `id`.
 *
 * - json: `{ events, count, truncated }`.
 * - csv: RFC 4180 (CRLF line ends, a field quoted when it holds `"`, `,`, CR or LF), one row per
 *   event; a text field that a spreadsheet would run as a formula gets a leading `'` (OWASP
 *   "CSV injection").
 * - zip: `events.json` (the json export) plus `<id>/snapshot.jpg`, `<id>/<index>-<label>.jpg` and `<id>/clip.mp4`
 *   per event, stored uncompressed (JPEGs do not shrink). Reply has no chunked writes, so the
 *   archive is built in memory and its images are capped at `maxImageBytes`; events whose images
 *   would pass the cap are left out, so every listed event comes with all its images.
 *
 * At most `maxEvents` events are exported, newest first; when more match (or the image cap cut
 * the list) the answer says so: header `X-Streamsight-Truncated: true` and `truncated: true`.
 *
 * Statuses: 400 a bad or unknown query parameter (the message names it), 404 an unknown `id`,
 * 503 the event store is not open yet (retry).
 */
import { zipSync, type Zippable } from 'fflate';
import { ProtocolError } from '../errors.js';
import { EVENT_ID, openStore } from './events-routes.js';
import { idParam, parseQuery, timeParam, type QueryValueParser } from './query.js';
import type { Headers, Reply } from './reply.js';
import type { Route } from './routes.js';
import type { EventQuery, EventStoreLike, ServerLike, StoredEventLike } from './types.js';

/** Most events one export holds. */
export const MAX_EXPORT_EVENTS = 10_000;

/** Most JPEG and clip bytes one zip export holds (the archive is built in memory). */
export const MAX_EXPORT_IMAGE_BYTES = 256 * 1024 * 1024;

/** Page size used to walk the store (its largest). */
const EXPORT_PAGE = 500;

/** Limits of `buildExportRoutes`; tests lower them. */
export interface ExportOptions {
  /** Most events per export; default MAX_EXPORT_EVENTS. */
  maxEvents?: number;
  /** Most JPEG bytes per zip export; default MAX_EXPORT_IMAGE_BYTES. */
  maxImageBytes?: number;
}

/** The export formats. */
export type ExportFormat = 'json' | 'csv' | 'zip';

/** The CSV columns, in order. */
export const CSV_COLUMNS = ['id', 'startedAt', 'endedAt', 'camera', 'plugin', 'type', 'severity', 'zone', 'trackId', 'evidence', 'attributes'] as const;

const formatParam: QueryValueParser<ExportFormat> = (value, name) => {
  if (value !== 'json' && value !== 'csv' && value !== 'zip') throw new ProtocolError(`${name}: expected json, csv or zip`);
  return value;
};

const eventIdParam: QueryValueParser<string> = (value, name) => {
  if (!EVENT_ID.test(value)) throw new ProtocolError(`${name}: expected an event id of 1 to 128 characters from A-Z a-z 0-9 _ . : -`);
  return value;
};

const EXPORT_QUERY = {
  format: formatParam,
  camera: idParam,
  plugin: idParam,
  type: idParam,
  from: timeParam,
  to: timeParam,
  id: eventIdParam,
};

/** The events chosen for one export. */
interface Selection {
  events: StoredEventLike[];
  truncated: boolean;
}

/** The export route for `server`. */
export function buildExportRoutes(server: ServerLike, options: ExportOptions = {}): Route[] {
  const maxEvents = options.maxEvents ?? MAX_EXPORT_EVENTS;
  const maxImageBytes = options.maxImageBytes ?? MAX_EXPORT_IMAGE_BYTES;
  return [
    {
      pattern: '/api/export/events',
      methods: {
        GET: async (reply, req) => {
          // uWS requests live only until the first await: parse now.
          const { format = 'json', id, ...filters } = parseQuery(req.getQuery(), EXPORT_QUERY);
          if (filters.from !== undefined && filters.to !== undefined && filters.from > filters.to) throw new ProtocolError('from: later than to');
          if (id !== undefined && Object.keys(filters).length > 0) {
            throw new ProtocolError(`id: cannot be combined with ${Object.keys(filters).join(', ')} (it names one event)`);
          }
          const store = openStore(server, reply);
          if (!store) return;
          let selection: Selection;
          if (id !== undefined) {
            const event = store.get(id);
            if (!event) {
              reply.error(404, `unknown event '${id}'`);
              return;
            }
            selection = { events: [event], truncated: false };
          } else {
            selection = await collectEvents(store, filters, maxEvents, reply);
          }
          if (!reply.open) return;
          const name = id === undefined ? 'events' : `event-${safeName(id)}`;
          if (format === 'json') {
            reply.json(200, exportJson(selection), attachment(`${name}.json`, selection.truncated));
          } else if (format === 'csv') {
            reply.send(200, toCsv(selection.events), {
              'Content-Type': 'text/csv; charset=utf-8; header=present',
              ...attachment(`${name}.csv`, selection.truncated),
            });
          } else {
            const zip = await buildZip(store, selection, maxImageBytes, reply);
            reply.send(200, zip.bytes, { 'Content-Type': 'application/zip', ...attachment(`${name}.zip`, zip.truncated) });
          }
        },
      },
    },
  ];
}

/**
 * Walks the store's pages (newest first) until `max` events are in hand. One event past `max` is
 * looked for, so `truncated` is only set when more really match; a page may be short or empty
 * and still carry `next` (the store bounds the work of one query), so `next` alone ends the walk.
 * Yields to the event loop between pages so a large export does not stall the media path.
 */
async function collectEvents(store: EventStoreLike, filters: Omit<EventQuery, 'cursor' | 'limit'>, max: number, reply: Reply): Promise<Selection> {
  const events: StoredEventLike[] = [];
  let cursor: string | undefined;
  do {
    const page = store.query({ ...filters, limit: Math.min(EXPORT_PAGE, max + 1 - events.length), ...(cursor === undefined ? {} : { cursor }) });
    events.push(...page.events);
    cursor = page.next;
    if (cursor !== undefined) await yieldToLoop();
  } while (cursor !== undefined && events.length <= max && reply.open);
  const truncated = events.length > max;
  return { events: truncated ? events.slice(0, max) : events, truncated };
}

/** The json export's body (also `events.json` in the zip). */
function exportJson(selection: Selection): { events: StoredEventLike[]; count: number; truncated: boolean } {
  return { events: selection.events, count: selection.events.length, truncated: selection.truncated };
}

/** Builds the zip: `events.json` listing the events whose images fit under the byte cap, then those images. */
async function buildZip(store: EventStoreLike, selection: Selection, maxImageBytes: number, reply: Reply): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const files: Zippable = {};
  const kept: StoredEventLike[] = [];
  let imageBytes = 0;
  let truncated = selection.truncated;
  for (const [n, event] of selection.events.entries()) {
    const images: Array<[string, Uint8Array]> = [];
    const dir = safeName(event.id);
    const snapshot = event.hasSnapshot ? store.snapshot(event.id) : undefined;
    if (snapshot) images.push([`${dir}/snapshot.jpg`, snapshot]);
    for (const [i, entry] of (event.evidence ?? []).entries()) {
      const jpeg = store.evidence(event.id, i);
      if (jpeg) images.push([`${dir}/${i}-${safeName(entry.label)}.jpg`, jpeg]);
    }
    const clip = event.clip ? store.clip?.(event.id) : undefined;
    if (clip) images.push([`${dir}/clip.mp4`, clip]);
    const bytes = images.reduce((sum, [, jpeg]) => sum + jpeg.length, 0);
    if (imageBytes + bytes > maxImageBytes) {
      truncated = true;
      break;
    }
    imageBytes += bytes;
    for (const [path, jpeg] of images) files[path] = jpeg;
    kept.push(event);
    if (n % 100 === 99) {
      await yieldToLoop();
      if (!reply.open) break;
    }
  }
  const json = new TextEncoder().encode(JSON.stringify(exportJson({ events: kept, truncated }), null, 2));
  // events.json first, so a reader listing the archive sees it at the top.
  return { bytes: zipSync({ 'events.json': [json, { level: 6 }], ...files }, { level: 0 }), truncated };
}

/** The events as RFC 4180 CSV with a header row and CRLF line ends. */
export function toCsv(events: readonly StoredEventLike[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of events) {
    lines.push([
      csvText(e.id),
      new Date(e.startedAt).toISOString(),
      e.endedAt === undefined ? '' : new Date(e.endedAt).toISOString(),
      csvText(e.camera),
      csvText(e.plugin),
      csvText(e.type),
      csvText(e.severity),
      csvText(e.zone ?? ''),
      // Numbers and ISO times are formatted here, never a formula: only text from plugins is neutralised.
      e.trackId === undefined ? '' : String(e.trackId),
      String(e.evidence?.length ?? 0),
      e.attributes === undefined ? '' : csvText(JSON.stringify(e.attributes)),
    ].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * One text field: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` so a spreadsheet shows it
 * instead of running it (OWASP CSV injection), then quoted if it holds `"`, `,`, CR or LF
 * (RFC 4180 §2.6, quotes doubled per §2.7).
 */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A name safe as a zip path segment or a Content-Disposition filename. */
function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Download headers, never cached (the store changes by the second). */
function attachment(filename: string, truncated: boolean): Headers {
  return {
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Streamsight-Truncated': String(truncated),
  };
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
