/**
 * Test plugin (a file, not a folder, so registry scans skip it; tests load it with PluginRegistry.of):
 * keeps a FrameHistory and, on its `at`-th frame, emits one `evidence.violation` carrying `images`
 * evidence images (labels before, at, after, e3, …) with a box, a track and a caption. Images are
 * FrameHistory snapshots except image 1, which is the history's own slot (so postMessage must copy it).
 * It then emits `evidence.check` whose attributes say what emit did to those buffers:
 * `snapshotBytes` (0 once moved to the host) and `slotBytes` (the slot must stay intact).
 * The violation is dated back to the first image's frame (`startedAt`, also in its attributes as
 * `began`); the check asks for a start 10 s ahead of its frame, which the host must not take.
 */
import { z } from 'zod';
import { definePlugin, FrameHistory, type EvidenceImage } from '../../../plugins/sdk/index.js';

const LABELS = ['before', 'at', 'after'];

export default definePlugin({
  name: 'evidence',
  description: 'test: emits an event with evidence images',
  configSchema: z.strictObject({
    images: z.number().int().min(0).default(3),
    at: z.number().int().min(1).default(3),
  }),
  defaults: { fps: 25, latencyBudgetMs: 50, input: { format: 'gray' } },
  create(ctx) {
    const history = new FrameHistory(4);
    let frames = 0;
    return {
      onFrame(f) {
        frames++;
        history.push(f);
        if (frames !== ctx.config.at) return;
        const evidence: EvidenceImage[] = [];
        for (let i = 0; i < ctx.config.images; i++) {
          const copy = history.at(f.capturedAt - (2 - i) * 40)!;
          evidence.push({
            label: LABELS[i] ?? `e${i}`,
            frame: i === 1 ? history.latest! : history.snapshot(copy),
            boxes: [{ label: 'car', score: 0.9, box: [0.25, 0.25, 0.5, 0.5], trackId: 7 }],
            track: [[0.1, 0.9], [0.3, 0.7], [0.5, 0.5]],
            caption: 'RED 2.4S',
          });
        }
        const began = history.at(f.capturedAt - 80)!.capturedAt;
        ctx.emit({ type: 'evidence.violation', severity: 'critical', evidence, startedAt: began, attributes: { began, frame: f.capturedAt } });
        const moved = evidence.find((e) => e.frame !== history.latest);
        ctx.emit({
          type: 'evidence.check',
          startedAt: f.capturedAt + 10_000,
          attributes: { snapshotBytes: moved?.frame.y.byteLength ?? -1, slotBytes: history.latest!.y.byteLength, frame: f.capturedAt },
        });
      },
    };
  },
});
