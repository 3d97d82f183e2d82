/**
 * The CenterNet (MobileNet-v3, COCO) detector of @vladmandic/human as an ONNX file.
 *
 * The package ships the model as a TF.js graph (models/centernet.json + centernet.bin, MIT). On
 * first use we convert it with tfjs.ts and cache the .onnx; later calls reuse the cache while the
 * source files and the converter version are unchanged. No weights live in this repository.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidStateError } from '../../errors.js';
import { convertTfjsGraph } from './tfjs.js';
import type { TfjsGraphModel } from './tfjs-model.js';

/** Bump when the converter's output for the same source changes, to invalidate caches. */
export const CONVERTER_VERSION = 1;

/** The model's input: NHWC float32 RGB in 0..255, stretched (not letterboxed) to 512×512. */
export const CENTERNET_INPUT = 'tower_0/images';
/** The input's width and height. */
export const CENTERNET_SIZE = 512;
/** `[1, 100, 6]` rows of x1, y1, x2, y2 (input pixels), score, COCO class index (0 = person). */
export const CENTERNET_DETECTIONS = 'tower_0/detections';
/** `[1, 128, 128, 80]` per-class centre heatmap after sigmoid. */
export const CENTERNET_KEYPOINTS = 'tower_0/keypoints';
/** `[1, 128, 128, 4]` box edge distances per heatmap cell. */
export const CENTERNET_WH = 'tower_0/wh';
/** COCO class index of "person" in the detections' last column. */
export const COCO_PERSON = 0;

/** Where a converted model was found or written. */
export interface CachedModel {
  path: string;
  /** sha256 of the source files and converter version; the cache key. */
  sourceHash: string;
  /** True when this call converted (cache missing or stale). */
  converted: boolean;
}

/** The cache folder: $STREAMSIGHT_MODEL_CACHE, else $XDG_CACHE_HOME or ~/.cache, + streamsight/models. */
export function defaultModelCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STREAMSIGHT_MODEL_CACHE) return env.STREAMSIGHT_MODEL_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'streamsight', 'models');
}

/** The installed package's centernet.json and its weight shards. */
export function centernetSource(): { json: string; shards: string[] } {
  let main: string;
  try {
    // The package's `exports` hide package.json, so resolve its Node entry (dist/) and step up.
    main = createRequire(import.meta.url).resolve('@vladmandic/human');
  } catch {
    throw new InvalidStateError('@vladmandic/human is not installed (npm install), so the centernet model is missing');
  }
  const models = join(dirname(main), '..', 'models');
  const json = join(models, 'centernet.json');
  if (!existsSync(json)) throw new InvalidStateError(`@vladmandic/human has no ${json}`);
  const model = JSON.parse(readFileSync(json, 'utf8')) as TfjsGraphModel;
  return { json, shards: model.weightsManifest.flatMap((group) => group.paths.map((path) => join(models, path))) };
}

/** Converts centernet to ONNX under `cacheDir` unless an up-to-date copy is there; returns it. */
export function ensureCenternetOnnx(cacheDir = defaultModelCache()): CachedModel {
  const source = centernetSource();
  const jsonText = readFileSync(source.json);
  const shards = source.shards.map((path) => readFileSync(path));
  const hash = createHash('sha256').update(`streamsight-tfjs-onnx-v${CONVERTER_VERSION}\n`).update(jsonText);
  for (const shard of shards) hash.update(shard);
  const sourceHash = hash.digest('hex');

  const path = join(cacheDir, 'centernet.onnx');
  const hashPath = `${path}.sha256`;
  if (existsSync(path) && existsSync(hashPath) && readFileSync(hashPath, 'utf8').trim() === sourceHash) {
    return { path, sourceHash, converted: false };
  }
  const model = JSON.parse(jsonText.toString('utf8')) as TfjsGraphModel;
  const { bytes } = convertTfjsGraph(model, Buffer.concat(shards), {
    docString: `@vladmandic/human models/centernet.json (MIT), converted by streamsight; source sha256 ${sourceHash}`,
  });
  mkdirSync(cacheDir, { recursive: true });
  // Write-then-rename keeps a concurrent reader from seeing half a file; the hash goes last, so
  // a crash in between leaves a stale hash and the next call converts again.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  writeFileSync(`${hashPath}.${process.pid}.tmp`, `${sourceHash}\n`);
  renameSync(`${hashPath}.${process.pid}.tmp`, hashPath);
  return { path, sourceHash, converted: true };
}

/** One row of the detections output, in input (512×512) pixels. */
export interface CenternetDetection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classIndex: number;
}

/** The rows of a `[1, N, 6]` detections tensor, best first (no threshold, no NMS). */
export function readDetections(data: Float32Array): CenternetDetection[] {
  const rows: CenternetDetection[] = [];
  for (let i = 0; i + 6 <= data.length; i += 6) {
    rows.push({ x1: data[i], y1: data[i + 1], x2: data[i + 2], y2: data[i + 3], score: data[i + 4], classIndex: data[i + 5] });
  }
  return rows;
}
