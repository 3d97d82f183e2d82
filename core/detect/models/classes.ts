/**
 * Class names: the 80 COCO names built in (Ultralytics' spelling, which @vladmandic/human's
 * CenterNet labels also use), or a user's list from a file.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../errors.js';

/** COCO's 80 detection classes in model index order (0 = person). */
export const COCO_CLASSES: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
];

/**
 * Reads class names from a file: `.json` (an array, or an object of index → name), `.yaml`/`.yml`
 * (an Ultralytics data file's `names:`, a list or a map, or a bare list), anything else one name
 * per line (Darknet's `.names`; blank lines skipped). `configPath` names the setting in errors.
 */
export function loadClassNames(file: string, configPath = 'classes'): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the class names file ${file}`, configPath);
  }
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  }
  let parsed: unknown;
  try {
    parsed = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid ${ext.slice(1).toUpperCase()}: ${(err as Error).message}`, configPath);
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'names' in parsed) parsed = parsed.names;
  const names = namesOf(parsed);
  if (!names) throw new ConfigError(`${file} holds no list of class names (a list, or a map of index to name)`, configPath);
  return names;
}

function namesOf(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? value : undefined;
  if (!value || typeof value !== 'object') return undefined;
  const entries = Object.entries(value);
  const names: string[] = [];
  for (const [key, name] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length || typeof name !== 'string') return undefined;
    names[index] = name;
  }
  return names.length === entries.length ? names : undefined;
}
