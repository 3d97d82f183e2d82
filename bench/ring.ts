/**
 * FrameRing publish-to-subscriber latency: from commit() in the decoder's thread until a subscriber
 * worker has the frame pinned and has touched every page of it, with K = 1, 4, 16 subscriber workers.
 * Delivery mechanisms, measured side by side in one run (same machine state, interleaved):
 *   host         the product path: a real PluginHost with K ring-probe plugins (bench/ring-probe.ts);
 *                runner rate limit, pin, `{type:'frame', ref}` postMessage, worker, result back
 *   postMessage  the bare FrameRef posted to each worker: the host's delivery without the host
 *   waitAsync    one wake word + FrameRef fields per worker in shared memory, Atomics.notify; the
 *                worker sleeps in Atomics.waitAsync (its event loop stays free, as a plugin's must)
 *   futex        the same words, but workers block in Atomics.wait: a blocked worker runs no event
 *                loop (no host messages, no async plugin), so the host cannot use it as is
 *   atomics      one shared wake word, every worker in Atomics.wait, take ring.latest(): V8's futex
 *                emulation has one global mutex, so K woken waiters queue on it
 * Each row also gives the CPU the whole process used (%, of one core), and what the rest of the VM did
 * meanwhile: other processes' CPU and the hypervisor's steal (/proc/stat): on a shared 2-vCPU VM those
 * explain most of the tail, so compare rows only at similar steal.
 *
 *   node --import tsx bench/ring.ts [--k 1,4,16] [--frames 300] [--fps 100] [--size 640x360]
 *                                   [--modes host,postMessage,waitAsync,futex,atomics] [--rounds 1] [--json]
 *
 * The commit time of each seq goes into a shared table, so a subscriber computes its own latency on
 * the same monotonic clock (hrtime is process-wide) and what crosses threads stays a bare FrameRef.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, workerData, type Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FrameRing, type FrameRef, type FrameRingLayout } from '../core/decode/frame-ring.js';
import { Emitter } from '../core/emitter.js';
import { PluginHost } from '../core/plugins/host.js';
import { PluginRegistry } from '../core/plugins/registry.js';
import { fromSource, startWorker } from '../core/worker-url.js';
import probe, { touch } from './ring-probe.js';

/** How the bench tells subscribers a frame is ready; see the file comment. */
export type Mode = 'host' | 'postMessage' | 'waitAsync' | 'futex' | 'atomics';
const MODES: readonly Mode[] = ['host', 'postMessage', 'waitAsync', 'futex', 'atomics'];

/** Atomics.waitAsync (V8, Node 16+); tsconfig's lib predates it (ES2024), so it is typed here. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

interface SubscriberData {
  mode: Exclude<Mode, 'host'>;
  sab: SharedArrayBuffer;
  /** Float64 per seq: commit time in ms (hrtime). */
  committedAt: SharedArrayBuffer;
  /** Float64 per subscriber x seq: latency in ms, NaN when never consumed. */
  latency: SharedArrayBuffer;
  /** Int32 lines of 16: line 0 [0] stop flag, [1] shared seq (atomics); line 1 + i: worker i's [0] seq (wake word), [1] slot. */
  signal: SharedArrayBuffer;
  index: number;
  frames: number;
}

const LINE = 16;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function subscriber(d: SubscriberData): void {
  const ring = FrameRing.attach(d.sab);
  const committedAt = new Float64Array(d.committedAt);
  const latency = new Float64Array(d.latency, d.index * d.frames * 8, d.frames);
  const sig = new Int32Array(d.signal);
  const word = (d.index + 1) * LINE;
  let sink = 0;
  const consume = (ref: FrameRef) => {
    if (ref.seq > d.frames || !ring.pin(ref)) return;
    sink += touch(ring.pixels(ref.slot));
    latency[ref.seq - 1] = nowMs() - committedAt[ref.seq]!;
    ring.unpin(ref);
  };
  const done = () => parentPort!.postMessage({ sink });
  parentPort!.postMessage('ready');
  switch (d.mode) {
    case 'postMessage':
      parentPort!.on('message', (m: FrameRef | 'stop') => (m === 'stop' ? (done(), parentPort!.close()) : consume(m)));
      return;
    case 'waitAsync': {
      // The port listener keeps the worker alive: a pending waitAsync alone does not.
      parentPort!.on('message', () => (done(), parentPort!.close()));
      let seen = 0;
      const check = (): void => {
        if (Atomics.load(sig, 0) !== 0) return;
        const seq = Atomics.load(sig, word);
        if (seq !== seen) {
          seen = seq;
          consume({ slot: sig[word + 1]!, seq, pts: 0, capturedAt: 0 });
        }
        const r = waitAsync(sig, word, seen);
        if (r.async) void r.value.then(check);
        else queueMicrotask(check);
      };
      check();
      return;
    }
    case 'futex':
    case 'atomics': {
      const at = d.mode === 'futex' ? word : 1;
      let seen = 0;
      while (Atomics.load(sig, 0) === 0) {
        Atomics.wait(sig, at, seen, 1000);
        const seq = Atomics.load(sig, at);
        if (seq === seen) continue;
        seen = seq;
        const ref = d.mode === 'futex' ? { slot: sig[word + 1]!, seq, pts: 0, capturedAt: 0 } : ring.latest();
        if (ref) consume(ref);
      }
      done();
    }
  }
}

