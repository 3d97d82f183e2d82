/**
 * The fixture of the route tests that run on a real lmdb store: a fresh store in its own temporary
 * folder, the memory server, and the HTTP app on a free loopback port, set up before the suite's
 * tests and torn down after them. Call it in a `describe` body; its fields are there once the
 * suite's `before` hooks have run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { createHttpApp, type HttpApp } from '../app.js';
import { MemoryDetectionServer } from './memory-server.js';

/** A GET's answer: JSON parsed, images as bytes, anything else as text. */
export interface GetResult {
  status: number;
  type: string;
  body: unknown;
}

/** What the fixture holds for the tests. */
export interface StoreApp<S> {
  readonly server: MemoryDetectionServer;
  store: S;
  app: HttpApp;
  port: number;
  /** GETs `path` from the app. */
  get(path: string): Promise<GetResult>;
}

/**
 * Opens a store with `open` in a temporary folder named after `name`, lets `setup` fill it and wire
 * it into the server (before the app is built: the app reads the server's listeners when it starts),
 * then starts the app. The store is not handed to the server here: some suites first check the
 * answer without one.
 */
export function storeApp<S extends { close(): unknown }>(
  name: string,
  open: (path: string) => Promise<S>,
  setup: (store: S, server: MemoryDetectionServer) => Promise<void> | void = () => {},
): StoreApp<S> {
  let dir = '';
  const fixture = {
    server: new MemoryDetectionServer(),
    port: 0,
    async get(path: string): Promise<GetResult> {
      const res = await fetch(`http://127.0.0.1:${fixture.port}${path}`);
      const type = res.headers.get('content-type') ?? '';
      const body = type.startsWith('application/json') ? await res.json() : type.startsWith('image/') ? new Uint8Array(await res.arrayBuffer()) : await res.text();
      return { status: res.status, type, body };
    },
  } as StoreApp<S>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `streamsight-http-${name}-`));
    fixture.store = await open(dir);
    await setup(fixture.store, fixture.server);
    fixture.app = createHttpApp(fixture.server, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: [] });
    fixture.port = await fixture.app.listen();
  });
  after(async () => {
    fixture.app?.close();
    await fixture.store?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return fixture;
}
