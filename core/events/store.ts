/**
 * The event store: one LMDB environment holding
 *
 *   events      id → msgpack(StoredEvent)             ids sort by startedAt, so time ranges are key ranges
 *   by-camera   [camera, id] → ''                     secondary indexes: a filter is a range scan
 *   by-plugin   [plugin, id] → ''
 *   by-type     [type, id]   → ''
 *   snapshots   id → JPEG bytes
 *   evidence    `${id}/${index}` → JPEG bytes         the record's `evidence` list says how many there are
 *   clips       id → MP4 bytes                        attached after the event (attachClip), listed as the record's `clip`
 *   meta        'bytes' → estimated bytes of everything stored (for size-based retention)
 *
 * An append writes the event, its index keys, its snapshot, its evidence and the byte total in one transaction and
 * resolves only once that transaction is committed and flushed (no noSync-style flags anywhere), so an
 * id a caller saw acknowledged survives a crash. Retention deletes the oldest events by age and by size.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import { Emitter } from '../emitter.js';
import { ConfigError, InvalidStateError, ProtocolError } from '../errors.js';
import { createLogger, RateLimitedLog } from '../log.js';
import {
  IdGenerator, idTimePrefix, isEventId, MAX_EVIDENCE_IMAGES, validateEventInput, type ClipEntry, type EventInput, type EvidenceEntry, type StoredEvent,
} from './model.js';

const log = createLogger('events');

/** Where and how much to keep. */
export interface EventStoreOptions {
  /** Directory of the LMDB environment (created if missing). */
  path: string;
  /** Events whose startedAt is older than this are deleted. */
  maxAgeMs?: number;
  /** When the estimated stored bytes exceed this, the oldest events are deleted until they fit. */
  maxBytes?: number;
  /**
   * Hard cap on the database's in-use pages, bytes; an append that would pass it rejects with
   * 'event storage full'. lmdb-js grows its memory map by itself (it never reports MDB_MAP_FULL for
   * a small map), so the store enforces the cap. Keep maxBytes well below it.
   */
  mapSize?: number;
  /** How often retention runs besides after appends; default 60 s. */
  retentionIntervalMs?: number;
}

/** A query; from/to are epoch ms bounds on startedAt, inclusive. */
export interface EventQuery {
  camera?: string;
  plugin?: string;
  type?: string;
  from?: number;
  to?: number;
  /** Opaque, from a previous page's `next`. */
  cursor?: string;
  /** Default 100, at most 500. */
  limit?: number;
}

/** One page, newest first; `next` is absent when no older matching event exists. */
export interface EventPage {
  events: StoredEvent[];
  next?: string;
}

/** Lifetime counters. */
export interface EventStoreStats {
  appended: number;
  /** Appends refused: invalid input, storage full, or a failed commit. */
  rejected: number;
  deletedByRetention: number;
  /** Estimated bytes stored (events, snapshots, evidence, index entries). */
  bytes: number;
}

/** Default page size of a query. */
export const DEFAULT_QUERY_LIMIT = 100;
/** Largest page size of a query. */
export const MAX_QUERY_LIMIT = 500;
/** Index entries a query examines at most before returning a short page with a `next` cursor. */
const MAX_SCAN = 10_000;
/** Events deleted per retention transaction. */
const RETENTION_BATCH = 1000;
/** Estimated bytes per event beyond its record and snapshot: three index keys and LMDB node headers. */
const PER_EVENT_OVERHEAD = 256;
/** Estimated bytes per evidence image beyond its JPEG: its key (id, '/', index) and an LMDB node header. */
const PER_EVIDENCE_OVERHEAD = 48;
/** Sorts after every id character, so `prefix + HIGH` bounds all ids with that prefix from above. */
const HIGH = '~';
const BYTES_KEY = 'bytes';
const EMPTY = Buffer.alloc(0);
// Plain msgpack (no shared record structures), so a record decodes on its own.
const packr = new Packr({ useRecords: false });

