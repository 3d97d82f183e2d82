/** Test plugin: after `afterFrames` frames, throws in onFrame (mode 'throw') or exits its thread (mode 'exit'); mode 'create' fails at start. */
import { z } from 'zod';
import { definePlugin } from '../../../../plugins/sdk/index.js';

export default definePlugin({
  name: 'crash',
  description: 'test: crashes',
  configSchema: z.strictObject({ mode: z.enum(['throw', 'exit', 'create']).default('throw'), afterFrames: z.number().int().min(0).default(2) }),
  defaults: { fps: 25, latencyBudgetMs: 50, input: { format: 'gray' } },
  async create(ctx) {
    if (ctx.config.mode === 'create') throw new Error('crash plugin: cannot start');
    let frames = 0;
    return {
      onFrame() {
        if (frames++ < ctx.config.afterFrames) return;
        if (ctx.config.mode === 'exit') process.exit(3);
        throw new Error('crash plugin: boom');
      },
    };
  },
});
