/**
 * The web page and the player module, read once at start. They live in core/web/ of the
 * source tree; the package root is found by walking up from this file, so the same code works
 * when run from source (tsx, core/http/) and compiled (dist/core/http/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidStateError } from '../errors.js';

/** One file served as-is. */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
}

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

/** Reads core/web/index.html and core/web/player.js, keyed by the URL path they are served at. */
export function loadWebAssets(root: string = packageRoot()): Map<string, StaticAsset> {
  const web = join(root, 'core', 'web');
  const html: StaticAsset = { body: readFileSync(join(web, 'index.html')), contentType: 'text/html; charset=utf-8' };
  const player: StaticAsset = {
    body: readFileSync(join(web, 'player.js')),
    contentType: 'text/javascript; charset=utf-8',
  };
  return new Map([
    ['/', html],
    ['/index.html', html],
    ['/player.js', player],
  ]);
}