/** The estimate the byte total and retention use; evidence and clip sizes are in the record, so no read is needed. */
function eventBytes(recordLength: number, snapshotLength: number, e: Pick<StoredEvent, 'evidence' | 'clip'>): number {
  let bytes = recordLength + snapshotLength + PER_EVENT_OVERHEAD;
  for (const x of e.evidence ?? []) bytes += x.bytes + PER_EVIDENCE_OVERHEAD;
  if (e.clip) bytes += e.clip.bytes + PER_EVIDENCE_OVERHEAD;
  return bytes;
}

/** The key of an event's `index`-th evidence image. */
function evidenceKey(id: string, index: number): string {
  return `${id}/${index}`;
}

function checkPositive(value: number | undefined, path: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new ConfigError('must be a positive number', path);
  }
}

function storageFull(): InvalidStateError {
  return new InvalidStateError('event storage full');
}

/** Whether a commit failure was LMDB running out of room (MDB_MAP_FULL) or the disk filling up. */
function isFullError(err: unknown): boolean {
  const text = err instanceof Error ? `${err.message} ${(err as { code?: unknown }).code ?? ''}` : String(err);
  return /MAP_FULL|mapsize|ENOSPC|No space/i.test(text);
}

/** Durable, queryable events with snapshots and evidence images; emits 'event' after each commit. */
export class EventStore extends Emitter<{ event: [StoredEvent]; clip: [StoredEvent] }> {
  readonly #root: RootDatabase;
  readonly #events: Database<Buffer, string>;
  readonly #snapshots: Database<Buffer, string>;
  readonly #evidence: Database<Buffer, string>;
  readonly #clips: Database<Buffer, string>;
  readonly #indexes: { camera: Database<Buffer, [string, string]>; plugin: Database<Buffer, [string, string]>; type: Database<Buffer, [string, string]> };
  readonly #meta: Database<number, string>;
  readonly #opts: EventStoreOptions;
  readonly #ids = new IdGenerator();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #warn = new RateLimitedLog(log);
  readonly #timer?: NodeJS.Timeout;
  #stats: EventStoreStats = { appended: 0, rejected: 0, deletedByRetention: 0, bytes: 0 };
  /** Estimated bytes of appends queued but not yet committed (for the mapSize cap). */
  #pendingBytes = 0;
  /** In-use bytes as of the last commit (getStats is not free, so it is read once per commit). */
  #usedCache?: number;
  #retention?: Promise<void>;
  #retentionAgain = false;
  #closing?: Promise<void>;

  /** Opens (creating if needed) the store at `opts.path`. */
  static async open(opts: EventStoreOptions): Promise<EventStore> {
    if (typeof opts?.path !== 'string' || opts.path === '') throw new ConfigError('must be a directory path', 'events.path');
    checkPositive(opts.maxAgeMs, 'events.maxAgeMs');
    checkPositive(opts.maxBytes, 'events.maxBytes');
    checkPositive(opts.mapSize, 'events.mapSize');
    checkPositive(opts.retentionIntervalMs, 'events.retentionIntervalMs');
    const store = new EventStore(opts);
    await store.enforceRetention();
    return store;
  }

