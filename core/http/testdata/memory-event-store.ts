/**
 * An in-memory EventStoreLike with the semantics of core/events EventStore.query: exact-match
 * filters (camera, plugin, type), a window on startedAt (from and to inclusive), newest first
 * (ids sort by time), an opaque cursor meaning "older than this id" that is present only when
 * more events may match, a ProtocolError for a cursor it did not issue, and bounded work per
 * query: after `maxScan` examined events a short (even empty) page comes back with a cursor.
 */
import { ProtocolError } from '../../errors.js';
import type { EventPage, EventQuery, EventStoreLike, StoredEventLike } from '../types.js';

const ID = /^[0-9a-z]{10}-[0-9a-z]{6}$/;

/** Events held in memory, each with an optional JPEG and evidence JPEGs. */
export class MemoryEventStore implements EventStoreLike {
  readonly #events = new Map<string, { event: StoredEventLike; jpeg?: Uint8Array; evidence: Uint8Array[] }>();
  #seq = 0;

  /** `maxScan`: events one query examines at most (the real store's MAX_SCAN is 10 000). */
  constructor(public maxScan = 10_000) {}

  /** Adds an event; the id sorts by startedAt, then by insertion. Evidence JPEGs are listed as labelled 'e<i>'. */
  add(fields: Omit<StoredEventLike, 'id' | 'hasSnapshot'>, jpeg?: Uint8Array, evidence: Uint8Array[] = []): StoredEventLike {
    const id = `${fields.startedAt.toString(36).padStart(10, '0')}-${(this.#seq++).toString(36).padStart(6, '0')}`;
    const event: StoredEventLike = { ...fields, id, hasSnapshot: jpeg !== undefined };
    if (evidence.length > 0) event.evidence = evidence.map((b, i) => ({ label: `e${i}`, capturedAt: fields.startedAt, bytes: b.length }));
    this.#events.set(id, { event, jpeg, evidence });
    return event;
  }

  get(id: string): StoredEventLike | undefined {
    return this.#events.get(id)?.event;
  }

  snapshot(id: string): Uint8Array | undefined {
    return this.#events.get(id)?.jpeg;
  }

  evidence(id: string, index: number): Uint8Array | undefined {
    return this.#events.get(id)?.evidence[index];
  }

  query(q: EventQuery): EventPage {
    const limit = Math.min(q.limit ?? 100, 500);
    let below: string | undefined;
    if (q.cursor !== undefined) {
      below = Buffer.from(q.cursor, 'base64url').toString('latin1');
      if (!ID.test(below)) throw new ProtocolError('query.cursor is not a cursor this store issued');
    }
    const newestFirst = [...this.#events.keys()].filter((id) => below === undefined || id < below).sort().reverse();
    const page: EventPage = { events: [] };
    let scanned = 0;
    let examined: string | undefined;
    for (const id of newestFirst) {
      if (++scanned > this.maxScan && examined !== undefined) {
        page.next = Buffer.from(examined, 'latin1').toString('base64url');
        break;
      }
      examined = id;
      const e = this.#events.get(id)!.event;
      if ((q.camera !== undefined && e.camera !== q.camera) || (q.plugin !== undefined && e.plugin !== q.plugin)) continue;
      if ((q.type !== undefined && e.type !== q.type)) continue;
      if ((q.from !== undefined && e.startedAt < q.from) || (q.to !== undefined && e.startedAt > q.to)) continue;
      if (page.events.length === limit) {
        page.next = Buffer.from(page.events[limit - 1]!.id, 'latin1').toString('base64url');
        break;
      }
      page.events.push(e);
    }
    return page;
  }
}
