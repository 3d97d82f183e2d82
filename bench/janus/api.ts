/**
 * The slice of Janus's HTTP API (REST + long poll, https://janus.conf.meetecho.com/docs/rest.html)
 * a streaming viewer needs: create a session, attach a plugin, send messages with or without JSEP,
 * trickle the end of candidates, and receive the plugin's asynchronous events.
 *
 * Requests are answered with `ack` (the plugin will answer later, as an event carrying the same
 * transaction) or `success`/`error` at once. Events arrive through `GET /janus/<session>`, a long
 * poll that also keeps the session alive (Janus drops sessions idle for `session_timeout`).
 */
import { randomUUID } from 'node:crypto';

/** A JSEP as Janus sends and accepts it. */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
}

/** A Janus API message (`success`, `ack`, `event`, `webrtcup`, `media`, `hangup`, `error`...). */
export interface JanusMessage {
  janus: string;
  transaction?: string;
  sender?: number;
  data?: { id?: number };
  error?: { code: number; reason: string };
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: Jsep;
  [key: string]: unknown;
}

/** One Janus session with one plugin handle, and its event loop. */
export class JanusSession {
  /** Every event Janus pushed for this session, for callers that wait on `webrtcup` and friends. */
  onEvent?: (msg: JanusMessage) => void;
  private readonly waiting = new Map<string, (msg: JanusMessage) => void>();
  private closed = false;

  private constructor(readonly url: string, readonly sessionId: number, readonly handleId: number) {
    void this.poll();
  }

  /** Creates a session and attaches `plugin` (e.g. `janus.plugin.streaming`). */
  static async open(url: string, plugin: string): Promise<JanusSession> {
    const session = await post(url, { janus: 'create' });
    const handle = await post(`${url}/${session.data!.id}`, { janus: 'attach', plugin });
    return new JanusSession(url, session.data!.id!, handle.data!.id!);
  }

  /** Sends a plugin message and resolves the plugin's answer (the event with the same transaction). */
  async message(body: Record<string, unknown>, jsep?: Jsep, timeoutMs = 10_000): Promise<JanusMessage> {
    const transaction = randomUUID();
    const answered = new Promise<JanusMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(transaction);
        reject(new Error(`Janus did not answer ${JSON.stringify(body)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(transaction, (msg) => { clearTimeout(timer); resolve(msg); });
    });
    const first = await post(`${this.url}/${this.sessionId}/${this.handleId}`, { janus: 'message', transaction, body, ...(jsep ? { jsep } : {}) });
    if (first.janus !== 'ack') {
      this.waiting.delete(transaction);
      return first;
    }
    const msg = await answered;
    const error = msg.plugindata?.data?.error;
    if (error) throw new Error(`Janus plugin error on ${JSON.stringify(body)}: ${String(error)}`);
    return msg;
  }

  /** Tells Janus no more candidates will be trickled (ours are all in the answer's SDP). */
  async endOfCandidates(): Promise<void> {
    await post(`${this.url}/${this.sessionId}/${this.handleId}`, { janus: 'trickle', candidate: { completed: true } });
  }

  /** Destroys the session (and its handle); idempotent, never throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await post(`${this.url}/${this.sessionId}`, { janus: 'destroy' }).catch(() => undefined);
  }

  private async poll(): Promise<void> {
    while (!this.closed) {
      let events: JanusMessage[];
      try {
        const res = await fetch(`${this.url}/${this.sessionId}?maxev=10&rid=${Date.now()}`);
        const body = (await res.json()) as JanusMessage | JanusMessage[];
        events = Array.isArray(body) ? body : [body];
      } catch {
        if (!this.closed) await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      for (const msg of events) {
        const waiter = msg.transaction ? this.waiting.get(msg.transaction) : undefined;
        if (waiter && msg.janus === 'event') {
          this.waiting.delete(msg.transaction!);
          waiter(msg);
        }
        try {
          this.onEvent?.(msg);
        } catch (e) {
          process.stderr.write(`janus event listener threw: ${(e as Error).message}\n`);
        }
      }
    }
  }
}

/** POSTs one API request; resolves `success`/`ack`, throws on `error`. */
async function post(url: string, body: Record<string, unknown>): Promise<JanusMessage> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transaction: randomUUID(), ...body }) });
  const msg = (await res.json()) as JanusMessage;
  if (msg.janus === 'error') throw new Error(`Janus ${String(body.janus)}: ${msg.error?.code} ${msg.error?.reason}`);
  return msg;
}
