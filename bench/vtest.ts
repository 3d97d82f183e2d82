/**
 * `node --import tsx bench/vtest.ts [--json] [--server] [--plugins crowd,intrusion] [--dwell S] [--seconds S]`:
 * the public-safety plugins on real footage, scored against hand labels.
 *
 * The clip is OpenCV's vtest.avi (Debian `opencv-doc`): 768×576, 10 fps, 79.5 s, a campus seen from
 * an upper floor, people walking on a road and a plaza, a lawn in front that three of them cross.
 * bench/vtest/labels.json holds the labels (16 frames, every person boxed by hand; how they were
 * made is written in the file), the zones, the times people were on the lawn and a ground reference.
 *
 * In process (default), ffmpeg decodes the clip to I420 and every frame goes to each plugin as the
 * plugin host would hand it, on the clip's clock (bench/scenes/play.ts does the same for synthetic
 * scenes). Reported per plugin:
 *   - people counts per zone at each labelled frame: the crowd plugin's CrowdCounter (the numbers it
 *     alerts on) and, for every plugin, its returned 'person' detections counted by foot point;
 *   - person detection precision / recall at IoU ≥ 0.3 of the returned boxes against the labels
 *     (people marked hard — mostly hidden — may be found or not);
 *   - intrusion events against the lawn visits: one per visit of at least dwellS, at entry + dwellS;
 *     any intrusion on the 'lawn' zone (beside which people walk all clip, on which nobody steps) is
 *     a false alarm;
 *   - onFrame time per frame, p50 / p99.
 * With --server the clip goes through the real server instead (H.264 → RTSP push → decoder → ring →
 * plugin workers → /api/events), through bench/accuracy.ts's playThroughServer; events only.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ffmpegPath } from '../core/ffmpeg.js';
import { bottomCentre, pointInPolygon, type Detection, type Frame, type PluginEventInput, type Point } from '../plugins/sdk/index.js';
import { percentile } from './lib.js';
import { playThroughServer } from './accuracy.js';
import { eventRates, loadPlugin, scoreEvents, SCENE_EPOCH_MS, type PlayedEvent } from './scenes/play.js';
import type { ExpectedEvent, Scenario } from './scenes/scenario.js';
import type { TrafficScene } from './scenes/traffic.js';

/** Where the labels live, beside this file. */
export const LABELS_PATH = fileURLToPath(new URL('./vtest/labels.json', import.meta.url));

/** One labelled object: a box [x, y, w, h] in pixels of the 768×576 frame. */
export interface LabelledObject {
  cls: string;
  box: [number, number, number, number];
  onGrass?: boolean;
  /** Less than about half visible: counted, but optional for detection scoring. */
  hard?: boolean;
  parked?: boolean;
}

/** The labels file (see bench/vtest/labels.json's howMade). */
export interface VtestLabels {
  clip: { file: string; width: number; height: number; fps: number; frames: number };
  howMade: string[];
  zones: Record<string, { polygon: Point[]; about: string }>;
  /** Times a person was on a zone; exitS null when still on it at the end of the clip. */
  grassVisits: { who: string; zone: string; enterS: number; exitS: number | null; note?: string }[];
  ground: { reference: { image: Point; ground: Point }[]; howMade: string };
  frames: { frame: number; timeS: number; objects: LabelledObject[] }[];
}

/** Reads and returns the labels file. */
export function loadLabels(path = LABELS_PATH): VtestLabels {
  return JSON.parse(readFileSync(path, 'utf8')) as VtestLabels;
}

/** Intersection over union of two [x, y, w, h] boxes. */
export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.min(a[0]! + a[2]!, b[0]! + b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[1]! + a[3]!, b[1]! + b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a[2]! * a[3]! + b[2]! * b[3]! - inter);
}

/**
 * Matches found boxes to labelled ones one-to-one, best IoU first, at IoU ≥ minIou. Hard labels
 * matched are true positives, unmatched are not misses; a found box matching nothing is a false one.
 */
export function matchBoxes(truth: readonly LabelledObject[], found: readonly (readonly number[])[], minIou = 0.3): { tp: number; fp: number; fn: number } {
  const pairs: { i: number; j: number; v: number }[] = [];
  truth.forEach((t, i) => found.forEach((f, j) => {
    const v = iou(t.box, f);
    if (v >= minIou) pairs.push({ i, j, v });
  }));
  pairs.sort((a, b) => b.v - a.v);
  const usedT = new Set<number>();
  const usedF = new Set<number>();
  for (const p of pairs) {
    if (usedT.has(p.i) || usedF.has(p.j)) continue;
    usedT.add(p.i);
    usedF.add(p.j);
  }
  const fn = truth.filter((t, i) => !usedT.has(i) && !t.hard).length;
  return { tp: usedT.size, fp: found.length - usedF.size, fn };
}

