/**
 * Test plugin: answers at once with one detection labelled `<width>x<height>`, score = first luma / 255.
 * With `eventEvery: n` it emits a `fast.tick` event every n-th frame, with a snapshot when `snapshot`;
 * with `countEvery: n` it counts a car crossing line `l1` inwards every n-th frame; with `observeEvery: n`
 * it reports a person seen (track id = the frame number) every n-th frame.
 */
import { z } from 'zod';
import { definePlugin } from '../../../../plugins/sdk/index.js';

export default definePlugin({
  name: 'fast',
  description: 'test: instant detection',
  configSchema: z.strictObject({
    eventEvery: z.number().int().min(0).default(0),
    countEvery: z.number().int().min(0).default(0),
    observeEvery: z.number().int().min(0).default(0),
    snapshot: z.boolean().default(false),
  }),
  defaults: { fps: 25, latencyBudgetMs: 50, input: { format: 'gray' } },
  create(ctx) {
    let frames = 0;
    return {
      onFrame(f) {
        frames++;
        if (ctx.config.eventEvery && frames % ctx.config.eventEvery === 0) {
          ctx.emit({ type: 'fast.tick', attributes: { frames }, snapshot: ctx.config.snapshot });
        }
        if (ctx.config.countEvery && frames % ctx.config.countEvery === 0) ctx.count({ line: 'l1', cls: 'car', direction: 'in' });
        if (ctx.config.observeEvery && frames % ctx.config.observeEvery === 0) ctx.observe({ cls: 'person', trackId: frames });
        return [{ label: `${f.width}x${f.height}`, score: f.y[0]! / 255, box: [0, 0, 1, 1] }];
      },
    };
  },
});
