import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportHtml } from './capacity/html.js';
import { brokenLimits, evaluateLimits, hopeless, type WindowMeasure } from './capacity/limits.js';
import { pluginThreads, readerThreads } from './capacity/probe.js';
import { DEFAULT_PROFILE, serverConfig, type Profile } from './capacity/profile.js';
import { compareTable, summarize, summaryText, type CapacityRun } from './capacity/report.js';
import { CapacitySearch, type Trial } from './capacity/search.js';
import { latencyBuckets, windowP99, type TrialResult } from './capacity/trial.js';
import { parse } from 'yaml';

/** Runs the search against a machine that sustains `capacity` cameras; returns the trials and the answer. */
function simulate(capacity: number, opts = { start: 1, maxCameras: 32, rampHoldS: 20, holdS: 60 }, flaky?: (t: Trial) => boolean | undefined) {
  const search = new CapacitySearch(opts);
  const trials: Trial[] = [];
  for (let t = search.next(); t; t = search.next()) {
    trials.push(t);
    search.record(t, flaky?.(t) ?? t.cameras <= capacity);
  }
  return { trials, result: search.result() };
}

/** A window where every limit holds, for 4 cameras on 2 cores. */
function window(over: Partial<WindowMeasure> = {}): WindowMeasure {
  return {
    cameras: 4, cores: 2, expectedFps: 5, decodedFps: [5, 5, 4.98, 5], readerDrops: 0,
    plugins: [{ plugin: 'lane', processed: 1200, misses: 6, skipped: 0, p99Ms: 20, budgetMs: 25 }],
    relay: { viewers: 4, connected: 4, failed: 0, stalled: 0, packets: 50_000, lost: 10 },
    serverCores: 1.5,
    ...over,
  };
}

const profile: Profile = { ...DEFAULT_PROFILE, source: 'testsrc2' };

function trial(cameras: number, passed: boolean, over: Partial<TrialResult> = {}): TrialResult {
  const measure = window({ cameras });
  const checks = evaluateLimits(passed ? measure : window({ cameras, serverCores: 1.99 }));
  return {
    cameras, holdS: 60, phase: 'bisect', heldS: 60, passed, checks, measure,
    cores: { decode: 0.1 * cameras, plugins: 0.2 * cameras, relay: 0.01 * cameras, rest: 0.05 * cameras, server: 0.36 * cameras },
    mainCores: { withoutViewers: 0.1, withViewers: 0.14 }, harnessCores: 0.1, machineBusy: 0.5, runQueueWait: { mean: 0.02, worst2s: 0.1 },
    memoryMiB: { server: 400 * cameras, decoders: 50 * cameras, total: 450 * cameras },
    threadsFound: { plugins: cameras * 4, readers: cameras, expectedReaders: cameras }, startupS: 5, notes: [],
    ...over,
  };
}

function run(maxCameras: number, trials: TrialResult[], boundAt?: number): CapacityRun {
  return {
    bench: 'capacity', version: 1, date: '2026-11-24T03:00:00.000Z',
    host: { cores: 2, cpuModel: 'test', node: 'v20', nice: 19, loadAverage1m: 1 },
    profile, schedule: { start: 1, maxCameras: 32, rampHoldS: 20, holdS: 60 }, quick: false,
    ...summarize(trials, boundAt === undefined ? { maxCameras } : { maxCameras, boundAt }),
    trials, durationS: 420,
  };
}

