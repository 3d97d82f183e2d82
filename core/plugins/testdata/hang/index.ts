/** Test plugin: spins forever on frame number `afterFrames` + 1 (default: the first). */
import { z } from 'zod';
import { definePlugin } from '../../../../plugins/sdk/index.js';

export default definePlugin({
  name: 'hang',
  description: 'test: infinite loop',
  configSchema: z.strictObject({ afterFrames: z.number().int().min(0).default(0) }),
  defaults: { fps: 25, latencyBudgetMs: 50, input: { format: 'gray' } },
  create(ctx) {
    let frames = 0;
    return {
      onFrame() {
        if (frames++ >= ctx.config.afterFrames) for (;;);
      },
    };
  },
});
