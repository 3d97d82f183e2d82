import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configReference, END_MARKER, pluginReference, PLUGINS_END_MARKER, PLUGINS_START_MARKER, referenceRows, replaceReference, START_MARKER, updateReadme } from './docs.js';
import { packageRoot } from './load.js';

describe('config reference', () => {
  it('documents every field with a description', () => {
    const rows = referenceRows();
    assert.ok(rows.length >= 35, `only ${rows.length} rows`);
    for (const r of rows) assert.ok(r.description.length > 3, `${r.path} has no description`);
  });

  it('shows types, ranges and defaults from the schema', () => {
    const byPath = new Map(referenceRows().map((r) => [r.path, r]));
    assert.deepEqual(byPath.get('`http.port`'), {
      path: '`http.port`', type: 'integer 0–65535', default: '`8080`', description: 'HTTP port (0 picks a free port).',
    });
    assert.equal(byPath.get('`log.level`')!.type, '`debug`, `info`, `warn`, `error`');
    assert.equal(byPath.get('`rtsp.udpPortRange`')!.default, '`[8000,8099]`');
    assert.equal(byPath.get('`cameras.<id>.synthetic.fps`')!.type, 'integer 1–120');
    assert.equal(byPath.get('`webrtc.iceServers[].urls`')!.default, 'required');
    assert.match(byPath.get('`cameras.<id>.url`')!.description, /rtsps:\/\/ and rtmp:\/\/ pull are not supported yet/);
  });

  it('replaces only the marked block', () => {
    const readme = `# Title\n\n${START_MARKER}\nold\n${END_MARKER}\n\nafter\n`;
    assert.equal(replaceReference(readme), `# Title\n\n${START_MARKER}\n${configReference()}${END_MARKER}\n\nafter\n`);
    assert.equal(replaceReference('no markers'), undefined);
  });

  it('README.md holds the current reference (regenerate: make docs)', async () => {
    const path = join(packageRoot(), 'README.md');
    const readme = existsSync(path) ? readFileSync(path, 'utf8') : '';
    // Until the lead adds the markers there is no block to compare; once they exist it must match.
    if (!readme.includes(START_MARKER)) return;
    assert.ok(readme.includes(END_MARKER), `README.md has ${START_MARKER} but not ${END_MARKER}`);
    assert.equal(replaceReference(readme), readme, 'README.md config reference is out of date');
    assert.ok(readme.includes(PLUGINS_START_MARKER) && readme.includes(PLUGINS_END_MARKER), 'README.md has the built-in plugin reference markers');
    assert.equal(await updateReadme(readme), readme, 'README.md built-in plugin reference is out of date (make docs)');
  });

  it('documents every config key of every built-in plugin', async () => {
    const text = await pluginReference();
    for (const name of ['brightness', 'motion', 'counting']) assert.match(text, new RegExp(`#### \`${name}\``));
    assert.match(text, /\| `splitBy` \|/);
    assert.match(text, /\| `lines\.<[a-z]+>\.forward` \|/);
  });
});
