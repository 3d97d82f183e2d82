/**
 * `node --import tsx bench/quiet-soak.ts [--hours H] [--only PLUGIN,...] [--parallel N] [--cache DIR] [--json]`:
 * false alarms per camera-hour of the public-safety plugins on their violation-free scenes on fresh
 * seeds (bench/scenes/quiet.ts), H hours per plugin (default 1), played in process on the video the
 * server would decode: each scene is encoded to H.264 as `bench accuracy` encodes it (cached under
 * --cache by the same names, so the two share clips) and its ffmpeg-decoded frames are handed to the
 * plugin at its fps (playInProcess's decodedFrom). The codec's blocking and smearing are in the
 * frames, as through the server; what is not is a host falling behind under load (skipped frames),
 * which `bench accuracy --quiet-hours` measures at real time. This one runs as fast as the CPU
 * allows, so hours of quiet video take minutes: one child process per plugin, N at a time.
 *
 * Prints, per plugin, the hours played, the false alarms and their rate, the alerts a near miss of
 * the truth explains (optional truths: not false alarms), and every false alarm with its scene and time.
 * Goal (issue 5): ≤ 1 false alarm per camera-hour.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playInProcess, scoreEvents } from './scenes/play.js';
import { QUIET_PLUGINS, quietScenes } from './scenes/quiet.js';
import { clipFile, encodeScene } from './scenes/traffic.js';

/** One scene's outcome, as a child reports it (one JSON line each). */
export interface SoakScene {
  plugin: string;
  scene: string;
  durationS: number;
  falseAlarms: { type: string; timeS: number; attributes?: Record<string, unknown> }[];
  nearMisses: number;
}

/** A plugin's totals. */
export interface SoakResult {
  plugin: string;
  hours: number;
  scenes: number;
  falseAlarms: number;
  perHour: number;
  nearMisses: number;
  alarms: { scene: string; type: string; timeS: number }[];
}

/** Plays one plugin's quiet scenes (child process): one SoakScene JSON line per scene on stdout. */
async function child(plugin: string, hours: number, cacheDir: string): Promise<void> {
  for (const s of quietScenes(plugin, hours)) {
    const file = clipFile(cacheDir, s.name, s.scene);
    if (!existsSync(file)) await encodeScene(s.scene, file);
    const r = await playInProcess(s, { decodedFrom: file });
    const got = r.events.filter((e) => e.plugin === plugin);
    const sc = scoreEvents(s.events, got, s.scoredTypes);
    const out: SoakScene = {
      plugin, scene: s.name, durationS: s.scene.durationS, nearMisses: sc.nearMisses,
      falseAlarms: sc.extra.map((e) => ({ type: e.type, timeS: e.timeS, ...(e.attributes ? { attributes: e.attributes } : {}) })),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}

/** Runs one child per plugin, `parallel` at a time; `progress` hears each scene as it ends. */
export async function quietSoak(plugins: readonly string[], hours: number, opts: { parallel?: number; cacheDir?: string; progress?: (s: SoakScene) => void } = {}): Promise<SoakResult[]> {
  for (const p of plugins) if (!QUIET_PLUGINS.includes(p)) throw new Error(`no quiet scenes for plugin '${p}'; known: ${QUIET_PLUGINS.join(', ')}`);
  if (!(hours > 0)) throw new Error(`quiet soak: hours must be > 0, got ${hours}`);
  const temp = opts.cacheDir ? undefined : mkdtempSync(join(tmpdir(), 'streamsight-soak-'));
  const cacheDir = opts.cacheDir ?? temp!;
  mkdirSync(cacheDir, { recursive: true });
  const scenes = new Map<string, SoakScene[]>(plugins.map((p) => [p, []]));
  try {
    const queue = [...plugins];
    await Promise.all(Array.from({ length: Math.min(Math.max(1, opts.parallel ?? 2), queue.length) }, async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const plugin = p;
        await new Promise<void>((resolve, reject) => {
          const c = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--child', plugin, '--hours', String(hours), '--cache', cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
          let pending = '';
          c.stdout.setEncoding('utf8');
          c.stdout.on('data', (chunk: string) => {
            pending += chunk;
            for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
              const line = pending.slice(0, nl);
              pending = pending.slice(nl + 1);
              if (!line.startsWith('{')) continue;
              const s = JSON.parse(line) as SoakScene;
              scenes.get(plugin)!.push(s);
              opts.progress?.(s);
            }
          });
          c.on('error', reject);
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`quiet soak of ${plugin} exited with ${code}`))));
        });
      }
    }));
  } finally {
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
  return plugins.map((plugin) => {
    const list = scenes.get(plugin)!;
    const h = list.reduce((a, s) => a + s.durationS, 0) / 3600;
    const alarms = list.flatMap((s) => s.falseAlarms.map((a) => ({ scene: s.scene, type: a.type, timeS: a.timeS })));
    return { plugin, hours: h, scenes: list.length, falseAlarms: alarms.length, perHour: h > 0 ? alarms.length / h : 0, nearMisses: list.reduce((a, s) => a + s.nearMisses, 0), alarms };
  });
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] ?? '' : undefined);
  const hours = Number(arg('--hours') ?? 1);
  if (!(hours > 0)) throw new Error(`--hours must be a number > 0, got '${arg('--hours')}'`);
  const cacheDir = arg('--cache');
  const childOf = arg('--child');
  if (childOf !== undefined) return child(childOf, hours, cacheDir!);
  const only = arg('--only')?.split(',') ?? QUIET_PLUGINS;
  const parallel = Number(arg('--parallel') ?? 2);
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be a whole number ≥ 1, got ${arg('--parallel')}`);
  const json = argv.includes('--json');
  const t0 = Date.now();
  const results = await quietSoak(only, hours, {
    parallel, ...(cacheDir ? { cacheDir } : {}),
    progress: json ? undefined : (s) => console.log(`  ${s.scene.padEnd(34)} ${String(s.durationS).padStart(4)} s  false alarms ${s.falseAlarms.length}${s.nearMisses ? `  near misses ${s.nearMisses}` : ''}`),
  });
  if (json) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  console.log(`\nquiet soak: ${hours} h per plugin, fresh seeds, H.264-decoded frames in process, ${((Date.now() - t0) / 60000).toFixed(1)} min (goal ≤ 1 false alarm per camera-hour)\n`);
  console.log('plugin        hours  scenes  false alarms  per cam-h  near misses');
  for (const r of results) console.log(`${r.plugin.padEnd(12)} ${r.hours.toFixed(2).padStart(6)} ${String(r.scenes).padStart(7)} ${String(r.falseAlarms).padStart(13)} ${r.perHour.toFixed(2).padStart(10)} ${String(r.nearMisses).padStart(12)}`);
  for (const r of results) for (const a of r.alarms) console.log(`  ${r.plugin}: ${a.type} in ${a.scene} at ${a.timeS.toFixed(1)} s`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(() => process.exit(0), (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(1);
  });
}
