/**
 * Decode pipeline throughput: our Decoder (Stream → reader → ffmpeg child → FIFO → reader thread →
 * FrameRing, i420, no fps cap) fed a pre-encoded clip as fast as its backpressure allows, against
 * plain ffmpeg decoding the same Annex-B file to the same size into nothing (`-f null`), with the
 * same decoder threads and the same scaler. Two sizes (the source's, and a detect size), two thread
 * settings: 1 (the product's default: lowest latency) and 0 (one per core: what the machine can do,
 * each extra thread holding back one frame). Runs alternate pipeline and ffmpeg, best of --runs.
 *
 *   node --import tsx bench/pipeline.ts [--seconds 20] [--size 1280x720] [--detect 640x360] [--runs 3] [--json]
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
import { groupAccessUnits } from '../codecs/access-unit-group.js';
import { splitAnnexB } from '../codecs/h264/annexb.js';
import { isH264Keyframe } from '../codecs/h264/nal.js';
import { Decoder } from '../core/decode/decoder.js';
import { ffmpegPath } from '../core/ffmpeg.js';
import { setLogLevel } from '../core/log.js';
import { Stream } from '../core/stream/stream.js';
import { ROOT } from './lib.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    size: { type: 'string', default: '1280x720' },
    detect: { type: 'string', default: '640x360' },
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

/** One way of decoding the clip: output size and decoder threads (0: one per core). */
interface DecodeSetup { width: number; height: number; threads: number }

/** Frames per second of `ffmpeg -threads T -f h264 -i clip [-vf scale] -pix_fmt yuv420p -f null -` (wall clock). */
function ffmpegFps(clip: string, frames: number, setup: DecodeSetup): number {
  const scale = setup.width === width && setup.height === height ? [] : ['-vf', `scale=${setup.width}:${setup.height}:flags=bilinear`];
  const t0 = performance.now();
  const r = spawnSync(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-threads', String(setup.threads),
    '-f', 'h264', '-i', clip, ...scale, '-pix_fmt', 'yuv420p', '-f', 'null', '-',
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return frames / ((performance.now() - t0) / 1000);
}

interface PipelineRun { fps: number; nodeCpuMsPerFrame: number; dropped: number; ringBytes: number }

/** Feeds every unit through a Stream into a Decoder, pausing only on its backpressure. */
async function pipelineFps(units: readonly VideoUnit[], setup: DecodeSetup): Promise<PipelineRun> {
  const stream = new Stream('bench', { gopMaxUnits: 1000, gopMaxBytes: 64 * 1024 * 1024 });
  stream.setTracks([{ kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90_000, fmtp: {} }]);
  const decoder = new Decoder(stream, { fps: 0, format: 'i420', keyframesOnly: false, ...setup });
  // With frame threads ffmpeg holds back up to one picture per thread until more input comes, and
  // the stream never ends here: count up to that point.
  const target = units.length - (setup.threads === 1 ? 0 : 8);
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
const units: VideoUnit[] = groupAccessUnits('H264', splitAnnexB(readFileSync(clip))).map((nalus, i) => ({
  kind: 'video', codec: 'H264', pts: i * 3600, keyframe: isH264Keyframe(nalus), nalus, receivedAt: 0,
}));
say(`clip: ${width}x${height} H.264 main, ${units.length} frames, best of ${runs} runs`);


const [dw, dh] = values.detect!.split('x').map(Number) as [number, number];
const setups: DecodeSetup[] = [
  { width, height, threads: 1 },
  { width, height, threads: 0 },
  { width: dw, height: dh, threads: 1 },
  { width: dw, height: dh, threads: 0 },
];
interface Row { setup: DecodeSetup; pipeline: PipelineRun; ffmpegFps: number }
const rows: Row[] = [];
for (const setup of setups) {
  let best: PipelineRun | undefined;
  let ff = 0;
  for (let i = 0; i < runs; i++) {
    const run = await pipelineFps(units, setup);
    if (!best || run.fps > best.fps) best = run;
    ff = Math.max(ff, ffmpegFps(clip, units.length, setup));
  }
  rows.push({ setup, pipeline: best!, ffmpegFps: ff });
  say(`  ${setup.width}x${setup.height} threads ${setup.threads}: pipeline ${Math.round(best!.fps)} fps, ffmpeg ${Math.round(ff)} fps`);
}
// Publish → subscriber latency through the ring, through the real PluginHost (bench/ring.ts 'host' mode).
const publishToSubscriberP99Ms: Record<string, number> = {};
for (const k of [1, 4, 16]) {
  const r = await runRing('host', k, { slots: 8, width: 640, height: 360, format: 'i420' }, 300, 100);
  publishToSubscriberP99Ms[`k${k}`] = Number(percentile(r.samples, 99).toFixed(3));
}
const key = (s: DecodeSetup) => `${s.width}x${s.height}/threads${s.threads}`;
const headline = rows[2]!; // detect size, the product's default of one decoder thread
const result = {
  input: { width, height, frames: units.length, codec: 'H264' },
  headline: key(headline.setup),
  decodeFpsPipeline: Math.round(headline.pipeline.fps),
  decodeFpsFfmpeg: Math.round(headline.ffmpegFps),
  ratio: Number((headline.pipeline.fps / headline.ffmpegFps).toFixed(3)),
  setups: Object.fromEntries(rows.map((r) => [key(r.setup), {
    decodeFpsPipeline: Math.round(r.pipeline.fps),
    decodeFpsFfmpeg: Math.round(r.ffmpegFps),
    ratio: Number((r.pipeline.fps / r.ffmpegFps).toFixed(3)),
    nodeCpuMsPerFrame: Number(r.pipeline.nodeCpuMsPerFrame.toFixed(3)),
    dropped: r.pipeline.dropped,
  }])),
  publishToSubscriberP99Ms,
  bytesPerCamera: rows[0]!.pipeline.ringBytes,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  console.log(`decode pipeline: ${width}x${height} H.264 clip (${units.length} frames) into an 8-slot FrameRing, i420, best of ${runs}`);
  console.log('  output      threads  pipeline fps  ffmpeg -f null fps  ratio  node CPU ms/frame  dropped');
  for (const r of rows) {
    console.log(
      `  ${`${r.setup.width}x${r.setup.height}`.padEnd(10)} ${String(r.setup.threads || 'auto').padStart(7)} ${String(Math.round(r.pipeline.fps)).padStart(13)} ` +
        `${String(Math.round(r.ffmpegFps)).padStart(19)} ${(r.pipeline.fps / r.ffmpegFps).toFixed(3).padStart(6)} ${r.pipeline.nodeCpuMsPerFrame.toFixed(3).padStart(18)} ${String(r.pipeline.dropped).padStart(8)}`,
    );
  }
  console.log(`  bytesPerCamera (ring SAB at ${width}x${height})  ${result.bytesPerCamera} (${(result.bytesPerCamera / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`  publish -> subscriber p99 (640x360, 300 frames at 100 fps): K=1 ${publishToSubscriberP99Ms.k1} ms, K=4 ${publishToSubscriberP99Ms.k4} ms, K=16 ${publishToSubscriberP99Ms.k16} ms`);
}
process.exit(0);
