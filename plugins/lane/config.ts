/**
 * The lane plugin's config: the vehicle tracking fields every traffic plugin shares, the lanes (zones
 * with a direction, the classes allowed and a speed limit), which lines are solid, and each rule's
 * thresholds with defaults. Every field's description feeds the README.
 */
import { z } from 'zod';
import { vehicleTrackingShape } from '../sdk/index.js';

const npoint = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]);

const laneSchema = z.strictObject({
  direction: z.tuple([npoint, npoint])
    .describe('Two image points [x, y] (0..1) on the lane, in the order its traffic passes them (first nearer the start); converted to a ground direction through `ground`.'),
  allowedClasses: z.array(z.string().min(1).max(32)).min(1).optional()
    .describe('Classes that may drive in the lane (as `classes` names them, e.g. [motorbike]); default every class.'),
  speedLimitKmh: z.number().positive().max(300).optional()
    .describe('Speed limit in the lane, km/h; without one the lane has no speeding check.'),
}).describe('One lane: its direction of traffic, who may use it and how fast.');

const wrongWaySchema = z.strictObject({
  minUpdates: z.number().int().min(1).max(100).default(5).describe('Updates in a row against the lane direction before a wrong-way event.'),
  minMetres: z.number().positive().max(200).default(10).describe('Metres driven against the lane direction before a wrong-way event.'),
  minSpeedKmh: z.number().positive().max(50).default(4).describe('Slower than this along the lane counts as neither with nor against the traffic.'),
});

const wrongLaneSchema = z.strictObject({
  minSeconds: z.number().positive().max(60).default(2).describe('Seconds a vehicle must stay in a lane its class may not use.'),
  minMetres: z.number().min(0).max(200).default(10).describe('Metres it must drive in that lane.'),
  classVotes: z.number().int().min(1).max(25).default(5).describe('The class is the majority of the last this many updates, so a one-frame misclassification does not count.'),
});

const solidLineSchema = z.strictObject({
  bandM: z.number().min(0).max(3).default(0.3).describe('A crossing counts once the vehicle is this many metres past the line on the other side.'),
});

const weavingSchema = z.strictObject({
  reversals: z.number().int().min(2).max(20).default(3).describe('Lateral reversals (left-right turns) within windowS that make weaving.'),
  minSwingM: z.number().positive().max(10).default(1).describe('Sideways metres a swing must cover before its turn counts as a reversal.'),
  windowS: z.number().positive().max(60).default(8).describe('Seconds the reversals must fall within.'),
});

const speedingSchema = z.strictObject({
  toleranceKmh: z.number().min(0).max(100).default(5).describe('Speed over the lane limit tolerated before a speeding event.'),
  minDistanceM: z.number().positive().max(200).default(15)
    .describe('Speed is measured over the last this many metres driven inside the lanes: the lower of the end-to-end speed and the median of the update-to-update speeds, so neither box jitter nor one bad box makes a speeder.'),
});

/** The lane plugin's config schema. */
export const configSchema = z.strictObject({
  ...vehicleTrackingShape,
  lanes: z.record(z.string().min(1), laneSchema).refine((r) => Object.keys(r).length > 0, 'configure at least one lane')
    .describe('Lanes, by the name of their zone: direction of traffic, allowed classes and speed limit. List them in `splitBy` too, so that vehicles side by side stay two (a vehicle changing lanes is kept whole).'),
  solidLines: z.array(z.string().min(1)).optional()
    .describe('Names of the configured lines that are solid (crossing one is an illegal lane change or overtaking); default every line configured for the plugin.'),
  wrongWay: wrongWaySchema.prefault({}).describe('Wrong-way driving: against the lane direction for minUpdates updates and minMetres.'),
  wrongLane: wrongLaneSchema.prefault({}).describe('A class in a lane it may not use, for minSeconds and minMetres.'),
  solidLine: solidLineSchema.prefault({}).describe('Crossing a solid line.'),
  weaving: weavingSchema.prefault({}).describe('Weaving: repeated lateral reversals.'),
  speeding: speedingSchema.prefault({}).describe('Speeding over the lane limit plus a tolerance.'),
  evidenceFrames: z.number().int().min(2).max(100).default(16)
    .describe('Frames kept for evidence images (at 5 fps, 16 frames are 3 s; 1280x720 frames take 1.4 MB each).'),
}).superRefine((c, issue) => {
  // Every rule but wrong-lane needs metres; the plugin is useless without the ground plane.
  if (!c.ground) issue.addIssue({ code: 'custom', path: ['ground'], message: 'the lane plugin needs 4 ground reference points (ground)' });
});

/** The parsed config. */
export type LaneConfig = z.infer<typeof configSchema>;
