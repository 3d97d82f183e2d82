import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../core/errors.js';
import { selectNode } from './cluster.js';
import { parseConfigText } from './load.js';

/** Asserts that the config is rejected with exactly these lines. */
function rejects(text: string, lines: string[]): void {
  assert.throws(() => parseConfigText(text, 'test.yaml', [], {}), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.message, lines.join('\n'));
    return true;
  });
}

const NODES = 'cluster:\n  nodes:\n    a: { url: "http://10.0.0.1:8080" }\n    b: { url: "http://10.0.0.2:8080/" }\n';
const cams = (a: string, b: string) => `cameras:\n  north:\n    push: true\n${a}  south:\n    push: true\n${b}`;
const MQTT = 'mqtt: { url: "mqtt://broker:1883" }\n';

describe('cluster config', () => {
  it('accepts nodes, cameras naming them and a reporter with mqtt:, trimming a trailing slash', () => {
    const config = parseConfigText(`${NODES}  reporter: a\n${MQTT}${cams('    node: a\n', '    node: b\n')}`, 'test.yaml', [], {});
    assert.deepEqual(config.cluster, { nodes: { a: { url: 'http://10.0.0.1:8080' }, b: { url: 'http://10.0.0.2:8080' } }, reporter: 'a' });
    assert.deepEqual([config.cameras.north!.node, config.cameras.south!.node], ['a', 'b']);
  });

  it('is optional: without cluster: cameras have no node', () => {
    const config = parseConfigText(cams('', ''), 'test.yaml', [], {});
    assert.equal(config.cluster, undefined);
    assert.equal(config.cameras.north!.node, undefined);
  });

  it('rejects a camera naming an unknown node, and one naming none', () => {
    rejects(`${NODES}${cams('    node: c\n', '')}`, [
      'cameras.north.node: unknown node "c" (cluster.nodes has a, b)',
      'cameras.south.node: required with cluster: name the node that runs this camera',
    ]);
  });

  it('rejects an unknown reporter or node, and a reporter without mqtt:', () => {
    rejects(`${NODES}  node: z\n  reporter: x\n${cams('    node: a\n', '    node: a\n')}`, [
      'cluster.node: unknown node "z" (cluster.nodes has a, b)',
      'cluster.reporter: unknown node "x" (cluster.nodes has a, b)',
      'cluster.reporter: needs mqtt: (the reporter gathers the other nodes\' counts from the broker)',
    ]);
  });

  it('rejects a camera node without cluster:, bad node names and URLs, and an empty nodes map', () => {
    rejects(cams('    node: a\n', ''), ['cameras.north.node: needs a cluster: section naming the nodes']);
    rejects('cluster:\n  nodes:\n    A: { url: "http://x:1" }\n    b: { url: "ftp://x/" }\n    c: { url: "http://x:1/api" }\n', [
      'cluster.nodes: invalid key "A" (use 1-64 characters from a-z 0-9 _ -)',
      'cluster.nodes.b.url: expected an http:// or https:// URL with a host and no path, such as http://10.0.0.2:8080',
      'cluster.nodes.c.url: expected an http:// or https:// URL with a host and no path, such as http://10.0.0.2:8080',
    ]);
    rejects('cluster:\n  nodes: {}\n', ['cluster.nodes: name at least one node']);
  });

  it('selects this node: --node over STREAMSIGHT_NODE over cluster.node, each checked', () => {
    const load = () => parseConfigText(`${NODES}  node: a\n${cams('    node: a\n', '    node: b\n')}`, 'test.yaml', [], {});
    assert.equal(selectNode(load(), undefined, {}).cluster!.node, 'a');
    assert.equal(selectNode(load(), undefined, { STREAMSIGHT_NODE: 'b' }).cluster!.node, 'b');
    assert.equal(selectNode(load(), 'a', { STREAMSIGHT_NODE: 'b' }).cluster!.node, 'a');
    assert.throws(() => selectNode(load(), 'c', {}), { name: 'ConfigError', message: '--node: unknown node "c" (cluster.nodes has a, b)' });
    assert.throws(() => selectNode(load(), undefined, { STREAMSIGHT_NODE: 'q' }), { message: 'STREAMSIGHT_NODE: unknown node "q" (cluster.nodes has a, b)' });
    const unnamed = parseConfigText(`${NODES}${cams('    node: a\n', '    node: b\n')}`, 'test.yaml', [], {});
    assert.throws(() => selectNode(unnamed, undefined, {}), { message: 'cluster.node: which node is this? Set cluster.node, pass --node NAME or set STREAMSIGHT_NODE (one of a, b)' });
    assert.throws(() => selectNode(parseConfigText(cams('', ''), 'test.yaml', [], {}), 'a', {}), { message: '--node: the config has no cluster: section' });
    // Without cluster:, the variable alone changes nothing (one config may serve single-node machines too).
    assert.equal(selectNode(parseConfigText(cams('', ''), 'test.yaml', [], {}), undefined, { STREAMSIGHT_NODE: 'a' }).cluster, undefined);
  });
});
