/** The web files: the built dashboard when there is one, else the plain page, and the player always. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadWebAssets } from './static.js';

describe('loadWebAssets', () => {
  const root = mkdtempSync(join(tmpdir(), 'streamsight-static-'));
  const web = join(root, 'core', 'web');
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<p>plain page</p>');
  writeFileSync(join(web, 'player.js'), 'export {}');
  writeFileSync(join(web, 'overlay.js'), 'export {}');
  after(() => rmSync(root, { recursive: true, force: true }));

  it('serves the plain page when the dashboard is not built', () => {
    const assets = loadWebAssets(root);
    assert.equal(assets.get('/')!.body.toString(), '<p>plain page</p>');
    assert.deepEqual([...assets.keys()].sort(), ['/', '/index.html', '/overlay.js', '/player.js']);
  });

  it('serves the build: its page revalidated, its hashed assets cached for good', () => {
    mkdirSync(join(web, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(web, 'dist', 'index.html'), '<div id="app"></div>');
    writeFileSync(join(web, 'dist', 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(web, 'dist', 'assets', 'index-abc123.css'), 'body{}');
    const assets = loadWebAssets(root);
    assert.equal(assets.get('/')!.body.toString(), '<div id="app"></div>');
    assert.equal(assets.get('/')!.cacheControl, 'no-cache');
    assert.equal(assets.get('/assets/index-abc123.js')!.contentType, 'text/javascript; charset=utf-8');
    assert.equal(assets.get('/assets/index-abc123.css')!.contentType, 'text/css; charset=utf-8');
    assert.match(assets.get('/assets/index-abc123.js')!.cacheControl, /immutable/);
    assert.equal(assets.get('/player.js')!.cacheControl, 'no-cache');
  });
});
