import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VideoCodec, VideoUnit } from '../../codecs/access-unit.js';
import { bundledFfmpeg } from '../ffmpeg.js';
import { Stream } from '../stream/stream.js';
import { failOnUnhandledRejection, waitUntil } from '../testing/wait.js';
import { Decoder, type DecoderOptions } from './decoder.js';
import type { FrameRing } from './frame-ring.js';
import { FRAME_TICKS, counterUnits, readCounter } from './testdata/counter-clip.js';

failOnUnhandledRejection();

interface Seen { counter: number; pts: number; capturedAt: number; width: number; height: number; ring: FrameRing; ageMs: number }

const decoders = new Set<Decoder>();
const streams = new Set<Stream>();
after(() => {
  for (const d of decoders) d.close();
  for (const s of streams) s.close();
});

function setup(codec: VideoCodec, opts: Partial<DecoderOptions> = {}): { stream: Stream; decoder: Decoder; seen: Seen[]; rings: FrameRing[] } {
  const stream = new Stream(`cam${streams.size}`);
  streams.add(stream);
  stream.setTracks([{ kind: 'video', codec, payloadType: 96, clockRate: 90_000, fmtp: {} }]);
  const decoder = new Decoder(stream, { fps: 0, format: 'i420', keyframesOnly: false, ...opts });
  decoders.add(decoder);
  const seen: Seen[] = [];
  const rings: FrameRing[] = [];
  decoder.on('ring', (r) => rings.push(r));
  decoder.on('frame', (ref) => {
    const ring = decoder.ring!;
    assert.ok(ring.pin(ref), 'a fresh frame can be pinned');
    const { width, height } = ring.layout;
    seen.push({ counter: readCounter(ring.planes(ref.slot).y, width, height), pts: ref.pts, capturedAt: ref.capturedAt, width, height, ring, ageMs: Date.now() - ref.capturedAt });
    ring.unpin(ref);
  });
  decoder.start();
  return { stream, decoder, seen, rings };
}

/** Pushes units as if they arrived now (so none counts as late). */
function push(stream: Stream, units: readonly VideoUnit[]): void {
  for (const u of units) stream.push({ ...u, receivedAt: performance.now() });
}

