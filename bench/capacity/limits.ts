/**
 * The four limits of `bench capacity` (pure: numbers in, verdicts out). A camera count is
 * sustained when, over its whole hold, none of them breaks:
 *   decode   every camera's decoder handed its plugins ≥ 95 % of the frames per second they ask
 *            for (min(camera fps, the plugins' fps ≤ detect fps)), and no stream reader dropped a unit;
 *   plugins  no plugin (over all cameras) failed its latency budget on more than 1 % of the frames
 *            offered to it: a result later than the budget, or a frame skipped or gone stale
 *            because the plugin was still busy (no result at all is later than any budget);
 *   relay    the viewers lost ≤ 0.1 % of the RTP packets, none stalled and none failed to join;
 *   cpu      the server (every thread plus its ffmpeg decoders) used ≤ 95 % of all cores.
 */

/** The names of the limits, in the order they are reported. */
export const LIMITS = ['decode', 'plugins', 'relay', 'cpu'] as const;
/** One limit's name. */
export type LimitName = (typeof LIMITS)[number];

/** Thresholds of the limits. */
export interface Thresholds {
  /** Decoded fps must reach this share of the expected rate. */
  decodeShare: number;
  /** Largest share of a plugin's frames that may miss the budget. */
  pluginMissShare: number;
  /** Largest share of RTP packets the viewers may lose. */
  relayLossShare: number;
  /** Largest share of all cores the server may use. */
  cpuShare: number;
}

/** The issue's thresholds. */
export const THRESHOLDS: Thresholds = { decodeShare: 0.95, pluginMissShare: 0.01, relayLossShare: 0.001, cpuShare: 0.95 };

/** One plugin's counters over a window, summed over cameras. */
export interface PluginWindow {
  plugin: string;
  processed: number;
  /** Results later than the budget. */
  misses: number;
  /** Frames replaced by a newer one, or overwritten in the ring, before the plugin took them. */
  skipped: number;
  /** Upper bound of the /metrics latency bucket holding the window's 99th percentile, ms. */
  p99Ms: number;
  budgetMs: number;
}

/** What was measured over one hold. */
export interface WindowMeasure {
  cameras: number;
  cores: number;
  /** The rate each camera should publish to its plugins: min(camera fps, the plugins' fps ≤ detect fps). */
  expectedFps: number;
  /** Each camera's decoded frames per second handed to its plugins over the window. */
  decodedFps: number[];
  /** Units dropped by the cameras' stream readers (the decoder's or a viewer's; the API does not separate them). */
  readerDrops: number;
  plugins: PluginWindow[];
  relay: { viewers: number; connected: number; failed: number; stalled: number; packets: number; lost: number };
  /** Cores the server used (all threads plus its ffmpeg decoders). */
  serverCores: number;
}

/** A limit's verdict on one window. */
export interface LimitCheck {
  limit: LimitName;
  broken: boolean;
  /** The measured value in the limit's unit (a share, or cores / cores). */
  value: number;
  threshold: number;
  detail: string;
}

const pct = (x: number, d = 2) => `${(x * 100).toFixed(d)} %`;

/** The share of a plugin's offered frames that missed the budget. */
export function pluginMissShare(p: PluginWindow): number {
  const offered = p.processed + p.skipped;
  return offered === 0 ? 0 : (p.misses + p.skipped) / offered;
}

/** The relay's loss share: lost / (received + lost). */
export function lossShare(r: WindowMeasure['relay']): number {
  return r.lost / Math.max(1, r.packets + r.lost);
}

/** Evaluates every limit on one window. */
export function evaluateLimits(m: WindowMeasure, t: Thresholds = THRESHOLDS): LimitCheck[] {
  const slowest = m.decodedFps.length ? Math.min(...m.decodedFps) : 0;
  const decodeShare = m.expectedFps > 0 ? slowest / m.expectedFps : 0;
  const slowCam = m.decodedFps.indexOf(slowest);
  const decode: LimitCheck = {
    limit: 'decode',
    broken: decodeShare < t.decodeShare || m.readerDrops > 0,
    value: decodeShare,
    threshold: t.decodeShare,
    detail: `slowest camera ${slowCam >= 0 ? `cam${slowCam} ` : ''}${slowest.toFixed(2)} of ${m.expectedFps} fps (${pct(decodeShare, 0)})` +
      (m.readerDrops > 0 ? `, ${m.readerDrops} unit(s) dropped by stream readers` : ''),
  };

  let worst: PluginWindow | undefined;
  for (const p of m.plugins) if (!worst || pluginMissShare(p) > pluginMissShare(worst)) worst = p;
  const missShare = worst ? pluginMissShare(worst) : 0;
  const plugins: LimitCheck = {
    limit: 'plugins',
    broken: missShare > t.pluginMissShare,
    value: missShare,
    threshold: t.pluginMissShare,
    detail: worst
      ? `${worst.plugin} missed ${pct(missShare)} (${worst.misses} late, ${worst.skipped} skipped of ${worst.processed + worst.skipped}; ` +
        `${Number.isFinite(worst.p99Ms) ? `p99 capture→result ≤ ${Number(worst.p99Ms.toPrecision(2))} ms, ` : ''}budget ${worst.budgetMs} ms)`
      : 'no plugins',
  };

  const r = m.relay;
  const loss = lossShare(r);
  const unjoined = r.viewers - r.connected;
  const relay: LimitCheck = {
    limit: 'relay',
    broken: r.viewers > 0 && (loss > t.relayLossShare || r.stalled > 0 || r.failed > 0 || unjoined > 0),
    value: loss,
    threshold: t.relayLossShare,
    detail: r.viewers === 0 ? 'no viewers'
      : `loss ${pct(loss, 3)} (${r.lost} of ${r.packets + r.lost} packets)` +
        (r.stalled ? `, ${r.stalled} stalled` : '') + (r.failed || unjoined ? `, ${Math.max(r.failed, unjoined)} did not join` : ''),
  };

  const cpuShare = m.serverCores / m.cores;
  const cpu: LimitCheck = {
    limit: 'cpu',
    broken: cpuShare > t.cpuShare,
    value: cpuShare,
    threshold: t.cpuShare,
    detail: `server ${m.serverCores.toFixed(2)} of ${m.cores} cores (${pct(cpuShare, 0)})`,
  };
  return [decode, plugins, relay, cpu];
}

/** The broken limits' names, or [] when the window passed. */
export function brokenLimits(checks: readonly LimitCheck[]): LimitName[] {
  return checks.filter((c) => c.broken).map((c) => c.limit);
}

/**
 * Whether a hold can be cut short as failed: a stream reader dropped a unit or a viewer stalled
 * (neither can be undone), or the late-or-skipped frames (lost packets) so far already exceed the
 * threshold's share of what the whole hold carries at the rate so far.
 */
export function hopeless(m: WindowMeasure, elapsedS: number, holdS: number, t: Thresholds = THRESHOLDS): boolean {
  if (m.readerDrops > 0 || m.relay.stalled > 0) return true;
  const scale = holdS / Math.max(1, elapsedS);
  for (const p of m.plugins) {
    if (p.misses + p.skipped > t.pluginMissShare * (p.processed + p.skipped) * scale) return true;
  }
  const r = m.relay;
  return r.viewers > 0 && r.lost > t.relayLossShare * (r.packets + r.lost) * scale;
}