/** Busy jiffies of the whole VM outside this process, and steal jiffies (both 1/100 s). */
function vmJiffies(): { other: number; steal: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const self = readFileSync('/proc/self/stat', 'utf8');
  const f = self.slice(self.lastIndexOf(')') + 2).split(' ');
  const busy = cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]!;
  return { other: busy - Number(f[11]) - Number(f[12]), steal: cpu[7]! };
}

/** The decoder's side as PluginHost sees it (core/decode Decoder fits the same RingSource). */
class BenchSource extends Emitter<{ ring: [FrameRing]; frame: [FrameRef] }> {
  constructor(readonly ring: FrameRing) {
    super();
  }
}

/** Starts K subscribers of `mode`; returns how to announce a frame and how to stop them. */
async function subscribe(mode: Mode, k: number, ring: FrameRing, committedAt: SharedArrayBuffer, latency: SharedArrayBuffer, frames: number) {
  if (mode === 'host') {
    const source = new BenchSource(ring);
    const registry = PluginRegistry.of([{ definition: probe, url: new URL(`./ring-probe.${fromSource ? 'ts' : 'js'}`, import.meta.url).href }]);
    // 16 workers each loading tsx on a busy 2-vCPU box can take longer than the default 15 s to start.
    const host = new PluginHost({ registry, startTimeoutMs: 60_000 });
    for (let index = 0; index < k; index++) host.add(`bench${index}`, probe.name, { config: { committedAt, latency, index, frames } }, source);
    const t0 = performance.now();
    while (host.stats().some((s) => s.state !== 'running')) {
      if (performance.now() - t0 > 60_000) throw new Error('ring-probe workers did not start within 60 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    return { announce: (ref: FrameRef) => source.emit('frame', ref), stop: () => host.close() };
  }
  const signal = new SharedArrayBuffer(4 * LINE * (k + 1));
  const sig = new Int32Array(signal);
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: k }, (_, index) => {
        const data: SubscriberData = { mode, sab: ring.sab, committedAt, latency, signal, index, frames };
        const w = startWorker(new URL(import.meta.url), { workerData: data });
        workers.push(w);
        return new Promise((resolve, reject) => (w.once('message', resolve), w.once('error', reject)));
      }),
    );
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  const announce = (ref: FrameRef) => {
    switch (mode) {
      case 'postMessage':
        for (const w of workers) w.postMessage(ref);
        break;
      case 'waitAsync':
      case 'futex':
        for (let i = 1; i <= k; i++) {
          sig[i * LINE + 1] = ref.slot;
          Atomics.store(sig, i * LINE, ref.seq);
          Atomics.notify(sig, i * LINE);
        }
        break;
      case 'atomics':
        Atomics.store(sig, 1, ref.seq);
        Atomics.notify(sig, 1);
    }
  };
  const stop = async () => {
    const done = workers.map((w) => new Promise((r) => w.once('message', r)));
    Atomics.store(sig, 0, 1);
    for (let i = 0; i <= k; i++) Atomics.notify(sig, i * LINE);
    Atomics.notify(sig, 1);
    for (const w of workers) w.postMessage('stop');
    await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 5000))]);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return { announce, stop };
}

