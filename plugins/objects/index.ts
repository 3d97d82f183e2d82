/**
 * objects: daily statistics of the kinds of objects a camera sees — people, motorbikes, cars, trucks
 * and buses — counted once per object, from tracks.
 *
 *   frame → ObjectTracker (blob detector or a neural DetectionSource → Tracker → size in perspective)
 *         → confirmed objects whose size fits their kind, foot point inside a counting zone
 *         → SightingTally (tally.ts): once per object, when its kind has settled or it leaves
 *         → ctx.observe({ cls }) → the host's count store (per hour and per day)
 *         → GET /api/reports/objects?camera=&date=
 *
 * Kinds come from the ObjectTracker (plugins/sdk/vision/objects.ts): with the 4 `ground` reference
 * points each object's real height and width are measured and its silhouette fitted to a person or a
 * vehicle class, and objects whose size fits no kind (a dog, a bird, a lighting change) are left out;
 * without them, an upright blob is a 'person' and any other a 'vehicle'. A detector that labels its
 * boxes gives the kind instead. Zones (`zones`) limit where objects are counted: a footpath, a gate,
 * the square in front of a school. The plugin raises no events.
 */
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { boxToNormalised, definePlugin, ObjectTracker, objectTrackingShape, pointToPixels, type Detection, type Frame, type PluginContext, type Point } from '../sdk/index.js';
import { SightingTally } from './tally.js';

const configSchema = z.strictObject({
  ...objectTrackingShape,
  zones: z.array(z.string().min(1)).default([])
    .describe("Counting zones, by their names under the camera's `zones:`: an object is counted only once its foot point has been inside one. None: the whole frame."),
  minSeenS: z.number().min(0).max(60).default(1)
    .describe('Seconds an object must be seen (confirmed, its size fitting its kind, inside a zone) before it counts at all: a shadow or a flicker is gone sooner.'),
  settleS: z.number().min(0).max(60).default(2)
    .describe('Seconds after an object is first seen inside when its kind is taken as settled and it is counted; one that leaves sooner is counted as it leaves, with the kind it had.'),
});

/** The parsed config. */
export type ObjectsConfig = z.infer<typeof configSchema>;

export default definePlugin({
  name: 'objects',
  description: 'Counts the people and vehicles (by class) a camera sees, once per object, into hourly and daily object statistics.',
  configSchema,
  defaults: { fps: 5, latencyBudgetMs: 30, input: { format: 'i420', width: 640, height: 360 } },
  create(ctx) {
    return new ObjectStatistics(ctx);
  },
});

/** One camera's object statistics. */
class ObjectStatistics {
  readonly #ctx: PluginContext<ObjectsConfig>;
  readonly #objects: ObjectTracker;
  #tally: SightingTally | undefined;
  #size = '';

  constructor(ctx: PluginContext<ObjectsConfig>) {
    this.#ctx = ctx;
    const where = `cameras.${ctx.cameraId}.plugins.objects.config`;
    ctx.config.zones.forEach((name, i) => {
      if (!ctx.geometry.zones[name]) {
        throw new ConfigError(`names zone '${name}', which is not among the zones (${Object.keys(ctx.geometry.zones).join(', ') || 'none'})`, `${where}.zones[${i}]`);
      }
    });
    this.#objects = new ObjectTracker({ config: ctx.config, where });
  }

  async onFrame(frame: Frame): Promise<Detection[]> {
    const reported = await this.#objects.update(frame);
    const size = `${frame.width}x${frame.height}`;
    if (size !== this.#size) {
      // A new detect size restarts the tally (the tracker starts over too); what qualified is counted.
      this.#observe(this.#tally?.flush() ?? []);
      this.#size = size;
      const zones = this.#ctx.config.zones.map((name) => this.#ctx.geometry.zones[name]!.map((p): Point => pointToPixels(p, frame.width, frame.height)));
      const c = this.#ctx.config;
      this.#tally = new SightingTally({ zones, minSeenMs: c.minSeenS * 1000, settleMs: c.settleS * 1000, frame: { width: frame.width, height: frame.height } });
    }
    const live = new Set(this.#objects.all.map((o) => o.id));
    this.#observe(this.#tally!.update(frame.capturedAt, reported, live));
    return reported.map((o) => ({ label: o.kind, score: 1, box: boxToNormalised(o.box, frame.width, frame.height), trackId: o.id }));
  }

  close(): void {
    this.#observe(this.#tally?.flush() ?? []);
    this.#objects.close();
  }

  #observe(list: readonly { cls: string; trackId: number; at: number }[]): void {
    for (const o of list) this.#ctx.observe(o);
  }
}
