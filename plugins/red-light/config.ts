/**
 * The red-light plugin's config: which zones are the lamps and the junction, which line is the
 * stop line, the grace time, how lamps are judged, and the shared vehicle-tracking fields.
 * Geometry names are checked against the camera's zones and lines when the plugin starts
 * (`resolveGeometry`), with the config path in the error.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { vehicleTrackingShape, type Geometry, type Point } from '../sdk/index.js';
import type { LampColour } from './signal.js';

const name = z.string().min(1).max(64);

/** The plugin's `config:` keys. */
export const configSchema = z.strictObject({
  lamps: z.strictObject({
    red: name.describe("Zone drawn around the red lamp."),
    amber: name.optional().describe('Zone drawn around the amber lamp (optional: some signals have none).'),
    green: name.describe('Zone drawn around the green lamp.'),
  }).describe('The signal lamps: for each colour, the name of the zone drawn tightly around that lamp.'),
  stopLine: name.default('stop_line').describe('The line (from `lines`) drawn along the stop line, across the lanes it applies to.'),
  junction: name.default('junction').describe('The zone (from `zones`) of the junction beyond the stop line: a vehicle that crossed on red must reach it before the red ends.'),
  graceS: z.number().min(0).max(10).default(0.5).describe('Seconds after the red comes on during which crossing the stop line is not a violation.'),
  beforeS: z.number().min(0).max(5).default(1).describe("Seconds before the crossing of the 'before' evidence frame."),
  afterS: z.number().min(0).max(5).default(1).describe("Seconds after the crossing of the 'after' evidence frame; the event is raised once it is taken."),
  band: z.number().min(0).max(0.1).default(0.01).describe('Half-width of the hysteresis band around the stop line, as a share of the frame height.'),
  lampRise: z.number().min(1).max(255).default(40).describe("Luma rise over a lamp's learned off-state (0-255) that alone reads as lit (also catches lamps that saturate to white)."),
  lampChroma: z.number().min(1).max(255).default(20).describe("Chroma shift towards the lamp's colour (0-255) that reads as lit, with a quarter of lampRise in luma."),
  smoothing: z.strictObject({
    window: z.number().int().min(1).max(50).default(5).describe('Frames in the window.'),
    minOn: z.number().int().min(1).max(50).default(2).describe('Frames of the window a lamp must read lit in to count as lit.'),
  }).refine((s) => s.minOn <= s.window, { error: 'minOn must not exceed window', path: ['minOn'] })
    .default({ window: 5, minOn: 2 })
    .describe('Flicker tolerance: a lamp is lit when it read lit in minOn of the last window frames (LED lamps beat with the shutter).'),
  holdS: z.number().min(0).max(30).default(2).describe("Seconds the signal keeps its last state while no lamp reads lit, before it becomes 'unknown'."),
  ...vehicleTrackingShape,
});

/** The parsed config. */
export type RedLightConfig = z.infer<typeof configSchema>;

/** The geometry the plugin works with, normalised. */
export interface RedLightGeometry {
  lamps: { colour: LampColour; zone: string; polygon: Point[] }[];
  stopLine: { from: Point; to: Point };
  junction: Point[];
}

/** Looks the configured names up in the camera's geometry; a missing one is a ConfigError naming its key. */
export function resolveGeometry(cfg: RedLightConfig, g: Geometry, where: string): RedLightGeometry {
  const zone = (n: string, key: string): Point[] => {
    const poly = g.zones[n];
    if (!poly) throw new ConfigError(`names zone '${n}', which is not among the zones (${Object.keys(g.zones).join(', ') || 'none'})`, `${where}.${key}`);
    if (poly.length < 3) throw new ConfigError(`zone '${n}' needs at least 3 points`, `${where}.${key}`);
    return poly;
  };
  const lamps: RedLightGeometry['lamps'] = [];
  for (const colour of ['red', 'amber', 'green'] as const) {
    const n = cfg.lamps[colour];
    if (n !== undefined) lamps.push({ colour, zone: n, polygon: zone(n, `lamps.${colour}`) });
  }
  const stopLine = g.lines[cfg.stopLine];
  if (!stopLine) throw new ConfigError(`names line '${cfg.stopLine}', which is not among the lines (${Object.keys(g.lines).join(', ') || 'none'})`, `${where}.stopLine`);
  if (stopLine.from[0] === stopLine.to[0] && stopLine.from[1] === stopLine.to[1]) throw new ConfigError(`line '${cfg.stopLine}' has zero length`, `${where}.stopLine`);
  return { lamps, stopLine, junction: zone(cfg.junction, 'junction') };
}
