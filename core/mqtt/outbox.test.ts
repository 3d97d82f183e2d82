/** The Outbox on its own, with a fake client: the bound, the in-flight window, and a refused message. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox, type OutboxMessage } from './outbox.js';

const msg = (n: number, kind: OutboxMessage['kind'] = 'event'): OutboxMessage => ({ topic: 't', payload: String(n), kind });

describe('Outbox', () => {
  it('holds messages while closed, drops the oldest past the bound and counts them by kind', () => {
    const sent: string[] = [];
    const box = new Outbox((m, done) => (sent.push(m.payload), done()), 3);
    box.push(msg(0, 'count'));
    for (let i = 1; i < 6; i++) box.push(msg(i));
    assert.deepEqual(box.stats(), { queued: 3, inflight: 0, delivered: 0, eventsDropped: 2, countsDropped: 1 });
    box.setOpen(true);
    assert.deepEqual(sent, ['3', '4', '5']);
    assert.equal(box.stats().delivered, 3);
  });

  it('hands over at most maxInflight at once and the rest as PUBACKs come', () => {
    const pending: Array<() => void> = [];
    const box = new Outbox((_m, done) => pending.push(() => done()), 100, 2);
    box.setOpen(true);
    for (let i = 0; i < 5; i++) box.push(msg(i));
    assert.deepEqual([box.stats().inflight, box.stats().queued], [2, 3]);
    pending.shift()!();
    assert.deepEqual([box.stats().inflight, box.stats().queued, box.stats().delivered], [2, 2, 1]);
  });

  it('puts a message the client gave up back in front, to send on the next connection', () => {
    const sent: string[] = [];
    let refuse = true;
    const box = new Outbox((m, done) => {
      sent.push(m.payload);
      done(refuse ? new Error('Connection closed') : undefined);
    }, 10);
    box.push(msg(1));
    box.push(msg(2));
    box.setOpen(true);
    assert.deepEqual(box.stats().queued, 2);
    refuse = false;
    box.setOpen(true);
    assert.deepEqual(sent, ['1', '1', '2']);
    assert.equal(box.stats().delivered, 2);
  });
});
