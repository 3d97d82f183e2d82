#!/usr/bin/env node
// streamsight launcher: runs the compiled CLI (dist/, after `npm run build`) when present, else
// the TypeScript sources through tsx, so `npx streamsight` also works in a fresh checkout.
// Set STREAMSIGHT_FROM_SOURCE=1 to force the sources when a stale dist/ exists.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/core/cli.js', import.meta.url);
let cli;
if (existsSync(compiled) && process.env.STREAMSIGHT_FROM_SOURCE !== '1') {
  cli = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../core/cli.ts', import.meta.url).href);
}
await cli.runCli(process.argv.slice(2));
