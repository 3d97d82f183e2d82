import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { definePlugin, isPluginDefinition } from './index.js';

const base = {
  name: 'demo',
  description: 'a demo',
  configSchema: z.strictObject({ k: z.number().default(1) }),
  defaults: { fps: 5, latencyBudgetMs: 40, input: { format: 'gray' as const } },
  create: () => ({ onFrame: () => {} }),
};

describe('definePlugin', () => {
  it('returns a frozen, typed definition', () => {
    const def = definePlugin({
      ...base,
      create(ctx) {
        const k: number = ctx.config.k; // typed from the schema
        return { onFrame: () => [{ label: String(k), score: 1, box: [0, 0, 1, 1] }] };
      },
    });
    assert.equal(def.kind, 'streamsight-plugin');
    assert.equal(def.name, 'demo');
    assert.ok(Object.isFrozen(def) && Object.isFrozen(def.defaults));
    assert.ok(isPluginDefinition(def));
    assert.ok(!isPluginDefinition({ name: 'demo' }));
  });

  it('rejects bad names and defaults with the plugin named', () => {
    assert.throws(() => definePlugin({ ...base, name: 'Bad Name' }), /plugin "Bad Name": name must match/);
    assert.throws(() => definePlugin({ ...base, defaults: { ...base.defaults, fps: 0 } }), /plugin "demo": defaults.fps/);
    assert.throws(() => definePlugin({ ...base, defaults: { ...base.defaults, latencyBudgetMs: -1 } }), /latencyBudgetMs/);
    // @ts-expect-error a wrong format is a type error too
    assert.throws(() => definePlugin({ ...base, defaults: { ...base.defaults, input: { format: 'rgb' } } }), /input.format/);
  });

  it('the SDK imports no Node module at run time (plugins may be bundled anywhere)', () => {
    // Its own files, and core/errors.ts for the error classes (which imports nothing at all).
    const sdk = new URL('./', import.meta.url).href;
    const errorsJs = new URL('../../core/errors.js', import.meta.url).href;
    const files = [...readdirSync(new URL('./', import.meta.url)), ...readdirSync(new URL('./vision/', import.meta.url)).map((f) => `vision/${f}`)]
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    assert.ok(files.length >= 8, `${files}`);
    for (const file of files) {
      const src = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
      const runtime = [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
      for (const spec of runtime) {
        const target = new URL(spec, new URL(`./${file}`, import.meta.url)).href;
        assert.ok(target.startsWith(sdk) || target === errorsJs, `${file} imports ${spec} at run time`);
      }
    }
    const errors = readFileSync(new URL('../../core/errors.ts', import.meta.url), 'utf8');
    assert.doesNotMatch(errors, /^import\s/m, 'core/errors.ts stays free of imports');
  });
});