async function pushPaced(stream: Stream, units: readonly VideoUnit[], everyMs: number, stop?: () => boolean): Promise<void> {
  for (const u of units) {
    if (stop?.()) return;
    stream.push({ ...u, receivedAt: performance.now() });
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An SEI NAL unit (user_data_unregistered, §D.1.6) carrying `bytes` of filler. */
function fillerSei(bytes: number): Uint8Array {
  const size = 16 + bytes;
  const header = [0x06, 0x05, ...new Array<number>(Math.floor(size / 255)).fill(0xff), size % 255];
  const nal = new Uint8Array(header.length + size + 1).fill(0x55);
  nal.set(header);
  nal[nal.length - 1] = 0x80; // rbsp_trailing_bits
  return nal;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every frame shows the counter its pts says, and the pts increase by one frame each. */
function assertConsecutive(seen: readonly Seen[], first = 0): void {
  seen.forEach((f, i) => {
    assert.equal(f.counter, first + i, `frame ${i} shows counter ${f.counter}`);
    assert.equal(f.pts, f.counter * FRAME_TICKS, `frame ${i} pts`);
  });
}

let h264_320: VideoUnit[];
let h264_640: VideoUnit[];
before(() => {
  h264_320 = counterUnits({ width: 320, height: 240, frames: 101, gop: 25 });
  h264_640 = counterUnits({ width: 640, height: 360, frames: 50, gop: 25, first: 101 });
});

describe('Decoder', { timeout: 180_000 }, () => {
  it('decodes every unit into the ring with its counter, pts and capture time, in order', async () => {
    const { stream, decoder, seen, rings } = setup('H264');
    const t0 = Date.now();
    // Every picture comes out without waiting for more input (ffmpeg holds none back).
    push(stream, h264_320.slice(0, 50));
    await waitUntil(() => seen.length >= 50, 15_000, '50 frames');
    assertConsecutive(seen);
    assert.equal(rings.length, 1);
    assert.deepEqual(rings[0]!.layout, { slots: 8, width: 320, height: 240, format: 'i420' });
    assert.equal(decoder.ring, rings[0]);
    for (const f of seen) assert.ok(f.capturedAt >= t0 - 50 && f.capturedAt <= Date.now(), 'capturedAt is epoch ms of receipt');
    const planes = rings[0]!.planes(decoder.latest()!.ref.slot);
    assert.equal(planes.u!.length, 160 * 120);
    assert.ok(Math.abs(planes.u![500]! - 128) < 8, 'chroma is mid-grey');
    const st = decoder.stats;
    assert.ok(st.decoded >= 50);
    assert.equal(st.dropped, 0);
    // Late = out more than 1 s after capture; the first frames wait for ffmpeg and its reader thread
    // to start, which under a loaded test run can take that long. The count must match what we saw.
    const late = (limit: number) => seen.filter((f) => f.ageMs > limit).length;
    assert.ok(st.late >= late(1005) && st.late <= late(995), `late ${st.late}, ages ${seen.map((f) => f.ageMs)}`);
    assert.equal(st.restarts, 0);
    assert.ok(st.fpsOut > 0);
    assert.equal(decoder.latest()!.ref.pts, seen.at(-1)!.pts);
  });

  it('counts frames that come out more than 1 s after capture as late', async () => {
    const { stream, decoder, seen } = setup('H264', { format: 'gray' });
    const past = performance.now() - 3000;
    for (const u of h264_320.slice(0, 10)) stream.push({ ...u, receivedAt: past });
    await waitUntil(() => seen.length >= 10, 15_000, '10 frames');
    assert.equal(decoder.stats.late, 10);
    for (const f of seen) assert.ok(f.ageMs >= 3000, `capturedAt kept: ${f.ageMs} ms old`);
  });

  it('stamps frames with their pts on the camera clock, not with their jittery arrival', async () => {
    const { stream, seen } = setup('H264', { format: 'gray' });
    // Arrivals in order but bunched: up to 250 ms late, as from a starved publisher or network.
    let arrived = performance.now() - 2000;
    h264_320.slice(0, 40).forEach((u, k) => {
      arrived = Math.max(arrived, performance.now() - 2000 + (k * FRAME_TICKS) / 90 + (k % 7) * 40);
      stream.push({ ...u, receivedAt: arrived });
    });
    await waitUntil(() => seen.length >= 40, 15_000, '40 frames');
    for (let k = 1; k < seen.length; k++) {
      const want = (seen[k]!.pts - seen[k - 1]!.pts) / 90;
      assert.ok(Math.abs(seen[k]!.capturedAt - seen[k - 1]!.capturedAt - want) < 1, `frame ${k}: ${seen[k]!.capturedAt - seen[k - 1]!.capturedAt} ms after the one before, pts say ${want}`);
    }
  });

  it('keyframe-only mode decodes exactly the keyframes, each as soon as it arrives', async () => {
    const { stream, decoder, seen } = setup('H264', { keyframesOnly: true });
    const keyframes = h264_320.filter((u) => u.keyframe); // counters 0, 25, 50, 75, 100
    assert.equal(keyframes.length, 5);
    // Paced a GOP apart, as a camera sends them: a picture that ffmpeg holds back until the next one
    // comes out a whole GOP (here 600 ms) late, and the last one never.
    const latencies: number[] = [];
    for (const [i, u] of h264_320.entries()) {
      const fedAt = Date.now();
      stream.push({ ...u, receivedAt: performance.now() });
      if (!u.keyframe) continue;
      await waitUntil(() => seen.length > latencies.length, 5000, `keyframe ${i}`);
      latencies.push(Date.now() - fedAt);
      await new Promise((r) => setTimeout(r, 600));
    }
    assert.deepEqual(seen.map((f) => f.counter), [0, 25, 50, 75, 100]);
    for (const f of seen) assert.equal(f.pts, f.counter * FRAME_TICKS);
    for (const ms of latencies.slice(1)) assert.ok(ms < 500, `keyframe out ${ms} ms after it was fed (${latencies})`);
    assert.equal(decoder.stats.decoded, 5, 'no delta frame went through ffmpeg');
  });

  it('decodes in order with one decoder thread per core (threads: 0)', async () => {
    const { stream, seen } = setup('H264', { threads: 0, format: 'gray' });
    // Frame threads hold back one picture each until more units come: that is their latency cost.
    push(stream, h264_320.slice(0, 30));
    await waitUntil(() => seen.length >= 20, 15_000, '20 frames');
    push(stream, h264_320.slice(30, 50));
    await waitUntil(() => seen.length >= 30, 15_000, '30 frames');
    assertConsecutive(seen);
  });

  it("decodes with the bundled ffmpeg of @ffmpeg-installer/linux-x64 (the fallback to Debian's)", async () => {
    const bundled = bundledFfmpeg();
    assert.ok(bundled, 'the optional package is installed');
    const saved = process.env.FFMPEG_PATH;
    process.env.FFMPEG_PATH = bundled; // read when the decoder spawns ffmpeg
    try {
      const { stream, decoder, seen } = setup('H264', { format: 'gray' });
      push(stream, h264_320.slice(0, 20));
      await waitUntil(() => seen.length >= 20, 15_000, '20 frames');
      assertConsecutive(seen);
      assert.equal(decoder.stats.dropped, 0);
    } finally {
      if (saved === undefined) delete process.env.FFMPEG_PATH;
      else process.env.FFMPEG_PATH = saved;
    }
  });

  it('gray output carries only the luma plane', async () => {
    const { stream, decoder, seen } = setup('H264', { format: 'gray' });
    push(stream, h264_320.slice(0, 20));
    await waitUntil(() => seen.length >= 18, 15_000, '18 frames');
    assertConsecutive(seen);
    const ring = decoder.ring!;
    assert.equal(ring.layout.format, 'gray');
    assert.equal(ring.frameBytes, 320 * 240);
    const planes = ring.planes(decoder.latest()!.ref.slot);
    assert.equal(planes.u, undefined);
    assert.equal(planes.v, undefined);
  });

  it('scales to the detect size (640x360 source to 320x180)', async () => {
    const { stream, decoder, seen } = setup('H264', { width: 320, height: 180 });
    push(stream, h264_640.slice(0, 20));
    await waitUntil(() => seen.length >= 18, 15_000, '18 frames');
    assertConsecutive(seen, 101);
    assert.deepEqual(decoder.ring!.layout, { slots: 8, width: 320, height: 180, format: 'i420' });
  });

  it('keeps the aspect ratio when only the width is set', async () => {
    const { stream, decoder, seen } = setup('H264', { width: 160 });
    push(stream, h264_640.slice(0, 5));
    await waitUntil(() => seen.length >= 3, 15_000, '3 frames');
    assertConsecutive(seen, 101);
    assert.equal(decoder.ring!.layout.height, 90);
  });

  it('caps the published rate by pts, counting the rest as rateSkipped', async () => {
    const { stream, decoder, seen } = setup('H264', { fps: 5 });
    push(stream, h264_320.slice(0, 51));
    await waitUntil(() => decoder.stats.decoded >= 51, 15_000, '51 decoded');
    assert.deepEqual(seen.map((f) => f.counter), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    for (const f of seen) assert.equal(f.pts, f.counter * FRAME_TICKS);
    assert.equal(decoder.stats.rateSkipped, 40);
    assert.equal(decoder.stats.dropped, 0);
  });

  it('hands B-frame pictures their own pts (display order)', async () => {
    const units = counterUnits({ width: 320, height: 240, frames: 40, bframes: 2 });
    assert.notDeepEqual(units.map((u) => u.pts), units.map((u) => u.pts).sort((x, y) => x - y), 'the clip is reordered');
    const { stream, seen } = setup('H264', { format: 'gray' });
    push(stream, units);
    await waitUntil(() => seen.length >= 34, 15_000, '34 frames');
    assertConsecutive(seen);
  });

  it('decodes H.265', async () => {
    const units = counterUnits({ width: 320, height: 240, frames: 20, codec: 'H265' });
    const { stream, seen } = setup('H265', { format: 'gray' });
    push(stream, units);
    await waitUntil(() => seen.length >= 18, 15_000, '18 frames');
    assertConsecutive(seen);
  });

  it('restarts a killed ffmpeg, counts it, and frames continue without repeats', async () => {
    const { stream, decoder, seen } = setup('H264');
    let done = false;
    const feeding = pushPaced(stream, h264_320, 15, () => done);
    try {
      await waitUntil(() => seen.length >= 30, 15_000, '30 frames');
      const pid = decoder.pid!;
      process.kill(pid, 'SIGKILL');
      await waitUntil(() => decoder.stats.restarts === 1, 5_000, 'restart counted');
      const before = seen.length;
      await waitUntil(() => decoder.pid !== undefined && decoder.pid !== pid && seen.length >= before + 10, 15_000, 'frames after restart');
      assert.ok(!pidAlive(pid));
    } finally {
      done = true;
      await feeding;
    }
    // Published frames stay in pts order with matching counters: the GOP replay publishes nothing twice.
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.pts > seen[i - 1]!.pts, `pts increase at ${i}`);
    for (const f of seen) assert.equal(f.pts, f.counter * FRAME_TICKS);
    assert.equal(decoder.stats.restarts, 1);
  });

  it('reports congestion while ffmpeg does not read, resyncs, and resumes on drain', async () => {
    const units = counterUnits({ width: 320, height: 240, frames: 400, gop: 25 });
    const { stream, decoder, seen } = setup('H264', { format: 'gray' });
    push(stream, units.slice(0, 26));
    await waitUntil(() => seen.length >= 24, 15_000, '24 frames');
    const pid = decoder.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      // 30 units that carry 100 kB of SEI filler each: 3 MB that a stopped ffmpeg does not read.
      push(stream, units.slice(26, 56).map((u) => ({ ...u, nalus: [fillerSei(100_000), ...u.nalus] })));
      await waitUntil(() => decoder.congested(), 5_000, 'congested');
      // The paused reader overflows and waits for a keyframe: counted as dropped.
      push(stream, units.slice(56, 350));
      await waitUntil(() => decoder.stats.dropped > 0, 5_000, 'reader drops');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    push(stream, units.slice(350, 400));
    await waitUntil(() => seen.some((f) => f.counter >= 390), 15_000, 'frames after the resync');
    assert.equal(decoder.congested(), false);
    assert.equal(decoder.stats.restarts, 0);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.pts > seen[i - 1]!.pts, `pts increase at ${i}`);
    for (const f of seen) assert.equal(f.pts, f.counter * FRAME_TICKS);
  });

  it('a resolution change restarts ffmpeg with a new ring', async () => {
    const { stream, decoder, seen, rings } = setup('H264');
    push(stream, h264_320.slice(0, 26));
    await waitUntil(() => seen.length >= 24, 15_000, '24 frames at 320x240');
    const pid = decoder.pid;
    push(stream, h264_640.slice(0, 20));
    await waitUntil(() => rings.length === 2 && seen.some((f) => f.counter === 117), 15_000, 'frames at 640x360');
    assert.deepEqual(rings.map((r) => `${r.layout.width}x${r.layout.height}`), ['320x240', '640x360']);
    assert.notEqual(decoder.pid, pid);
    assert.equal(decoder.stats.restarts, 0, 'a planned restart is not a crash');
    const small = seen.filter((f) => f.width === 320);
    const big = seen.filter((f) => f.width === 640);
    assertConsecutive(small);
    assertConsecutive(big, 101);
    assert.ok(big.every((f) => f.ring === rings[1]));
  });

  it('close() kills ffmpeg and detaches from the stream', async () => {
    const { stream, decoder, seen } = setup('H264');
    push(stream, h264_320.slice(0, 5));
    await waitUntil(() => seen.length >= 3, 15_000, '3 frames');
    const pid = decoder.pid!;
    let closed = 0;
    decoder.on('close', () => closed++);
    decoder.close();
    decoder.close();
    assert.equal(closed, 1);
    assert.equal(stream.readers.size, 0);
    await waitUntil(() => !pidAlive(pid), 5_000, 'ffmpeg gone');
  });

  it('holds units until start() and then decodes from the cached GOP', async () => {
    const stream = new Stream('late-start');
    streams.add(stream);
    stream.setTracks([{ kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000, fmtp: {} }]);
    push(stream, h264_320.slice(0, 30)); // GOP cache now holds counters 25..29
    const decoder = new Decoder(stream, { fps: 0, format: 'gray', keyframesOnly: false });
    decoders.add(decoder);
    const counters: number[] = [];
    decoder.on('frame', (ref) => counters.push(readCounter(decoder.ring!.planes(ref.slot).y, 320, 240)));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(decoder.pid, undefined, 'nothing runs before start()');
    assert.equal(decoder.congested(), true, 'the reader is held until start()');
    decoder.start();
    push(stream, h264_320.slice(30, 33));
    await waitUntil(() => counters.length >= 4, 15_000, '4 frames');
    assert.deepEqual(counters.slice(0, 4), [25, 26, 27, 28]);
  });

  it('rejects bad options', () => {
    const stream = new Stream('bad');
    streams.add(stream);
    assert.throws(() => new Decoder(stream, { fps: -1, format: 'i420', keyframesOnly: false }), /fps/);
    assert.throws(() => new Decoder(stream, { fps: 1, width: 0, format: 'i420', keyframesOnly: false }), /width/);
    assert.throws(() => new Decoder(stream, { fps: 1, threads: -1, format: 'i420', keyframesOnly: false }), /threads/);
    assert.throws(() => new Decoder(stream, { fps: 1, format: 'rgb' as 'i420', keyframesOnly: false }), /format/);
    assert.equal(stream.readers.size, 0);
  });
});
