/**
 * Plays a scenario straight into its plugins, in this process: each frame is rendered (I420) and
 * handed to every plugin of the scenario at that plugin's fps, as the plugin host would, with
 * `capturedAt` on the scene's clock. What the plugins emit, count and observe is collected with scene
 * times, and `scoreEvents` matches it one-to-one against the scenario's expected events.
 *
 * This is the fast path for plugin tests and tuning. `streamsight bench accuracy` plays the same
 * scenarios through the real server (RTSP in → decoder → ring → plugin workers → event store).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ffmpegPath } from '../../core/ffmpeg.js';
import type { CountInput, Frame, ObservedObject, PluginDefinition, PluginEventInput, PluginInstance } from '../../plugins/sdk/index.js';
import { eventStart } from '../../core/plugins/runner.js';
import { prng } from '../../core/testing/prng.js';
import { costMatrix, linearAssignment } from '../../plugins/sdk/vision/hungarian.js';
import { I420Canvas } from './canvas.js';
import { renderFrame } from './traffic.js';
import type { ExpectedEvent, Scenario } from './scenario.js';

/** Scene time 0 on the plugins' epoch-ms clock. */
export const SCENE_EPOCH_MS = 1_700_000_000_000;

/** An event as a plugin raised it, with the scene time of the frame it was raised on. */
export interface PlayedEvent {
  plugin: string;
  type: string;
  /** Scene seconds: when it began (the plugin's startedAt), else the frame it was raised on. */
  timeS: number;
  /** The zone it was about, when the plugin named one. */
  zone?: string;
  trackId?: number;
  attributes?: Record<string, unknown>;
  /** Labels of the evidence images it carried. */
  evidence?: string[];
  snapshot?: boolean;
}

/** A count as a plugin reported it. */
export interface PlayedCount {
  plugin: string;
  line: string;
  cls: string;
  direction: string;
  timeS: number;
}

/** An object as a plugin reported it seen (ctx.observe). */
export interface PlayedObject {
  plugin: string;
  cls: string;
  trackId?: number;
  timeS: number;
}

/** What plugins raised over a played scenario, plus their processing times per frame (ms). */
export interface PlayResult {
  events: PlayedEvent[];
  counts: PlayedCount[];
  observed: PlayedObject[];
  msPerFrame: Record<string, number[]>;
  /** The same frames' CPU time, ms: the process's user + system time (GC and JIT threads included), blind to time the OS gave other processes. */
  cpuMsPerFrame: Record<string, number[]>;
  /**
   * With `runs` > 1: each frame's lowest CPU time over the runs. A frame the code makes slow is slow
   * in every run; a VM's steal (which inflates process CPU time too) and one-off GC or JIT work are not.
   */
  minCpuMsPerFrame: Record<string, number[]>;
}

/** Loads a built-in plugin's definition by name. */
export async function loadPlugin(name: string): Promise<PluginDefinition> {
  const mod = (await import(`../../plugins/${name}/index.js`)) as { default: PluginDefinition };
  return mod.default;
}

/** How playInProcess plays a scenario. */
export interface PlayOptions {
  /** Seconds of scene to play (default: all of it). */
  durationS?: number;
  /** Frame format handed to the plugins (default i420). */
  format?: 'i420' | 'gray';
  /**
   * Render (and copy) every frame a plugin takes before playing any, so that the renderer's work and
   * its garbage (GC pauses) stay out of `msPerFrame`: for timing. Costs one frame copy per frame played.
   */
  prerender?: boolean;
  /**
   * Seconds of scene first played through throwaway instances of the plugins (what they raise is
   * dropped), so that V8 has optimised their code before the run that counts: for timing, as a
   * worker that has run a while would be. Default 0.
   */
  warmupS?: number;
  /**
   * Plays the timed run this many times, each through fresh instances on the same frames (with
   * `prerender`); events, counts, observed and msPerFrame come from the first, minCpuMsPerFrame from all. Default 1.
   */
  runs?: number;
  /**
   * Share of the due frames (after each plugin's first) that the plugins do not get, at random from
   * `seed`: as a plugin host that is behind skips frames. Default none.
   */
  skip?: { share: number; seed: number };
  /**
   * An H.264 file of the scene (as `bench accuracy` encodes it, cached under its --cache dir): its
   * frames, decoded by ffmpeg, are played instead of the renderer's, so that what the server path
   * sees (the codec's blocking and smearing) can be replayed here frame by frame. Not with `prerender`.
   */
  decodedFrom?: string;
}