/** Labelled people whose feet (box bottom centre) are in a normalised zone polygon. */
export function peopleInZone(objects: readonly LabelledObject[], polygon: readonly Point[], width: number, height: number): number {
  return objects.filter((o) => {
    if (o.cls !== 'person') return false;
    const [x, y] = bottomCentre({ x: o.box[0], y: o.box[1], w: o.box[2], h: o.box[3] });
    // Feet on the frame's bottom edge are on its last row (a zone's edge along the frame's is on the boundary).
    return pointInPolygon([x / width, Math.min(y, height - 0.5) / height], polygon);
  }).length;
}

/** The intrusion events the lawn visits call for with a dwell of dwellS: one per visit that lasts it. */
export function expectedIntrusions(labels: VtestLabels, dwellS: number, toleranceS = 1): (ExpectedEvent & { zone: string })[] {
  const endS = labels.clip.frames / labels.clip.fps;
  return labels.grassVisits
    .filter((v) => (v.exitS ?? endS) - v.enterS >= dwellS)
    .map((v) => ({ plugin: 'intrusion', type: 'intrusion', timeS: Math.round((v.enterS + dwellS) * 10) / 10, zone: v.zone, toleranceS }));
}

/** Decodes the clip to I420 with ffmpeg, calling `each(index, planes)` per frame, in order (awaited). */
export async function decodeClip(file: string, width: number, height: number, each: (i: number, yuv: Uint8Array) => Promise<void> | void, maxFrames = Infinity): Promise<number> {
  const size = width * height * 1.5;
  const ff = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  ff.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const frame = new Uint8Array(size);
  let filled = 0;
  let n = 0;
  try {
    for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length && n < maxFrames;) {
        const take = Math.min(size - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + take), filled);
        filled += take;
        off += take;
        if (filled === size) {
          await each(n++, frame);
          filled = 0;
        }
      }
      if (n >= maxFrames) break;
    }
  } finally {
    ff.kill();
  }
  if (n === 0) throw new Error(`ffmpeg decoded no frame of ${file}: ${err.trim()}`);
  return n;
}

/** The config each plugin gets on vtest: the labels' ground reference plus what the caller adds. */
export function pluginSetup(labels: VtestLabels, name: string, extra: Record<string, unknown> = {}): { config: Record<string, unknown>; zones: Record<string, Point[]> } {
  const zones = Object.fromEntries(Object.entries(labels.zones).map(([z, v]) => [z, v.polygon]));
  const ground = labels.ground.reference;
  const dwellS = typeof extra.dwellS === 'number' ? extra.dwellS : 2;
  const { dwellS: _, ...rest } = extra;
  // The lawn people cross and the lawn nobody steps on are both restricted: one must fire, one stay quiet.
  const forPlugin: Record<string, Record<string, unknown>> = {
    intrusion: { ground, restricted: [{ zone: 'grass', dwellS, kinds: ['person', 'vehicle'] }, { zone: 'lawn', dwellS, kinds: ['person', 'vehicle'] }] },
    crowd: { ground, zones: Object.keys(zones).map((zone) => ({ zone })) },
    objects: { ground },
  };
  return { config: { ...(forPlugin[name] ?? {}), ...rest }, zones };
}

/** What one plugin did over the clip, in process. */
export interface PluginRun {
  plugin: string;
  /** The config error when the plugin refused the vtest config. */
  error?: string;
  frames: number;
  events: PlayedEvent[];
  /** Per labelled frame: the returned 'person' detections' boxes, in pixels (Detection boxes are normalised). */
  detections: Map<number, number[][]>;
  msPerFrame: number[];
  /** Objects reported seen (ctx.observe), by kind. */
  observed: Record<string, number>;
}

