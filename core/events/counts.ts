/**
 * Vehicle counts: every counting-line crossing increments its minute, hour and day buckets in one
 * LMDB transaction, so a report over a day reads 24 hour rows per line and class instead of every
 * crossing. A crossing is acknowledged only once that transaction is committed: a restart neither
 * loses the current hour nor counts anything twice (the counting plugin counts a vehicle once per
 * line; this store adds exactly what it is given).
 *
 *   counts   [bucket, start, camera, line, cls, direction] → { count, gate }
 *
 * Bucket starts are epoch ms of the minute, hour or day start in the server's local time zone (TZ),
 * which is the time zone the city's reports are read in.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { InvalidStateError, ProtocolError } from '../errors.js';

export type CountBucket = 'minute' | 'hour' | 'day';
export const COUNT_BUCKETS: readonly CountBucket[] = ['minute', 'hour', 'day'];

/** One vehicle crossing one counting line. */
export interface Crossing {
  camera: string;
  /** The gate the camera belongs to, if any. */
  gate?: string;
  line: string;
  /** Vehicle class: motorbike, car, truck, bus, or a detector's own label. */
  cls: string;
  /** 'in' (entering the city) or 'out', as the line's configuration names its directions. */
  direction: string;
  /** Epoch ms of the crossing. */
  at: number;
}

/** One bucket of one camera, line, class and direction. */
export interface CountRow {
  bucket: CountBucket;
  /** Epoch ms of the bucket start (local time zone). */
  start: number;
  camera: string;
  gate?: string;
  line: string;
  cls: string;
  direction: string;
  count: number;
}

/** A query: one of camera or gate (or neither, for all), a time range on bucket starts, inclusive. */
export interface CountQuery {
  camera?: string;
  gate?: string;
  from: number;
  to: number;
  bucket: CountBucket;
}

type Key = [CountBucket, number, string, string, string, string];
interface Value {
  count: number;
  gate?: string;
}

