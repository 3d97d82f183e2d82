/**
 * Plays a scenario straight into its plugins, in this process: each frame is rendered (I420) and
 * handed to every plugin of the scenario at that plugin's fps, as the plugin host would, with
 * `capturedAt` on the scene's clock. What the plugins emit and count is collected with scene
 * times, and `scoreEvents` matches it one-to-one against the scenario's expected events.
 *
 * This is the fast path for plugin tests and tuning. `streamsight bench accuracy` plays the same
 * scenarios through the real server (RTSP in → decoder → ring → plugin workers → event store).
 */
import type { CountInput, Frame, PluginDefinition, PluginEventInput, PluginInstance } from '../../plugins/sdk/index.js';
import { prng } from '../../core/testing/prng.js';
import { I420Canvas } from './canvas.js';
import { renderFrame } from './traffic.js';
import type { ExpectedEvent, Scenario } from './scenario.js';

/** Scene time 0 on the plugins' epoch-ms clock. */
export const SCENE_EPOCH_MS = 1_700_000_000_000;

/** An event as a plugin raised it, with the scene time of the frame it was raised on. */
export interface PlayedEvent {
  plugin: string;
  type: string;
  timeS: number;
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

/** What plugins raised over a played scenario, plus their processing times per frame (ms). */
export interface PlayResult {
  events: PlayedEvent[];
  counts: PlayedCount[];
  msPerFrame: Record<string, number[]>;
}

/** Loads a built-in plugin's definition by name. */
export async function loadPlugin(name: string): Promise<PluginDefinition> {
  const mod = (await import(`../../plugins/${name}/index.js`)) as { default: PluginDefinition };
  return mod.default;
}

/** Renders the scenario and runs its plugins over it; see the file comment. */
export async function playInProcess(scenario: Scenario, opts: { durationS?: number; format?: 'i420' | 'gray' } = {}): Promise<PlayResult> {
  const { scene } = scenario;
  const { width, height } = scene.camera;
  const result: PlayResult = { events: [], counts: [], msPerFrame: {} };
  let nowS = 0;
  const running: { name: string; fps: number; instance: PluginInstance }[] = [];
  for (const [name, p] of Object.entries(scenario.plugins)) {
    const def = await loadPlugin(name);
    const config = def.configSchema.parse(p.config ?? {});
    const instance = await def.create({
      cameraId: scenario.name,
      config,
      geometry: { zones: p.zones ?? {}, lines: p.lines ?? {} },
      emit: (e: PluginEventInput) => {
        const ev: PlayedEvent = { plugin: name, type: e.type, timeS: nowS };
        if (e.trackId !== undefined) ev.trackId = e.trackId;
        if (e.attributes) ev.attributes = e.attributes;
        if (e.snapshot) ev.snapshot = true;
        const images = (e as { evidence?: { label: string }[] }).evidence;
        if (images) ev.evidence = images.map((x) => x.label);
        result.events.push(ev);
      },
      count: (c: CountInput) => {
        result.counts.push({ plugin: name, line: c.line, cls: c.cls, direction: c.direction, timeS: c.at !== undefined ? (c.at - SCENE_EPOCH_MS) / 1000 : nowS });
      },
      log: () => {},
    });
    running.push({ name, fps: p.fps ?? def.defaults.fps, instance });
    result.msPerFrame[name] = [];
  }
  const canvas = new I420Canvas(width, height);
  const rand = prng(scene.seed);
  const total = Math.round((opts.durationS ?? scene.durationS) * scene.fps);
  const gray = opts.format === 'gray';
  try {
    for (let i = 0; i < total; i++) {
      renderFrame(scene, i, canvas, rand);
      nowS = i / scene.fps;
      const frame: Frame = {
        cameraId: scenario.name, pts: i * (90000 / scene.fps), capturedAt: SCENE_EPOCH_MS + nowS * 1000, seq: i + 1, width, height,
        format: gray ? 'gray' : 'i420', y: canvas.y, strideY: width, strideUV: gray ? 0 : canvas.cw,
        ...(gray ? {} : { u: canvas.u, v: canvas.v }),
      };
      for (const r of running) {
        // The host publishes at most `fps` frames a second: frame i is due when its slot changes.
        if (i > 0 && Math.floor((i * r.fps) / scene.fps) === Math.floor(((i - 1) * r.fps) / scene.fps)) continue;
        const t0 = performance.now();
        await r.instance.onFrame(frame);
        result.msPerFrame[r.name]!.push(performance.now() - t0);
      }
    }
  } finally {
    for (const r of running) r.instance.close?.();
  }
  return result;
}

/** Event precision and recall against the truth: one-to-one matches of the same type within ±toleranceS. */
export interface EventScore {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  missed: ExpectedEvent[];
  extra: PlayedEvent[];
}

/** Precision, recall and F1 from true and false positives and false negatives (1 when there is nothing to find or nothing found). */
export function eventRates(tp: number, fp: number, fn: number): { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number } {
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  return { tp, fp, fn, precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** Scores played events of the given types against the expected ones (closest pairs first). */
export function scoreEvents(expected: readonly ExpectedEvent[], got: readonly PlayedEvent[], types: readonly string[], toleranceS = 1): EventScore {
  const want = expected.filter((e) => types.includes(e.type));
  const have = got.filter((e) => types.includes(e.type));
  const pairs: { i: number; j: number; d: number }[] = [];
  want.forEach((w, i) => have.forEach((h, j) => {
    const d = Math.abs(w.timeS - h.timeS);
    if (w.type === h.type && d <= toleranceS) pairs.push({ i, j, d });
  }));
  pairs.sort((a, b) => a.d - b.d);
  const usedW = new Set<number>();
  const usedH = new Set<number>();
  for (const p of pairs) {
    if (usedW.has(p.i) || usedH.has(p.j)) continue;
    usedW.add(p.i);
    usedH.add(p.j);
  }
  const tp = usedW.size;
  return {
    ...eventRates(tp, have.length - tp, want.length - tp),
    missed: want.filter((_, i) => !usedW.has(i)),
    extra: have.filter((_, j) => !usedH.has(j)),
  };
}
