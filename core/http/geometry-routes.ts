/**
 * The zone editor's API: a camera's plugin geometry (zones, lines, config) and saving one
 * plugin's, which core/plugins/reconfigure.ts validates, applies without a restart and writes into
 * the config file.
 *
 *   GET /api/cameras/:id/geometry          → { camera, plugins: { <plugin>: { zones, lines, config } } }
 *   PUT /api/cameras/:id/geometry/:plugin  body { zones?, lines?, config? } (JSON; config replaces the
 *       plugin's whole config object) → { camera, plugin, zones, lines, config, savedTo, applied: true }
 *
 * Statuses: 400 invalid JSON or a config the schema (or the plugin) rejects, the message naming the
 * YAML path; 404 an unknown camera or plugin; 409 no config file to save to; 413 a body over
 * http.maxBodyBytes; 415 not application/json; 503 the server has no plugin geometry.
 */
import type { GeometryPatch } from '../../config/edit.js';
import { ProtocolError } from '../errors.js';
import { readTypedBody } from './body.js';
import type { Route } from './routes.js';
import type { ServerLike } from './types.js';

const PATCH_KEYS = new Set(['zones', 'lines', 'config']);

/** The geometry routes for `server`. */
export function buildGeometryRoutes(server: ServerLike, maxBodyBytes: number): Route[] {
  return [
    {
      pattern: '/api/cameras/:id/geometry',
      methods: {
        GET: (reply, _req, [id]) => {
          const geometry = server.geometry?.(id!);
          if (geometry) reply.json(200, geometry);
          else reply.error(404, `unknown camera '${id}'`);
        },
      },
    },
    {
      pattern: '/api/cameras/:id/geometry/:plugin',
      methods: {
        PUT: async (reply, req, [id, plugin]) => {
          const contentType = req.getHeader('content-type');
          if (!server.saveGeometry) {
            reply.error(503, 'this server cannot edit plugin geometry');
            return;
          }
          const body = await readTypedBody(reply, maxBodyBytes, contentType, 'application/json');
          if (!body) return;
          const saved = await server.saveGeometry(id!, plugin!, parsePatch(body));
          if (saved) reply.json(200, saved);
          else reply.error(404, `camera '${id}' has no plugin '${plugin}'`);
        },
      },
    },
  ];
}

/** The body as a GeometryPatch; the shapes of zones and lines are left to the config schema. */
function parsePatch(body: Buffer): GeometryPatch {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProtocolError('body: not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ProtocolError('body: expected an object { zones, lines, config }');
  for (const key of Object.keys(value)) if (!PATCH_KEYS.has(key)) throw new ProtocolError(`body.${key}: unknown key (expected zones, lines, config)`);
  const patch = value as Record<string, unknown>;
  for (const key of ['zones', 'lines'] as const) {
    const v = patch[key];
    if (v !== undefined && (v === null || typeof v !== 'object' || Array.isArray(v))) throw new ProtocolError(`body.${key}: expected an object of named shapes`);
  }
  return patch as GeometryPatch;
}
