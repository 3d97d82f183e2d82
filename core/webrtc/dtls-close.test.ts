/**
 * A closed WHEP session tells its viewer with a DTLS close_notify (werift sends none; found by
 * core/faults.e2e.test.ts: after a SIGTERM a viewer stayed "connected" with no media, forever).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setLogLevel } from '../log.js';
import { Stream } from '../stream/index.js';
import { waitUntil } from '../testing/wait.js';
import { feedLoop, testVideoUnits, videoTrack } from './testdata/h264-units.js';
import { TestWhepClient } from './testdata/whep-client.js';
import { WhepService } from './whep.js';

setLogLevel('warn');

describe('WHEP session close', () => {
  let stream: Stream;
  let feeder: ReturnType<typeof feedLoop>;
  const clients: TestWhepClient[] = [];

  before(() => {
    const units = testVideoUnits(50, 'high');
    stream = new Stream('cam');
    stream.setTracks([videoTrack(units)]);
    feeder = feedLoop(stream, units);
  });

  after(async () => {
    feeder.stop();
    await Promise.all(clients.map((c) => c.close()));
    stream.close();
  });

  /** A connected viewer and the states its DTLS transport goes through. */
  async function viewer(service: WhepService): Promise<{ id: string; dtls: string[] }> {
    const client = new TestWhepClient();
    clients.push(client);
    const { id, answerSdp } = await service.createSession('cam', await client.offer());
    await client.accept(answerSdp);
    await waitUntil(() => client.packets.length > 0, 5000, 'media');
    const dtls: string[] = [];
    client.pc.dtlsTransports[0]!.onStateChange.subscribe((s) => dtls.push(s));
    return { id, dtls };
  }

  it('DELETE and service shutdown send close_notify: the viewer\'s DTLS transport closes at once', async () => {
    const service = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [] }, { get: () => stream });
    try {
      const deleted = await viewer(service);
      const shutDown = await viewer(service);
      assert.ok(service.deleteSession(deleted.id));
      await waitUntil(() => deleted.dtls.includes('closed'), 2000, 'close_notify after DELETE');
      assert.deepEqual(shutDown.dtls, [], 'the other viewer is untouched');
      service.close();
      await waitUntil(() => shutDown.dtls.includes('closed'), 2000, 'close_notify on shutdown');
    } finally {
      service.close();
    }
  });
});
