/**
 * Evidence clips: what keeping them costs, side by side with the usual way of cutting one.
 *
 * A 1080p and a 720p camera (x264, 25 fps, a keyframe every 2 s, constant bitrate) are fed into a
 * UnitHistory as a camera would (arrival times in step with the pts); then a 10 s clip (5 s before
 * and after a moment) is cut N times:
 *   - streamsight: history.clip() + writeMp4 in this process (what core/events/clips.ts does);
 *   - baseline: ffmpeg remuxing the same 10 s to MP4 without re-encoding (`-c copy`, what a
 *     recorder that keeps segments on disk, such as Frigate, runs per clip), timed from spawn to exit.
 * Reported: per-clip time (median, p95), clip size, and the history's held bytes per camera for the
 * default span (beforeS + afterS + 2 s) — the memory a camera with plugins costs for clips.
 *
 *   node --import tsx bench/clips.ts [--runs 20] [--json]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { VideoUnit } from '../codecs/access-unit.js';
import { groupAccessUnits } from '../codecs/access-unit-group.js';
import { splitAnnexB } from '../codecs/h264/annexb.js';
import { isH264Keyframe } from '../codecs/h264/nal.js';
import { writeMp4 } from '../codecs/mp4/writer.js';
import { ffmpegPath } from '../core/ffmpeg.js';
import { UnitHistory } from '../core/stream/unit-history.js';
import { benchClip, percentile } from './lib.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
const RUNS = Math.max(1, Number(values.runs));
const FRAME_TICKS = 3600;
const [BEFORE_S, AFTER_S] = [5, 5];

interface Row {
  camera: string;
  historyMiB: number;
  historyS: number;
  clipMiB: number;
  oursMedianMs: number;
  oursP95Ms: number;
  ffmpegMedianMs: number;
  ffmpegP95Ms: number;
}

const dir = mkdtempSync(join(tmpdir(), 'streamsight-bench-clips-'));
const rows: Row[] = [];
try {
  for (const [w, h, kbps] of [[1920, 1080, 4000], [1280, 720, 2000]] as const) {
    // 30 s of the bench clip as Annex B, split into access units.
    const mp4 = benchClip(w, h, kbps);
    const annexB = join(dir, `${w}x${h}.h264`);
    execFileSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-i', mp4, '-t', '30', '-c', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', annexB]);
    const units: VideoUnit[] = groupAccessUnits('H264', splitAnnexB(new Uint8Array(readFileSync(annexB)))).map((nalus, i) => ({
      kind: 'video', codec: 'H264', pts: i * FRAME_TICKS, keyframe: isH264Keyframe(nalus), nalus, receivedAt: 1000 + i * 40,
    }));
    const history = new UnitHistory(`bench:${w}x${h}`, { seconds: BEFORE_S + AFTER_S + 2 });
    history.onTracks([]);
    for (const u of units) history.write(u);
    const at = units.at(-1)!.pts - AFTER_S * 90_000;

    const ours: number[] = [];
    let clip: Uint8Array | undefined;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      clip = history.clipMp4(at - BEFORE_S * 90_000, at + AFTER_S * 90_000);
      ours.push(performance.now() - t0);
    }
    if (!clip) throw new Error('no clip cut');

    // The same span as a raw stream on disk, remuxed by ffmpeg.
    const c = history.clip(at - BEFORE_S * 90_000, at + AFTER_S * 90_000)!;
    const raw = join(dir, `span-${w}.h264`);
    const start = Uint8Array.of(0, 0, 0, 1);
    writeFileSync(raw, Buffer.concat(c.samples.flatMap((u) => u.nalus.flatMap((n) => [start, n]))));
    const theirs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const r = spawnSync(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'h264', '-framerate', '25', '-i', raw, '-c', 'copy', '-movflags', '+faststart', join(dir, 'out.mp4')]);
      theirs.push(performance.now() - t0);
      if (r.status !== 0) throw new Error(`ffmpeg remux failed: ${r.stderr}`);
    }
    const s = history.stats;
    rows.push({
      camera: `${w}x${h} ${kbps / 1000} Mbit/s`,
      historyMiB: s.bytes / 2 ** 20,
      historyS: (s.lastPts! - s.firstPts!) / 90_000,
      clipMiB: clip.length / 2 ** 20,
      oursMedianMs: percentile(ours, 50),
      oursP95Ms: percentile(ours, 95),
      ffmpegMedianMs: percentile(theirs, 50),
      ffmpegP95Ms: percentile(theirs, 95),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify({ runs: RUNS, rows }, null, 2));
} else {
  const f = (n: number, d = 1) => n.toFixed(d);
  console.log(`10 s evidence clips (5 s before, 5 s after), ${RUNS} cuts each`);
  console.log('| camera | history held | clip | streamsight (in process) | ffmpeg -c copy (spawned) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.camera} | ${f(r.historyMiB)} MiB for ${f(r.historyS)} s | ${f(r.clipMiB, 2)} MiB | ${f(r.oursMedianMs)} ms (p95 ${f(r.oursP95Ms)}) | ${f(r.ffmpegMedianMs)} ms (p95 ${f(r.ffmpegP95Ms)}) |`);
  }
}
