/**
 * The bounded outbox of QoS 1 messages (events and per-minute counts). A message stays here until
 * the broker's PUBACK, so a broker that is away costs nothing but memory, up to a bound: past
 * `maxQueued` the oldest message not yet handed to the client is dropped and counted.
 *
 * Division of labour with mqtt.js: a message is handed to the client only while it is connected,
 * at most `maxInflight` at a time. Once handed over, mqtt.js owns its retransmission: a QoS 1
 * publish waiting for PUBACK stays in the client's outgoing store across a disconnect and is resent
 * (DUP) on reconnect, and its callback fires on the PUBACK. Handing it over again ourselves would
 * only make duplicates. mqtt.js's own offline queue is never used (nothing is published while
 * disconnected), so it cannot grow without bound behind our back.
 */

/** One message waiting for its PUBACK. */
export interface OutboxMessage {
  topic: string;
  payload: string;
  /** What kind of message it is, for the dropped counters. */
  kind: 'event' | 'count';
}

/** Hands one message to the client; `done` runs on PUBACK, or with an error when the client gave it up. */
export type PublishFn = (message: OutboxMessage, done: (err?: Error) => void) => void;

/** Counters of an {@link Outbox}. */
export interface OutboxStats {
  /** Waiting to be handed to the client (the broker is away, or the in-flight window is full). */
  queued: number;
  /** Handed to the client, waiting for PUBACK. */
  inflight: number;
  /** Acknowledged by the broker (PUBACK). */
  delivered: number;
  /** Events dropped because the outbox was full. */
  eventsDropped: number;
  /** Count messages dropped because the outbox was full. */
  countsDropped: number;
}

/** See the file comment. */
export class Outbox {
  // A plain array with a moving head: shift() on a 10 000-entry array copies it each time.
  #queue: OutboxMessage[] = [];
  #head = 0;
  #inflight = 0;
  #delivered = 0;
  #dropped = { event: 0, count: 0 };
  #open = false;
  /** The client gave a message up: wait for the next connection before handing over more. */
  #paused = false;
  #closed = false;

  constructor(
    private readonly publish: PublishFn,
    private readonly maxQueued: number,
    private readonly maxInflight = 100,
  ) {}

  /** Queues a message; drops (and counts) the oldest queued one when full. Never blocks. */
  push(message: OutboxMessage): void {
    if (this.#closed) return;
    this.#queue.push(message);
    while (this.#queued() + this.#inflight > this.maxQueued && this.#queued() > 0) {
      const oldest = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      this.#dropped[oldest.kind]++;
    }
    this.#compact();
    this.#pump();
  }

  /** The client connected (open) or lost its connection (not open): hand messages over only while open. */
  setOpen(open: boolean): void {
    this.#open = open;
    this.#paused = false;
    this.#pump();
  }

  /** Resolves once nothing is queued or in flight, or after `timeoutMs`; true when empty. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queued() + this.#inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.#queued() + this.#inflight === 0;
  }

  /** Stops handing messages over; what is left is abandoned. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#open = false;
  }

  /** The counters. */
  stats(): OutboxStats {
    return {
      queued: this.#queued(),
      inflight: this.#inflight,
      delivered: this.#delivered,
      eventsDropped: this.#dropped.event,
      countsDropped: this.#dropped.count,
    };
  }

  #queued(): number {
    return this.#queue.length - this.#head;
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #pump(): void {
    while (this.#open && !this.#paused && this.#inflight < this.maxInflight && this.#queued() > 0) {
      const message = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      this.#inflight++;
      let settled = false;
      this.publish(message, (err) => {
        if (settled) return;
        settled = true;
        this.#inflight--;
        if (!err) this.#delivered++;
        // The client gave the message up (ended, or refused it): it goes back to the front, to be
        // handed over again on the next connection. At least once, as QoS 1 promises.
        // Paused until the next setOpen(true): a client that refuses at once would otherwise spin.
        else if (!this.#closed) {
          this.#queue.splice(this.#head, 0, message);
          this.#paused = true;
          return;
        }
        this.#pump();
      });
    }
    this.#compact();
  }
}
