/** Test plugin: takes `ms` (default 200) per frame. */
import { z } from 'zod';
import { definePlugin } from '../../../../plugins/sdk/index.js';

export default definePlugin({
  name: 'slow',
  description: 'test: sleeps per frame',
  configSchema: z.strictObject({ ms: z.number().int().min(0).default(200) }),
  defaults: { fps: 25, latencyBudgetMs: 1000, input: { format: 'gray' } },
  create(ctx) {
    return { onFrame: () => new Promise<void>((r) => setTimeout(r, ctx.config.ms)) };
  },
});
