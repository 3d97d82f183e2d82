/**
 * Formatting shared by the pages: times in the operator's local zone, bit rates, sizes, and the
 * datetime-local ↔ epoch conversions the filters need.
 */

/** '14:03:27' for today, '23 Nov 14:03:27' otherwise (local time). */
export function shortTime(ms: number): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  if (d.toDateString() === new Date().toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })} ${time}`;
}

/** A full local date and time with milliseconds, e.g. '2026-11-24 14:03:27.120'. */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** 'YYYY-MM-DD' of `d` in local time (the date the reports ask for). */
export function localDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** Epoch ms of local midnight today. */
export function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** A datetime-local input's value ('2026-11-24T14:03') as epoch ms in local time; undefined when empty. */
export function fromDateTimeLocal(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** Epoch ms as a datetime-local value (local time, minute precision). */
export function toDateTimeLocal(ms: number | undefined): string {
  if (ms === undefined) return '';
  return localDateTime(ms).slice(0, 16).replace(' ', 'T');
}

/** Bit rate in kbit/s or Mbit/s. */
export function bitrate(bps: number | undefined): string {
  if (bps === undefined) return '—';
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(2)} Mbit/s`;
  return `${Math.round(bps / 1e3)} kbit/s`;
}

/** A number with at most `digits` decimals, or '—' when absent. */
export function num(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** Hour 0–23 as '14:00–15:00'. */
export function hourRange(hour: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(hour)}:00–${p((hour + 1) % 24)}:00`;
}

/** Any attribute value as short readable text. */
export function attrText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
