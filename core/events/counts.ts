/**
 * Tallies: vehicle counts and object statistics. Every counting-line crossing increments its minute,
 * hour and day buckets in one LMDB transaction, so a report over a day reads 24 hour rows per line
 * and class instead of every crossing. Every object a plugin saw (ctx.observe: one call per object,
 * once its kind is settled) increments its hour and day buckets the same way, in a key space of its
 * own: the same store, transaction and durability rule, no line or direction, and no minute buckets
 * (nobody reads objects per minute). A tally is acknowledged only once its transaction is committed:
 * a restart neither loses the current hour nor counts anything twice (the plugins report each vehicle
 * or object once; this store adds exactly what it is given). lmdb-js batches the transactions that
 * arrive together into one commit, so a burst costs one disk sync, not one each.
 *
 *   counts   [bucket, start, camera, line, cls, direction] → { count, gate }
 *   objects  [bucket, start, camera, cls]                  → { count }
 *
 * Bucket starts are epoch ms of the minute, hour or day start in the server's local time zone (TZ),
 * which is the time zone the city's reports are read in.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { InvalidStateError, ProtocolError } from '../errors.js';

export type CountBucket = 'minute' | 'hour' | 'day';
export const COUNT_BUCKETS: readonly CountBucket[] = ['minute', 'hour', 'day'];
/** The buckets objects are tallied in. */
export const OBJECT_BUCKETS: readonly CountBucket[] = ['hour', 'day'];

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

/** `n` crossings of one line, class and direction at `at` (a minute row from another node, for instance). */
export interface CountIncrement extends Crossing {
  /** A positive integer. */
  n: number;
}

/** A query: one of camera or gate (or neither, for all), a time range on bucket starts, inclusive. */
export interface CountQuery {
  camera?: string;
  gate?: string;
  from: number;
  to: number;
  bucket: CountBucket;
}

/** One object of one kind a camera saw (a plugin's ctx.observe). */
export interface Sighting {
  camera: string;
  /** person, motorbike, car, truck, bus, or a detector's own label. */
  cls: string;
  /** Epoch ms it was seen (its track confirmed as that kind). */
  at: number;
}

/** One hour or day bucket of one camera and class of object. */
export interface ObjectRow {
  bucket: CountBucket;
  /** Epoch ms of the bucket start (local time zone). */
  start: number;
  camera: string;
  cls: string;
  count: number;
}

/** A query of object tallies: one camera (or all), a time range on bucket starts, inclusive. */
export interface ObjectQuery {
  camera?: string;
  from: number;
  to: number;
  bucket: CountBucket;
}

/** A tally key: the bucket and its start lead, so one bucket size's range is one contiguous scan. */
type TallyKey = [CountBucket, number, ...string[]];
type Key = [CountBucket, number, string, string, string, string];
type ObjectKey = [CountBucket, number, string, string];
/** An applied row id, keyed by its minute first so old ids are one range to delete. */
type AppliedKey = [number, string];
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

/** The store of vehicle counts and object tallies. */
export class CountStore {
  readonly #root: RootDatabase;
  readonly #counts: Database<Value, Key>;
  readonly #objects: Database<Value, ObjectKey>;
  /** Ids of rows added with addMany(…, once): a redelivered row is recognised even after a restart. */
  readonly #applied: Database<number, AppliedKey>;
  #closed = false;

  private constructor(path: string) {
    this.#root = open({ path, maxDbs: 4 });
    this.#counts = this.#root.openDB<Value, Key>({ name: 'counts' });
    this.#objects = this.#root.openDB<Value, ObjectKey>({ name: 'objects' });
    this.#applied = this.#root.openDB<number, AppliedKey>({ name: 'applied' });
  }

  /** Opens (creating) the store in directory `path`. */
  static async open(opts: { path: string }): Promise<CountStore> {
    return new CountStore(opts.path);
  }

  /** Counts one crossing; resolves once it is committed. */
  async add(c: Crossing): Promise<void> {
    this.#open();
    checkCrossing(c);
    await this.#increment(this.#counts, COUNT_BUCKETS.map((bucket): Key => [bucket, bucketStart(bucket, c.at), c.camera, c.line, c.cls, c.direction]), c.gate ? { gate: c.gate } : {});
  }

