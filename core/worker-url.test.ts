import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { startWorker, workerEntry } from './worker-url.js';

describe('worker-url', () => {
  it('from source, a bootstrap loads the .ts entry through tsx', () => {
    const { file, execArgv } = workerEntry(new URL('./x/y.ts', import.meta.url));
    assert.equal(file.protocol, 'data:');
    assert.match(decodeURIComponent(file.href), /tsx\/dist\/esm\/api.*x\/y\.ts/s);
    assert.deepEqual(execArgv, []);
  });

  it('starts a TypeScript worker that imports .js-suffixed TypeScript siblings', async () => {
    const code = new URL('./plugins/testdata/echo-worker.ts', import.meta.url);
    const w = startWorker(code, { workerData: { n: 41 } });
    try {
      const [msg] = (await once(w, 'message')) as [unknown];
      assert.deepEqual(msg, { n: 42, backoff: 0 });
    } finally {
      await w.terminate();
    }
  });
});
