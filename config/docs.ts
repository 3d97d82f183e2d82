/**
 * Generates the README's configuration reference from config/schema.ts, so the docs cannot drift
 * from the validator. `node --import tsx config/docs.ts --write README.md` replaces the block
 * between the config-reference markers; `--check README.md` exits 1 when it is out of date;
 * with no flag the table is printed.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { PluginDefinition } from '../plugins/sdk/types.js';
import { packageRoot } from './load.js';
import { configSchema } from './schema.js';

/** Marker lines delimiting the generated block in README.md. */
export const START_MARKER = '<!-- config-reference:start -->';
/** See START_MARKER. */
export const END_MARKER = '<!-- config-reference:end -->';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
}

/** One documented field. */
export interface ReferenceRow {
  path: string;
  type: string;
  default: string;
  description: string;
}

/** Every field of the schema, depth first, in declaration order. */
export function referenceRows(): ReferenceRow[] {
  return schemaRows(configSchema);
}

/** Every field of any object schema (a plugin's `configSchema`), depth first, in declaration order. */
export function schemaRows(schema: z.ZodType): ReferenceRow[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: ReferenceRow[] = [];
  walk(root, '', rows);
  return rows;
}

/** Marker lines delimiting the generated built-in plugin reference in README.md. */
export const PLUGINS_START_MARKER = '<!-- plugin-reference:start -->';
/** See PLUGINS_START_MARKER. */
export const PLUGINS_END_MARKER = '<!-- plugin-reference:end -->';

/** The built-in detectors' config keys, one table per plugins/<name>/ folder, from their own schemas. */
export async function pluginReference(): Promise<string> {
  const dir = join(packageRoot(), 'plugins');
  const names = readdirSync(dir).filter((d) => d !== 'sdk' && existsSync(join(dir, d, 'index.ts'))).sort();
  const out: string[] = [];
  for (const name of names) {
    const def = (await import(pathToFileURL(join(dir, name, 'index.ts')).href) as { default: PluginDefinition }).default;
    const d = def.defaults;
    const size = d.input.width && d.input.height ? ` at ${d.input.width}×${d.input.height}` : '';
    out.push(`#### \`${def.name}\``, '', `${def.description} Defaults: ${d.fps} fps, latency budget ${d.latencyBudgetMs} ms, ${d.input.format}${size}.`, '');
    const rows = schemaRows(def.configSchema);
    if (rows.length === 0) {
      out.push('No `config` keys.', '');
      continue;
    }
    out.push('| `config` key | Type | Default | Description |', '| --- | --- | --- | --- |');
    out.push(...rows.map((r) => `| ${cell(r.path)} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`), '');
  }
  return out.join('\n');
}

function walk(schema: JsonSchema, path: string, rows: ReferenceRow[]): void {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = path ? `${path}.${key}` : key;
    const required = schema.required?.includes(key) && child.default === undefined;
    rows.push(row(childPath, child, required ?? false));
    walkChildren(child, childPath, rows);
  }
}

function walkChildren(schema: JsonSchema, path: string, rows: ReferenceRow[]): void {
  if (schema.properties) walk(schema, path, rows);
  const value = schema.additionalProperties;
  if (typeof value === 'object') {
    const childPath = `${path}.<${mapOf(path).key}>`;
    rows.push(row(childPath, value, false));
    walkChildren(value, childPath, rows);
  }
  if (typeof schema.items === 'object' && schema.items.properties) walk(schema.items, `${path}[]`, rows);
}

function row(path: string, s: JsonSchema, required: boolean): ReferenceRow {
  const dflt = required ? 'required' : s.default === undefined || isEmptyObject(s.default) ? '' : `\`${JSON.stringify(s.default)}\``;
  return { path: `\`${path}\``, type: typeName(s, path), default: dflt, description: s.description ?? '' };
}

