/**
 * Edits a plugin's geometry (zones, lines) and config inside the YAML config text, keeping the
 * file's comments, order and formatting everywhere else — what the dashboard's zone editor saves.
 *
 * Anchors and aliases need care. The demo shares one `plugins:` map between two gates
 * (`plugins: *gate-plugins`) and one calibration between three plugins (`ground: *intersection-ground`):
 *   - an alias on the path to the edited plugin is replaced by a copy of what it names, so the
 *     edit changes this camera only;
 *   - an anchored node the edit changes in place (gate-north's `plugins: &gate-plugins`), replaces
 *     or deletes leaves each alias of it a copy of its old value, so the edit changes this camera
 *     only and no alias is left dangling;
 *   - values are written only where they differ, so an unchanged anchored value keeps its anchor.
 */
import { isAlias, isCollection, isMap, isNode, isScalar, parseDocument, visit, YAMLMap, type Document, type Node } from 'yaml';
import { ConfigError } from '../core/errors.js';

/** What the zone editor saves for one camera × plugin; an absent member is left as it is. */
export interface GeometryPatch {
  zones?: Record<string, Array<[number, number]>>;
  lines?: Record<string, { from: [number, number]; to: [number, number] }>;
  /** Replaces the plugin's whole `config:` object. */
  config?: unknown;
}

/**
 * The config text with `cameras.<cameraId>.plugins.<plugin>` patched. Throws ConfigError when the
 * text does not parse or has no such camera or plugin. The result is not validated here: callers
 * parse it with the schema before they use it.
 */
export function patchPluginGeometry(text: string, cameraId: string, plugin: string, patch: GeometryPatch): string {
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) throw new ConfigError(`the config file does not parse: ${doc.errors[0]!.message.split('\n')[0]}`);
  const where = `cameras.${cameraId}.plugins.${plugin}`;
  let node: unknown = doc.contents;
  const onPath: Node[] = [];
  for (const key of ['cameras', cameraId, 'plugins', plugin]) {
    if (!isMap(node)) throw new ConfigError('not found in the config file', where);
    node = ownChild(doc, node, key);
    if (node === undefined) throw new ConfigError('not found in the config file', where);
    onPath.push(node as Node);
  }
  if (!isMap(node)) throw new ConfigError('is not a map in the config file', where);
  const shared = sharedNodes(doc, onPath, node);
  if (patch.zones !== undefined) writeValue(doc, node, 'zones', patch.zones, 1);
  if (patch.lines !== undefined) writeValue(doc, node, 'lines', patch.lines, 1);
  if (patch.config !== undefined) writeValue(doc, node, 'config', patch.config, Infinity);
  keepAliasesOld(doc, shared);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** `map[key]`, with an alias there replaced by an anchor-free copy of its target first. */
function ownChild(doc: Document, map: YAMLMap, key: string): unknown {
  const value = map.get(key, true);
  if (!isAlias(value)) return value;
  const copy = copyOf(doc, value.resolve(doc) as Node);
  map.set(key, copy);
  return copy;
}

/**
 * Sets `map[key] = value` where it differs. Down to `depth` levels, maps are merged key by key (keys
 * the value lacks are deleted) so unchanged entries keep their comments and anchors; below that, or
 * where either side is not a map, the node is replaced by one in flow style.
 */
function writeValue(doc: Document, map: YAMLMap, key: string, value: unknown, depth: number): void {
  let current = map.get(key, true) as unknown;
  if (current !== undefined && sameValue(doc, current, value)) return;
  if (isAlias(current)) current = ownChild(doc, map, key);
  const plain = value !== null && typeof value === 'object' && !Array.isArray(value);
  if (depth > 0 && plain && (isMap(current) || current === undefined)) {
    let target = current as YAMLMap | undefined;
    if (!target) map.set(key, (target = doc.createNode({}) as YAMLMap));
    const wanted = value as Record<string, unknown>;
    for (const pair of [...target.items]) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!Object.hasOwn(wanted, k)) {
        target.delete(pair.key);
      }
    }
    for (const [k, v] of Object.entries(wanted)) writeValue(doc, target, k, v, depth - 1);
    return;
  }
  map.set(key, withFlow(doc.createNode(value)));
}

/** True when `node` holds `value` (aliases resolved). */
function sameValue(doc: Document, node: unknown, value: unknown): boolean {
  const js = isNode(node) || isAlias(node) ? (node as Node).toJS(doc) : node;
  return JSON.stringify(js) === JSON.stringify(value);
}

/** An anchored node the edit may touch: its value before, a copy of it, and the aliases naming it. */
interface Shared {
  node: Node;
  before: string;
  copy: Node;
  aliases: Set<Node>;
}

/** The anchored nodes on the path or inside `edited`, with every alias that names them, taken before the edit. */
function sharedNodes(doc: Document, onPath: readonly Node[], edited: Node): Shared[] {
  const byNode = new Map<Node, Shared>();
  const consider = (n: Node) => {
    if (n.anchor) byNode.set(n, { node: n, before: JSON.stringify(n.toJS(doc)), copy: copyOf(doc, n), aliases: new Set() });
  };
  onPath.forEach(consider);
  visit(edited, { Node: (_k, n) => consider(n) });
  if (byNode.size > 0) visit(doc, { Alias: (_k, alias) => void byNode.get(alias.resolve(doc) as Node)?.aliases.add(alias) });
  return [...byNode.values()].filter((s) => s.aliases.size > 0);
}

/** After the edit: each alias of a node that changed or left the document gets the node's old value. */
function keepAliasesOld(doc: Document, shared: readonly Shared[]): void {
  if (shared.length === 0) return;
  const present = new Set<Node>();
  visit(doc, { Node: (_k, n) => void present.add(n) });
  const stale = new Map<Node, Shared>();
  for (const s of shared) {
    if (present.has(s.node) && JSON.stringify(s.node.toJS(doc)) === s.before) continue;
    for (const alias of s.aliases) stale.set(alias, s);
  }
  if (stale.size > 0) visit(doc, { Alias: (_k, alias) => (stale.has(alias) ? stale.get(alias)!.copy.clone() as Node : undefined) });
}

/** A deep copy of `node` (comments and styles kept) with its aliases resolved and no anchors: an anchor name must stay unique. */
function copyOf(doc: Document, node: Node): Node {
  const copy = node.clone() as Node;
  visit(copy, {
    Node: (_k, n) => void delete n.anchor,
    Alias: (_k, alias) => copyOf(doc, alias.resolve(doc) as Node),
  });
  copy.anchor = undefined;
  return copy;
}

/** Points and small objects read best on one line: `[[0.1, 0.2], …]`, `{ from: [..], to: [..] }`. */
function withFlow(node: unknown): Node {
  if (isCollection(node)) node.flow = true;
  return node as Node;
}