/** Plays the clip into the named plugins, in process (see the file comment). */
export async function playVtest(labels: VtestLabels, plugins: string[], opts: { seconds?: number; configs?: Record<string, Record<string, unknown>>; onFrame?: (i: number, frame: Frame) => Promise<void> | void } = {}): Promise<PluginRun[]> {
  const { width, height, fps } = labels.clip;
  const labelled = new Set(labels.frames.map((f) => f.frame));
  const runs: (PluginRun & { instance?: Awaited<ReturnType<Awaited<ReturnType<typeof loadPlugin>>['create']>> })[] = [];
  let nowS = 0;
  for (const name of plugins) {
    const run: PluginRun & { instance?: (typeof runs)[number]['instance'] } = { plugin: name, frames: 0, events: [], detections: new Map(), msPerFrame: [], observed: {} };
    runs.push(run);
    const def = await loadPlugin(name);
    const setup = pluginSetup(labels, name, opts.configs?.[name]);
    const parsed = def.configSchema.safeParse(setup.config);
    if (!parsed.success) {
      run.error = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      continue;
    }
    run.instance = await def.create({
      cameraId: 'vtest', config: parsed.data, geometry: { zones: setup.zones, lines: {} }, log: () => {},
      emit: (e: PluginEventInput) => {
        run.events.push({ plugin: name, type: e.type, timeS: nowS, ...(e.trackId !== undefined ? { trackId: e.trackId } : {}), ...(e.zone ? { zone: e.zone } : {}), ...(e.attributes ? { attributes: e.attributes } : {}) });
      },
      count: () => {},
      observe: (o) => void (run.observed[o.cls] = (run.observed[o.cls] ?? 0) + 1),
    });
  }
  const cw = width / 2;
  try {
    await decodeClip(labels.clip.file, width, height, async (i, yuv) => {
      nowS = i / fps;
      const frame: Frame = {
        cameraId: 'vtest', pts: i * (90000 / fps), capturedAt: SCENE_EPOCH_MS + nowS * 1000, seq: i + 1, width, height, format: 'i420',
        y: yuv.subarray(0, width * height), u: yuv.subarray(width * height, width * height * 1.25), v: yuv.subarray(width * height * 1.25), strideY: width, strideUV: cw,
      };
      for (const run of runs) {
        if (!run.instance) continue;
        const t0 = performance.now();
        const out = await run.instance.onFrame(frame);
        run.msPerFrame.push(performance.now() - t0);
        run.frames++;
        if (labelled.has(i)) run.detections.set(i, (out ?? []).filter((d: Detection) => d.label === 'person').map((d: Detection) => [d.box[0] * width, d.box[1] * height, d.box[2] * width, d.box[3] * height]));
      }
      await opts.onFrame?.(i, frame);
    }, opts.seconds !== undefined ? Math.round(opts.seconds * fps) : Infinity);
  } finally {
    for (const run of runs) run.instance?.close?.();
  }
  return runs.map(({ instance: _, ...run }) => run);
}

/** People counts of one zone at the labelled frames: mean absolute error and the per-frame rows. */
export interface CountScore {
  zone: string;
  mae: number;
  /** Sum of |counted − true| over sum of true. */
  relError: number;
  rows: { frame: number; truth: number; counted: number }[];
}

function countScore(zone: string, rows: CountScore['rows']): CountScore {
  const abs = rows.reduce((s, r) => s + Math.abs(r.counted - r.truth), 0);
  const truth = rows.reduce((s, r) => s + r.truth, 0);
  return { zone, mae: rows.length ? abs / rows.length : 0, relError: truth ? abs / truth : 0, rows };
}

/**
 * The crowd plugin's own estimator (plugins/crowd/counter.ts) over the clip: its per-zone counts at
 * the labelled frames against the labels. Undefined when the crowd plugin is not there.
 */
export async function crowdCounts(labels: VtestLabels, seconds?: number): Promise<CountScore[] | undefined> {
  if (!existsSync(fileURLToPath(new URL('../plugins/crowd/counter.ts', import.meta.url)))) return undefined;
  const { CrowdCounter } = (await import('../plugins/crowd/counter.js')) as { CrowdCounter: new (o: { ground: VtestLabels['ground']['reference']; zones: Record<string, Point[]> }) => { names: string[]; read(f: Frame): Promise<{ zones: { zone: string; count: number }[] }> } };
  const zones = Object.fromEntries(Object.entries(labels.zones).map(([z, v]) => [z, v.polygon]));
  const counter = new CrowdCounter({ ground: labels.ground.reference, zones });
  const byFrame = new Map(labels.frames.map((f) => [f.frame, f]));
  const rows = new Map<string, CountScore['rows']>(Object.keys(zones).map((z) => [z, []]));
  await playVtest(labels, [], {
    ...(seconds !== undefined ? { seconds } : {}),
    onFrame: async (i, frame) => {
      const reading = await counter.read(frame);
      const truth = byFrame.get(i);
      if (!truth) return;
      for (const z of reading.zones) rows.get(z.zone)!.push({ frame: i, truth: peopleInZone(truth.objects, zones[z.zone]!, labels.clip.width, labels.clip.height), counted: Math.round(z.count * 100) / 100 });
    },
  });
  return [...rows].map(([zone, r]) => countScore(zone, r));
}

