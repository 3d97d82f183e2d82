/**
 * The web files, read once at start: the dashboard Vite built into core/web/dist/ (index.html and
 * its hashed assets/), and the embeddable player module core/web/player.js (with overlay.js, which
 * it imports), served as written so
 * integrators can load it from any page. Without a build the plain camera page core/web/index.html
 * stands in, and the log says how to build the dashboard. The package root is found by walking up
 * from this file, so the same code works run from source (tsx, core/http/) and compiled
 * (dist/core/http/).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidStateError } from '../errors.js';
import { createLogger } from '../log.js';

const log = createLogger('http');

/** One file served as-is. */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
  /** Cache-Control: hashed build assets never change, the rest is revalidated. */
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};
const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The directory holding package.json, starting the search at `fromUrl` (an import.meta.url). */
export function packageRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new InvalidStateError(`no package.json above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

/** The web files keyed by the URL path they are served at. */
export function loadWebAssets(root: string = packageRoot()): Map<string, StaticAsset> {
  const web = join(root, 'core', 'web');
  const file = (path: string, cacheControl = REVALIDATE): StaticAsset => ({
    body: readFileSync(path),
    contentType: TYPES[extname(path)] ?? 'application/octet-stream',
    cacheControl,
  });
  const assets = new Map<string, StaticAsset>([
    ['/player.js', file(join(web, 'player.js'))],
    ['/overlay.js', file(join(web, 'overlay.js'))],
  ]);
  const dist = join(web, 'dist');
  let page: StaticAsset;
  if (existsSync(join(dist, 'index.html'))) {
    page = file(join(dist, 'index.html'));
    const dir = join(dist, 'assets');
    for (const name of existsSync(dir) ? readdirSync(dir) : []) assets.set(`/assets/${name}`, file(join(dir, name), IMMUTABLE));
  } else {
    log.warn('the dashboard is not built (npx vite build core/web/dashboard, run by make build): serving the plain camera page');
    page = file(join(web, 'index.html'));
  }
  assets.set('/', page);
  assets.set('/index.html', page);
  return assets;
}
