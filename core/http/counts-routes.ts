/**
 * The count API: traffic counts per minute, hour or day for a camera or a gate (JSON or CSV), the
 * city's daily traffic report, and the daily statistics of the objects each camera saw.
 *
 *   GET /api/counts?camera=ID|gate=ID&from=T&to=T&bucket=minute|hour|day[&format=csv]
 *       from/to: ISO 8601 with a zone, or epoch ms; default the last 24 hours; buckets whose start
 *       lies in [from, to], the first one rounded down to its bucket
 *   GET /api/reports/traffic?date=YYYY-MM-DD            the day in the server's time zone
 *   GET /api/reports/objects?date=YYYY-MM-DD[&camera=ID] objects per class, per hour; every camera
 *       that saw any, or the one asked for
 *
 * Statuses: 400 a bad or unknown parameter (the message names it), 404 an unknown camera, 503 the
 * count store not open.
 */
import { bucketStart, COUNT_BUCKETS, objectsReport, trafficReport, type CountBucket, type CountRow } from '../events/counts.js';
import { ProtocolError } from '../errors.js';
import { idParam, parseQuery, timeParam, type QueryValueParser } from './query.js';
import type { Reply } from './reply.js';
import type { Route } from './routes.js';
import type { CountStoreLike, ServerLike } from './types.js';

const DAY_MS = 86_400_000;
/** Longest range one request may cover, so a minute query cannot ask for years of rows. */
const MAX_RANGE_MS: Record<CountBucket, number> = { minute: 7 * DAY_MS, hour: 93 * DAY_MS, day: 3 * 366 * DAY_MS };

const bucketParam: QueryValueParser<CountBucket> = (value, name) => {
  if (!(COUNT_BUCKETS as readonly string[]).includes(value)) throw new ProtocolError(`${name}: expected one of ${COUNT_BUCKETS.join(', ')}`);
  return value as CountBucket;
};
const formatParam: QueryValueParser<'json' | 'csv'> = (value, name) => {
  if (value !== 'json' && value !== 'csv') throw new ProtocolError(`${name}: expected json or csv`);
  return value;
};
const dateParam: QueryValueParser<[number, number, number]> = (value, name) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const d = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
  if (!m || !d || d.getFullYear() !== Number(m[1]) || d.getMonth() !== Number(m[2]) - 1 || d.getDate() !== Number(m[3])) {
    throw new ProtocolError(`${name}: expected a date YYYY-MM-DD`);
  }
  return [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
};

const COUNTS_QUERY = { camera: idParam, gate: idParam, from: timeParam, to: timeParam, bucket: bucketParam, format: formatParam };

/** The routes of the count API for `server`. */
export function buildCountRoutes(server: ServerLike): Route[] {
  return [
    {
      pattern: '/api/counts',
      methods: {
        GET: (reply, req) => {
          const q = parseQuery(req.getQuery(), COUNTS_QUERY);
          if (q.camera !== undefined && q.gate !== undefined) throw new ProtocolError('camera, gate: give one of them, not both');
          const bucket = q.bucket ?? 'hour';
          const to = q.to ?? Date.now();
          const from = q.from ?? to - DAY_MS;
          if (from > to) throw new ProtocolError('from: later than to');
          if (to - from > MAX_RANGE_MS[bucket]) throw new ProtocolError(`from, to: at most ${MAX_RANGE_MS[bucket] / DAY_MS} days of ${bucket} buckets per request`);
          const store = openCounts(server, reply);
          if (!store) return;
          const rows = store.query({ camera: q.camera, gate: q.gate, bucket, from: bucketStart(bucket, from), to });
          if (q.format === 'csv') {
            reply.send(200, toCsv(rows), { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="counts-${bucket}.csv"` });
          } else {
            reply.json(200, { bucket, from, to, counts: rows.map((r) => ({ ...r, startIso: new Date(r.start).toISOString() })) });
          }
        },
      },
    },
    {
      pattern: '/api/reports/traffic',
      methods: {
        GET: (reply, req) => {
          const q = parseQuery(req.getQuery(), { date: dateParam });
          if (!q.date) throw new ProtocolError('date: required, YYYY-MM-DD');
          const store = openCounts(server, reply);
          if (!store) return;
          const { date, from, to } = localDay(q.date);
          reply.json(200, trafficReport(date, store.query({ bucket: 'hour', from, to })));
        },
      },
    },
    {
      pattern: '/api/reports/objects',
      methods: {
        GET: (reply, req) => {
          const q = parseQuery(req.getQuery(), { camera: idParam, date: dateParam });
          if (!q.date) throw new ProtocolError('date: required, YYYY-MM-DD');
          if (q.camera !== undefined && !server.camera(q.camera)) {
            reply.error(404, `unknown camera '${q.camera}'`);
            return;
          }
          const store = openCounts(server, reply);
          if (!store) return;
          const { date, from, to } = localDay(q.date);
          const rows = store.queryObjects({ bucket: 'hour', from, to, ...(q.camera !== undefined ? { camera: q.camera } : {}) });
          reply.json(200, objectsReport(date, rows, q.camera !== undefined ? { camera: q.camera } : {}));
        },
      },
    },
  ];
}

/** The day's name and its first and last epoch ms in the server's time zone (23 or 25 hours long on a DST change). */
function localDay([y, m, d]: [number, number, number]): { date: string; from: number; to: number } {
  return {
    date: `${y}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    from: new Date(y, m, d).getTime(),
    to: new Date(y, m, d + 1).getTime() - 1,
  };
}

/** RFC 4180 CSV, one row per bucket; ids are [A-Za-z0-9_.-] so no field needs quoting except labels. */
function toCsv(rows: readonly CountRow[]): string {
  const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['start,bucket,camera,gate,line,class,direction,count'];
  for (const r of rows) {
    lines.push([new Date(r.start).toISOString(), r.bucket, r.camera, r.gate ?? '', r.line, r.cls, r.direction, String(r.count)].map(field).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function openCounts(server: ServerLike, reply: Reply): CountStoreLike | undefined {
  const store = server.counts;
  if (!store) reply.error(503, 'the count store is not open', { 'Retry-After': '1' });
  return store;
}
