/**
 * FrameRing publish-to-subscriber latency: from commit() in the decoder's thread until a subscriber
 * worker has pinned the frame and touched every page of it, with K = 1, 4, 16 subscriber workers.
 * Two ways to tell subscribers a frame is ready:
 *   postMessage  the FrameRef `{ slot, seq, pts, capturedAt }` posted to each worker — what PluginHost does
 *   atomics      a shared seq word + Atomics.notify; workers block in Atomics.wait and take ring.latest()
 * Also prints bytesPerCamera: the SharedArrayBuffer of 8 slots of 1280x720 i420.
 *
 *   node --import tsx bench/ring.ts [--k 1,4,16] [--frames 300] [--fps 100] [--size 640x360] [--json]
 *
 * The commit time of each seq goes into a shared table, so a subscriber computes its own latency on
 * the same monotonic clock (hrtime is process-wide) and the host message stays a bare FrameRef.
 */
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FrameRing, type FrameRef, type FrameRingLayout } from '../core/decode/frame-ring.js';
import { startWorker } from '../core/worker-url.js';

type Mode = 'postMessage' | 'atomics';

interface SubscriberData {
  mode: Mode;
  sab: SharedArrayBuffer;
  /** Float64 per seq: commit time in ms (hrtime). */
  committedAt: SharedArrayBuffer;
  /** Float64 per subscriber x seq: latency in ms, NaN when the pin failed. */
  latency: SharedArrayBuffer;
  /** Int32 [0] last published seq (atomics mode), [1] stop flag. */
  signal: SharedArrayBuffer;
  index: number;
  frames: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Reads one byte per 4 KiB page of the frame, so every page is actually touched. */
function touch(px: Uint8Array): number {
  let sum = px[px.length - 1]!;
  for (let i = 0; i < px.length; i += 4096) sum += px[i]!;
  return sum;
}

function subscriber(d: SubscriberData): void {
  const ring = FrameRing.attach(d.sab);
  const committedAt = new Float64Array(d.committedAt);
  const latency = new Float64Array(d.latency, d.index * d.frames * 8, d.frames);
  const signal = new Int32Array(d.signal);
  let sink = 0;
  const consume = (ref: FrameRef) => {
    if (ref.seq > d.frames) return;
    if (!ring.pin(ref)) {
      latency[ref.seq - 1] = NaN;
      return;
    }
    sink += touch(ring.pixels(ref.slot));
    latency[ref.seq - 1] = nowMs() - committedAt[ref.seq]!;
    ring.unpin(ref);
  };
  if (d.mode === 'postMessage') {
    parentPort!.on('message', (m: FrameRef | 'stop') => {
      if (m === 'stop') {
        parentPort!.postMessage({ sink });
        parentPort!.close();
      } else consume(m);
    });
    parentPort!.postMessage('ready');
    return;
  }
  parentPort!.postMessage('ready');
  let seen = 0;
  while (Atomics.load(signal, 1) === 0) {
    Atomics.wait(signal, 0, seen, 1000);
    const seq = Atomics.load(signal, 0);
    if (seq === seen) continue;
    seen = seq;
    const ref = ring.latest();
    if (ref) consume(ref);
  }
  parentPort!.postMessage({ sink });
}

/** Publish-to-subscriber latencies (ms) of `frames` frames at `fps` to K subscriber workers. */
export async function run(mode: Mode, k: number, layout: FrameRingLayout, frames: number, fps: number) {
  const ring = FrameRing.create(layout);
  const committedAt = new SharedArrayBuffer(8 * (frames + 1));
  const latency = new SharedArrayBuffer(8 * frames * k);
  new Float64Array(latency).fill(NaN);
  const signal = new SharedArrayBuffer(8);
  const sig = new Int32Array(signal);
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: k }, (_, index) => {
        const data: SubscriberData = { mode, sab: ring.sab, committedAt, latency, signal, index, frames };
        const w = startWorker(new URL(import.meta.url), { workerData: data });
        workers.push(w);
        return new Promise((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        });
      }),
    );
    const commits = new Float64Array(committedAt);
    // Fill from a few prepared frames: the fill is the decoder's cost, not the ring's.
    const pattern = Array.from({ length: 4 }, (_, i) => new Uint8Array(ring.frameBytes).fill(i * 50));
    let dropped = 0;
    const period = 1000 / fps;
    const start = performance.now();
    for (let n = 1; n <= frames; n++) {
      const due = start + n * period;
      while (performance.now() < due) await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now() - 1)));
      const slot = ring.beginWrite();
      if (slot < 0) {
        dropped++;
        continue;
      }
      ring.pixels(slot).set(pattern[n % pattern.length]!);
      commits[n] = nowMs();
      const ref = ring.commit(slot, n * 3000, Date.now());
      if (mode === 'postMessage') for (const w of workers) w.postMessage(ref);
      else {
        Atomics.store(sig, 0, ref.seq);
        Atomics.notify(sig, 0);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    const done = workers.map((w) => new Promise((r) => w.once('message', r)));
    if (mode === 'postMessage') for (const w of workers) w.postMessage('stop');
    else {
      Atomics.store(sig, 1, 1);
      Atomics.notify(sig, 0);
    }
    await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 5000))]);

    const warmup = Math.min(20, Math.floor(frames / 10));
    const all = new Float64Array(latency);
    const samples: number[] = [];
    let missed = 0;
    for (let s = 0; s < k; s++) {
      for (let i = warmup; i < frames; i++) {
        const v = all[s * frames + i]!;
        if (Number.isNaN(v)) missed++;
        else samples.push(v);
      }
    }
    return { mode, k, samples, missed, dropped };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      k: { type: 'string', default: '1,4,16' },
      frames: { type: 'string', default: '300' },
      fps: { type: 'string', default: '100' },
      size: { type: 'string', default: '640x360' },
      json: { type: 'boolean', default: false },
    },
  });
  const { percentile } = await import('./lib.js');
  const [width, height] = values.size!.split('x').map(Number) as [number, number];
  const layout: FrameRingLayout = { slots: 8, width, height, format: 'i420' };
  const frames = Number(values.frames);
  const fps = Number(values.fps);
  const bytesPerCamera = FrameRing.byteLength({ slots: 8, width: 1280, height: 720, format: 'i420' });
  const say = (s: string) => values.json || process.stdout.write(`${s}\n`);

  say(`FrameRing ${width}x${height} i420, 8 slots, ${frames} frames at ${fps} fps; latency = commit -> subscriber pinned + touched`);
  say(`bytesPerCamera (8 slots of 1280x720 i420): ${bytesPerCamera} (${(bytesPerCamera / 2 ** 20).toFixed(2)} MiB)`);
  say('mode         K    p50 ms   p99 ms   max ms   samples  missed  dropped');
  const results = [];
  for (const mode of ['postMessage', 'atomics'] as const) {
    for (const k of values.k!.split(',').map(Number)) {
      const r = await run(mode, k, layout, frames, fps);
      const row = {
        mode,
        k,
        p50Ms: percentile(r.samples, 50),
        p99Ms: percentile(r.samples, 99),
        maxMs: r.samples.length ? Math.max(...r.samples) : NaN,
        samples: r.samples.length,
        missed: r.missed,
        dropped: r.dropped,
      };
      results.push(row);
      say(
        `${mode.padEnd(11)} ${String(k).padStart(2)} ${row.p50Ms.toFixed(3).padStart(9)} ${row.p99Ms.toFixed(3).padStart(8)} ` +
          `${row.maxMs.toFixed(3).padStart(8)} ${String(row.samples).padStart(9)} ${String(row.missed).padStart(7)} ${String(row.dropped).padStart(8)}`,
      );
    }
  }
  say('missed: subscriber never pinned that frame (not delivered, or overwritten first); the host uses postMessage');
  if (values.json) process.stdout.write(`${JSON.stringify({ layout, frames, fps, bytesPerCamera, results })}\n`);
}

if (!isMainThread) subscriber(workerData as SubscriberData);
// Run as a program only when this file is the entry (bench/pipeline.ts imports run()).
else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
