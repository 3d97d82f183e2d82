/**
 * One place that knows how to start a worker thread whose entry is TypeScript source.
 *
 * Node 20 ignores `--import tsx` in a worker's execArgv for the worker's entry module (the entry
 * resolves before the loader hooks are in place: ERR_UNKNOWN_FILE_EXTENSION), so from source the
 * entry is a tiny data: URL module that registers tsx's ESM hooks and then imports the .ts file.
 * Compiled (dist/), the `.js` sibling is started directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when this module runs from TypeScript source (under tsx), so worker entries are .ts files. */
export const fromSource = import.meta.url.endsWith('.ts');

/**
 * Resolves a worker entry given as its `.ts` source URL (`new URL('./x.ts', import.meta.url)`) to what
 * `new Worker(file, { execArgv })` needs: from source, a bootstrap that loads the .ts through tsx; compiled,
 * the `.js` sibling.
 */
export function workerEntry(url: URL): { file: URL; execArgv: string[] } {
  if (!fromSource) return { file: new URL(url.href.replace(/\.m?ts$/, '.js')), execArgv: [] };
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(url.href)});`;
  return { file: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: [] };
}

/** Starts a worker thread from a `.ts` source URL via {@link workerEntry}; `options.execArgv` are appended. */
export function startWorker(url: URL, options: WorkerOptions = {}): Worker {
  const { file, execArgv } = workerEntry(url);
  return new Worker(file, { ...options, execArgv: [...execArgv, ...(options.execArgv ?? [])] });
}