/** Start of the bucket holding `at`, local time. */
export function bucketStart(bucket: CountBucket, at: number): number {
  const d = new Date(at);
  if (bucket === 'minute') d.setSeconds(0, 0);
  else if (bucket === 'hour') d.setMinutes(0, 0, 0);
  else d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** The vehicle-count store. */
export class CountStore {
  readonly #root: RootDatabase;
  readonly #counts: Database<Value, Key>;
  #closed = false;

  private constructor(path: string) {
    this.#root = open({ path, maxDbs: 2 });
    this.#counts = this.#root.openDB<Value, Key>({ name: 'counts' });
  }

  /** Opens (creating) the store in directory `path`. */
  static async open(opts: { path: string }): Promise<CountStore> {
    return new CountStore(opts.path);
  }

  /** Counts one crossing; resolves once it is committed. */
  async add(c: Crossing): Promise<void> {
    if (this.#closed) throw new InvalidStateError('count store is closed');
    checkCrossing(c);
    await this.#root.transaction(() => {
      for (const bucket of COUNT_BUCKETS) {
        const key: Key = [bucket, bucketStart(bucket, c.at), c.camera, c.line, c.cls, c.direction];
        const prev = this.#counts.get(key);
        void this.#counts.put(key, { count: (prev?.count ?? 0) + 1, ...(c.gate ? { gate: c.gate } : {}) });
      }
    });
  }

  /** Rows of the given bucket size whose start lies in [from, to], oldest first. */
  query(q: CountQuery): CountRow[] {
    if (this.#closed) throw new InvalidStateError('count store is closed');
    if (!COUNT_BUCKETS.includes(q.bucket)) throw new ProtocolError(`bucket must be one of ${COUNT_BUCKETS.join(', ')}`);
    if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.from > q.to) throw new ProtocolError('from and to must be times with from <= to');
    const rows: CountRow[] = [];
    for (const { key, value } of this.#counts.getRange({ start: [q.bucket, q.from], end: [q.bucket, q.to, '\uffff'] })) {
      const [bucket, start, camera, line, cls, direction] = key;
      if (bucket !== q.bucket || start < q.from || start > q.to) continue;
      if (q.camera !== undefined && camera !== q.camera) continue;
      if (q.gate !== undefined && value.gate !== q.gate) continue;
      rows.push({ bucket, start, camera, ...(value.gate ? { gate: value.gate } : {}), line, cls, direction, count: value.count });
    }
    return rows;
  }

  /** Closes the environment; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#root.close();
  }
}

function checkCrossing(c: Crossing): void {
  for (const f of ['camera', 'line', 'cls', 'direction'] as const) {
    if (typeof c[f] !== 'string' || c[f].length === 0 || c[f].length > 64) throw new ProtocolError(`crossing ${f} must be a non-empty string of at most 64 characters`);
  }
  if (c.gate !== undefined && (typeof c.gate !== 'string' || c.gate.length > 64)) throw new ProtocolError('crossing gate must be a string of at most 64 characters');
  if (!Number.isFinite(c.at) || c.at <= 0) throw new ProtocolError('crossing at must be epoch milliseconds');
}

/** What the city asks of one day's counts (see trafficReport). */
export interface TrafficReport {
  date: string;
  gates: GateReport[];
  /** The gate with the most vehicles (both directions), if any counted. */
  busiestGate?: { gate: string; total: number };
  /** The class with the most vehicles entering, over every gate. */
  classEnteringMost?: { cls: string; count: number };
  /** The hour (0–23, local) with the most vehicles over every gate. */
  busiestHour?: { hour: number; total: number };
}

export interface GateReport {
  gate: string;
  total: number;
  entering: number;
  byClass: Record<string, number>;
  /** 24 rows, hour 0 to 23: vehicles per class, and each class's share of that hour (0..1). */
  hours: { hour: number; total: number; byClass: Record<string, number>; share: Record<string, number> }[];
  busiestHour?: { hour: number; total: number };
}

/**
 * The day's report from that day's hour rows: per gate, vehicles per class per hour and each class's
 * share by hour, the busiest hour; over all gates, the class that enters most, the busiest hour and
 * the busiest gate. Cameras without a gate are reported under their camera id.
 */
export function trafficReport(date: string, hourRows: readonly CountRow[]): TrafficReport {
  const gates = new Map<string, GateReport>();
  const entering = new Map<string, number>();
  const allHours = new Array<number>(24).fill(0);
  for (const r of hourRows) {
    if (r.bucket !== 'hour') continue;
    const name = r.gate ?? r.camera;
    let g = gates.get(name);
    if (!g) {
      g = { gate: name, total: 0, entering: 0, byClass: {}, hours: Array.from({ length: 24 }, (_, hour) => ({ hour, total: 0, byClass: {}, share: {} })) };
      gates.set(name, g);
    }
    const hour = new Date(r.start).getHours();
    const h = g.hours[hour]!;
    h.total += r.count;
    h.byClass[r.cls] = (h.byClass[r.cls] ?? 0) + r.count;
    g.total += r.count;
    g.byClass[r.cls] = (g.byClass[r.cls] ?? 0) + r.count;
    allHours[hour] += r.count;
    if (r.direction === 'in') {
      g.entering += r.count;
      entering.set(r.cls, (entering.get(r.cls) ?? 0) + r.count);
    }
  }
  const report: TrafficReport = { date, gates: [...gates.values()].sort((a, b) => a.gate.localeCompare(b.gate)) };
  for (const g of report.gates) {
    for (const h of g.hours) for (const [cls, n] of Object.entries(h.byClass)) h.share[cls] = n / h.total;
    const top = maxBy(g.hours, (h) => h.total);
    if (top && top.total > 0) g.busiestHour = { hour: top.hour, total: top.total };
  }
  const gate = maxBy(report.gates, (g) => g.total);
  if (gate && gate.total > 0) report.busiestGate = { gate: gate.gate, total: gate.total };
  const cls = maxBy([...entering], ([, n]) => n);
  if (cls) report.classEnteringMost = { cls: cls[0], count: cls[1] };
  const hour = allHours.indexOf(Math.max(...allHours));
  if (allHours[hour]! > 0) report.busiestHour = { hour, total: allHours[hour]! };
  return report;
}

/** The element with the largest score; the first one on ties. */
function maxBy<T>(xs: readonly T[], score: (x: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const x of xs) {
    const s = score(x);
    if (s > bestScore) {
      best = x;
      bestScore = s;
    }
  }
  return best;
}