/** One plugin's scores on the clip. */
export interface VtestScore {
  plugin: string;
  error?: string;
  frames: number;
  p50Ms: number;
  p99Ms: number;
  /** Person boxes returned by onFrame at the labelled frames, IoU ≥ 0.3. */
  detection: { tp: number; fp: number; fn: number; precision: number; recall: number };
  /** The same detections counted per zone by foot point. */
  counts: CountScore[];
  /** intrusion: events on the grass zone against the lawn visits, and any on the lawn zone. */
  intrusion?: { dwellS: number; tp: number; fp: number; fn: number; precision: number; recall: number; quietZoneEvents: number; missed: number[]; extra: number[] };
  events: number;
}

/** Scores in-process runs against the labels. */
export function scoreRuns(labels: VtestLabels, runs: PluginRun[], dwellS: number, seconds?: number): VtestScore[] {
  const { width, height } = labels.clip;
  const frames = labels.frames.filter((f) => seconds === undefined || f.timeS < seconds);
  return runs.map((run) => {
    let tp = 0, fp = 0, fn = 0;
    const rows = new Map<string, CountScore['rows']>(Object.keys(labels.zones).map((z) => [z, []]));
    for (const f of frames) {
      const found = run.detections.get(f.frame) ?? [];
      const m = matchBoxes(f.objects.filter((o) => o.cls === 'person'), found);
      [tp, fp, fn] = [tp + m.tp, fp + m.fp, fn + m.fn];
      const asObjects: LabelledObject[] = found.map((b) => ({ cls: 'person', box: [b[0]!, b[1]!, b[2]!, b[3]!] }));
      for (const [z, zone] of Object.entries(labels.zones)) {
        rows.get(z)!.push({ frame: f.frame, truth: peopleInZone(f.objects, zone.polygon, width, height), counted: peopleInZone(asObjects, zone.polygon, width, height) });
      }
    }
    const score: VtestScore = {
      plugin: run.plugin, frames: run.frames, events: run.events.length,
      p50Ms: percentile(run.msPerFrame, 50), p99Ms: percentile(run.msPerFrame, 99),
      detection: { ...eventRates(tp, fp, fn) },
      counts: [...rows].map(([z, r]) => countScore(z, r)),
      ...(run.error ? { error: run.error } : {}),
    };
    if (run.plugin === 'intrusion') score.intrusion = scoreIntrusion(labels, run.events, dwellS, seconds);
    return score;
  });
}

/** Intrusion events on the 'grass' zone scored against the lawn visits; events on 'lawn' are false alarms. */
export function scoreIntrusion(labels: VtestLabels, events: readonly PlayedEvent[], dwellS: number, seconds?: number): NonNullable<VtestScore['intrusion']> {
  const expected = expectedIntrusions(labels, dwellS).filter((e) => seconds === undefined || e.timeS < seconds);
  const onGrass = events.filter((e) => e.type === 'intrusion' && e.zone === 'grass');
  const sc = scoreEvents(expected, onGrass, ['intrusion']);
  return {
    dwellS, tp: sc.tp, fp: sc.fp, fn: sc.fn, precision: sc.precision, recall: sc.recall,
    quietZoneEvents: events.filter((e) => e.type === 'intrusion' && e.zone === 'lawn').length,
    missed: sc.missed.map((e) => e.timeS), extra: sc.extra.map((e) => e.timeS),
  };
}

/**
 * Plays the clip through the real server with bench/accuracy.ts's playThroughServer: the clip,
 * transcoded once to H.264 (Annex B, no B-frames, a key frame a second), is laid in the function's
 * clip is handed over as the scenario's prepared clip, so it is played instead of a render.
 */
