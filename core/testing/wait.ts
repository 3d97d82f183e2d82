/** Polling and test-hygiene helpers shared by the tests and the benchmarks. */
import assert from 'node:assert/strict';
import { after } from 'node:test';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * How many times longer than its stated time limit a wait may take. The limits are set for an idle
 * 2-core machine; CI's VMs lose most of their CPU to steal at times, and a wait that is only a hang
 * guard must not turn that into a failure. A passing wait returns as soon as its condition holds,
 * so this costs nothing when the machine is fast. STREAMSIGHT_TEST_PATIENCE overrides it.
 */
export const PATIENCE = Number(process.env.STREAMSIGHT_TEST_PATIENCE) || 3;

/** Resolves once `cond()` is true, polling every `pollMs`; throws after `timeoutMs` × PATIENCE. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
  pollMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs * PATIENCE;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs * PATIENCE} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Options for waitFor: `retryErrors` treats a throwing probe as "not ready yet" instead of failing. */
export interface WaitForOptions {
  retryErrors?: boolean;
}

/** Resolves with the first value `probe()` returns that is not undefined, polling every `pollMs`; throws after `timeoutMs` × PATIENCE. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => T | undefined | Promise<T | undefined>,
  pollMs = 100,
  { retryErrors = false }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs * PATIENCE;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (!retryErrors) throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs * PATIENCE} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** Records unhandled promise rejections and fails the test file in `after()` if there were any; call at top level. */
export function failOnUnhandledRejection(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  after(() => {
    process.off('unhandledRejection', onUnhandled);
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });
}
