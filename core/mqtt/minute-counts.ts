/**
 * Per-minute crossing tallies for MQTT: one row per camera, class and minute that had crossings,
 * released once the minute is over. Only committed crossings are added (the publisher observes the
 * count store's add), so the rows agree with /api/counts?bucket=minute.
 */
import { bucketStart, type Crossing } from '../events/counts.js';

/** One camera's crossings of one class in one minute: the `{prefix}/{camera}/counts/{class}` payload. */
export interface MinuteCount {
  camera: string;
  /** The camera's gate, when it belongs to one. */
  gate?: string;
  cls: string;
  /** ISO 8601 start of the minute. */
  minute: string;
  in: number;
  out: number;
  /** Every crossing, whatever its direction. */
  total: number;
  /** The same crossings by line and direction (`{ gate: { in: 3, out: 1 } }`): what a reporter node stores. */
  lines: Record<string, Record<string, number>>;
  /** The publishing node (the cluster node's name, else the publisher's `node`). */
  node?: string;
  /**
   * Unique per row and never reused (`<node>:<run>:<seq>`, the run being random per process), so a
   * consumer can drop a QoS 1 redelivery. A late second row for a minute has an id of its own.
   */
  id?: string;
}

/** See the file comment. */
export class MinuteCounts {
  readonly #rows = new Map<string, { start: number; row: MinuteCount }>();

  /** Adds one crossing to its minute. */
  add(c: Crossing): void {
    const start = bucketStart('minute', c.at);
    const key = `${start}\u0000${c.camera}\u0000${c.cls}`;
    let entry = this.#rows.get(key);
    if (!entry) {
      const row: MinuteCount = { camera: c.camera, ...(c.gate !== undefined ? { gate: c.gate } : {}), cls: c.cls, minute: new Date(start).toISOString(), in: 0, out: 0, total: 0, lines: {} };
      this.#rows.set(key, (entry = { start, row }));
    }
    if (c.direction === 'in') entry.row.in++;
    else if (c.direction === 'out') entry.row.out++;
    entry.row.total++;
    const line = (entry.row.lines[c.line] ??= {});
    line[c.direction] = (line[c.direction] ?? 0) + 1;
  }

  /**
   * Removes and returns the rows of minutes that ended by `now`. A crossing committed late, after
   * its minute was released, makes a second row for that minute: add the rows up, never replace.
   */
  take(now: number, all = false): MinuteCount[] {
    const current = bucketStart('minute', now);
    const out: MinuteCount[] = [];
    for (const [key, { start, row }] of this.#rows) {
      if (!all && start >= current) continue;
      this.#rows.delete(key);
      out.push(row);
    }
    return out;
  }
}