  /**
   * Adds every increment to its minute, hour and day buckets in one transaction. With `once`, the
   * increments are applied only if `once.id` was never applied before, and the id is recorded in
   * that same transaction: a row delivered twice (MQTT QoS 1 redelivery, also after a crash between
   * commit and acknowledgement) is counted once. Resolves true when applied, false for a duplicate.
   */
  async addMany(increments: readonly CountIncrement[], once?: { id: string; at: number }): Promise<boolean> {
    this.#open();
    for (const inc of increments) {
      checkCrossing(inc);
      if (!Number.isSafeInteger(inc.n) || inc.n < 1) throw new ProtocolError('increment n must be a positive integer');
    }
    if (once && (typeof once.id !== 'string' || once.id.length === 0 || once.id.length > 200)) throw new ProtocolError('row id must be a string of 1-200 characters');
    const appliedKey: AppliedKey | undefined = once ? [bucketStart('minute', once.at), once.id] : undefined;
    return this.#root.transaction(() => {
      if (appliedKey) {
        if (this.#applied.get(appliedKey) !== undefined) return false;
        void this.#applied.put(appliedKey, Date.now());
      }
      for (const inc of increments) {
        const extra = inc.gate ? { gate: inc.gate } : {};
        for (const bucket of COUNT_BUCKETS) {
          const key: Key = [bucket, bucketStart(bucket, inc.at), inc.camera, inc.line, inc.cls, inc.direction];
          void this.#counts.put(key, { count: (this.#counts.get(key)?.count ?? 0) + inc.n, ...extra });
        }
      }
      return true;
    });
  }

  /** Forgets the ids addMany recorded for minutes before `before` (epoch ms); resolves with how many. */
  async forgetApplied(before: number): Promise<number> {
    this.#open();
    return this.#root.transaction(() => {
      let n = 0;
      for (const key of this.#applied.getKeys({ start: [0, ''], end: [before, ''] })) {
        void this.#applied.remove(key);
        n++;
      }
      return n;
    });
  }

  /** Tallies one object seen; resolves once it is committed. */
  async observe(o: Sighting): Promise<void> {
    this.#open();
    checkFields('sighting', o, ['camera', 'cls']);
    await this.#increment(this.#objects, OBJECT_BUCKETS.map((bucket): ObjectKey => [bucket, bucketStart(bucket, o.at), o.camera, o.cls]), {});
  }

  /** Rows of the given bucket size whose start lies in [from, to], oldest first. */
  query(q: CountQuery): CountRow[] {
    const rows: CountRow[] = [];
    for (const { key, value } of this.#scan(this.#counts, q, COUNT_BUCKETS)) {
      const [bucket, start, camera, line, cls, direction] = key;
      if (q.camera !== undefined && camera !== q.camera) continue;
      if (q.gate !== undefined && value.gate !== q.gate) continue;
      rows.push({ bucket, start, camera, ...(value.gate ? { gate: value.gate } : {}), line, cls, direction, count: value.count });
    }
    return rows;
  }

  /** Object tallies of the given bucket size (hour or day) whose start lies in [from, to], oldest first. */
  queryObjects(q: ObjectQuery): ObjectRow[] {
    const rows: ObjectRow[] = [];
    for (const { key, value } of this.#scan(this.#objects, q, OBJECT_BUCKETS)) {
      const [bucket, start, camera, cls] = key;
      if (q.camera === undefined || camera === q.camera) rows.push({ bucket, start, camera, cls, count: value.count });
    }
    return rows;
  }

  /** Closes the environment; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#root.close();
  }

  #open(): void {
    if (this.#closed) throw new InvalidStateError('count store is closed');
  }

  /** Adds one to each of `keys` in one transaction (see the file comment). */
  async #increment<K extends TallyKey>(db: Database<Value, K>, keys: K[], extra: Omit<Value, 'count'>): Promise<void> {
    await this.#root.transaction(() => {
      for (const key of keys) void db.put(key, { count: (db.get(key)?.count ?? 0) + 1, ...extra });
    });
  }

  /** The entries of one bucket size whose start lies in [q.from, q.to]. */
  *#scan<K extends TallyKey>(db: Database<Value, K>, q: { bucket: CountBucket; from: number; to: number }, buckets: readonly CountBucket[]): Generator<{ key: K; value: Value }> {
    this.#open();
    if (!buckets.includes(q.bucket)) throw new ProtocolError(`bucket must be one of ${buckets.join(', ')}`);
    if (!Number.isFinite(q.from) || !Number.isFinite(q.to) || q.from > q.to) throw new ProtocolError('from and to must be times with from <= to');
    for (const entry of db.getRange({ start: [q.bucket, q.from], end: [q.bucket, q.to, '\uffff'] })) {
      const [bucket, start] = entry.key;
      if (bucket === q.bucket && start >= q.from && start <= q.to) yield entry;
    }
  }
}

