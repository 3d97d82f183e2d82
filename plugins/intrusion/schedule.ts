/**
 * Active hours: a list of weekly windows, e.g. nights `{ days: [mon … sun], from: '22:00', to: '06:00' }`
 * or office hours `{ days: [mon … fri], from: '08:00', to: '17:00' }`. A window opens on each listed
 * day at `from` and closes at `to`, on the next day when `to` is not later than `from` (a night window
 * listed for Monday runs from Monday 22:00 to Tuesday 06:00; `from` equal to `to` is a whole day).
 * Times are wall-clock times in the server's local time zone, or in `timeZone` when the config names
 * one (a server in UTC watching cameras in Asia/Ho_Chi_Minh), and daylight-saving shifts follow it.
 */
import { z } from 'zod';

/** Days of the week as the config names them, Sunday first (Date.getDay order). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM (00:00 to 23:59)');

/** One weekly window of the config. */
export const scheduleWindowSchema = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1).default([...WEEKDAYS]).describe('Days the window opens on (sun, mon, tue, wed, thu, fri, sat); default every day.'),
  from: clock.describe('Opening time, HH:MM local time.'),
  to: clock.describe('Closing time, HH:MM local time; not later than `from` means the next day (a night window).'),
});

/** The parsed window. */
export type ScheduleWindow = z.infer<typeof scheduleWindowSchema>;

/** Whether an IANA time zone name is known to this Node (its ICU data). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Decides whether an epoch-ms time lies in any of the windows; no windows means always active. */
export class ActiveHours {
  /** Per window: the opening days as a bit set (bit = Date.getDay()), opening and closing minute of the day. */
  readonly #windows: { days: number; from: number; to: number }[];
  readonly #format: Intl.DateTimeFormat | undefined;
  /** The last answer and the minute it holds for: the windows are in whole minutes. */
  #minute = NaN;
  #active = true;

  constructor(windows: readonly ScheduleWindow[], timeZone?: string) {
    this.#windows = windows.map((w) => ({
      days: w.days.reduce((bits, d) => bits | (1 << WEEKDAYS.indexOf(d)), 0),
      from: minutes(w.from),
      to: minutes(w.to),
    }));
    this.#format = timeZone
      ? new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      : undefined;
  }

  /** Whether `ms` (epoch ms) is inside the active hours. */
  isActive(ms: number): boolean {
    if (this.#windows.length === 0) return true;
    const minute = Math.floor(ms / 60_000);
    if (minute === this.#minute) return this.#active;
    const { day, m } = this.#wallClock(ms);
    const prev = (day + 6) % 7;
    this.#active = this.#windows.some((w) => {
      const opens = (d: number) => (w.days & (1 << d)) !== 0;
      if (w.from < w.to) return opens(day) && m >= w.from && m < w.to;
      // Through midnight: the part after `from` on an opening day, or before `to` the day after one.
      return (opens(day) && m >= w.from) || (opens(prev) && m < w.to);
    });
    this.#minute = minute;
    return this.#active;
  }

  /** Weekday (0 = Sunday) and minute of the day of `ms` on the wall clock. */
  #wallClock(ms: number): { day: number; m: number } {
    if (!this.#format) {
      const d = new Date(ms);
      return { day: d.getDay(), m: d.getHours() * 60 + d.getMinutes() };
    }
    let day = 0;
    let m = 0;
    for (const p of this.#format.formatToParts(ms)) {
      if (p.type === 'weekday') day = WEEKDAYS.indexOf(p.value.toLowerCase() as Weekday);
      else if (p.type === 'hour') m += Number(p.value) * 60;
      else if (p.type === 'minute') m += Number(p.value);
    }
    return { day, m };
  }
}
