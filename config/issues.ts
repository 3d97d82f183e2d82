/**
 * Turns zod issues into one readable, path-named line each (`cameras.gate1: unknown key "urll"
 * (did you mean "url"?)`). Rules in config/schema.ts carry their own messages; this file writes the
 * generic ones (unknown key, wrong type, missing value) and rewrites zod's defaults. Messages never
 * echo a value that came from the file: it may be a password.
 */
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** One problem found in a configuration: where (`http.port`, empty for the top level) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Throws one ConfigError listing every problem, one `path: message` line each. No-op when empty. */
export function throwProblems(problems: readonly ConfigProblem[]): void {
  if (problems.length === 0) return;
  const [first, ...rest] = problems as [ConfigProblem, ...ConfigProblem[]];
  const more = rest.map((p) => `\n${problemLine(p)}`).join('');
  throw new ConfigError(first.message + more, first.path);
}

/** `path: message`, or just the message for a top-level problem. */
export function problemLine(p: ConfigProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** Renders a zod path: `cameras.gate1.url`, `webrtc.iceServers[0].urls`. */
export function formatPath(path: readonly PropertyKey[], cliIds: ReadonlySet<string> = new Set()): string {
  let start = 0;
  let out = '';
  if (path[0] === 'cameras' && typeof path[1] === 'string' && cliIds.has(path[1])) {
    out = `--camera ${path[1]}`;
    start = 2;
  }
  for (const seg of path.slice(start)) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

/** Converts zod issues into problems. `input` is the raw value that was validated, `schema` its schema. */
export function problemsFromIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  schema: z.ZodType,
  cliIds: ReadonlySet<string> = new Set(),
): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path, cliIds);
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        const what = issue.path.length === 0 ? 'unknown top-level key' : 'unknown key';
        out.push({ path, message: `${what} "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}` });
      }
      continue;
    }
    if (issue.code === 'invalid_key') {
      const parent = formatPath(issue.path.slice(0, -1), cliIds);
      const key = String(issue.path[issue.path.length - 1]);
      const rule = issue.issues[0]?.message ?? 'not allowed';
      const what = `invalid ${KEY_NOUNS[String(issue.path.at(-2))] ?? 'key'}`;
      out.push({ path: parent, message: `${what} "${key}" (${rule})` });
      continue;
    }
    out.push({ path, message: messageFor(issue, valueAt(input, issue.path), objectKeysAt(schema, [])) });
  }
  return out;
}

/** What the keys of each map are called in messages (`invalid plugin name "X"`), by the map's key. */
const KEY_NOUNS: Readonly<Record<string, string>> = {
  cameras: 'camera id', plugins: 'plugin name', zones: 'zone name', lines: 'line name',
};

function messageFor(issue: z.core.$ZodIssue, value: unknown, sections: readonly string[]): string {
  const custom = !/^(Invalid|Too (small|big)|Unrecognized)/.test(issue.message);
  if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
    if (value === undefined) return 'is required';
    if (issue.path.length === 0) return `expected a mapping of sections (${sections.join(', ')}), got ${kindOf(value)}`;
    if (custom) return issue.message;
    const expected = issue.code === 'invalid_type' ? EXPECTED[issue.expected] ?? issue.expected : 'a valid value';
    return `expected ${expected}, got ${kindOf(value)}`;
  }
  if (custom) return issue.message;
  if (issue.code === 'too_small' || issue.code === 'too_big') {
    const n = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
    const bound = issue.code === 'too_small' ? 'at least' : 'at most';
    if (issue.origin === 'string') return n === 1 && issue.code === 'too_small' ? 'must not be empty' : `must be ${bound} ${n} characters`;
    if (issue.origin === 'array') return `must have ${bound} ${n} entries`;
    return `must be ${bound} ${n}`;
  }
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

const EXPECTED: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false', object: 'a mapping',
  record: 'a mapping', array: 'a list', tuple: 'a list',
};

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v === 'string' ? 'a string' : typeof v;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** Strips optional/default/prefault wrappers and walks object shapes, record values and array elements. */
export function unwrapSchema(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

function objectKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.core.$ZodType | undefined = unwrapSchema(schema);
  for (const seg of path) {
    const def = s._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; valueType?: z.core.$ZodType;
      element?: z.core.$ZodType };
    const next: z.core.$ZodType | undefined =
      def.type === 'object' ? def.shape?.[String(seg)] : def.type === 'record' ? def.valueType : def.element;
    if (!next) return [];
    s = unwrapSchema(next);
  }
  const def = s._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** The known key closest to a typo: a case-insensitive match, or a small edit distance (1 for short keys, else 2). */
function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = key.length <= 4 ? 2 : 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
