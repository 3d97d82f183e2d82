/**
 * Small hooks the pages share: the hash route, polling a JSON endpoint, and one shared WebSocket
 * to /ws that fans committed events out to whichever pages listen.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { authed, getJson, type StoredEvent } from './api';

/** The current hash route split into segments: '#/events/abc' → ['events', 'abc']. */
export function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** The query part of the hash ('#/events?camera=a' → camera=a): filters survive a reload and can be shared. */
export function hashParams(): URLSearchParams {
  const hash = location.hash;
  const at = hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
}

/** Rewrites the hash's query without a history entry or a hashchange (the page already shows it). */
export function setHashParams(params: URLSearchParams): void {
  const base = location.hash.split('?')[0] || '#/';
  const query = params.toString();
  history.replaceState(null, '', query ? `${base}?${query}` : base);
}

/** Result of a poll: the last good data, the last error (cleared by the next success). */
export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Fetch now instead of waiting for the next tick. */
  refresh: () => void;
}

/**
 * GETs `path` now and every `everyMs` (no overlap: the next request starts after the previous one
 * ended, so a slow server is never piled on). `path` undefined pauses.
 */
export function usePoll<T>(path: string | undefined, everyMs: number): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    if (!path) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ctl = new AbortController();
    const tick = async () => {
      clearTimeout(timer);
      try {
        const value = await getJson<T>(path, ctl.signal);
        if (stopped) return;
        setData(value);
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        setError((err as Error).message);
      }
      if (!stopped && everyMs > 0) timer = setTimeout(tick, everyMs);
    };
    kick.current = () => void tick();
    void tick();
    return () => {
      stopped = true;
      ctl.abort();
      clearTimeout(timer);
    };
  }, [path, everyMs]);
  return { data, error, refresh: () => kick.current() };
}

type EventListener = (e: StoredEvent) => void;
const listeners = new Set<EventListener>();
let socket: WebSocket | undefined;
let retryMs = 1000;

/** Opens /ws once for the whole page and reconnects with backoff when it drops. */
function ensureSocket(): void {
  if (socket) return;
  const url = authed(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => (retryMs = 1000);
  ws.onmessage = (msg) => {
    if (typeof msg.data !== 'string') return;
    // Detection messages are the player's business; only committed events matter here.
    if (!msg.data.startsWith('{"type":"event"')) return;
    try {
      const parsed = JSON.parse(msg.data) as { type: string; event?: StoredEvent };
      if (parsed.type === 'event' && parsed.event) for (const l of listeners) l(parsed.event);
    } catch {
      // a malformed message is dropped, never breaks the page
    }
  };
  ws.onclose = () => {
    socket = undefined;
    setTimeout(ensureSocket, retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  };
}

/** Calls `onEvent` for every event committed while the component is mounted. */
export function useLiveEvents(onEvent: EventListener): void {
  const latest = useRef(onEvent);
  latest.current = onEvent;
  useEffect(() => {
    const l: EventListener = (e) => latest.current(e);
    listeners.add(l);
    ensureSocket();
    return () => void listeners.delete(l);
  }, []);
}

/** A value kept in localStorage under `key` (for view preferences such as the wall's columns). */
export function useStored<T>(key: string, initial: T): [T, (v: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? initial : (JSON.parse(raw) as T);
    } catch {
      return initial;
    }
  });
  const set = (v: T) => {
    setValue(v);
    try {
      localStorage.setItem(key, JSON.stringify(v));
    } catch {
      // private mode: the preference just does not persist
    }
  };
  return [value, set];
}
