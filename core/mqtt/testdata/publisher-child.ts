/**
 * Runs an MqttPublisher in its own process for the last-will test: prints `connected` once the
 * broker accepted it, then idles until it is killed. Usage: publisher-child.ts URL CLIENT_ID
 */
import { MqttPublisher } from '../publisher.js';

const [url, clientId] = process.argv.slice(2);
const publisher = new MqttPublisher({ url: url!, clientId: clientId!, keepaliveS: 5, statsIntervalS: 60 }, { cameras: () => [], plugins: () => [] });
publisher.start();
const poll = setInterval(() => {
  if (publisher.stats().connected) {
    clearInterval(poll);
    process.stdout.write('connected\n');
  }
}, 20);
setInterval(() => undefined, 60_000);
