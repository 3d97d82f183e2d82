import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ActiveHours, isTimeZone, scheduleWindowSchema } from './schedule.js';

/** Epoch ms of a UTC wall-clock time (2024-01-01 was a Monday). */
const utc = (day: number, hh: number, mm = 0) => Date.UTC(2024, 0, day, hh, mm);
const windows = (w: unknown[]) => z.array(scheduleWindowSchema).parse(w);

describe('ActiveHours', () => {
  it('is always active without windows', () => {
    const h = new ActiveHours([], 'UTC');
    assert.equal(h.isActive(utc(1, 3)), true);
    assert.equal(h.isActive(utc(6, 15)), true);
  });

  it('opens a daytime window on its days only, from included to excluded', () => {
    const h = new ActiveHours(windows([{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '17:30' }]), 'UTC');
    assert.equal(h.isActive(utc(1, 7, 59)), false); // Monday before
    assert.equal(h.isActive(utc(1, 8, 0)), true);
    assert.equal(h.isActive(utc(1, 17, 29)), true);
    assert.equal(h.isActive(utc(1, 17, 30)), false);
    assert.equal(h.isActive(utc(6, 12)), false); // Saturday
    assert.equal(h.isActive(utc(7, 12)), false); // Sunday
  });

  it('runs a night window past midnight into the next day, even when that day is not listed', () => {
    const h = new ActiveHours(windows([{ days: ['fri'], from: '22:00', to: '06:00' }]), 'UTC');
    assert.equal(h.isActive(utc(5, 21, 59)), false); // Friday evening before
    assert.equal(h.isActive(utc(5, 22, 0)), true);
    assert.equal(h.isActive(utc(6, 3, 0)), true); // Saturday early morning
    assert.equal(h.isActive(utc(6, 6, 0)), false);
    assert.equal(h.isActive(utc(6, 23, 0)), false); // Saturday night is not a Friday night
    assert.equal(h.isActive(utc(5, 3, 0)), false); // Friday early morning belongs to Thursday night
  });

  it('takes from = to as a whole day, and every day by default', () => {
    const h = new ActiveHours(windows([{ from: '00:00', to: '00:00' }]), 'UTC');
    for (let d = 1; d <= 7; d++) for (const hh of [0, 11, 23]) assert.equal(h.isActive(utc(d, hh, 30)), true);
  });

  it('reads the wall clock in the configured time zone', () => {
    // 20:00 UTC on Monday is 03:00 on Tuesday in Ho Chi Minh City (UTC+7).
    const night = windows([{ days: ['mon'], from: '22:00', to: '06:00' }]);
    assert.equal(new ActiveHours(night, 'Asia/Ho_Chi_Minh').isActive(utc(1, 20)), true);
    assert.equal(new ActiveHours(night, 'UTC').isActive(utc(1, 20)), false);
  });

  it('follows the server time zone without one', () => {
    const d = new Date(2024, 0, 3, 12, 0); // local Wednesday noon
    assert.equal(new ActiveHours(windows([{ days: ['wed'], from: '11:00', to: '13:00' }])).isActive(d.getTime()), true);
    assert.equal(new ActiveHours(windows([{ days: ['thu'], from: '11:00', to: '13:00' }])).isActive(d.getTime()), false);
  });

  it('refuses malformed windows with clear messages', () => {
    const bad = (w: unknown) => scheduleWindowSchema.safeParse(w).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(bad({ from: '24:00', to: '06:00' }), ['from: must be a time of day HH:MM (00:00 to 23:59)']);
    assert.deepEqual(bad({ from: '7:00', to: '06:00' }), ['from: must be a time of day HH:MM (00:00 to 23:59)']);
    assert.match(bad({ days: ['monday'], from: '07:00', to: '08:00' })!.join(), /^days\.0: Invalid option/);
    assert.match(bad({ days: [], from: '07:00', to: '08:00' })!.join(), /^days: Too small/);
    assert.match(bad({ from: '07:00', to: '08:00', at: 1 })!.join(), /Unrecognized key/);
    assert.equal(isTimeZone('Asia/Ho_Chi_Minh'), true);
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });
});
