/**
 * For plugin tests: a `PluginContext` without a host. The host validates the camera's `config:` with
 * the plugin's schema and routes emit/count/observe to the store; here the config is validated the
 * same way and every call is recorded, so a test builds its plugin in one line and reads back what it
 * raised:
 *
 *   const ctx = testContext(plugin, { darkBelow: 40 }, { geometry: { zones: { door } } });
 *   const instance = await plugin.create(ctx);
 *   ... instance.onFrame(frame) ...
 *   assert.deepEqual(ctx.events.map((e) => e.type), ['scene.dark']);
 */
import type { CountInput, Geometry, ObservedObject, PluginContext, PluginDefinition, PluginEventInput } from './types.js';

/** What a test may set; anything left out gets a harmless default. */
export interface TestContextOptions {
  /** Camera id (named in ConfigError paths); default 'cam'. */
  cameraId?: string;
  /** Zones and lines, normalised 0..1; either may be left out (none). */
  geometry?: Partial<Geometry>;
  /** Called on every ctx.emit, after it is recorded (e.g. to stamp it with the test's clock). */
  onEvent?: (e: PluginEventInput) => void;
  /** Called on every ctx.count, after it is recorded. */
  onCount?: (c: CountInput) => void;
  /** Called on every ctx.observe, after it is recorded. */
  onObserve?: (o: ObservedObject) => void;
  /** Called on every ctx.log line (by default log lines are only recorded). */
  onLog?: (msg: string) => void;
}

/** A context that records what the plugin emitted, counted, observed and logged, in order. */
export interface TestContext<C> extends PluginContext<C> {
  readonly events: PluginEventInput[];
  readonly counts: CountInput[];
  readonly observed: ObservedObject[];
  readonly logs: string[];
}

/**
 * A context for `plugin.create`: `config` (the camera's raw `config:` keys) is parsed with the
 * plugin's own schema, so defaults apply and a bad config throws the same zod error the host reports.
 */
export function testContext<C>(plugin: Pick<PluginDefinition<C>, 'configSchema'>, config: unknown = {}, opts: TestContextOptions = {}): TestContext<C> {
  const events: PluginEventInput[] = [];
  const counts: CountInput[] = [];
  const observed: ObservedObject[] = [];
  const logs: string[] = [];
  return {
    cameraId: opts.cameraId ?? 'cam',
    config: plugin.configSchema.parse(config),
    geometry: { zones: opts.geometry?.zones ?? {}, lines: opts.geometry?.lines ?? {} },
    events, counts, observed, logs,
    emit(e) { events.push(e); opts.onEvent?.(e); },
    count(c) { counts.push(c); opts.onCount?.(c); },
    observe(o) { observed.push(o); opts.onObserve?.(o); },
    log(msg) { logs.push(msg); opts.onLog?.(msg); },
  };
}
