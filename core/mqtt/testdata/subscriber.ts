/** A test subscriber (mqtt.js) that records every message it receives, with its QoS and retain flag. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { StoredEvent } from '../../events/model.js';
import { waitFor } from '../../testing/wait.js';

/** One received message. */
export interface Received {
  topic: string;
  text: string;
  qos: number;
  retain: boolean;
}

/** Connects, subscribes to `topics` with QoS 1 and records what arrives. */
export class TestSubscriber {
  readonly received: Received[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.received.push({ topic, text: payload.toString(), qos: packet.qos, retain: packet.retain });
    });
  }

  static async connect(url: string, topics: string[], opts: IClientOptions = {}): Promise<TestSubscriber> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, connectTimeout: 5000, ...opts });
    const sub = new TestSubscriber(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return sub;
  }

  /** The first message on `topic` matching `match`, waiting up to `timeoutMs` (× PATIENCE). */
  next(topic: string, timeoutMs: number, match: (m: Received) => boolean = () => true): Promise<Received> {
    return waitFor(`a message on ${topic}`, timeoutMs, () => this.received.find((m) => m.topic === topic && match(m)), 20);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

/** A committed event as the store would emit it. */
export function fakeEvent(camera: string, n: number): StoredEvent {
  return { id: `ev-${camera}-${String(n).padStart(6, '0')}`, camera, plugin: 'fake', type: 'test.tick', severity: 'info', startedAt: Date.now(), hasSnapshot: false, attributes: { n } };
}
