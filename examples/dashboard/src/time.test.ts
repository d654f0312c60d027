import { describe, expect, it } from 'vitest';
import { addDays, addMonths, offsetAt, parseCalendarDate, zonedParts, zonedToInstant } from './time.js';

describe('time zone arithmetic', () => {
  it('reads wall-clock parts and offsets in a zone', () => {
    const t = Date.parse('2026-07-01T10:30:00Z');
    expect(zonedParts(t, 'Europe/Berlin')).toMatchObject({ year: 2026, month: 7, day: 1, hour: 12, minute: 30, weekday: 2 });
    expect(offsetAt(t, 'Europe/Berlin')).toBe(2 * 3600_000);
    expect(offsetAt(Date.parse('2026-01-01T00:00:00Z'), 'America/New_York')).toBe(-5 * 3600_000);
    expect(offsetAt(t, 'Asia/Kolkata')).toBe(5.5 * 3600_000);
  });

  it('maps wall times to instants, including across DST changes', () => {
    expect(new Date(zonedToInstant({ year: 2026, month: 3, day: 29 }, 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(zonedToInstant({ year: 2026, month: 3, day: 30 }, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
    // 02:30 does not exist on 29 March in Berlin: the first instant after the gap.
    expect(new Date(zonedToInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice on 25 October: the earlier one.
    expect(new Date(zonedToInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(new Date(zonedToInstant({ year: 2026, month: 11, day: 26 }, 'UTC')).toISOString()).toBe('2026-11-26T00:00:00.000Z');
  });

  it('does calendar arithmetic without time zones leaking in', () => {
    expect(addDays({ year: 2026, month: 2, day: 28 }, 1)).toEqual({ year: 2026, month: 3, day: 1 });
    expect(addDays({ year: 2026, month: 1, day: 1 }, -1)).toEqual({ year: 2025, month: 12, day: 31 });
    expect(addMonths({ year: 2026, month: 1, day: 31 }, 1)).toEqual({ year: 2026, month: 2, day: 28 });
    expect(addMonths({ year: 2026, month: 1, day: 1 }, -11)).toEqual({ year: 2025, month: 2, day: 1 });
  });

  it('accepts only real calendar dates', () => {
    expect(parseCalendarDate('2026-02-28')).toEqual({ year: 2026, month: 2, day: 28 });
    expect(parseCalendarDate('2026-02-30')).toBeNull();
    expect(parseCalendarDate('2026-2-3')).toBeNull();
    expect(parseCalendarDate('yesterday')).toBeNull();
  });
});