describe('bench capacity: search', () => {
  it('ramps by doubling, bisects with full holds, and ends on a count that passed a full hold', () => {
    const { trials, result } = simulate(6);
    assert.deepEqual(trials.map((t) => `${t.phase} ${t.cameras} ${t.holdS}`), [
      'ramp 1 20', 'ramp 2 20', 'ramp 4 20', 'ramp 8 20', 'bisect 6 60', 'bisect 7 60',
    ]);
    assert.deepEqual(result, { maxCameras: 6, boundAt: 7 });
  });

  it('holds a ramp count again in full when bisection ends on it', () => {
    const { trials, result } = simulate(4);
    assert.deepEqual(trials.map((t) => `${t.phase} ${t.cameras}`), ['ramp 1', 'ramp 2', 'ramp 4', 'ramp 8', 'bisect 6', 'bisect 5', 'confirm 4']);
    assert.deepEqual(result, { maxCameras: 4, boundAt: 5 });
  });

  it('goes on below a ramp count that fails its full hold', () => {
    // 4 passes 20 s but not 60 s.
    const { trials, result } = simulate(3, undefined, (t) => (t.cameras === 4 && t.phase === 'ramp' ? true : undefined));
    assert.deepEqual(trials.map((t) => `${t.phase} ${t.cameras}`), ['ramp 1', 'ramp 2', 'ramp 4', 'ramp 8', 'bisect 6', 'bisect 5', 'confirm 4', 'bisect 3']);
    assert.deepEqual(result, { maxCameras: 3, boundAt: 4 });
  });

  it('holds a failed first count again in full before answering 0, and ramps on if it passes', () => {
    const zero = simulate(0);
    assert.deepEqual(zero.trials.map((t) => `${t.phase} ${t.cameras} ${t.holdS}`), ['ramp 1 20', 'confirm 1 60']);
    assert.deepEqual(zero.result, { maxCameras: 0, boundAt: 1 });
    let first = true;
    const noisy = simulate(2, undefined, (t) => (t.cameras === 1 && first ? (first = false) : undefined));
    assert.deepEqual(noisy.trials.map((t) => `${t.phase} ${t.cameras}`), ['ramp 1', 'confirm 1', 'ramp 2', 'ramp 4', 'bisect 3', 'confirm 2']);
    assert.deepEqual(noisy.result, { maxCameras: 2, boundAt: 3 });
  });

  it('stops at maxCameras when nothing breaks, after a full hold there', () => {
    const { trials, result } = simulate(100, { start: 1, maxCameras: 3, rampHoldS: 15, holdS: 15 });
    assert.deepEqual(trials.map((t) => `${t.phase} ${t.cameras}`), ['ramp 1', 'ramp 2', 'ramp 3']);
    assert.deepEqual(result, { maxCameras: 3 });
  });
});

