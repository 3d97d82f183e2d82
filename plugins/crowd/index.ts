/**
 * crowd: how many people stand in each zone, and alerts when a zone gets crowded or people gather.
 *
 * - `crowd` (warning) when a zone's count (or density, people per m²) smoothed over windowS reaches
 *   its threshold; `crowd-cleared` (info, with endedAt) when it falls below threshold − hysteresis.
 * - `gathering` (warning) when a zone's density rises from below fromDensity to at least density
 *   and stays there for holdS (alerts.ts); once per gathering.
 *
 * People are counted from the foreground in perspective (counter.ts): with the camera calibrated from
 * the 4 `ground` reference points, each foreground cell stands for a share of one person of the size
 * a person has where their feet are; lone person-sized blobs count one each; larger blobs are cut
 * between heads side by side (the SDK's splitPeople), each person-sized piece counting one and the
 * rest by weighted area through a calibrated occlusion curve. Blobs moving at vehicle speed and foreground standing on
 * `ignore` zones (the carriageway) are not people. A neural person detector, when one is given to
 * CrowdCounter, replaces the foreground with its 'person' boxes.
 *
 * Each frame returns its person-sized blobs (label `person`), groups (label `group`), and each zone's
 * smoothed count (label `crowd:<zone>`, score = the count, box = the zone's bounds) for live viewers.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { boxToNormalised, definePlugin, vehicleTrackingShape, type Detection, type Frame, type PluginContext } from '../sdk/index.js';
import { GatheringWatch, ThresholdAlert, WindowMean } from './alerts.js';
import { CROWD_CALIBRATION, CrowdCounter, MAX_SPEED_MPS, type CrowdReading } from './counter.js';

export { CrowdCounter, type CrowdReading, type ZoneCount } from './counter.js';
export { countDetectionsInZones } from './detections.js';

const zoneRule = z.strictObject({
  zone: z.string().min(1).describe('Zone (polygon) whose people are counted: a person is in it when their feet are.'),
  crowd: z.strictObject({
    metric: z.enum(['count', 'density']).default('count').describe("What the threshold is on: 'count' (people) or 'density' (people per m² of the zone's ground)."),
    threshold: z.number().positive().max(10_000).describe('crowd is raised when the smoothed count (or density) reaches this.'),
    hysteresis: z.number().min(0).default(0).describe('crowd-cleared is raised when it falls below threshold − hysteresis (same units; less than threshold).'),
  }).optional().describe('Alert when the zone holds too many people.'),
  gathering: z.strictObject({
    fromDensity: z.number().min(0).max(10).default(0.02).describe('People per m² the zone must first be below: a place that was not crowded.'),
    density: z.number().positive().max(10).describe('People per m² the density must then reach...'),
    holdS: z.number().min(0).max(3600).default(30).describe('...and stay at or above for this many seconds.'),
  }).optional().describe('Alert when people gather: density rising from below fromDensity to density and staying there holdS.'),
});

const configSchema = z.strictObject({
  ground: vehicleTrackingShape.ground,
  zones: z.array(zoneRule).min(1).max(8).describe('The zones counted (at most 8), each with its alerts.'),
  ignore: z.array(z.string().min(1)).max(8).default([])
    .describe('Zones where foreground is not people (the carriageway): a blob standing on one is traffic, so a near truck whose roof covers a zone in the image is not counted.'),
  windowS: z.number().min(0.2).max(10).default(2).describe('Seconds over which each zone\'s count is averaged before alerts (a person hidden for a frame, a bus passing).'),
  maxSpeedMps: z.number().min(2).max(30).default(MAX_SPEED_MPS).describe('Blobs moving faster than this on the ground (m/s) are vehicles, not people.'),
  calibration: z.strictObject({
    gain: z.number().positive().max(10).default(CROWD_CALIBRATION.gain).describe('Group blobs hold gain · W^exponent people, W being their perspective-weighted area in people.'),
    exponent: z.number().min(0.5).max(2).default(CROWD_CALIBRATION.exponent).describe('Exponent of that curve: above 1 because people hide each other the more, the denser a group.'),
  }).prefault({}).describe('How a group\'s foreground area maps to its people (occlusion); the defaults were fitted on the benchmark scenes.'),
}).superRefine((c, issue) => {
  if (!c.ground) issue.addIssue({ code: 'custom', path: ['ground'], message: 'crowd needs the 4 ground reference points: a person\'s size in the image and the zones\' areas come from them' });
  const seen = new Set<string>();
  c.zones.forEach((r, i) => {
    if (seen.has(r.zone)) issue.addIssue({ code: 'custom', path: ['zones', i, 'zone'], message: `zone '${r.zone}' is listed twice` });
    seen.add(r.zone);
    if (r.crowd && r.crowd.hysteresis >= r.crowd.threshold) issue.addIssue({ code: 'custom', path: ['zones', i, 'crowd', 'hysteresis'], message: 'must be less than threshold' });
    if (r.gathering && r.gathering.fromDensity >= r.gathering.density) issue.addIssue({ code: 'custom', path: ['zones', i, 'gathering', 'fromDensity'], message: 'must be less than density' });
  });
});

/** The parsed config. */
export type CrowdConfig = z.infer<typeof configSchema>;

