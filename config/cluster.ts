/**
 * The `cluster:` section (several nodes sharing one config) and the cross-section rules that tie it
 * to `cameras.*.node` and `mqtt:`. Kept out of config/schema.ts, which imports it; this file must
 * not import schema.ts back (a module cycle would read its constants before they exist).
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

/** Node names appear in URLs, MQTT client ids and messages, so they follow the camera id rule. */
export const NODE_NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** What NODE_NAME_PATTERN allows, in words. */
export const NODE_NAME_RULE = 'use 1-64 characters from a-z 0-9 _ -';

/** The environment variable naming this node (below --node, above cluster.node). */
export const NODE_ENV = 'STREAMSIGHT_NODE';

const nodeName = () => z.string({ error: 'expected a node name' }).regex(NODE_NAME_PATTERN, { error: NODE_NAME_RULE });

/** A node's base URL: http(s), a host, no path, query or fragment (request paths are appended to it). */
function isNodeUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && (u.pathname === '/' || u.pathname === '')
      && u.search === '' && u.hash === '' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

const nodeSchema = z
  .strictObject({
    url: z.string({ error: 'expected a URL such as http://10.0.0.2:8080' })
      .refine(isNodeUrl, { error: 'expected an http:// or https:// URL with a host and no path, such as http://10.0.0.2:8080' })
      .transform((u) => u.replace(/\/+$/, ''))
      .describe('Where browsers and integrators reach this node\'s HTTP port (`http://10.0.0.2:8080`): other nodes redirect requests for its cameras here.'),
  })
  .describe('One node.');

/** `cluster:`: several streamsight nodes sharing one config. */
export const clusterSchema = z
  .strictObject({
    node: nodeName().optional()
      .describe(`This node's name, one of \`nodes\`. The same file serves every node, so it is usually given by \`serve --node NAME\` or the ${NODE_ENV} environment variable, which override this.`),
    nodes: z.record(nodeName(), nodeSchema)
      .refine((n) => Object.keys(n).length > 0, { error: 'name at least one node' })
      .describe('Every node by name, with its URL.'),
    reporter: nodeName().optional()
      .describe('The node that gathers every node\'s vehicle counts from the MQTT broker and answers `/api/counts` and `/api/reports/traffic` for the whole city; the other nodes redirect those requests to it. Needs `mqtt:`. Absent: each node reports its own cameras.'),
  })
  .describe('Several nodes sharing this config: each camera names its node (`cameras.<id>.node`), each node runs only its own cameras, and any node redirects requests for a camera to its owner. Absent: one node runs every camera.');

/** The cluster settings. */
export type ClusterConfig = z.infer<typeof clusterSchema>;

/** The part of the whole config the cross-section rules read (loosely typed: they run even when fields failed). */
interface ClusterInput {
  cluster?: { node?: unknown; nodes?: unknown; reporter?: unknown } | undefined;
  mqtt?: unknown;
  cameras?: Record<string, { node?: unknown } | undefined> | undefined;
}

/** Adds an issue for every camera node, reporter or this-node name that `cluster.nodes` lacks, and for a reporter without `mqtt:`. */
export function checkCluster(config: ClusterInput, ctx: z.RefinementCtx): void {
  const cluster = config.cluster;
  const cameras = config.cameras && typeof config.cameras === 'object' ? Object.entries(config.cameras) : [];
  if (!cluster) {
    for (const [id, camera] of cameras) {
      if (camera?.node !== undefined) ctx.addIssue({ code: 'custom', path: ['cameras', id, 'node'], message: 'needs a cluster: section naming the nodes' });
    }
    return;
  }
  const nodes = cluster.nodes && typeof cluster.nodes === 'object' ? Object.keys(cluster.nodes) : [];
  const unknown = (name: unknown): string | undefined =>
    typeof name === 'string' && !nodes.includes(name) ? `unknown node "${name}" (cluster.nodes has ${nodes.join(', ') || 'none'})` : undefined;
  for (const [id, camera] of cameras) {
    if (camera?.node === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cameras', id, 'node'], message: 'required with cluster: name the node that runs this camera' });
      continue;
    }
    const message = unknown(camera.node);
    if (message) ctx.addIssue({ code: 'custom', path: ['cameras', id, 'node'], message });
  }
  for (const key of ['node', 'reporter'] as const) {
    const message = unknown(cluster[key]);
    if (message) ctx.addIssue({ code: 'custom', path: ['cluster', key], message });
  }
  if (cluster.reporter !== undefined && config.mqtt === undefined) {
    ctx.addIssue({ code: 'custom', path: ['cluster', 'reporter'], message: 'needs mqtt: (the reporter gathers the other nodes\' counts from the broker)' });
  }
}

/**
 * Sets `cluster.node` from `--node` (flag) or the environment, in that order over the file's value,
 * and checks that the result is one of `cluster.nodes`. Without `cluster:` a flag or variable is an
 * error (it would be silently ignored otherwise). Throws ConfigError naming where the bad name came from.
 */
export function selectNode<C extends { cluster?: ClusterConfig | undefined }>(config: C, flag?: string, env: NodeJS.ProcessEnv = process.env): C {
  const fromEnv = env[NODE_ENV] || undefined;
  const [name, where] = flag !== undefined ? [flag, '--node'] : fromEnv !== undefined ? [fromEnv, NODE_ENV] : [config.cluster?.node, 'cluster.node'];
  const cluster = config.cluster;
  if (!cluster) {
    if (flag !== undefined) throw new ConfigError('the config has no cluster: section', '--node');
    return config;
  }
  if (name === undefined) throw new ConfigError(`which node is this? Set cluster.node, pass --node NAME or set ${NODE_ENV} (one of ${Object.keys(cluster.nodes).join(', ')})`, 'cluster.node');
  if (!Object.hasOwn(cluster.nodes, name)) throw new ConfigError(`unknown node "${name}" (cluster.nodes has ${Object.keys(cluster.nodes).join(', ')})`, where);
  cluster.node = name;
  return config;
}