  private constructor(opts: EventStoreOptions) {
    super();
    this.#opts = opts;
    // Defaults keep LMDB's durable commit (overlappingSync with fsync); never noSync/noMetaSync/mapAsync.
    this.#root = open({ path: opts.path, maxDbs: 8, ...(opts.mapSize ? { mapSize: opts.mapSize } : {}) });
    this.#events = this.#root.openDB({ name: 'events', encoding: 'binary' });
    this.#snapshots = this.#root.openDB({ name: 'snapshots', encoding: 'binary' });
    this.#evidence = this.#root.openDB({ name: 'evidence', encoding: 'binary' });
    this.#clips = this.#root.openDB({ name: 'clips', encoding: 'binary' });
    this.#indexes = {
      camera: this.#root.openDB({ name: 'by-camera', encoding: 'binary' }),
      plugin: this.#root.openDB({ name: 'by-plugin', encoding: 'binary' }),
      type: this.#root.openDB({ name: 'by-type', encoding: 'binary' }),
    };
    this.#meta = this.#root.openDB({ name: 'meta' });
    this.#stats.bytes = this.#meta.get(BYTES_KEY) ?? 0;
    if (opts.maxAgeMs || opts.maxBytes) {
      this.#timer = setInterval(() => void this.enforceRetention(), opts.retentionIntervalMs ?? 60_000);
      this.#timer.unref();
    }
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** A copy of the lifetime counters. */
  get stats(): EventStoreStats {
    return { ...this.#stats };
  }

  /**
   * Validates and stores an event; resolves once it is committed and flushed to disk, then emits 'event'.
   * Rejects (and counts) an invalid event with a ProtocolError naming the field, and a full store with
   * InvalidStateError('event storage full'); the store stays usable either way.
   */
  append(input: EventInput): Promise<StoredEvent> {
    const p = this.#append(input);
    this.#inflight.add(p);
    const done = (): void => void this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async #append(input: EventInput): Promise<StoredEvent> {
    if (this.closed) {
      this.#stats.rejected++;
      throw new InvalidStateError('event store is closed');
    }
    let stored: StoredEvent;
    let record: Buffer;
    let snapshot: Buffer | undefined;
    let evidence: Buffer[] = [];
    try {
      const checked = validateEventInput(input);
      snapshot = checked.snapshot && asBuffer(checked.snapshot);
      evidence = (checked.evidence ?? []).map(asBuffer);
      stored = { id: this.#ids.next(checked.event.startedAt), ...checked.event, hasSnapshot: snapshot !== undefined };
      record = packr.pack(stored);
    } catch (err) {
      this.#stats.rejected++;
      this.#warn.warn('invalid', `rejected an event: ${(err as Error).message}`);
      throw err;
    }
    const bytes = eventBytes(record.length, snapshot?.length ?? 0, stored);
    if (this.#opts.mapSize && this.#usedBytes() + this.#pendingBytes + 2 * bytes > this.#opts.mapSize) {
      this.#stats.rejected++;
      this.#warn.warn('full', `event storage full (cap ${this.#opts.mapSize} bytes); event from ${stored.plugin} on ${stored.camera} dropped`);
      void this.enforceRetention();
      throw storageFull();
    }
    const { id, camera, plugin, type } = stored;
    this.#pendingBytes += bytes;
    try {
      await this.#root.transaction(() => {
        this.#events.put(id, record);
        this.#indexes.camera.put([camera, id], EMPTY);
        this.#indexes.plugin.put([plugin, id], EMPTY);
        this.#indexes.type.put([type, id], EMPTY);
        if (snapshot) this.#snapshots.put(id, snapshot);
        evidence.forEach((jpeg, i) => this.#evidence.put(evidenceKey(id, i), jpeg));
        this.#meta.put(BYTES_KEY, (this.#meta.get(BYTES_KEY) ?? 0) + bytes);
      });
      // The commit promise means visible; `flushed` means the OS reported it on disk.
      await this.#root.flushed;
    } catch (err) {
      this.#stats.rejected++;
      this.#stats.bytes = this.#meta.get(BYTES_KEY) ?? 0;
      // lmdb-js rejects with a generic error whose `commitError` promise carries LMDB's; observe it so it
      // is logged rather than left as an unhandled rejection.
      const cause = (err as { commitError?: Promise<unknown> }).commitError;
      cause?.then(undefined, (e: unknown) => log.error('event commit failed', e));
      if (isFullError(err)) throw storageFull();
      throw new InvalidStateError(`event commit failed: ${(err as Error).message}`);
    } finally {
      this.#pendingBytes -= bytes;
      this.#usedCache = undefined;
    }
    this.#stats.appended++;
    this.#stats.bytes = this.#meta.get(BYTES_KEY) ?? 0;
    this.emit('event', stored);
    if (this.#overLimits()) void this.enforceRetention();
    return stored;
  }

  /** One event, or undefined for an unknown (or malformed) id. */
  get(id: string): StoredEvent | undefined {
    if (typeof id !== 'string' || !isEventId(id)) return undefined;
    const buf = this.#events.getBinaryFast(id);
    return buf ? (packr.unpack(buf) as StoredEvent) : undefined;
  }

  /** The event's JPEG, or undefined when it has none. */
  snapshot(id: string): Uint8Array | undefined {
    if (typeof id !== 'string' || !isEventId(id)) return undefined;
    return this.#snapshots.getBinary(id);
  }

  /** The event's `index`-th evidence JPEG (overlays drawn in), or undefined when it has no such image. */
  evidence(id: string, index: number): Uint8Array | undefined {
    if (typeof id !== 'string' || !isEventId(id) || !Number.isInteger(index) || index < 0 || index >= MAX_EVIDENCE_IMAGES) return undefined;
    return this.#evidence.getBinary(evidenceKey(id, index));
  }

  /** The event's MP4 clip, or undefined when it has none (yet). */
  clip(id: string): Uint8Array | undefined {
    if (typeof id !== 'string' || !isEventId(id)) return undefined;
    return this.#clips.getBinary(id);
  }

  /**
   * Attaches a video clip to a committed event: the MP4 is stored and the record gains `clip`, in one
   * transaction, durable like append (resolves once flushed), and the clip's bytes count toward
   * retention and are deleted with the event. Resolves undefined when the event is gone (retention
   * deleted it meanwhile); rejects with 'event storage full' past the map cap, and with
   * InvalidStateError when the event already has a clip or the store is closed. Emits 'clip'.
   */
  attachClip(id: string, mp4: Uint8Array, times: Omit<ClipEntry, 'bytes'>): Promise<StoredEvent | undefined> {
    const p = this.#attachClip(id, mp4, times);
    this.#inflight.add(p);
    const done = (): void => void this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async #attachClip(id: string, mp4: Uint8Array, times: Omit<ClipEntry, 'bytes'>): Promise<StoredEvent | undefined> {
    if (this.closed) throw new InvalidStateError('event store is closed');
    if (!isEventId(id) || mp4.byteLength === 0) throw new ProtocolError('attachClip: expected an event id and a non-empty clip');
    const added = mp4.byteLength + PER_EVIDENCE_OVERHEAD + 64; // the clip and its entry in the record
    if (this.#opts.mapSize && this.#usedBytes() + this.#pendingBytes + 2 * added > this.#opts.mapSize) {
      this.#warn.warn('full', `event storage full (cap ${this.#opts.mapSize} bytes); clip of event ${id} dropped`);
      void this.enforceRetention();
      throw storageFull();
    }
    const clip: ClipEntry = { bytes: mp4.byteLength, startedAt: times.startedAt, endedAt: times.endedAt };
    this.#pendingBytes += added;
    let updated: StoredEvent | undefined;
    try {
      updated = await this.#root.transaction(() => {
        const record = this.#events.getBinary(id);
        if (!record) return undefined;
        const e = packr.unpack(record) as StoredEvent;
        if (e.clip) throw new InvalidStateError(`event ${id} already has a clip`);
        const next: StoredEvent = { ...e, clip };
        const packed = packr.pack(next);
        const snapshotLength = this.#snapshotLength(id, e);
        const delta = eventBytes(packed.length, snapshotLength, next) - eventBytes(record.length, snapshotLength, e);
        this.#events.put(id, packed);
        this.#clips.put(id, asBuffer(mp4));
        this.#meta.put(BYTES_KEY, (this.#meta.get(BYTES_KEY) ?? 0) + delta);
        return next;
      });
      await this.#root.flushed;
    } catch (err) {
      if (err instanceof InvalidStateError) throw err;
      if (isFullError(err)) throw storageFull();
      throw new InvalidStateError(`clip commit failed: ${(err as Error).message}`);
    } finally {
      this.#pendingBytes -= added;
      this.#usedCache = undefined;
      this.#stats.bytes = this.#meta.get(BYTES_KEY) ?? 0;
    }
    if (updated) {
      this.emit('clip', updated);
      if (this.#overLimits()) void this.enforceRetention();
    }
    return updated;
  }

  /**
   * Matching events newest first. Uses the camera, plugin or type index (first given) for the scan
   * and checks the other filters per event. Values are range-checked by the caller (the HTTP layer);
   * here a wrong type is a ProtocolError naming the field.
   */
  query(q: EventQuery = {}): EventPage {
    const { camera, plugin, type, from, to, cursor } = q;
    for (const [name, v] of [['camera', camera], ['plugin', plugin], ['type', type], ['cursor', cursor]] as const) {
      if (v !== undefined && typeof v !== 'string') throw new ProtocolError(`query.${name} must be a string`);
    }
    for (const [name, v] of [['from', from], ['to', to]] as const) {
      if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v))) throw new ProtocolError(`query.${name} must be epoch milliseconds`);
    }
    const limitIn = q.limit ?? DEFAULT_QUERY_LIMIT;
    if (!Number.isInteger(limitIn) || limitIn < 1) throw new ProtocolError('query.limit must be a positive integer');
    const limit = Math.min(limitIn, MAX_QUERY_LIMIT);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);

    // Key bounds from the id's time prefix (a superset at ms granularity); startedAt is checked exactly below.
    let hi = to === undefined ? HIGH : idTimePrefix(to) + HIGH;
    if (after !== undefined && after < hi) hi = after;
    const lo = from === undefined ? '' : idTimePrefix(from);
    const page: EventPage = { events: [] };
    if (hi <= lo || (from !== undefined && to !== undefined && to < from)) return page;

    const index = camera !== undefined ? { db: this.#indexes.camera, key: camera }
      : plugin !== undefined ? { db: this.#indexes.plugin, key: plugin }
      : type !== undefined ? { db: this.#indexes.type, key: type }
      : undefined;
    const ids: Iterable<string> = index
      ? index.db.getKeys({ start: [index.key, hi], end: [index.key, lo], reverse: true }).map((k) => k[1])
      : this.#events.getKeys({ start: hi, end: lo, reverse: true });

    let scanned = 0;
    let examined: string | undefined;
    for (const id of ids) {
      if (id === after) continue; // the cursor is exclusive
      if (++scanned > MAX_SCAN && examined !== undefined) {
        // Bound the work of one request: a short page whose cursor continues below the last id examined.
        page.next = encodeCursor(examined);
        break;
      }
      examined = id;
      const e = this.get(id);
      if (!e) continue;
      if ((camera !== undefined && e.camera !== camera) || (plugin !== undefined && e.plugin !== plugin) || (type !== undefined && e.type !== type)) continue;
      if ((from !== undefined && e.startedAt < from) || (to !== undefined && e.startedAt > to)) continue;
      if (page.events.length === limit) {
        // One more match exists, so there is a next page.
        page.next = encodeCursor(page.events[limit - 1]!.id);
        break;
      }
      page.events.push(e);
    }
    return page;
  }

  /** Runs retention now (it also runs on a timer and after appends); resolves when it is done. */
  enforceRetention(): Promise<void> {
    if (this.#retention) {
      this.#retentionAgain = true;
      return this.#retention;
    }
    if (this.closed || (!this.#opts.maxAgeMs && !this.#opts.maxBytes)) return Promise.resolve();
    this.#retention = (async () => {
      try {
        do {
          this.#retentionAgain = false;
          await this.#retentionPass();
        } while (this.#retentionAgain && !this.closed);
      } catch (err) {
        log.error('retention failed', err);
      } finally {
        this.#retention = undefined;
      }
    })();
    return this.#retention;
  }

  /** Waits for appends and retention in flight, then closes the LMDB environment. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#timer) clearInterval(this.#timer);
      await Promise.allSettled([...this.#inflight]);
      await this.#retention;
      await this.#root.close();
      this.removeAllListeners();
    })();
    return this.#closing;
  }

  #overLimits(): boolean {
    const { maxAgeMs, maxBytes } = this.#opts;
    if (maxBytes && this.#stats.bytes > maxBytes) return true;
    if (!maxAgeMs) return false;
    const oldest = this.#oldestIds(1)[0];
    return oldest !== undefined && oldest < idTimePrefix(Date.now() - maxAgeMs);
  }

  #oldestIds(limit: number, end?: string): string[] {
    return [...this.#events.getKeys({ limit, ...(end !== undefined ? { end } : {}) })];
  }

  async #retentionPass(): Promise<void> {
    const { maxAgeMs, maxBytes } = this.#opts;
    if (maxAgeMs) {
      // Ids older than the cutoff's millisecond sort below its prefix.
      for (;;) {
        if (this.closed) return;
        const ids = this.#oldestIds(RETENTION_BATCH, idTimePrefix(Date.now() - maxAgeMs));
        if (ids.length === 0) break;
        await this.#delete(ids);
      }
    }
    if (maxBytes) {
      while (this.#stats.bytes > maxBytes && !this.closed) {
        let excess = this.#stats.bytes - maxBytes;
        const ids: string[] = [];
        for (const { key, value } of this.#events.getRange({ limit: RETENTION_BATCH })) {
          ids.push(key);
          const e = packr.unpack(value) as StoredEvent;
          excess -= eventBytes(value.length, this.#snapshotLength(key, e), e);
          if (excess <= 0) break;
        }
        if (ids.length === 0) break;
        await this.#delete(ids);
      }
    }
  }

  #snapshotLength(id: string, e: StoredEvent): number {
    return e.hasSnapshot ? (this.#snapshots.getBinaryFast(id)?.length ?? 0) : 0;
  }

  /** Deletes events with their index keys, snapshots and evidence in one transaction. */
  async #delete(ids: string[]): Promise<void> {
    const deleted = await this.#root.transaction(() => {
      let freed = 0;
      let count = 0;
      for (const id of ids) {
        const record = this.#events.getBinary(id);
        if (!record) continue;
        const e = packr.unpack(record) as StoredEvent;
        freed += eventBytes(record.length, this.#snapshotLength(id, e), e);
        this.#events.remove(id);
        this.#indexes.camera.remove([e.camera, id]);
        this.#indexes.plugin.remove([e.plugin, id]);
        this.#indexes.type.remove([e.type, id]);
        if (e.hasSnapshot) this.#snapshots.remove(id);
        for (let i = 0; i < (e.evidence?.length ?? 0); i++) this.#evidence.remove(evidenceKey(id, i));
        if (e.clip) this.#clips.remove(id);
        count++;
      }
      this.#meta.put(BYTES_KEY, Math.max(0, (this.#meta.get(BYTES_KEY) ?? 0) - freed));
      return count;
    });
    this.#usedCache = undefined;
    this.#stats.deletedByRetention += deleted;
    this.#stats.bytes = this.#meta.get(BYTES_KEY) ?? 0;
  }

  /** Bytes of pages in use: every tree's pages (free-list pages included), not the file's high-water mark. */
  #usedBytes(): number {
    return (this.#usedCache ??= this.#readUsedBytes());
  }

  #readUsedBytes(): number {
    type TreeStats = { pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number; free?: TreeStats; root?: TreeStats };
    const pages = (s: TreeStats | undefined): number => (s ? s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages : 0);
    const env = this.#root.getStats() as TreeStats;
    let total = 2 + pages(env.root) + pages(env.free); // + the two meta pages
    for (const db of [this.#events, this.#snapshots, this.#evidence, this.#clips, this.#meta, ...Object.values(this.#indexes)]) total += pages(db.getStats() as TreeStats);
    return total * env.pageSize;
  }
}

/** A Buffer view of the bytes (no copy), as lmdb's binary encoding wants. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** The opaque cursor for "events older than `id`". */
function encodeCursor(id: string): string {
  return Buffer.from(id, 'latin1').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('latin1');
  if (!isEventId(id)) throw new ProtocolError('query.cursor is not a cursor this store issued');
  return id;
}