export default definePlugin({
  name: 'crowd',
  description: 'People counted in zones in perspective; crowd alerts with hysteresis and gatherings.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 30, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    return new Crowd(ctx);
  },
});

/** One zone's state. */
interface ZoneState {
  name: string;
  mean: WindowMean;
  crowd: ThresholdAlert | undefined;
  metric: 'count' | 'density';
  gathering: GatheringWatch | undefined;
  /** Normalised bounds, for the live count. */
  bounds: [number, number, number, number];
}

/** One camera's crowd detector. */
class Crowd {
  readonly #ctx: PluginContext<CrowdConfig>;
  readonly #counter: CrowdCounter;
  readonly #zones: ZoneState[];

  constructor(ctx: PluginContext<CrowdConfig>) {
    this.#ctx = ctx;
    const c = ctx.config;
    const where = `cameras.${ctx.cameraId}.plugins.crowd.config`;
    const polygon = (name: string, path: string) => {
      const p = ctx.geometry.zones[name];
      if (!p) throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(ctx.geometry.zones).join(', ') || 'none'})`, `${where}.${path}`);
      return p;
    };
    const zones = Object.fromEntries(c.zones.map((r, i) => [r.zone, polygon(r.zone, `zones[${i}].zone`)]));
    const ignore = c.ignore.map((n, i) => polygon(n, `ignore[${i}]`));
    this.#counter = new CrowdCounter({ ground: c.ground!, zones, ignore, calibration: c.calibration, maxSpeedMps: c.maxSpeedMps, where });
    this.#zones = c.zones.map((r) => {
      const xs = zones[r.zone]!.map((p) => p[0]);
      const ys = zones[r.zone]!.map((p) => p[1]);
      const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
      return {
        name: r.zone,
        mean: new WindowMean(c.windowS * 1000),
        crowd: r.crowd ? new ThresholdAlert(r.crowd.threshold, r.crowd.hysteresis) : undefined,
        metric: r.crowd?.metric ?? 'count',
        gathering: r.gathering ? new GatheringWatch(r.gathering) : undefined,
        bounds: [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0],
      };
    });
  }

  async onFrame(frame: Frame): Promise<Detection[]> {
    const reading = await this.#counter.read(frame);
    const now = frame.capturedAt;
    const boxes = this.#detections(reading, frame);
    const out = [...boxes];
    reading.zones.forEach((z, k) => {
      const s = this.#zones[k]!;
      const count = s.mean.push(now, z.count);
      const density = count / z.areaM2;
      const attributes = { zone: s.name, count: Math.round(count * 10) / 10, density: Math.round(density * 1000) / 1000 };
      const change = s.crowd?.push(now, s.metric === 'count' ? count : density);
      if (change === 'raised') {
        this.#ctx.emit({ type: 'crowd', severity: 'warning', zone: s.name, attributes: { ...attributes, metric: s.metric, threshold: s.crowd!.threshold }, boxes, snapshot: true });
      } else if (change === 'cleared') {
        this.#ctx.emit({ type: 'crowd-cleared', severity: 'info', zone: s.name, attributes: { ...attributes, durationS: Math.round((now - s.crowd!.sinceMs) / 100) / 10 }, endedAt: now });
      }
      if (s.gathering?.push(now, density)) {
        this.#ctx.emit({ type: 'gathering', severity: 'warning', zone: s.name, attributes: { ...attributes, holdS: s.gathering.rule.holdS }, boxes, snapshot: true });
      }
      out.push({ label: `crowd:${s.name}`, score: attributes.count, box: s.bounds });
    });
    return out;
  }

  close(): void {
    this.#counter.close();
  }

  #detections(reading: CrowdReading, frame: Frame): Detection[] {
    const { width, height } = frame;
    return [
      ...reading.people.map((b): Detection => ({ label: 'person', score: 1, box: boxToNormalised(b, width, height) })),
      ...reading.groups.map((g): Detection => ({ label: 'group', score: 1, box: boxToNormalised(g.box, width, height) })),
    ];
  }
}
