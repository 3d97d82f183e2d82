/**
 * Request body reading with a hard size limit. The limit is enforced while the bytes arrive:
 * the moment it is passed the reader stops and the caller answers 413 and closes the
 * connection, so an oversized body is never buffered.
 */
import type { Reply } from './reply.js';

/** The body went past the limit (the route answers 413). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** The client aborted while the body was arriving (nothing to answer). */
export class BodyAbortedError extends Error {
  override readonly name = 'BodyAbortedError';
}

/**
 * Reads the whole body of the request behind `reply` (at most `maxBytes`).
 * Call synchronously inside the route handler: uWS delivers data only to a handler
 * registered before the handler returns. uWS neuters each chunk after the callback, so chunks
 * are copied.
 */
export function readBody(reply: Reply, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    reply.onAbort(() => {
      if (settled) return;
      settled = true;
      reject(new BodyAbortedError('request aborted'));
    });
    reply.res.onData((chunk, isLast) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        settled = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`));
        return;
      }
      if (chunk.byteLength > 0) chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        settled = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    });
  });
}

/**
 * readBody for a route that needs `Content-Type` to be `contentType`: resolves with the body, or
 * with undefined once it has answered 413 (closing), 415, or nothing at all (the client left).
 * `contentTypeHeader` is read by the caller before any await (uWS requests die at the first one).
 */
export async function readTypedBody(reply: Reply, maxBytes: number, contentTypeHeader: string, contentType: string): Promise<Buffer | undefined> {
  let body: Buffer;
  try {
    body = await readBody(reply, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) reply.error(413, err.message, {}, true);
    else if (!(err instanceof BodyAbortedError)) throw err;
    return undefined;
  }
  if (contentTypeHeader.split(';')[0]!.trim().toLowerCase() !== contentType) {
    reply.error(415, `Content-Type must be ${contentType}`, { Accept: contentType });
    return undefined;
  }
  return body;
}
