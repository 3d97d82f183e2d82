/**
 * Child process for the durability test (store.durability.test.ts): appends events to the store at
 * argv[2] in bursts of concurrent appends, forever, printing each id on stdout only after its append()
 * resolved. The test SIGKILLs it mid-burst and checks that every printed id survived.
 * Run: node --import tsx core/events/testdata/writer.ts DIR
 */
import { EventStore } from '../store.js';

const BURST = 16;
// Smallest shape the store accepts as a JPEG (SOI ... EOI); the bytes only need to round-trip.
const FAKE_JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

const store = await EventStore.open({ path: process.argv[2]! });
for (let n = 0; ; ) {
  const burst: Promise<void>[] = [];
  for (let i = 0; i < BURST; i++, n++) {
    burst.push(
      store
        .append({
          camera: `cam${n % 3}`,
          plugin: 'writer',
          type: 'tick',
          severity: 'info',
          startedAt: Date.now(),
          attributes: { n },
          ...(n % 4 === 0 ? { snapshot: FAKE_JPEG } : {}),
        })
        // Pipes are written synchronously on Linux, so a printed line is one the parent can see.
        .then((e) => void process.stdout.write(`${e.id}\n`)),
    );
  }
  await Promise.all(burst);
}
