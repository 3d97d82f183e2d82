/** The `mqtt:` config section: defaults, each rejection message, and the password kept out of logs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText, redactedConfig } from '../../config/load.js';
import { ConfigError } from '../errors.js';

function message(text: string): string {
  try {
    parseConfigText(text, 'test.yaml', [], {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('mqtt config', () => {
  it('is absent by default and fills in its defaults when present', () => {
    assert.equal(parseConfigText('log: { level: warn }').mqtt, undefined);
    assert.deepEqual(parseConfigText('mqtt: { url: "mqtt://broker.lan:1883" }').mqtt, {
      url: 'mqtt://broker.lan:1883', topicPrefix: 'streamsight', statsIntervalS: 10, maxQueuedEvents: 10000, keepaliveS: 30,
    });
  });

  it('rejects bad values, each with its message', () => {
    assert.equal(message('mqtt: { username: bob }'), 'mqtt.url: is required');
    assert.equal(message('mqtt: { url: 1883 }'), 'mqtt.url: expected a URL such as mqtt://host:1883');
    assert.equal(message('mqtt: { url: "http://broker" }'), 'mqtt.url: expected an mqtt://, mqtts://, ws:// or wss:// URL with a host');
    assert.equal(message('mqtt: { url: "mqtt://b", topicPrefix: "a/#" }'), 'mqtt.topicPrefix: expected a topic without wildcards (+, #)');
    assert.equal(message('mqtt: { url: "mqtt://b", topicPrefix: "a/" }'), 'mqtt.topicPrefix: must not start or end with /');
    assert.equal(message('mqtt: { url: "mqtt://b", statsIntervalS: 0 }'), 'mqtt.statsIntervalS: expected an integer from 1 to 3600');
    assert.equal(message('mqtt: { url: "mqtt://b", maxQueuedEvents: 0 }'), 'mqtt.maxQueuedEvents: expected an integer from 1 to 1000000');
    assert.equal(message('mqtt: { url: "mqtt://b", keepaliveS: 1 }'), 'mqtt.keepaliveS: expected an integer from 5 to 3600');
    assert.match(message('mqtt: { url: "mqtt://b", qos: 2 }'), /^mqtt: unknown key "qos"/);
  });

  it('redacts the password and URL userinfo', () => {
    const config = parseConfigText('mqtt: { url: "mqtt://u:hunter2@b:1883", username: bob, password: s3cret }');
    const text = JSON.stringify(redactedConfig(config));
    for (const secret of ['hunter2', 's3cret']) assert.ok(!text.includes(secret), secret);
    assert.equal(config.mqtt!.password, 's3cret');
  });
});
