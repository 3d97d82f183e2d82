/**
 * ClusterMap: this node's view of `cluster:` — who it is, which node runs each camera, where each
 * node is reached, and the MQTT client ids that keep one shared config from giving two nodes the
 * same one. The HTTP layer reads it through ClusterRouting (core/http/redirect.ts).
 */
import type { Config } from '../../config/schema.js';
import { ConfigError } from '../errors.js';
import type { CameraInfo } from '../http/types.js';
import type { ClusterRouting } from '../http/redirect.js';

/** See the file comment. */
export class ClusterMap implements ClusterRouting {
  readonly node: string;
  readonly reporter: string | undefined;
  readonly #owners: ReadonlyMap<string, string>;
  readonly #urls: ReadonlyMap<string, string>;

  private constructor(node: string, reporter: string | undefined, owners: Map<string, string>, urls: Map<string, string>) {
    this.node = node;
    this.reporter = reporter;
    this.#owners = owners;
    this.#urls = urls;
  }

  /**
   * The map of a validated config with `cluster:`, or undefined without it. `cluster.node` must be
   * set by now (config/cluster.ts selectNode applies --node and STREAMSIGHT_NODE); ConfigError if not.
   */
  static fromConfig(config: Config): ClusterMap | undefined {
    const cluster = config.cluster;
    if (!cluster) return undefined;
    const node = cluster.node;
    if (node === undefined || !Object.hasOwn(cluster.nodes, node)) {
      throw new ConfigError(`which node is this? Set cluster.node, pass --node NAME or set STREAMSIGHT_NODE (one of ${Object.keys(cluster.nodes).join(', ')})`, 'cluster.node');
    }
    const owners = new Map<string, string>();
    for (const [id, camera] of Object.entries(config.cameras)) if (camera.node !== undefined) owners.set(id, camera.node);
    const urls = new Map(Object.entries(cluster.nodes).map(([name, n]) => [name, n.url]));
    return new ClusterMap(node, cluster.reporter, owners, urls);
  }

  /** The node that runs `camera`; undefined for an unknown camera. */
  ownerOf(camera: string): string | undefined {
    return this.#owners.get(camera);
  }

  /** True when this node runs `camera`. */
  isOwn(camera: string): boolean {
    return this.#owners.get(camera) === this.node;
  }

  /** A node's base URL, no trailing slash. */
  urlOf(node: string): string {
    const url = this.#urls.get(node);
    if (url === undefined) throw new Error(`unknown node ${node}`);
    return url;
  }

  /** True when this node is the reporter. */
  get isReporter(): boolean {
    return this.reporter === this.node;
  }

  /** This node's MQTT publisher client id: `<mqtt.clientId>-<node>`, default `streamsight-<node>`. */
  publisherClientId(base: string | undefined): string {
    return `${base ?? 'streamsight'}-${this.node}`;
  }

  /** The reporter's subscriber client id, fixed so the broker keeps its session across restarts. */
  reporterClientId(base: string | undefined): string {
    return `${this.publisherClientId(base)}-reporter`;
  }
}

/**
 * How `GET /api/cameras` lists a camera another node runs: what the shared config says (id, name,
 * location, source, node) and state `remote`; its node has the live numbers.
 */
export function remoteCameraInfo(id: string, camera: Config['cameras'][string]): CameraInfo {
  return {
    id,
    ...(camera.name !== undefined ? { name: camera.name } : {}),
    ...(camera.location !== undefined ? { location: camera.location } : {}),
    source: camera.url !== undefined ? 'pull' : camera.synthetic !== undefined ? 'synthetic' : camera.rtmp !== undefined ? 'rtmp' : 'push',
    state: 'remote',
    ...(camera.node !== undefined ? { node: camera.node } : {}),
    viewers: 0,
    packetsLost: 0,
    framesDropped: 0,
    reconnects: 0,
  };
}
