/**
 * SIGTERM: the real CLI (`streamsight serve`) in a child process, pulling a camera whose picture
 * flashes (the brightness plugin emits events), with a WHEP viewer and a /ws client. SIGTERM comes
 * the moment an event is acknowledged on /ws. A graceful shutdown sends TEARDOWN to the camera,
 * closes the viewer's session (a DTLS close_notify: its DTLS transport goes 'closed'), exits 0, and the event
 * acknowledged just before is there when the server is started again on the same storage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { TestWebSocket } from '../../core/http/testdata/ws-client.js';
import { ClipCamera, loadClip } from './camera.js';
import { startCliServer, type CliServer } from './cli-server.js';
import { baseYaml, checker, poll, SizingViewer, type Fault } from './harness.js';

export const sigtermFault: Fault = {
  id: 'sigterm',
  name: 'SIGTERM',
  injected: 'SIGTERM to `streamsight serve` right after an event is acknowledged on /ws',
  expected: 'TEARDOWN to the camera, WHEP session closed, acknowledged event kept, exit 0',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-fault-term-'));
    const camera = new ClipCamera({ clips: { flash: loadClip(320, 240, 15, 2, 'flash') }, initial: 'flash' });
    const viewer = new SizingViewer();
    const { check, failures } = checker();
    const servers: CliServer[] = [];
    let ws: TestWebSocket | undefined;
    try {
      await camera.start();
      const configPath = join(dir, 'streamsight.yaml');
      writeFileSync(configPath, [
        baseYaml(join(dir, 'events')).replace('log: { level: warn }', 'log: { level: info }'),
        'cameras:',
        '  cam:',
        `    url: ${camera.url()}`,
        '    timeoutMs: 3000',
        '    detect: { fps: 5, width: 160, height: 120 }',
        '    plugins:',
        '      brightness: { fps: 5, config: { darkBelow: 60, brightAbove: 180 } }',
        '',
      ].join('\n'));
      const first = await startCliServer(configPath);
      servers.push(first);
      ws = await TestWebSocket.open(first.httpPort);
      await viewer.connect(first.base, 'cam');
      check((await poll(10_000, () => (viewer.keyframeCount > 0 ? true : undefined))) === true, 'viewer got a keyframe');
      // The SIGTERM follows the first event acknowledged on /ws.
      let acked: { id: string; type: string } | undefined;
      const deadline = performance.now() + 20_000;
      while (!acked && performance.now() < deadline) {
        const m = await ws.next<{ type: string; event?: { id: string; type: string } }>(Math.max(1, deadline - performance.now())).catch(() => undefined);
        if (m?.type === 'event') acked = m.event;
      }
      check(acked !== undefined, 'an event acknowledged on /ws');
      const teardownsBefore = camera.methods().filter((m) => m === 'TEARDOWN').length;
      const t0 = performance.now();
      first.child.kill('SIGTERM');
      const exit = await Promise.race([first.exited, sleep(15_000, undefined, { ref: false })]);
      const exitMs = performance.now() - t0;
      check(exit?.code === 0 && exit.signal === null, `exit code 0 (got ${exit ? exit.signal ?? exit.code : 'no exit in 15 s'})`);
      const teardown = camera.methods().filter((m) => m === 'TEARDOWN').length > teardownsBefore;
      check(teardown, 'the camera got TEARDOWN');
      // werift's connectionState does not follow its DTLS transport; a browser's goes to 'closed' with it.
      const closed = await poll(3000, () => (viewer.dtlsStates.includes('closed') ? true : undefined));
      check(closed === true, `the viewer's DTLS transport closed (close_notify) (states: ${viewer.dtlsStates.join(' → ') || 'none'})`);
      ws.close();
      ws = undefined;

      const second = await startCliServer(configPath);
      servers.push(second);
      const res = acked ? await fetch(`${second.base}api/events/${acked.id}`) : undefined;
      check(res?.status === 200, `the acknowledged event ${acked?.id ?? '-'} is there after the restart (${res?.status ?? '-'})`);
      second.child.kill('SIGTERM');
      const exit2 = await Promise.race([second.exited, sleep(15_000, undefined, { ref: false })]);
      check(exit2?.code === 0, 'the second server exits 0 too');
      const output = failures.length ? ` — server output: ${first.output().slice(-1500)}` : '';
      return {
        observed: `exit ${exit ? exit.signal ?? exit.code : '-'} after ${(exitMs / 1000).toFixed(1)} s; TEARDOWN ${teardown ? 'received' : 'missing'}; ` +
          `viewer DTLS ${viewer.dtlsStates.join(' → ') || 'still connected'}; event ${acked?.type ?? '-'} ${res?.status === 200 ? 'kept' : 'lost'} after restart${output}`,
        failures,
      };
    } finally {
      ws?.close();
      await viewer.close();
      for (const s of servers) s.kill();
      await camera.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