/** Publish-to-subscriber latencies (ms) of `frames` frames at `fps` to K subscribers, and what the VM did meanwhile. */
export async function run(mode: Mode, k: number, layout: FrameRingLayout, frames: number, fps: number) {
  const ring = FrameRing.create(layout);
  const committedAt = new SharedArrayBuffer(8 * (frames + 1));
  const latency = new SharedArrayBuffer(8 * frames * k);
  new Float64Array(latency).fill(NaN);
  const subs = await subscribe(mode, k, ring, committedAt, latency, frames);
  let dropped = 0;
  let wallMs = 0;
  let cpu = { user: 0, system: 0 };
  let vm = { other: 0, steal: 0 };
  try {
    const commits = new Float64Array(committedAt);
    // Fill from a few prepared frames: the fill is the decoder's cost, not the ring's.
    const pattern = Array.from({ length: 4 }, (_, i) => new Uint8Array(ring.frameBytes).fill(i * 50));
    const period = 1000 / fps;
    const cpu0 = process.cpuUsage();
    const vm0 = vmJiffies();
    const start = performance.now();
    // One timer per frame, aimed at its due time: the publisher itself adds no work between frames
    // (a decoder's main thread likewise sleeps in epoll until ffmpeg's next frame arrives).
    for (let n = 1; n <= frames; n++) {
      const wait = start + n * period - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const slot = ring.beginWrite();
      if (slot < 0) {
        dropped++;
        continue;
      }
      ring.pixels(slot).set(pattern[n % pattern.length]!);
      commits[n] = nowMs();
      subs.announce(ring.commit(slot, n * 3000, Date.now()));
    }
    wallMs = performance.now() - start;
    cpu = process.cpuUsage(cpu0);
    const vm1 = vmJiffies();
    vm = { other: vm1.other - vm0.other, steal: vm1.steal - vm0.steal };
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await subs.stop();
  }
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
  // Jiffies are 10 ms ticks, so a short run can come out slightly negative: clamp.
  const pct = (jiffies: number) => Math.max(0, (jiffies * 10 * 100) / wallMs);
  return { mode, k, samples, missed, dropped, cpuPct: ((cpu.user + cpu.system) / 10 / wallMs), otherPct: pct(vm.other), stealPct: pct(vm.steal) };
}

async function main() {
  const { values } = parseArgs({
    options: {
      k: { type: 'string', default: '1,4,16' },
      frames: { type: 'string', default: '300' },
      fps: { type: 'string', default: '100' },
      size: { type: 'string', default: '640x360' },
      modes: { type: 'string', default: MODES.join(',') },
      rounds: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const { percentile } = await import('./lib.js');
  const [width, height] = values.size!.split('x').map(Number) as [number, number];
  const layout: FrameRingLayout = { slots: 8, width, height, format: 'i420' };
  const frames = Number(values.frames);
  const fps = Number(values.fps);
  const modes = values.modes!.split(',') as Mode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m}; one of ${MODES.join(', ')}`);
  const bytesPerCamera = FrameRing.byteLength({ slots: 8, width: 1280, height: 720, format: 'i420' });
  const say = (s: string) => values.json || process.stdout.write(`${s}\n`);

  say(`FrameRing ${width}x${height} i420, 8 slots, ${frames} frames at ${fps} fps; latency = commit -> subscriber pinned + touched`);
  say(`bytesPerCamera (8 slots of 1280x720 i420): ${bytesPerCamera} (${(bytesPerCamera / 2 ** 20).toFixed(2)} MiB)`);
  say('mode         K    p50 ms   p90 ms   p99 ms   max ms  samples missed  cpu%  other%  steal%');
  const results = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const k of values.k!.split(',').map(Number)) {
      for (const mode of modes) {
        const r = await run(mode, k, layout, frames, fps);
        const row = {
          mode,
          k,
          p50Ms: percentile(r.samples, 50),
          p90Ms: percentile(r.samples, 90),
          p99Ms: percentile(r.samples, 99),
          maxMs: r.samples.length ? Math.max(...r.samples) : NaN,
          samples: r.samples.length,
          missed: r.missed,
          dropped: r.dropped,
          cpuPct: r.cpuPct,
          otherPct: r.otherPct,
          stealPct: r.stealPct,
        };
        results.push(row);
        const ms = (v: number) => v.toFixed(3).padStart(8);
        const pc = (v: number) => v.toFixed(0).padStart(6);
        say(
          `${mode.padEnd(11)} ${String(k).padStart(2)} ${ms(row.p50Ms)} ${ms(row.p90Ms)} ${ms(row.p99Ms)} ${ms(row.maxMs)} ` +
            `${String(row.samples).padStart(8)} ${String(row.missed).padStart(6)} ${pc(row.cpuPct)} ${pc(row.otherPct)} ${pc(row.stealPct)}`,
        );
      }
    }
  }
  say('missed: a subscriber never had that frame (not delivered in time, or overwritten first); cpu/other/steal: % of one core');
  if (values.json) process.stdout.write(`${JSON.stringify({ layout, frames, fps, bytesPerCamera, results })}\n`);
}

if (!isMainThread) subscriber(workerData as SubscriberData);
// Run as a program only when this file is the entry (bench/pipeline.ts imports run()).
else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
