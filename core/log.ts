/**
 * Minimal levelled logger. Level from STREAMSIGHT_LOG (debug|info|warn|error|silent),
 * default info. URLs with credentials must pass through `redactUrl` before logging.
 */

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
/** A log level name. */
export type LogLevel = keyof typeof LEVELS;

let threshold: number = LEVELS[(process.env.STREAMSIGHT_LOG as LogLevel) ?? 'info'] ?? LEVELS.info;

/** Sets the global log level. */
export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

/** A scoped logger. */
export interface Logger {
  debug(msg: string, ...rest: unknown[]): void;
  info(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  error(msg: string, ...rest: unknown[]): void;
}

function write(level: LogLevel, scope: string, msg: string, rest: unknown[]): void {
  if (LEVELS[level] < threshold) return;
  const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${msg}`;
  const extra = rest.map((r) => (r instanceof Error ? (r.stack ?? r.message) : typeof r === 'string' ? r : JSON.stringify(r)));
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(
    extra.length ? `${line} ${extra.join(' ')}\n` : `${line}\n`,
  );
}

/** Creates a logger whose lines carry `[scope]`. */
export function createLogger(scope: string): Logger {
  return {
    debug: (m, ...r) => write('debug', scope, m, r),
    info: (m, ...r) => write('info', scope, m, r),
    warn: (m, ...r) => write('warn', scope, m, r),
    error: (m, ...r) => write('error', scope, m, r),
  };
}

/** Replaces the password (and user) of a URL with `***` so it can be logged or served. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string) => `${scheme}***@`);
}

/**
 * Logs at most once per `intervalMs` per key, counting what it suppressed
 * (for loss and drop warnings on the hot path).
 */
export class RateLimitedLog {
  #last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 5000,
  ) {}

  /** Warns unless the same key warned within the interval. */
  warn(key: string, msg: string): void {
    const now = Date.now();
    const entry = this.#last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suffix = entry?.suppressed ? ` (${entry.suppressed} similar suppressed)` : '';
    this.#last.set(key, { at: now, suppressed: 0 });
    this.logger.warn(msg + suffix);
  }
}
