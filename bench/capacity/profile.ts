/**
 * What `bench capacity` loads each synthetic camera with (the profile), and the server
 * configuration for N such cameras.
 *
 * "The traffic plugins" are red-light, lane, parking and counting, configured exactly as the demo's
 * traffic cameras in config/streamsight.yaml configure them (red-light, lane and parking from the
 * intersection camera, counting from gate-north), read from that file so the two never drift. No
 * top-level `detector:` is written and each camera has `detect.model: false`: the plugins find
 * vehicles with the classical blob pipeline (background model, connected components, tracker),
 * as the demo's traffic cameras do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from '../lib.js';

/** The load per camera. */
export interface Profile {
  width: number;
  height: number;
  fps: number;
  /** Frames between keyframes. */
  gop: number;
  kbps: number;
  detectWidth: number;
  detectHeight: number;
  detectFps: number;
  plugins: string[];
  viewersPerCamera: number;
  /** Every plugin's latencyBudgetMs; undefined keeps each plugin's own (25 ms for the traffic plugins). */
  budgetMs?: number;
  /** The clip's picture: an H.264/MP4 file or 'testsrc2'. */
  source: string;
}

/** The issue's default profile: 720p at 15 fps, detect 640x360 at 5 fps, the traffic plugins, 1 viewer. */
export const DEFAULT_PROFILE: Omit<Profile, 'source'> = {
  width: 1280,
  height: 720,
  fps: 15,
  gop: 30,
  kbps: 2000,
  detectWidth: 640,
  detectHeight: 360,
  detectFps: 5,
  plugins: ['red-light', 'lane', 'parking', 'counting'],
  viewersPerCamera: 1,
};

/** The traffic plugins, in the order the demo lists them. */
export const TRAFFIC_PLUGINS = ['red-light', 'lane', 'parking', 'counting'] as const;

/** One plugin's block of the demo config (zones, lines, config, fps). */
type PluginBlock = { fps?: number; latencyBudgetMs?: number; zones?: unknown; lines?: unknown; config?: unknown };

/** The demo's settings of each traffic plugin, from config/streamsight.yaml. */
export function demoPluginSettings(file = join(ROOT, 'config', 'streamsight.yaml')): Record<string, PluginBlock> {
  const demo = parse(readFileSync(file, 'utf8'), { merge: true }) as { cameras: Record<string, { plugins?: Record<string, PluginBlock> }> };
  const intersection = demo.cameras['intersection']?.plugins ?? {};
  const gate = demo.cameras['gate-north']?.plugins ?? {};
  return { ...intersection, counting: gate['counting']! };
}

/** The highest fps any plugin of the profile runs at (what each decoder must publish), or undefined with no plugins. */
export function pluginFps(profile: Profile): number | undefined {
  const demo = demoPluginSettings();
  const rates = profile.plugins.map((name) => Math.min(demo[name]?.fps ?? profile.detectFps, profile.detectFps));
  return rates.length ? Math.max(...rates) : undefined;
}

/** Camera ids of a run with `n` cameras. */
export function cameraIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `cam${i}`);
}

/** The server's YAML for `n` push cameras of `profile`, listening on the given loopback ports. */
export function serverConfig(profile: Profile, n: number, ports: { http: number; rtsp: number; webrtc: [number, number] }, storage: string): string {
  const demo = demoPluginSettings();
  const plugins: Record<string, PluginBlock> = {};
  for (const name of profile.plugins) {
    const block = structuredClone(demo[name] ?? {});
    // A plugin may not ask for more than detect.fps; the demo's red-light and counting run at 10.
    block.fps = Math.min(block.fps ?? profile.detectFps, profile.detectFps);
    if (profile.budgetMs !== undefined) block.latencyBudgetMs = profile.budgetMs;
    plugins[name] = block;
  }
  const cameras: Record<string, unknown> = {};
  for (const id of cameraIds(n)) {
    cameras[id] = {
      push: true,
      detect: { width: profile.detectWidth, height: profile.detectHeight, fps: profile.detectFps, model: false },
      plugins,
    };
  }
  return stringify({
    log: { level: 'warn' },
    http: { host: '127.0.0.1', port: ports.http },
    rtsp: { host: '127.0.0.1', port: ports.rtsp },
    webrtc: { hostAddresses: ['127.0.0.1'], iceServers: [], udpPortRange: ports.webrtc },
    storage: { path: storage, maxBytes: '1GiB' },
    cameras,
  }, { aliasDuplicateObjects: false });
}

/** "1280x720 15 fps GOP 30 2000 kbit/s, detect 640x360 5 fps, red-light+lane+parking+counting, 1 viewer" */
export function describeProfile(p: Profile): string {
  return `${p.width}x${p.height} ${p.fps} fps GOP ${p.gop} ${p.kbps} kbit/s, detect ${p.detectWidth}x${p.detectHeight} ` +
    `${p.detectFps} fps, plugins ${p.plugins.join('+') || 'none'}${p.budgetMs === undefined ? '' : ` (budget ${p.budgetMs} ms)`}, ${p.viewersPerCamera} viewer(s)/camera`;
}