/** Each map's key placeholder in paths (`cameras.<id>`) and its type column, by the map's own key. */
const MAPS: Readonly<Record<string, { key: string; type: string }>> = {
  cameras: { key: 'id', type: 'map of id to camera' },
  plugins: { key: 'plugin', type: 'map of plugin name to settings' },
  zones: { key: 'zone', type: 'map of name to polygon' },
  lines: { key: 'line', type: 'map of name to line' },
};

function mapOf(path: string): { key: string; type: string } {
  return MAPS[path.slice(path.lastIndexOf('.') + 1)] ?? { key: 'name', type: 'map' };
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

function typeName(s: JsonSchema, path = ''): string {
  if (s.anyOf) return s.anyOf.map((t) => typeName(t)).join(' or ');
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (s.prefixItems) return `[${s.prefixItems.map((t) => typeName(t)).join(', ')}]`;
  if (Array.isArray(s.type)) return s.type.map((type) => typeName({ ...s, type })).join(' or ');
  switch (s.type) {
    case 'integer':
    case 'number':
      return s.minimum !== undefined && s.maximum !== undefined ? `${s.type} ${s.minimum}–${s.maximum}` : s.type;
    case 'array':
      return typeof s.items === 'object' ? `list of ${typeName(s.items)}` : 'list';
    case 'object':
      return typeof s.additionalProperties === 'object' ? mapOf(path).type : 'mapping';
    default:
      return s.type ?? 'any';
  }
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The markdown that goes between the markers (without the markers). */
export function configReference(): string {
  const lines = [
    'Each camera needs exactly one of `url`, `push` or `synthetic`. Camera ids are 1–64 characters from',
    '`a-z 0-9 _ -`, and so are zone and line names; plugin names use `a-z 0-9 -`. `${VAR:-fallback}` gives a',
    'fallback for an unset variable; `$${` is a literal `${`. Sizes are a number of bytes or a string such as',
    '`500MB` or `10GiB`. Zone and line points are `[x, y]` normalised to 0..1 from the top-left corner.',
    '',
    '| Path | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...referenceRows().map((r) => `| ${cell(r.path)} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`),
  ];
  return lines.join('\n') + '\n';
}

/** Replaces the marked block of a README text; undefined when the markers are missing. */
export function replaceReference(readme: string): string | undefined {
  return replaceBlock(readme, START_MARKER, END_MARKER, configReference());
}

/** Replaces the text between two marker lines; undefined when they are missing. */
export function replaceBlock(readme: string, startMarker: string, endMarker: string, body: string): string | undefined {
  const start = readme.indexOf(startMarker);
  const end = readme.indexOf(endMarker);
  if (start < 0 || end < start) return undefined;
  return `${readme.slice(0, start + startMarker.length)}\n${body}${readme.slice(end)}`;
}

/** The README with both generated blocks (config and built-in plugins) brought up to date. */
export async function updateReadme(readme: string): Promise<string | undefined> {
  const withConfig = replaceReference(readme);
  if (withConfig === undefined) return undefined;
  return replaceBlock(withConfig, PLUGINS_START_MARKER, PLUGINS_END_MARKER, await pluginReference()) ?? withConfig;
}

async function main(argv: string[]): Promise<number> {
  const [flag, file] = argv;
  if (flag === undefined) {
    process.stdout.write(configReference());
    return 0;
  }
  if ((flag !== '--write' && flag !== '--check') || !file) {
    process.stderr.write('usage: node --import tsx config/docs.ts [--write|--check README.md]\n');
    return 2;
  }
  const readme = readFileSync(file, 'utf8');
  const updated = await updateReadme(readme);
  if (updated === undefined) {
    process.stderr.write(`${file}: markers ${START_MARKER} / ${END_MARKER} not found\n`);
    return 1;
  }
  if (flag === '--check') {
    if (updated === readme) return 0;
    process.stderr.write(`${file}: config reference is out of date; run node --import tsx config/docs.ts --write ${file}\n`);
    return 1;
  }
  if (updated !== readme) writeFileSync(file, updated);
  process.stdout.write(`${file}: config reference ${updated === readme ? 'already up to date' : 'updated'}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code), (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