export async function playVtestThroughServer(labels: VtestLabels, plugins: string[], dwellS: number, configs: Record<string, Record<string, unknown>> = {}): Promise<PlayedEvent[]> {
  const { width, height, fps, frames } = labels.clip;
  // Only what playThroughServer reads of a scene with a prepared clip: its size, rate and length.
  const scene = { name: 'vtest', camera: { width, height }, fps, durationS: frames / fps, source: labels.clip.file } as unknown as TrafficScene;
  const scenario: Scenario = {
    name: 'vtest', plugin: plugins[0]!, scene, scoredTypes: ['intrusion'], events: expectedIntrusions(labels, dwellS),
    plugins: Object.fromEntries(plugins.map((p) => {
      const s = pluginSetup(labels, p, configs[p]);
      return [p, { config: s.config, zones: s.zones as Record<string, [number, number][]> }];
    })),
  };
  const cache = mkdtempSync(join(tmpdir(), 'streamsight-vtest-'));
  try {
    const h264 = join(cache, 'vtest.h264');
    await new Promise<void>((resolve, reject) => {
      const ff = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', labels.clip.file, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', String(fps), '-pix_fmt', 'yuv420p', '-f', 'h264', h264], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      ff.stderr.on('data', (d: Buffer) => (err += d.toString()));
      ff.on('error', reject);
      ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg transcode of vtest exited ${code}: ${err.trim()}`))));
    });
    const [outcome] = await playThroughServer([scenario], { parallel: 1, clips: { vtest: h264 } });
    return outcome!.events;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** Plugins of issue 5 that vtest scores, those that exist in this checkout. */
export function availablePlugins(): string[] {
  return ['crowd', 'intrusion', 'objects'].filter((p) => existsSync(fileURLToPath(new URL(`../plugins/${p}/index.ts`, import.meta.url))));
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] ?? '' : undefined);
  const labels = loadLabels();
  if (!existsSync(labels.clip.file)) throw new Error(`${labels.clip.file} is missing: apt-get install opencv-doc`);
  const plugins = arg('--plugins')?.split(',').filter(Boolean) ?? availablePlugins();
  const dwellS = Number(arg('--dwell') ?? 2);
  const seconds = arg('--seconds') !== undefined ? Number(arg('--seconds')) : undefined;
  if (!(dwellS > 0)) throw new Error(`--dwell must be a number of seconds > 0, got ${arg('--dwell')}`);
  const configs: Record<string, Record<string, unknown>> = { intrusion: { dwellS } };
  if (argv.includes('--server')) {
    const events = await playVtestThroughServer(labels, plugins, dwellS, configs);
    const intrusion = scoreIntrusion(labels, events, dwellS);
    if (json) return void console.log(JSON.stringify({ mode: 'server', plugins, events, intrusion }, null, 2));
    console.log(`vtest.avi through the server (${plugins.join(', ')}): ${events.length} events`);
    console.log(`intrusion (dwell ${dwellS} s): tp ${intrusion.tp} fp ${intrusion.fp} fn ${intrusion.fn}  precision ${pct(intrusion.precision)} recall ${pct(intrusion.recall)}  on the quiet lawn: ${intrusion.quietZoneEvents}`);
    return;
  }
  const runs = await playVtest(labels, plugins, { configs, ...(seconds !== undefined ? { seconds } : {}) });
  const scores = scoreRuns(labels, runs, dwellS, seconds);
  const crowd = plugins.includes('crowd') || plugins.length === 0 ? await crowdCounts(labels, seconds) : undefined;
  if (json) return void console.log(JSON.stringify({ mode: 'in-process', plugins, scores, crowdCounter: crowd }, null, 2));
  const truthPeople = labels.frames.reduce((s, f) => s + f.objects.filter((o) => o.cls === 'person').length, 0);
  console.log(`vtest.avi in process: ${labels.frames.length} labelled frames, ${truthPeople} people labelled\n`);
  console.log('plugin      frames  p50 ms  p99 ms   person boxes tp/fp/fn  precision recall   count MAE path / grass / lawn   events');
  for (const s of scores) {
    if (s.error) {
      console.log(`${s.plugin.padEnd(10)}  refused the vtest config: ${s.error}`);
      continue;
    }
    const mae = ['path', 'grass', 'lawn'].map((z) => s.counts.find((c) => c.zone === z)?.mae.toFixed(2) ?? '-').join(' / ');
    console.log(`${s.plugin.padEnd(10)} ${String(s.frames).padStart(6)} ${s.p50Ms.toFixed(1).padStart(7)} ${s.p99Ms.toFixed(1).padStart(7)}   ${`${s.detection.tp}/${s.detection.fp}/${s.detection.fn}`.padStart(20)}  ${pct(s.detection.precision).padStart(9)} ${pct(s.detection.recall).padStart(6)}   ${mae.padStart(26)}   ${s.events}`);
    if (s.intrusion) {
      const i = s.intrusion;
      console.log(`  intrusion on the grass (dwell ${i.dwellS} s): tp ${i.tp} fp ${i.fp} fn ${i.fn}, precision ${pct(i.precision)} recall ${pct(i.recall)}; missed at ${i.missed.join(', ') || '-'} s; extra at ${i.extra.join(', ') || '-'} s; on the quiet lawn: ${i.quietZoneEvents}`);
    }
  }
  for (const c of crowd ?? []) {
    console.log(`crowd counter, zone ${c.zone.padEnd(6)}: MAE ${c.mae.toFixed(2)} people, error ${pct(c.relError)}   true/counted per frame: ${c.rows.map((r) => `${r.truth}/${r.counted}`).join(' ')}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
