/**
 * Storage full: the event store gets a 1 MiB LMDB map (`storage.mapSizeBytes`, the smallest the
 * schema allows) and a flashing camera makes the brightness plugin emit about 60 events with
 * noisy 320x240 snapshots a second (4 zones, each dark then bright every other frame). Once full, new events
 * must be refused with a clear error (logged, counted as eventsDropped in /api/plugins), the API
 * must keep answering, and the relay must keep running: a WHEP viewer keeps getting frames.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipCamera, loadClip } from './camera.js';
import { baseYaml, checker, pluginStats, poll, SizingViewer, startFaultServer, withLogs, type Fault } from './harness.js';

const MAP_BYTES = 1024 * 1024;

/** A 2x2 grid of brightness zones. */
function gridZones(): string[] {
  const lines: string[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const [x0, x1, y0, y1] = [c / 2, (c + 1) / 2, r / 2, (r + 1) / 2];
      lines.push(`          z${r}${c}: [[${x0}, ${y0}], [${x1}, ${y0}], [${x1}, ${y1}], [${x0}, ${y1}]]`);
    }
  }
  return lines;
}

export const storageFullFault: Fault = {
  id: 'storage',
  name: 'storage full',
  injected: `storage.mapSizeBytes ${MAP_BYTES / 1024} KiB, ~60 events/s with noisy snapshots`,
  expected: 'new events refused with a clear error (logged, eventsDropped); relay keeps running',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'streamsight-fault-full-'));
    const camera = new ClipCamera({ clips: { flash: loadClip(320, 240, 15, 2, 'flash') }, initial: 'flash' });
    const viewer = new SizingViewer();
    const { check, failures } = checker();
    let stop = async (): Promise<void> => undefined;
    try {
      await camera.start();
      return await withLogs(async (logs) => {
        const { server, base } = await startFaultServer([
          baseYaml(join(dir, 'events')).replace(/storage: \{ path: (.*) \}/, `storage: { path: $1, maxBytes: ${MAP_BYTES}, mapSizeBytes: ${MAP_BYTES} }`),
          'cameras:',
          '  cam:',
          `    url: ${camera.url()}`,
          '    timeoutMs: 3000',
          '    detect: { fps: 15 }',
          '    plugins:',
          '      brightness:',
          '        fps: 15',
          '        config: { darkBelow: 60, brightAbove: 180 }',
          '        zones:',
          ...gridZones(),
        ].join('\n'));
        stop = async () => {
          await viewer.close(base);
          await server.close();
        };
        await viewer.connect(base, 'cam');
        const t0 = performance.now();
        const full = await poll(30_000, async () => {
          const p = await pluginStats(base, 'cam', 'brightness');
          return p.eventsDropped >= 20 && /event storage full/.test(logs()) ? p : undefined;
        });
        const fullMs = performance.now() - t0;
        check(full !== undefined, 'events refused, "event storage full" logged');
        const stored = await (await fetch(`${base}api/events?camera=cam&limit=1`)).json() as { events: unknown[] };
        check(stored.events.length === 1, 'the API still lists stored events');
        const units = viewer.units;
        const keyframes = viewer.keyframeCount;
        const flowing = await poll(5000, () => (viewer.units >= units + 20 && viewer.keyframeCount > keyframes ? true : undefined));
        check(flowing === true, 'viewer: 20 more frames and a keyframe while the store is full');
        const after = await pluginStats(base, 'cam', 'brightness');
        check(after.eventsDropped > (full?.eventsDropped ?? 0), 'still refusing (eventsDropped grows)');
        check(after.processed > (full?.processed ?? 0), 'plugin still processing frames');
        const line = /\[events\] event storage full \([^)]*\)/.exec(logs())?.[0] ?? '-';
        return {
          observed: `full after ${(fullMs / 1000).toFixed(1)} s: ${after.events} events emitted, ${after.eventsDropped} dropped; ` +
            `logged "${line}"; viewer +${viewer.units - units} frames while full`,
          failures,
        };
      });
    } finally {
      await stop();
      await camera.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
