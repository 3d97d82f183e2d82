/**
 * The bundled CenterNet against the hand labels of vtest.avi (Debian opencv-doc; bench/vtest/labels.json):
 * it finds the walking people and the parked van, with boxes that overlap the labelled ones
 * (IoU ≥ 0.3, bench/vtest.ts's matchBoxes; people marked hard may be found or not).
 *
 * The van and the car parked at the top right are labelled 'van' and 'car'; a COCO model calls
 * such vehicles car, truck or bus, so any of the three counts for either label.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadLabels, matchBoxes, type LabelledObject } from '../../bench/vtest.js';
import { ffmpegPath } from '../ffmpeg.js';
import type { Detection } from './models/decoders.js';
import { OnnxDetector } from './models/detector.js';
import { modelSchema } from './models/spec.js';
import { ensureCenternetOnnx } from './onnx/model.js';

const labels = loadLabels();
const { width, height } = labels.clip;
const VEHICLES = new Set(['car', 'truck', 'bus']);

const dir = mkdtempSync(join(tmpdir(), 'streamsight-vtest-labels-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The labelled frames, exact (ffmpeg's select on the frame number, one decoding pass), as RGB24. */
function labelledFrames(): Uint8Array[] {
  const pick = labels.frames.map((f) => `eq(n\\,${f.frame})`).join('+');
  const size = width * height * 3;
  const args = ['-v', 'error', '-i', labels.clip.file, '-vf', `select=${pick}`, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const bytes = execFileSync(ffmpegPath(), args, { maxBuffer: (labels.frames.length + 1) * size });
  assert.equal(bytes.length, labels.frames.length * size, 'one decoded frame per labelled frame');
  return labels.frames.map((_, i) => new Uint8Array(bytes.buffer, bytes.byteOffset + i * size, size));
}

/** [x, y, w, h] of a detection, for matchBoxes. */
const xywh = (d: Detection) => [d.box.x, d.box.y, d.box.w, d.box.h];

/** Precision and recall from summed matches. */
function rates(m: { tp: number; fp: number; fn: number }): { precision: number; recall: number } {
  return { precision: m.tp + m.fp ? m.tp / (m.tp + m.fp) : 1, recall: m.tp + m.fn ? m.tp / (m.tp + m.fn) : 1 };
}

describe('bundled CenterNet on the labelled vtest.avi frames', { timeout: 60_000 }, () => {
  const found: Detection[][] = [];
  before(async () => {
    const { path } = ensureCenternetOnnx(join(dir, 'cache'));
    // The service's default threshold (config.ts: 0.3).
    const detector = await OnnxDetector.create(modelSchema.parse({ path, format: 'centernet' }));
    try {
      for (const data of labelledFrames()) found.push(await detector.detect({ format: 'rgb24', width, height, data }));
    } finally {
      await detector.close();
    }
  });

  it('finds the labelled people, boxes at IoU ≥ 0.3', (t) => {
    const sum = { tp: 0, fp: 0, fn: 0 };
    labels.frames.forEach((f, i) => {
      const m = matchBoxes(f.objects.filter((o) => o.cls === 'person'), found[i]!.filter((d) => d.label === 'person').map(xywh));
      t.diagnostic(`frame ${f.frame}: person tp ${m.tp} fp ${m.fp} fn ${m.fn}`);
      sum.tp += m.tp;
      sum.fp += m.fp;
      sum.fn += m.fn;
    });
    const { precision, recall } = rates(sum);
    t.diagnostic(`person: tp ${sum.tp} fp ${sum.fp} fn ${sum.fn}, precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}`);
    // Measured (onnxruntime-node 1.30, score ≥ 0.3): tp 87 fp 25 fn 5, precision 0.777, recall 0.946.
    assert.ok(recall >= 0.9, `person recall ${recall.toFixed(3)} (measured 0.946)`);
    assert.ok(precision >= 0.7, `person precision ${precision.toFixed(3)} (measured 0.777)`);
  });

  it('finds the parked van (and scores the parked car) as car, truck or bus', (t) => {
    const sum = { tp: 0, fp: 0, fn: 0 };
    let vanFrames = 0;
    let vanFound = 0;
    labels.frames.forEach((f, i) => {
      const vehicles = found[i]!.filter((d) => VEHICLES.has(d.label)).map(xywh);
      const truth = f.objects.filter((o) => o.cls === 'van' || o.cls === 'car');
      const m = matchBoxes(truth, vehicles);
      sum.tp += m.tp;
      sum.fp += m.fp;
      sum.fn += m.fn;
      for (const van of truth.filter((o): o is LabelledObject => o.cls === 'van' && !o.hard)) {
        vanFrames++;
        if (matchBoxes([van], vehicles).tp === 1) vanFound++;
      }
      t.diagnostic(`frame ${f.frame}: vehicles ${found[i]!.filter((d) => VEHICLES.has(d.label)).map((d) => `${d.label} ${d.score.toFixed(2)} [${xywh(d).map(Math.round).join(',')}]`).join('; ') || '-'}`);
    });
    const { precision, recall } = rates(sum);
    t.diagnostic(`van+car: tp ${sum.tp} fp ${sum.fp} fn ${sum.fn}, precision ${precision.toFixed(3)} recall ${recall.toFixed(3)}; van found in ${vanFound} of ${vanFrames} frames`);
    // Measured: the van as 'truck' (score 0.35–0.42) in all 16 frames, the car as 'car' in all 16;
    // the 2 false boxes are a second 'car' box on the van. Both score close to the 0.3 threshold,
    // hence the slack.
    assert.equal(vanFrames, 16, 'the van is labelled, not hard, in every labelled frame');
    assert.ok(vanFound >= 14, `van found in ${vanFound} of ${vanFrames} frames (measured 16)`);
    assert.ok(recall >= 0.9, `van+car recall ${recall.toFixed(3)} (measured 1.000)`);
  });
});
