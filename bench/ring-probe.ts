/**
 * bench/ring.ts's subscriber plugin for the `host` mode: run by the real PluginHost, it records for
 * each frame the time from the decoder's commit (a shared table the bench fills, hrtime ms) until
 * onFrame has the frame and has touched every page of it.
 */
import { z } from 'zod';
import { definePlugin } from '../plugins/sdk/index.js';

const shared = z.custom<SharedArrayBuffer>((v) => v instanceof SharedArrayBuffer);

/** Latency probe; config tables are shared with bench/ring.ts (a SharedArrayBuffer survives structured clone). */
export default definePlugin({
  name: 'ring-probe',
  description: 'bench: publish-to-subscriber latency',
  configSchema: z.object({ committedAt: shared, latency: shared, index: z.number().int(), frames: z.number().int() }),
  // A generous budget: the hang limit (4 x budget) must not restart probes when the VM stalls for a second.
  defaults: { fps: 120, latencyBudgetMs: 1000, input: { format: 'i420' } },
  create(ctx) {
    const { committedAt, latency, index, frames } = ctx.config;
    const commits = new Float64Array(committedAt);
    const mine = new Float64Array(latency, index * frames * 8, frames);
    let sink = 0;
    return {
      onFrame(f) {
        if (f.seq < 1 || f.seq > frames) return;
        sink += touch(f.y) + touch(f.u!) + touch(f.v!);
        mine[f.seq - 1] = Number(process.hrtime.bigint()) / 1e6 - commits[f.seq]!;
      },
      close() {
        if (sink < 0) ctx.log('unreachable');
      },
    };
  },
});

/** Reads one byte per 4 KiB page, so every page of the plane is actually touched. */
export function touch(px: Uint8Array): number {
  let sum = px[px.length - 1]!;
  for (let i = 0; i < px.length; i += 4096) sum += px[i]!;
  return sum;
}
