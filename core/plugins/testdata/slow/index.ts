/** Test plugin: takes `ms` (default 200) per frame, and `firstMs` on its first frame when given (a setup). */
import { z } from 'zod';
import { definePlugin } from '../../../../plugins/sdk/index.js';

export default definePlugin({
  name: 'slow',
  description: 'test: sleeps per frame',
  configSchema: z.strictObject({ ms: z.number().int().min(0).default(200), firstMs: z.number().int().min(0).optional() }),
  defaults: { fps: 25, latencyBudgetMs: 1000, input: { format: 'gray' } },
  create(ctx) {
    let frames = 0;
    return { onFrame: () => new Promise<void>((r) => setTimeout(r, frames++ === 0 ? (ctx.config.firstMs ?? ctx.config.ms) : ctx.config.ms)) };
  },
});
