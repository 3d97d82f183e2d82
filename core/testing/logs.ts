/** Test helper: records everything written to stdout and stderr (where core/log.ts writes) while still passing it on. */

/** A running capture. */
export interface LogCapture {
  /** Everything written since the capture started. */
  text(): string;
  /** Puts the original writers back. Idempotent. */
  stop(): void;
}

/** Starts recording stdout and stderr. */
export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  const tee = (stream: NodeJS.WriteStream, write: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: never[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return write.call(stream, chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = tee(process.stdout, original.out);
  process.stderr.write = tee(process.stderr, original.err);
  let stopped = false;
  return {
    text: () => chunks.join(''),
    stop: () => {
      if (stopped) return;
      stopped = true;
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    },
  };
}
