import { createLogger } from './log.js';

const log = createLogger('emitter');

/** Event name → argument tuple, e.g. `{ unit: [Unit]; close: [] }`. */
export type EventMap = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A typed event emitter. A listener that throws is caught and logged; it never
 * breaks the emitter's loop or the code that emitted (mediasoup's rule).
 */
export class Emitter<E extends EventMap> {
  #listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      listener(...args);
    }) as Listener<E[K]>);
    return off;
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** Number of listeners for an event. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event`; returns whether there was one. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return false;
    for (const listener of [...set]) {
      try {
        (listener as Listener<E[K]>)(...args);
      } catch (err) {
        log.error(`listener for "${String(event)}" threw`, err);
      }
    }
    return true;
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.#listeners.clear();
  }
}