/** Renders the scenario and runs its plugins over it; see the file comment. */
export async function playInProcess(scenario: Scenario, opts: PlayOptions = {}): Promise<PlayResult> {
  if (opts.decodedFrom !== undefined && opts.prerender) throw new Error('playInProcess: decodedFrom and prerender do not go together');
  const { scene } = scenario;
  const { width, height } = scene.camera;
  const result: PlayResult = { events: [], counts: [], observed: [], msPerFrame: {}, cpuMsPerFrame: {}, minCpuMsPerFrame: {} };
  let nowS = 0;
  const rates = new Map<string, number>();
  for (const [name, p] of Object.entries(scenario.plugins)) rates.set(name, p.fps ?? (await loadPlugin(name)).defaults.fps);
  /** An instance of every plugin of the scenario; with `record` false what they raise is dropped (a warm-up). */
  const start = async (record: boolean) => {
    const running: { name: string; fps: number; instance: PluginInstance }[] = [];
    for (const [name, p] of Object.entries(scenario.plugins)) {
      const def = await loadPlugin(name);
      const config = def.configSchema.parse(p.config ?? {});
      const instance = await def.create({
        cameraId: scenario.name,
        config,
        geometry: { zones: p.zones ?? {}, lines: p.lines ?? {} },
        emit: (e: PluginEventInput) => {
          if (!record) return;
          const frameAt = SCENE_EPOCH_MS + nowS * 1000;
          const started = eventStart(e.startedAt, frameAt);
          const ev: PlayedEvent = { plugin: name, type: e.type, timeS: started === frameAt ? nowS : (started - SCENE_EPOCH_MS) / 1000 };
          if (e.zone !== undefined) ev.zone = e.zone;
          if (e.trackId !== undefined) ev.trackId = e.trackId;
          if (e.attributes) ev.attributes = e.attributes;
          if (e.snapshot) ev.snapshot = true;
          const images = (e as { evidence?: { label: string }[] }).evidence;
          if (images) ev.evidence = images.map((x) => x.label);
          result.events.push(ev);
        },
        count: (c: CountInput) => {
          if (!record) return;
          result.counts.push({ plugin: name, line: c.line, cls: c.cls, direction: c.direction, timeS: c.at !== undefined ? (c.at - SCENE_EPOCH_MS) / 1000 : nowS });
        },
        observe: (o: ObservedObject) => {
          if (!record) return;
          const seen: PlayedObject = { plugin: name, cls: o.cls, timeS: o.at !== undefined ? (o.at - SCENE_EPOCH_MS) / 1000 : nowS };
          if (o.trackId !== undefined) seen.trackId = o.trackId;
          result.observed.push(seen);
        },
        log: () => {},
      });
      running.push({ name, fps: rates.get(name)!, instance });
      if (record) {
        result.msPerFrame[name] = [];
        result.cpuMsPerFrame[name] = [];
      }
    }
    return running;
  };
  const canvas = new I420Canvas(width, height);
  const total = Math.round((opts.durationS ?? scene.durationS) * scene.fps);
  const gray = opts.format === 'gray';
  // The host publishes at most `fps` frames a second: frame i is due when its slot changes.
  const due = (i: number, fps: number) => i === 0 || Math.floor((i * fps) / scene.fps) !== Math.floor(((i - 1) * fps) / scene.fps);
  const wanted = (i: number) => [...rates.values()].some((fps) => due(i, fps));
  // Every frame is rendered, in order (the renderer's noise is one random stream), but only those a plugin takes are kept.
  const rendered: { y: Uint8Array; u: Uint8Array; v: Uint8Array }[] = [];
  if (opts.prerender) {
    const rand = prng(scene.seed);
    for (let i = 0; i < total; i++) {
      renderFrame(scene, i, canvas, rand);
      if (wanted(i)) rendered[i] = { y: canvas.y.slice(), u: canvas.u.slice(), v: canvas.v.slice() };
    }
  }
  const cpuMs = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  /** Plays the first `frames` frames of the scene into `running` (closing them after), timing each onFrame into `cpu` (by plugin) when given. */
  const play = async (running: { name: string; fps: number; instance: PluginInstance }[], frames: number, cpu?: Record<string, number[]>) => {
    const rand = prng(scene.seed);
    const skipRand = prng(opts.skip?.seed ?? 0);
    const decoded = opts.decodedFrom !== undefined ? new DecodedFrames(opts.decodedFrom, width, height) : undefined;
    try {
      for (let i = 0; i < frames; i++) {
        let planes: { y: Uint8Array; u: Uint8Array; v: Uint8Array } = canvas;
        if (decoded) {
          const next = await decoded.next();
          if (!next) break;
          planes = next;
        } else if (!opts.prerender) renderFrame(scene, i, canvas, rand);
        else if (rendered[i]) planes = rendered[i]!;
        else continue;
        nowS = i / scene.fps;
        const frame: Frame = {
          cameraId: scenario.name, pts: i * (90000 / scene.fps), capturedAt: SCENE_EPOCH_MS + nowS * 1000, seq: i + 1, width, height,
          format: gray ? 'gray' : 'i420', y: planes.y, strideY: width, strideUV: gray ? 0 : canvas.cw,
          ...(gray ? {} : { u: planes.u, v: planes.v }),
        };
        for (const r of running) {
          if (!due(i, r.fps) || (opts.skip && i > 0 && skipRand() < opts.skip.share)) continue;
          const c0 = cpuMs();
          const t0 = performance.now();
          await r.instance.onFrame(frame);
          if (!cpu) continue;
          cpu[r.name]!.push(cpuMs() - c0);
          if (cpu === result.cpuMsPerFrame) result.msPerFrame[r.name]!.push(performance.now() - t0);
        }
      }
    } finally {
      decoded?.close();
      for (const r of running) r.instance.close?.();
    }
  };
  if (opts.warmupS) await play(await start(false), Math.min(total, Math.round(opts.warmupS * scene.fps)));
  await play(await start(true), total, result.cpuMsPerFrame);
  for (const [name, cpu] of Object.entries(result.cpuMsPerFrame)) result.minCpuMsPerFrame[name] = [...cpu];
  for (let run = 1; run < (opts.runs ?? 1); run++) {
    const again: Record<string, number[]> = Object.fromEntries(Object.keys(result.cpuMsPerFrame).map((name) => [name, []]));
    await play(await start(false), total, again);
    for (const [name, cpu] of Object.entries(again)) {
      const min = result.minCpuMsPerFrame[name]!;
      for (let i = 0; i < min.length; i++) min[i] = Math.min(min[i]!, cpu[i]!);
    }
  }
  return result;
}

