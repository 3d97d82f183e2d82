/** Test worker for core/worker-url.test.ts: answers workerData.n + 1 using a TypeScript import. */
import { parentPort, workerData } from 'node:worker_threads';
import { Backoff } from '../../camera/backoff.js';

const n: number = (workerData as { n: number }).n;
parentPort!.postMessage({ n: n + 1, backoff: new Backoff({ initialMs: 1, maxMs: 1 }).attempt });
