/**
 * MqttPublisher against a real Mosquitto started by the test: events (QoS 1), per-minute counts,
 * stats, availability with its last will after a kill -9, the bounded outbox while the broker is
 * away, and a broker restart in the middle of a burst of events with none lost.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { CameraInfo } from '../http/types.js';
import type { PluginStats } from '../plugins/runner.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';
import type { MinuteCount } from './minute-counts.js';
import { MqttPublisher, type StatsMessage } from './publisher.js';
import { TestBroker } from './testdata/broker.js';
import { fakeEvent, TestSubscriber } from './testdata/subscriber.js';

failOnUnhandledRejection();

const CHILD = fileURLToPath(new URL('./testdata/publisher-child.ts', import.meta.url));

const camera: CameraInfo = { id: 'gate1', source: 'synthetic', state: 'online', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0 };
const plugin = { camera: 'gate1', plugin: 'counting', state: 'running', fps: 5, processed: 42, restarts: 0 } as unknown as PluginStats;
const sources = { cameras: () => [camera], plugins: () => [plugin] };

describe('MqttPublisher with a real Mosquitto', { timeout: 120_000 }, () => {
  let broker: TestBroker;
  const closers: Array<() => Promise<void> | void> = [];
  const children: ChildProcess[] = [];

  before(async () => {
    broker = await TestBroker.start();
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const close of closers.reverse()) await close();
    await broker?.close();
  });

  function publisher(clientId: string, extra: Partial<ConstructorParameters<typeof MqttPublisher>[0]> = {}, url = broker.url): MqttPublisher {
    const p = new MqttPublisher({ url, clientId, reconnectMs: 200, ...extra }, sources);
    closers.push(() => p.close(500));
    return p;
  }

  async function subscriber(topics: string[], url = broker.url, opts = {}): Promise<TestSubscriber> {
    const s = await TestSubscriber.connect(url, topics, opts);
    closers.push(() => s.close());
    return s;
  }

  it('publishes a committed event on {prefix}/{camera}/events with QoS 1', async () => {
    const sub = await subscriber(['streamsight/+/events']);
    const pub = publisher('pub-events');
    pub.start();
    const event = fakeEvent('gate1', 1);
    pub.event(event);
    const m = await sub.next('streamsight/gate1/events', 5000);
    assert.equal(m.qos, 1);
    assert.deepEqual(JSON.parse(m.text), event);
    await waitUntil(() => pub.stats().delivered === 1, 5000, 'the PUBACK');
    assert.equal(pub.stats().eventsDropped, 0);
  });

  it('publishes per-minute counts per camera and class once the minute is over', async () => {
    const sub = await subscriber(['counts/#']);
    const pub = publisher('pub-counts', { topicPrefix: 'counts', node: 'node-c' });
    pub.start();
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000; // a minute that is over
    const at = minute + 5_000;
    pub.crossing({ camera: 'gate1', gate: 'north', line: 'l1', cls: 'car', direction: 'in', at });
    pub.crossing({ camera: 'gate1', gate: 'north', line: 'l1', cls: 'car', direction: 'in', at: at + 1000 });
    pub.crossing({ camera: 'gate1', gate: 'north', line: 'l2', cls: 'car', direction: 'out', at: at + 2000 });
    pub.crossing({ camera: 'gate1', gate: 'north', line: 'l1', cls: 'motorbike', direction: 'out', at });
    const car = await sub.next('counts/gate1/counts/car', 5000);
    const bike = await sub.next('counts/gate1/counts/motorbike', 5000);
    assert.equal(car.qos, 1);
    const carRow = JSON.parse(car.text) as MinuteCount;
    const bikeRow = JSON.parse(bike.text) as MinuteCount;
    // Each row carries a unique id (node, random run, sequence) so a reporter can drop a QoS 1 redelivery.
    assert.match(carRow.id!, /^node-c:[0-9a-f]{8}:\d+$/);
    assert.notEqual(carRow.id, bikeRow.id);
    assert.deepEqual({ ...carRow, id: undefined }, {
      camera: 'gate1', gate: 'north', cls: 'car', minute: new Date(minute).toISOString(), in: 2, out: 1, total: 3,
      lines: { l1: { in: 2 }, l2: { out: 1 } }, node: 'node-c', id: undefined,
    });
    assert.deepEqual({ ...bikeRow, id: undefined }, {
      camera: 'gate1', gate: 'north', cls: 'motorbike', minute: new Date(minute).toISOString(), in: 0, out: 1, total: 1,
      lines: { l1: { out: 1 } }, node: 'node-c', id: undefined,
    });
    // The current minute is still open: nothing for it yet.
    const now = Date.now();
    pub.crossing({ camera: 'gate1', line: 'l1', cls: 'bus', direction: 'in', at: now });
    await new Promise((r) => setTimeout(r, 1500));
    const sameMinute = Math.floor(Date.now() / 60_000) === Math.floor(now / 60_000);
    if (sameMinute) assert.equal(sub.received.filter((m) => m.topic === 'counts/gate1/counts/bus').length, 0);
  });

  it('publishes stats with cameras, plugins and its counters, and each camera state retained', async () => {
    const sub = await subscriber(['stats/stats', 'stats/+/state']);
    const pub = publisher('pub-stats', { topicPrefix: 'stats', statsIntervalS: 1, node: 'node-a' });
    pub.start();
    const m = await sub.next('stats/stats', 5000);
    const stats = JSON.parse(m.text) as StatsMessage;
    assert.equal(stats.node, 'node-a');
    assert.deepEqual(stats.cameras, [camera]);
    assert.deepEqual(stats.plugins, [plugin]);
    assert.equal(stats.mqtt.connected, true);
    assert.equal(stats.mqtt.eventsDropped, 0);
    const state = await sub.next('stats/gate1/state', 5000);
    assert.equal(state.text, 'online');
  });

  it('keeps availability retained: online while connected, offline on close', async () => {
    const pub = publisher('pub-avail');
    pub.start();
    await waitUntil(() => pub.stats().connected, 5000, 'the publisher to connect');
    // A subscriber that comes later still learns it is online: the message is retained.
    await waitUntil(async () => {
      const late = await subscriber(['streamsight/pub-avail/availability']);
      await new Promise((r) => setTimeout(r, 200));
      return late.received.some((m) => m.retain && m.text === 'online');
    }, 5000, 'the retained online');
    const sub = await subscriber(['streamsight/pub-avail/availability']);
    await pub.close();
    await sub.next('streamsight/pub-avail/availability', 5000, (m) => m.text === 'offline');
  });

  it('has the broker publish its last will (offline, retained) when the process is killed -9', async () => {
    const sub = await subscriber(['streamsight/pub-child/availability']);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, broker.url, 'pub-child'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil(() => out.includes('connected'), 20_000, 'the child publisher to connect');
    await sub.next('streamsight/pub-child/availability', 5000, (m) => m.text === 'online');
    child.kill('SIGKILL');
    await sub.next('streamsight/pub-child/availability', 10_000, (m) => m.text === 'offline');
    const later = await subscriber(['streamsight/pub-child/availability']);
    const retained = await later.next('streamsight/pub-child/availability', 5000);
    assert.equal(retained.text, 'offline');
    assert.equal(retained.retain, true);
  });

  it('buffers events while the broker is away, keeps the newest maxQueuedEvents and counts the dropped', async () => {
    const away = await TestBroker.start();
    closers.push(() => away.close());
    await away.stop();
    const pub = publisher('pub-bounded', { maxQueuedEvents: 10 }, away.url);
    pub.start();
    for (let i = 0; i < 15; i++) pub.event(fakeEvent('gate1', i));
    assert.deepEqual({ queued: pub.stats().queued, eventsDropped: pub.stats().eventsDropped }, { queued: 10, eventsDropped: 5 });
    await away.start();
    const sub = await subscriber(['streamsight/gate1/events'], away.url);
    // The subscriber may connect after some were delivered; what matters is what the broker acknowledged.
    await waitUntil(() => pub.stats().delivered === 10, 10_000, 'the 10 queued events to be acknowledged');
    assert.equal(pub.stats().queued + pub.stats().inflight, 0);
    assert.ok(sub.received.every((m) => JSON.parse(m.text).attributes.n >= 5), 'only the newest were kept');
  });

  it('loses none of a burst of 500 events when the broker restarts in the middle of it', async () => {
    const N = 500;
    const restarting = await TestBroker.start({ persistence: true });
    closers.push(() => restarting.close());
    // A persistent session (clean: false, fixed id), so the broker keeps what it owes the subscriber across its restart.
    const sub = await subscriber(['burst/+/events'], restarting.url, { clientId: 'burst-sub', clean: false });
    const pub = publisher('pub-burst', { topicPrefix: 'burst' }, restarting.url);
    pub.start();
    await waitUntil(() => pub.stats().connected, 5000, 'the publisher to connect');

    // The broker goes away halfway through (the burst waits until it is gone, so a slow machine
    // cannot finish the burst before the stop lands), a quarter of the events are published while
    // it is down, and the last quarter while it starts again.
    let restarted: Promise<void> | undefined;
    let publishedWhileDown = 0;
    for (let i = 0; i < N; i++) {
      if (i === N / 2) await restarting.stop('SIGTERM');
      if (i === (N * 3) / 4) restarted = restarting.start();
      pub.event(fakeEvent('gate1', i));
      if (!pub.stats().connected) publishedWhileDown++;
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20)); // a burst over ~1 s, not one tick
    }
    await restarted;
    assert.ok(publishedWhileDown > 0, 'some events were published while the publisher was disconnected');
    await waitUntil(() => pub.stats().delivered >= N, 30_000, `all ${N} events acknowledged (${JSON.stringify(pub.stats())})`);
    const ids = () => new Set(sub.received.map((m) => (JSON.parse(m.text) as { id: string }).id));
    await waitUntil(() => ids().size === N, 30_000, `all ${N} events at the subscriber`);
    for (let i = 0; i < N; i++) assert.ok(ids().has(fakeEvent('gate1', i).id), `event ${i}`);
    assert.ok(sub.received.every((m) => m.qos === 1));
    assert.equal(pub.stats().eventsDropped, 0);
    assert.ok(pub.stats().connects >= 2, 'the publisher reconnected');
  });
});