/** The I420 frames of an H.264 file, decoded by ffmpeg, one at a time and in order. */
class DecodedFrames {
  readonly #child: ChildProcessByStdio<null, Readable, null>;
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #size: number;
  readonly #w: number;
  readonly #h: number;
  #pending: Buffer = Buffer.alloc(0);

  constructor(file: string, width: number, height: number) {
    this.#w = width;
    this.#h = height;
    this.#size = (width * height * 3) / 2;
    this.#child = spawn(ffmpegPath(), ['-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#chunks = this.#child.stdout[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next frame's planes, or undefined at the end of the file. */
  async next(): Promise<{ y: Uint8Array; u: Uint8Array; v: Uint8Array } | undefined> {
    while (this.#pending.length < this.#size) {
      const r = await this.#chunks.next();
      if (r.done) return undefined;
      this.#pending = this.#pending.length === 0 ? r.value : Buffer.concat([this.#pending, r.value]);
    }
    const f = new Uint8Array(this.#pending.subarray(0, this.#size));
    this.#pending = this.#pending.subarray(this.#size);
    const ySize = this.#w * this.#h;
    const cSize = (this.#w / 2) * (this.#h / 2);
    return { y: f.subarray(0, ySize), u: f.subarray(ySize, ySize + cSize), v: f.subarray(ySize + cSize, ySize + 2 * cSize) };
  }

  close(): void {
    this.#child.kill();
  }
}

/** Event precision and recall against the truth: one-to-one matches of the same type within ±toleranceS (the expected event's, or the scorer's). */
export interface EventScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  /** Events matched to optional truths (near misses): counted neither way. */
  nearMisses: number;
  missed: ExpectedEvent[];
  extra: PlayedEvent[];
}

/** Precision, recall and F1 from true and false positives and false negatives (1 when there is nothing to find or nothing found). */
export function eventRates(tp: number, fp: number, fn: number): { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number } {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  return { tp, fp, fn, precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** Scores played events of the given types against the expected ones (closest pairs first), each within its own toleranceS if it has one. */
export function scoreEvents(expected: readonly ExpectedEvent[], got: readonly PlayedEvent[], types: readonly string[], toleranceS = 1): EventScore {
  const want = expected.filter((e) => types.includes(e.type));
  const have = got.filter((e) => types.includes(e.type));
  // One-to-one, as many matches as the tolerances allow, then the closest in time: nearest-first
  // pairing can spend an event on the wrong one of two close truths (two people entering a zone
  // 0.3 s apart) and leave the other unmatched although each event is on time for its own.
  // Optional truths (near misses) cost more than any required match, so they only take events no
  // required truth can.
  const OPTIONAL = 1e6;
  const cost = costMatrix(want.map((w) => have.map((h) => {
    const d = Math.abs(w.timeS - h.timeS);
    // (1e-6: scene times are tenths, and 110 − 107.8 is 2.2000000000000028 in floating point.)
    return w.type === h.type && d <= (w.toleranceS ?? toleranceS) + 1e-6 ? d + (w.optional ? OPTIONAL : 0) : Infinity;
  })), have.length);
  const { matches } = linearAssignment(cost);
  const usedW = new Set(matches.map(([i]) => i));
  const usedH = new Set(matches.map(([, j]) => j));
  const nearMisses = matches.filter(([i]) => want[i]!.optional).length;
  const tp = usedW.size - nearMisses;
  const required = want.filter((w) => !w.optional).length;
  return {
    ...eventRates(tp, have.length - usedH.size, required - tp),
    nearMisses,
    missed: want.filter((w, i) => !w.optional && !usedW.has(i)),
    extra: have.filter((_, j) => !usedH.has(j)),
  };
}
