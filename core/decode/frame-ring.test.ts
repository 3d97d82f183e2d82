import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { after, describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-url.js';
import { FrameRing, type FrameRingLayout } from './frame-ring.js';
import { capturedAtOf, checkFrame, fillFrame, makeTape, ptsOf, type ReaderReport } from './testdata/ring-reader.js';

const small: FrameRingLayout = { slots: 3, width: 4, height: 2, format: 'gray' };

/** Writes and commits one frame whose first byte is `mark`; returns its ref. */
function publish(ring: FrameRing, mark: number, pts = mark) {
  const slot = ring.beginWrite();
  assert.notEqual(slot, -1, 'a slot is free');
  ring.pixels(slot)[0] = mark;
  return ring.commit(slot, pts, 1000 + pts);
}

describe('FrameRing, one thread', () => {
  it('publishes a frame: latest, pin, read, unpin', () => {
    const ring = FrameRing.create(small);
    assert.equal(ring.latest(), undefined);
    const ref = publish(ring, 7, 90);
    assert.deepEqual(ref, { slot: ref.slot, seq: 1, pts: 90, capturedAt: 1090 });
    assert.deepEqual(ring.latest(), ref);
    assert.equal(ring.pin(ref), true);
    assert.equal(ring.planes(ref.slot).y[0], 7);
    ring.unpin(ref);
    assert.deepEqual(ring.stats, { written: 1, dropped: 0 });
  });

  it('never hands out the latest slot, and goes round the others', () => {
    const ring = FrameRing.create(small);
    const a = publish(ring, 1);
    const slots = [0, 1, 2, 3].map(() => publish(ring, 2).slot);
    assert.notEqual(slots[0], a.slot, 'a is the latest');
    for (let i = 1; i < slots.length; i++) assert.notEqual(slots[i], slots[i - 1], 'the latest is never rewritten');
    assert.equal(new Set(slots).size, 3, 'every slot is used');
    assert.deepEqual(ring.latest()?.seq, 5);
  });

  it('fails to pin a frame that was overwritten', () => {
    const ring = FrameRing.create(small);
    const old = publish(ring, 1);
    publish(ring, 2);
    publish(ring, 3); // 3 slots: the next write reuses old.slot
    const reuse = publish(ring, 4);
    assert.equal(reuse.slot, old.slot);
    assert.equal(ring.pin(old), false);
    assert.equal(ring.pin({ ...old, seq: 999 }), false, 'a seq never published');
    assert.equal(ring.pin({ ...old, slot: 17 }), false, 'a slot out of range');
    assert.equal(ring.pin(reuse), true);
    ring.unpin(reuse);
  });

  it('skips a pinned slot instead of waiting', () => {
    const ring = FrameRing.create(small);
    const a = publish(ring, 1);
    const b = publish(ring, 2);
    assert.ok(ring.pin(a));
    const c = publish(ring, 3); // not a (pinned), not b (latest)
    assert.notEqual(c.slot, a.slot);
    assert.notEqual(c.slot, b.slot);
    const d = publish(ring, 4); // not a (pinned), not c (latest): b
    assert.equal(d.slot, b.slot);
    assert.ok(ring.pin(a), 'a is still intact');
    ring.unpin(a);
    ring.unpin(a);
  });

  it('drops and counts exactly when every candidate slot is pinned', () => {
    const ring = FrameRing.create(small);
    const a = publish(ring, 1);
    const b = publish(ring, 2);
    const c = publish(ring, 3); // latest
    assert.ok(ring.pin(a) && ring.pin(b));
    assert.equal(ring.beginWrite(), -1);
    assert.equal(ring.beginWrite(), -1);
    assert.deepEqual(ring.stats, { written: 3, dropped: 2 });
    assert.deepEqual(ring.latest(), c, 'nothing was disturbed');
    ring.unpin(b);
    assert.equal(ring.beginWrite(), b.slot);
    assert.equal(ring.pin(b), false, 'a slot being written cannot be pinned');
    assert.deepEqual(ring.stats, { written: 3, dropped: 2 });
  });

  it('aborts a claimed slot without publishing', () => {
    const ring = FrameRing.create(small);
    const a = publish(ring, 1);
    const slot = ring.beginWrite();
    ring.abort(slot);
    assert.deepEqual(ring.latest(), a);
    assert.throws(() => ring.commit(slot, 0, 0), /not claimed/);
    assert.equal(ring.beginWrite(), slot, 'the slot is free again');
  });

  it('rejects a commit of a slot that was never claimed, and bad layouts', () => {
    const ring = FrameRing.create(small);
    assert.throws(() => ring.commit(0, 0, 0), /slot 0 was not claimed/);
    assert.throws(() => ring.commit(9, 0, 0), /slot 9 out of range 0\.\.2/);
    assert.throws(() => FrameRing.create({ ...small, slots: 1 }), /slots must be an integer in 2\.\.1024, got 1/);
    assert.throws(() => FrameRing.create({ ...small, width: 0 }), /width must be/);
    assert.throws(() => FrameRing.create({ ...small, format: 'rgb' as never }), /format must be one of i420, gray, got rgb/);
  });
});

describe('FrameRing planes', () => {
  it('gray: only y, width x height', () => {
    const ring = FrameRing.create({ slots: 2, width: 640, height: 360, format: 'gray' });
    const p = ring.planes(1);
    assert.equal(ring.frameBytes, 640 * 360);
    assert.equal(p.y.length, 640 * 360);
    assert.equal(p.u, undefined);
    assert.equal(p.v, undefined);
    assert.equal(p.strideY, 640);
  });

  it('i420: Y then U then V, zero-copy views of the slot', () => {
    const ring = FrameRing.create({ slots: 2, width: 640, height: 360, format: 'i420' });
    const p = ring.planes(1);
    assert.equal(ring.frameBytes, 640 * 360 * 1.5);
    assert.deepEqual([p.y.length, p.u?.length, p.v?.length], [640 * 360, 320 * 180, 320 * 180]);
    assert.deepEqual([p.strideY, p.strideUV], [640, 320]);
    const px = ring.pixels(1);
    assert.equal(p.y.buffer, ring.sab);
    assert.equal(p.u!.byteOffset, px.byteOffset + 640 * 360);
    assert.equal(p.v!.byteOffset, px.byteOffset + 640 * 360 + 320 * 180);
    px[640 * 360] = 42;
    assert.equal(p.u![0], 42, 'the plane is a view, not a copy');
    assert.notEqual(ring.pixels(0).byteOffset, px.byteOffset);
    assert.ok(ring.pixels(0).byteOffset + ring.frameBytes <= px.byteOffset, 'slots do not overlap');
  });

  it('i420 with odd sizes rounds chroma up, as ffmpeg does', () => {
    const ring = FrameRing.create({ slots: 2, width: 5, height: 3, format: 'i420' });
    const p = ring.planes(0);
    assert.deepEqual([p.y.length, p.u?.length, p.v?.length, p.strideUV], [15, 6, 6, 3]);
    assert.equal(ring.frameBytes, 27);
  });

  it('sizes the buffer: 8 slots of 1280x720 i420 is about 8 frames', () => {
    const layout: FrameRingLayout = { slots: 8, width: 1280, height: 720, format: 'i420' };
    const bytes = FrameRing.byteLength(layout);
    assert.equal(FrameRing.create(layout).sab.byteLength, bytes);
    assert.ok(bytes >= 8 * 1280 * 720 * 1.5 && bytes < 8 * 1280 * 720 * 1.5 + 4096);
  });
});

describe('FrameRing.attach', () => {
  it('sees the same layout, frames and stats through a second view', () => {
    const ring = FrameRing.create({ slots: 4, width: 8, height: 4, format: 'i420' });
    const ref = publish(ring, 99);
    const other = FrameRing.attach(ring.sab);
    assert.deepEqual(other.layout, ring.layout);
    assert.equal(other.frameBytes, ring.frameBytes);
    assert.deepEqual(other.latest(), ref);
    assert.ok(other.pin(ref));
    assert.equal(other.planes(ref.slot).y[0], 99);
    assert.equal(ring.beginWrite() === ref.slot, false);
    other.unpin(ref);
    ring.beginWrite();
    assert.deepEqual(other.stats, ring.stats);
  });

  it('rejects a foreign buffer with a clear error', () => {
    assert.throws(() => FrameRing.attach(new SharedArrayBuffer(16)), /not a FrameRing buffer: 16 bytes is smaller than the header/);
    assert.throws(() => FrameRing.attach(new SharedArrayBuffer(4096)), /not a FrameRing buffer: magic 0x0 instead of 0x53534652/);
    const ring = FrameRing.create(small);
    const shorter = new SharedArrayBuffer(ring.sab.byteLength - 1);
    new Uint8Array(shorter).set(new Uint8Array(ring.sab, 0, shorter.byteLength));
    assert.throws(() => FrameRing.attach(shorter), /bytes, the header's layout needs/);
    assert.throws(() => FrameRing.attach(new ArrayBuffer(64) as unknown as SharedArrayBuffer), /needs a SharedArrayBuffer/);
  });
});

describe('FrameRing across threads', () => {
  const workers = new Set<Worker>();
  after(async () => {
    await Promise.all([...workers].map((w) => w.terminate()));
  });

  /** Starts `n` reader workers on `ring` and resolves once all of them are reading. */
  async function startReaders(ring: FrameRing, stop: SharedArrayBuffer, n: number, unsafe = false) {
    const reports: Promise<ReaderReport>[] = [];
    const ready: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const w = startWorker(new URL('./testdata/ring-reader.ts', import.meta.url), { workerData: { sab: ring.sab, stop, unsafe } });
      workers.add(w);
      const next = messages(w);
      ready.push(next());
      reports.push(next().finally(() => void w.terminate()) as Promise<ReaderReport>);
    }
    await withTimeout(Promise.all(ready), 20_000, 'reader workers to start');
    return reports;
  }

  /** Writes frames as fast as it can for `ms`; every byte of frame seq derives from seq. */
  function writeFor(ring: FrameRing, ms: number) {
    const tape = makeTape(ring.frameBytes);
    let attempts = 0;
    let seq = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      attempts++;
      const slot = ring.beginWrite();
      if (slot < 0) continue;
      seq++;
      fillFrame(ring.pixels(slot), tape, seq);
      const ref = ring.commit(slot, ptsOf(seq), capturedAtOf(seq));
      assert.equal(ref.seq, seq);
    }
    return { attempts, written: seq };
  }

  it('4 readers pinning against a flat-out writer never see a torn frame, and drops are exact', { timeout: 180_000 }, async () => {
    // 4 slots and 4 readers: readers can pin all three non-latest slots, so the writer sometimes drops.
    const ring = FrameRing.create({ slots: 4, width: 320, height: 240, format: 'i420' });
    const stop = new SharedArrayBuffer(4);
    const reports = await startReaders(ring, stop, 4);
    const { attempts, written } = writeFor(ring, 2000);
    Atomics.store(new Int32Array(stop), 0, 1);
    const all = await withTimeout(Promise.all(reports), 10_000, 'reader reports');
    const sum = (k: keyof ReaderReport) => all.reduce((s, r) => s + r[k], 0);

    assert.equal(sum('torn'), 0, 'torn reads');
    assert.equal(sum('badMeta'), 0, 'refs whose pts/capturedAt belong to another frame');
    assert.equal(sum('backwards'), 0, 'latest() went back in time');
    assert.ok(sum('verified') > 1000, `verified ${sum('verified')} frames`);
    for (const r of all) assert.ok(r.verified > 100, `every reader verified frames: ${JSON.stringify(all)}`);
    assert.equal(ring.stats.written, written);
    assert.equal(ring.stats.written + ring.stats.dropped, attempts, 'every beginWrite is either written or dropped');
    console.log(
      `# ${attempts} attempts: ${written} written, ${ring.stats.dropped} dropped; ` +
        `${sum('verified')} frames verified, ${sum('pinFailed')} pins lost to overwrites`,
    );
  });

  it('the probe does catch torn frames when readers skip the pin (control)', { timeout: 180_000 }, async () => {
    const ring = FrameRing.create({ slots: 2, width: 320, height: 240, format: 'i420' });
    const stop = new SharedArrayBuffer(4);
    const reports = await startReaders(ring, stop, 2, true);
    writeFor(ring, 1000);
    Atomics.store(new Int32Array(stop), 0, 1);
    const all = await withTimeout(Promise.all(reports), 10_000, 'reader reports');
    assert.ok(
      all.reduce((s, r) => s + r.torn, 0) > 0,
      `unpinned readers over a 2-slot ring should see torn frames: ${JSON.stringify(all)}`,
    );
  });
});

describe('ring-reader probe', () => {
  it('recognises a whole frame and rejects a mixed one', () => {
    const tape = makeTape(1000);
    const a = Buffer.alloc(1000);
    const b = Buffer.alloc(1000);
    fillFrame(a, tape, 5);
    fillFrame(b, tape, 6);
    assert.equal(checkFrame(a, tape), 5);
    b.copy(a, 500, 500); // second half of frame 6 over frame 5
    assert.equal(checkFrame(a, tape), -1);
  });
});

/** The worker's messages in order: each call resolves with the next one; an 'error' or early exit rejects. */
function messages(w: Worker): () => Promise<unknown> {
  const got: unknown[] = [];
  const waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure = err;
    for (const x of waiting.splice(0)) x.reject(err);
  };
  w.on('message', (m) => (waiting.length ? waiting.shift()!.resolve(m) : got.push(m)));
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`reader worker exited (${code})`)));
  return () => {
    if (got.length) return Promise.resolve(got.shift());
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
