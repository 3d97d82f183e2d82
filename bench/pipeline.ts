/**
 * Decode pipeline throughput: our Decoder (Stream → reader → ffmpeg child → FrameRing, 1280x720
 * i420, no fps cap) fed a pre-encoded clip as fast as its backpressure allows, against plain ffmpeg
 * decoding the same Annex-B file to nothing. Our child runs with one decoder thread (lowest
 * latency), so the single-threaded ffmpeg figure is the like-for-like one; the default (frame
 * threads) figure is what the machine can do at the cost of latency.
 *
 *   node --import tsx bench/pipeline.ts [--seconds 20] [--size 1280x720] [--runs 3] [--json]
 *
 * publishToSubscriberP99Ms (FrameRing → plugin worker) is measured by bench/ring.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { run as runRing } from './ring.js';
import { percentile } from './lib.js';
import type { VideoUnit } from '../codecs/access-unit.js';
import { splitAnnexB } from '../codecs/h264/annexb.js';
import { isH264Keyframe } from '../codecs/h264/nal.js';
import { Decoder } from '../core/decode/decoder.js';
import { ffmpegPath } from '../core/ffmpeg.js';
import { setLogLevel } from '../core/log.js';
import { Stream } from '../core/stream/stream.js';
import { accessUnits } from '../core/webrtc/testdata/h264-units.js';
import { ROOT } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    size: { type: 'string', default: '1280x720' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const [width, height] = values.size!.split('x').map(Number) as [number, number];
const seconds = Number(values.seconds);
const runs = Math.max(1, Number(values.runs));
const say = (s: string) => values.json || process.stderr.write(`${s}\n`);
setLogLevel('warn');

/** testsrc2 at 25 fps, 2 Mbit/s, keyframe every 2 s, no B-frames, as a raw Annex-B file (cached). */
function annexBClip(): string {
  const dir = join(ROOT, 'bench', '.cache');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `pipeline-${width}x${height}-${seconds}s.h264`);
  if (existsSync(file)) return file;
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`,
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-bf', '0', '-g', '50', '-b:v', '2000k', '-maxrate', '2000k', '-bufsize', '2000k', '-f', 'h264', file,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not encode the bench clip: ${r.stderr}`);
  return file;
}

/** Frames per second of `ffmpeg -f h264 -i clip -pix_fmt yuv420p -f null -` (wall clock). */
function ffmpegFps(clip: string, frames: number, threads?: number): number {
  const t0 = performance.now();
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', ...(threads ? ['-threads', String(threads)] : []),
    '-f', 'h264', '-i', clip, '-pix_fmt', 'yuv420p', '-f', 'null', '-',
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return frames / ((performance.now() - t0) / 1000);
}

interface PipelineRun { fps: number; nodeCpuMsPerFrame: number; dropped: number; ringBytes: number }

/** Feeds every unit through a Stream into a Decoder, pausing only on its backpressure. */
async function pipelineFps(units: readonly VideoUnit[]): Promise<PipelineRun> {
  const stream = new Stream('bench', { gopMaxUnits: 1000, gopMaxBytes: 64 * 1024 * 1024 });
  stream.setTracks([{ kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000, fmtp: {} }]);
  const decoder = new Decoder(stream, { fps: 0, format: 'i420', keyframesOnly: false });
  const target = units.length;
  let frames = 0;
  let pushed = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  // A window of units in flight, refilled on each frame: ahead enough to keep ffmpeg busy, well
  // inside the reader's queue (an overflow would resync and drop a GOP), and no polling.
  const pushMore = () => {
    while (pushed < units.length && pushed - frames < 48) stream.push({ ...units[pushed++]!, receivedAt: performance.now() });
  };
  decoder.on('frame', () => {
    if (++frames === target) done();
    else pushMore();
  });
  decoder.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  pushMore();
  await finished;
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const run = {
    fps: frames / wallS,
    nodeCpuMsPerFrame: (cpu.user + cpu.system) / 1000 / frames,
    dropped: decoder.stats.dropped,
    ringBytes: decoder.ring!.sab.byteLength,
  };
  decoder.close();
  stream.close();
  return run;
}

const clip = annexBClip();
const units: VideoUnit[] = accessUnits(splitAnnexB(readFileSync(clip))).map((nalus, i) => ({
  kind: 'video', codec: 'H264', pts: i * 3600, keyframe: isH264Keyframe(nalus), nalus, receivedAt: 0,
}));
say(`clip: ${width}x${height} H.264 main, ${units.length} frames, best of ${runs} runs`);

let best: PipelineRun | undefined;
let ffDefault = 0;
let ffOne = 0;
for (let i = 0; i < runs; i++) {
  const run = await pipelineFps(units);
  if (!best || run.fps > best.fps) best = run;
  ffDefault = Math.max(ffDefault, ffmpegFps(clip, units.length));
  ffOne = Math.max(ffOne, ffmpegFps(clip, units.length, 1));
}
// Publish → subscriber latency through the ring, with the host's delivery (postMessage of the FrameRef).
const publishToSubscriberP99Ms: Record<string, number> = {};
for (const k of [1, 4, 16]) {
  const r = await runRing('postMessage', k, { slots: 8, width: 640, height: 360, format: 'i420' }, 300, 100);
  publishToSubscriberP99Ms[`k${k}`] = Number(percentile(r.samples, 99).toFixed(3));
}
const result = {
  input: { width, height, frames: units.length, codec: 'H264' },
  publishToSubscriberP99Ms,
  decodeFpsPipeline: Math.round(best!.fps),
  decodeFpsFfmpeg: Math.round(ffDefault),
  decodeFpsFfmpegOneThread: Math.round(ffOne),
  ratio: Number((best!.fps / ffDefault).toFixed(3)),
  ratioOneThread: Number((best!.fps / ffOne).toFixed(3)),
  nodeCpuMsPerFrame: Number(best!.nodeCpuMsPerFrame.toFixed(3)),
  dropped: best!.dropped,
  bytesPerCamera: best!.ringBytes,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  console.log(`decode pipeline, ${width}x${height} i420 into an 8-slot FrameRing`);
  console.log(`  pipeline (Decoder, 1 decode thread)   ${result.decodeFpsPipeline} frames/s   node CPU ${result.nodeCpuMsPerFrame} ms/frame   dropped ${result.dropped}`);
  console.log(`  ffmpeg -f null, 1 thread              ${result.decodeFpsFfmpegOneThread} frames/s   ratio ${result.ratioOneThread}`);
  console.log(`  ffmpeg -f null, default threads       ${result.decodeFpsFfmpeg} frames/s   ratio ${result.ratio}`);
  console.log(`  bytesPerCamera (ring SAB)             ${result.bytesPerCamera} (${(result.bytesPerCamera / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`  publish -> subscriber p99 (640x360, 300 frames at 100 fps): K=1 ${publishToSubscriberP99Ms.k1} ms, K=4 ${publishToSubscriberP99Ms.k4} ms, K=16 ${publishToSubscriberP99Ms.k16} ms`);
}
process.exit(0);