function checkCrossing(c: Crossing): void {
  checkFields('crossing', c, ['camera', 'line', 'cls', 'direction']);
  if (c.gate !== undefined && (typeof c.gate !== 'string' || c.gate.length > 64)) throw new ProtocolError('crossing gate must be a string of at most 64 characters');
}

/** Checks the names (non-empty, at most 64 characters) and the time of a crossing or sighting (plugin input: untrusted). */
function checkFields<T extends { at: number }>(what: string, x: T, names: readonly (keyof T & string)[]): void {
  for (const f of names) {
    const v = x[f];
    if (typeof v !== 'string' || v.length === 0 || v.length > 64) throw new ProtocolError(`${what} ${f} must be a non-empty string of at most 64 characters`);
  }
  if (!Number.isFinite(x.at) || x.at <= 0) throw new ProtocolError(`${what} at must be epoch milliseconds`);
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

/** Objects of each class over a day, and per hour of it. */
export interface ObjectTally {
  total: number;
  byClass: Record<string, number>;
  /** 24 rows, hour 0 to 23 (local). */
  hours: { hour: number; total: number; byClass: Record<string, number> }[];
}

/** One day's object statistics: over the cameras asked for, and per camera. */
export interface ObjectsReport extends ObjectTally {
  date: string;
  /** The camera asked for; absent when the report covers every camera. */
  camera?: string;
  cameras: (ObjectTally & { camera: string })[];
}

/**
 * The day's object statistics from that day's hour rows. `cameras` are listed even when they saw
 * nothing (a camera asked for by id gets its zero row rather than an empty list).
 */
export function objectsReport(date: string, hourRows: readonly ObjectRow[], opts: { camera?: string } = {}): ObjectsReport {
  const tally = (): ObjectTally => ({ total: 0, byClass: {}, hours: Array.from({ length: 24 }, (_, hour) => ({ hour, total: 0, byClass: {} })) });
  const add = (t: ObjectTally, hour: number, cls: string, n: number) => {
    const h = t.hours[hour]!;
    h.total += n;
    h.byClass[cls] = (h.byClass[cls] ?? 0) + n;
    t.total += n;
    t.byClass[cls] = (t.byClass[cls] ?? 0) + n;
  };
  const all = tally();
  const cameras = new Map<string, ObjectTally & { camera: string }>();
  if (opts.camera !== undefined) cameras.set(opts.camera, { camera: opts.camera, ...tally() });
  for (const r of hourRows) {
    if (r.bucket !== 'hour' || (opts.camera !== undefined && r.camera !== opts.camera)) continue;
    let c = cameras.get(r.camera);
    if (!c) cameras.set(r.camera, (c = { camera: r.camera, ...tally() }));
    const hour = new Date(r.start).getHours();
    add(c, hour, r.cls, r.count);
    add(all, hour, r.cls, r.count);
  }
  return { date, ...(opts.camera !== undefined ? { camera: opts.camera } : {}), ...all, cameras: [...cameras.values()].sort((a, b) => a.camera.localeCompare(b.camera)) };
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
