/**
 * Several nodes (`cluster:`): which requests another node answers. Any node takes any request and
 * redirects (307, same method, body, path and query) what belongs elsewhere, so an integrator needs
 * one address:
 *
 *   /whep/{camera}, /whep/{camera}/{session}     → the camera's node
 *   /api/cameras/{camera}, /api/cameras/{camera}/…  (snapshot.jpg, geometry, …) → the camera's node
 *   /api/events?camera=X, /api/export/events?camera=X, /api/reports/objects?camera=X → X's node
 *   /api/counts, /api/reports/traffic             → the reporter (every node's counts); without a
 *                                                   reporter, `?camera=X` → X's node
 *
 * Everything else (the camera list, events without a camera, /metrics, /ws, the page) is answered
 * by the node asked. An unknown camera is answered here too (404), as is a malformed URL (400).
 */

/** What the HTTP layer knows of the cluster (core/cluster ClusterMap satisfies it). */
export interface ClusterRouting {
  /** This node's name. */
  readonly node: string;
  /** The node that gathers every node's counts, if one is configured. */
  readonly reporter?: string | undefined;
  /** The node that runs `camera`; undefined for an unknown camera. */
  ownerOf(camera: string): string | undefined;
  /** A node's base URL (`http://10.0.0.2:8080`, no trailing slash). */
  urlOf(node: string): string;
}

/**
 * The URL to redirect a request for `path` (as on the wire, percent-encoded, without the query) and
 * `query` to, or undefined when this node answers it.
 */
export function redirectLocation(cluster: ClusterRouting, path: string, query: string): string | undefined {
  const node = targetNode(cluster, path, query);
  if (node === undefined || node === cluster.node) return undefined;
  return `${cluster.urlOf(node)}${path}${query ? `?${query}` : ''}`;
}

/** The node that answers this request, or undefined when any node may. */
function targetNode(cluster: ClusterRouting, path: string, query: string): string | undefined {
  const segs = path.split('/').slice(1);
  const [first, second, third] = segs;
  if (first === 'whep' && (segs.length === 2 || segs.length === 3)) return ownerOfSegment(cluster, second);
  if (first !== 'api') return undefined;
  if (second === 'cameras' && segs.length >= 3) return ownerOfSegment(cluster, third);
  const isCounts = (second === 'counts' && segs.length === 2) || (second === 'reports' && third === 'traffic' && segs.length === 3);
  if (isCounts && cluster.reporter !== undefined) return cluster.reporter;
  const byCamera = isCounts || (second === 'events' && segs.length === 2) || (second === 'export' && third === 'events' && segs.length === 3)
    || (second === 'reports' && third === 'objects' && segs.length === 3);
  if (!byCamera) return undefined;
  const camera = new URLSearchParams(query).get('camera');
  return camera ? cluster.ownerOf(camera) : undefined;
}

function ownerOfSegment(cluster: ClusterRouting, segment: string | undefined): string | undefined {
  if (!segment) return undefined;
  try {
    return cluster.ownerOf(decodeURIComponent(segment));
  } catch {
    return undefined; // malformed percent-encoding: the route answers 400
  }
}