describe('bench capacity: limits', () => {
  it('passes a window within every threshold', () => {
    assert.deepEqual(brokenLimits(evaluateLimits(window())), []);
  });

  it('breaks decode on a slow camera or a dropped unit', () => {
    const slow = evaluateLimits(window({ decodedFps: [5, 4.7, 5, 5] }));
    assert.deepEqual(brokenLimits(slow), ['decode']);
    assert.match(slow[0]!.detail, /slowest camera cam1 4\.70 of 5 fps \(94 %\)/);
    assert.deepEqual(brokenLimits(evaluateLimits(window({ readerDrops: 3 }))), ['decode']);
  });

  it('breaks plugins above 1 % late or skipped frames, counting skips as misses', () => {
    const late = window({ plugins: [{ plugin: 'lane', processed: 1000, misses: 11, skipped: 0, p99Ms: 40, budgetMs: 25 }] });
    assert.deepEqual(brokenLimits(evaluateLimits(late)), ['plugins']);
    const skipped = window({ plugins: [{ plugin: 'parking', processed: 990, misses: 5, skipped: 10, p99Ms: 20, budgetMs: 25 }] });
    const check = evaluateLimits(skipped)[1]!;
    assert.equal(check.broken, true);
    assert.equal(check.value, 15 / 1000);
    assert.match(check.detail, /parking missed 1\.50 % \(5 late, 10 skipped of 1000/);
    const exactly = window({ plugins: [{ plugin: 'lane', processed: 1000, misses: 10, skipped: 0, p99Ms: 20, budgetMs: 25 }] });
    assert.deepEqual(brokenLimits(evaluateLimits(exactly)), [], '1 % itself is within the limit');
  });

  it('breaks relay above 0.1 % loss, on a stalled viewer, or a viewer that never joined', () => {
    assert.deepEqual(brokenLimits(evaluateLimits(window({ relay: { viewers: 4, connected: 4, failed: 0, stalled: 0, packets: 10_000, lost: 11 } }))), ['relay']);
    assert.deepEqual(brokenLimits(evaluateLimits(window({ relay: { viewers: 4, connected: 4, failed: 0, stalled: 1, packets: 10_000, lost: 0 } }))), ['relay']);
    assert.deepEqual(brokenLimits(evaluateLimits(window({ relay: { viewers: 4, connected: 3, failed: 0, stalled: 0, packets: 10_000, lost: 0 } }))), ['relay']);
    assert.deepEqual(brokenLimits(evaluateLimits(window({ relay: { viewers: 0, connected: 0, failed: 0, stalled: 0, packets: 0, lost: 0 } }))), []);
  });

  it('breaks cpu above 95 % of all cores, and reports every broken limit', () => {
    assert.deepEqual(brokenLimits(evaluateLimits(window({ serverCores: 1.91 }))), ['cpu']);
    assert.deepEqual(brokenLimits(evaluateLimits(window({ serverCores: 1.99, decodedFps: [1, 1, 1, 1] }))), ['decode', 'cpu']);
  });

  it('cuts a hold short only when it can no longer pass', () => {
    // 10 s of a 60 s hold: 6 late of 200 is 0.5 % of the 1200 frames the hold will carry.
    const plugins = (misses: number) => [{ plugin: 'lane', processed: 200, misses, skipped: 0, p99Ms: 30, budgetMs: 25 }];
    assert.equal(hopeless(window({ plugins: plugins(6) }), 10, 60), false);
    assert.equal(hopeless(window({ plugins: plugins(13) }), 10, 60), true);
    assert.equal(hopeless(window({ readerDrops: 1 }), 10, 60), true);
  });
});

describe('bench capacity: threads', () => {
  it('takes the busiest threads born after the runtime\'s as plugin workers, and the thread born just before each decoder as its reader', () => {
    // Runtime threads 1-3 (busy GC threads among them), then a snapshot thread, two plugin workers, their idle hooks threads and a reader.
    const t = (tid: number, start: number, cpu: number) => ({ tid, start, cpu });
    const before = [t(1, 100, 5), t(2, 100, 1), t(3, 101, 1), t(10, 300, 0.5), t(11, 300, 0.5), t(12, 301, 0.5), t(13, 305, 0.3), t(14, 306, 0.3), t(15, 900, 0.1)];
    const after = [t(1, 100, 6), t(2, 100, 3), t(3, 101, 3), t(10, 300, 0.6), t(11, 300, 1.5), t(12, 301, 1.7), t(13, 305, 0.3), t(14, 306, 0.3), t(15, 900, 2)];
    assert.deepEqual([...pluginThreads(before, after, 3, 2, new Set([15]))].sort(), [11, 12]);
    const later = [{ tid: 30, start: 900, cpu: 0 }, { tid: 31, start: 905, cpu: 0 }, { tid: 40, start: 1200, cpu: 0 }];
    const decoders = [{ tid: 500, start: 901, cpu: 0 }, { tid: 501, start: 905, cpu: 0 }];
    assert.deepEqual([...readerThreads(later, decoders)].sort(), [30, 31]);
  });
});

describe('bench capacity: latency over a window', () => {
  it('sums /metrics buckets over cameras and finds the bucket of the window\'s p99', () => {
    const text = (a: number[], b: number[]) => ['# TYPE streamsight_plugin_latency_seconds histogram',
      ...['0.01', '0.025', '0.05', '+Inf'].flatMap((le, i) => [
        `streamsight_plugin_latency_seconds_bucket{camera="cam0",plugin="lane",le="${le}"} ${a[i]}`,
        `streamsight_plugin_latency_seconds_bucket{camera="cam1",plugin="lane",le="${le}"} ${b[i]}`,
      ])].join('\n');
    // Before the hold: 100 frames, 10 of them slow (warm-up); during it: 200 more, 2 between 25 and 50 ms.
    const before = latencyBuckets(text([40, 45, 50, 50], [40, 45, 50, 50])).get('lane');
    const after = latencyBuckets(text([130, 144, 150, 150], [130, 144, 150, 150])).get('lane');
    assert.equal(after?.get(Infinity), 300);
    assert.equal(windowP99(before, after), 25, '198 of 200 within 25 ms: the p99 is in the 25 ms bucket');
    assert.equal(windowP99(undefined, after), 50, 'over the lifetime the warm-up shows');
    assert.ok(Number.isNaN(windowP99(after, after)), 'nothing observed');
  });
});

describe('bench capacity: server config', () => {
  it('writes N push cameras with the demo\'s traffic plugins capped at detect.fps and no neural detector', () => {
    const cfg = parse(serverConfig(profile, 2, { http: 1, rtsp: 2, webrtc: [50000, 50100] }, '/tmp/s')) as {
      detector?: unknown; cameras: Record<string, { push: boolean; detect: { fps: number; model: boolean }; plugins: Record<string, { fps: number; zones?: object }> }>;
    };
    assert.equal(cfg.detector, undefined);
    assert.deepEqual(Object.keys(cfg.cameras), ['cam0', 'cam1']);
    const cam = cfg.cameras['cam1']!;
    assert.equal(cam.push, true);
    assert.deepEqual(cam.detect, { width: 640, height: 360, fps: 5, model: false });
    assert.deepEqual(Object.keys(cam.plugins), ['red-light', 'lane', 'parking', 'counting']);
    for (const p of Object.values(cam.plugins)) assert.equal(p.fps, 5);
    assert.ok(Object.keys(cam.plugins['red-light']!.zones!).includes('lamp_red'));
  });
});

describe('bench capacity: report', () => {
  it('names the maximum, the limits that broke above it and the CPU per stage there', () => {
    const r = run(6, [trial(6, true), trial(7, false)], 7);
    assert.equal(r.maxCameras, 6);
    assert.deepEqual(r.bound?.limits, ['cpu']);
    assert.equal(r.atMax?.cores.plugins, 0.2 * 6);
    assert.ok(Math.abs(r.atMax!.perCamera.plugins - 0.2) < 1e-12);
    assert.equal(r.atBound?.cameras, 7);
    // 0.36 server cores per camera into 95 % of 2 cores.
    assert.equal(r.cpuOnlyEstimate, 5);
  });

  it('still reports CPU per stage when not even one camera passed', () => {
    const r = run(0, [trial(1, false)], 1);
    assert.equal(r.atMax, undefined);
    assert.equal(r.atBound?.cores.decode, 0.1);
    assert.match(summaryText(r), /CPU at the bound, 1 camera\(s\), failing, cores \(per camera\): decode 0\.10/);
  });

  it('compares two runs side by side with B − A', () => {
    const table = compareTable(run(6, [trial(6, true), trial(7, false)], 7), run(8, [trial(8, true), trial(9, false)], 9), ['a.json', 'b.json']);
    const lines = table.split('\n');
    assert.deepEqual(lines.slice(0, 2), ['A: a.json', 'B: b.json']);
    assert.match(lines[3]!, /A\s+B\s+B − A$/);
    assert.match(table, /^max cameras\s+6\s+8\s+\+2$/m);
    assert.match(table, /^bound by\s+cpu\s+cpu$/m);
    assert.match(table, /^memory MiB\/camera\s+450\s+450\s+\+0$/m);
  });

  it('writes one self-contained HTML page holding the run and the charting library', () => {
    const r = run(6, [trial(6, true), trial(7, false, { notes: ['</script><b>x</b>'] })], 7);
    const html = reportHtml(r, 'window.Chart = function () {};');
    assert.match(html, /^<!doctype html>/);
    assert.ok(!/<script[^>]+src=/.test(html), 'no external script');
    const json = /<script id="run" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
    assert.ok(json, 'the run is inlined');
    assert.deepEqual(JSON.parse(json!), JSON.parse(JSON.stringify(r)));
    assert.match(html, /maximum sustained for 60 s: 6 camera\(s\)/);
    assert.match(html, /window\.Chart = function/);
    assert.ok(!html.includes('<b>x</b>'), 'text from the run is escaped');
  });

  it('inlines the real Chart.js from node_modules', () => {
    const html = reportHtml(run(1, [trial(1, true)]));
    assert.ok(html.length > 100_000);
    assert.match(html, /Chart\.js v4/);
  });
});
