/**
 * The plugin SDK: `definePlugin` and the types a detector works with. A plugin is one folder with an
 * `index.ts` whose default export is `definePlugin({...})`; the host runs each camera's instance in its
 * own worker thread and lends it frames from shared memory. Events may carry evidence images
 * (several frames with boxes, a track and a caption drawn in): see evidence.ts.
 *
 *   export default definePlugin({
 *     name: 'brightness', description: 'Mean luma per zone', configSchema: z.strictObject({...}),
 *     defaults: { fps: 2, latencyBudgetMs: 50, input: { format: 'gray' } },
 *     create(ctx) { return { onFrame(frame) { ... ctx.emit({ type: 'scene.dark' }) } }; },
 *   });
 */
import type { z } from 'zod';
import type { PluginContext, PluginDefaults, PluginDefinition, PluginInstance } from './types.js';

export type * from './types.js';
export * from './evidence.js';
export * from './vision/index.js';
export * from './alarm.js';

/** Plugin names become YAML keys and metric labels. */
export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** Declares a plugin; checks the static parts and returns the (frozen) definition for the default export. */
export function definePlugin<C>(def: {
  name: string;
  description: string;
  configSchema: z.ZodType<C>;
  defaults: PluginDefaults;
  create(ctx: PluginContext<C>): PluginInstance | Promise<PluginInstance>;
}): PluginDefinition<C> {
  const where = `plugin "${String(def.name)}"`;
  if (typeof def.name !== 'string' || !PLUGIN_NAME_PATTERN.test(def.name)) {
    throw new TypeError(`${where}: name must match ${PLUGIN_NAME_PATTERN} (lower-case letters, digits, _ and -)`);
  }
  if (typeof def.create !== 'function') throw new TypeError(`${where}: create must be a function`);
  if (typeof def.configSchema?.safeParse !== 'function') throw new TypeError(`${where}: configSchema must be a zod schema`);
  const { fps, latencyBudgetMs, input } = def.defaults ?? ({} as PluginDefaults);
  if (!(fps > 0 && fps <= 120)) throw new TypeError(`${where}: defaults.fps must be in (0, 120]`);
  if (!(latencyBudgetMs > 0)) throw new TypeError(`${where}: defaults.latencyBudgetMs must be positive`);
  if (input?.format !== 'i420' && input?.format !== 'gray') throw new TypeError(`${where}: defaults.input.format must be 'i420' or 'gray'`);
  return Object.freeze({
    kind: 'streamsight-plugin',
    name: def.name,
    description: def.description ?? '',
    configSchema: def.configSchema,
    defaults: Object.freeze({ ...def.defaults, input: Object.freeze({ ...input }) }),
    create: def.create,
  });
}

/** True if `value` looks like what definePlugin returns (for loaders). */
export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'streamsight-plugin' &&
    typeof (value as { create?: unknown }).create === 'function'
  );
}
