import { describe, expect, it } from 'vitest';
import { OFFSET_MEMO_ENTRIES, bucketStart, bucketsBetween, formatZoned, isValidTimeZone, localTime, offsetMs, zonedToInstant } from './zone.js';

const at = (iso: string) => Date.parse(iso);

describe('zone arithmetic', () => {
  it('knows offsets on both sides of a DST change', () => {
    expect(offsetMs(at('2026-03-29T00:59:59Z'), 'Europe/Berlin')).toBe(3_600_000);
    expect(offsetMs(at('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe(7_200_000);
    expect(offsetMs(at('2026-07-01T00:00:00Z'), 'Asia/Kolkata')).toBe(19_800_000);
  });

  it('maps local wall times to instants, skipped times to just after the jump', () => {
    expect(zonedToInstant('Europe/Berlin', 2026, 3, 29)).toBe(at('2026-03-28T23:00:00Z'));
    expect(zonedToInstant('Europe/Berlin', 2026, 3, 30)).toBe(at('2026-03-29T22:00:00Z'));
    expect(zonedToInstant('America/New_York', 2026, 1, 32)).toBe(at('2026-02-01T05:00:00Z'));
    expect(zonedToInstant('Europe/Berlin', 2026, 3, 29, 2, 30)).toBe(at('2026-03-29T01:30:00Z'));
  });

  it('starts buckets at local boundaries (weeks on Monday)', () => {
    expect(bucketStart('hour', at('2026-01-01T10:45:12Z'), 'Asia/Kolkata')).toBe(at('2026-01-01T10:30:00Z'));
    expect(bucketStart('day', at('2026-01-01T02:00:00Z'), 'America/New_York')).toBe(at('2025-12-31T05:00:00Z'));
    expect(bucketStart('week', at('2026-01-04T12:00:00Z'), 'UTC')).toBe(at('2025-12-29T00:00:00Z'));
    expect(bucketStart('month', at('2026-03-31T22:30:00Z'), 'Europe/Berlin')).toBe(at('2026-03-31T22:00:00Z'));
  });

  it('lists 23 and 25 hours on DST days and refuses too many buckets', () => {
    expect(bucketsBetween('hour', at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'), 'Europe/Berlin', 100)).toHaveLength(23);
    expect(bucketsBetween('hour', at('2026-10-24T22:00:00Z'), at('2026-10-25T23:00:00Z'), 'Europe/Berlin', 100)).toHaveLength(25);
    expect(bucketsBetween('day', at('2026-03-01T00:00:00+01:00'), at('2026-04-01T00:00:00+02:00'), 'Europe/Berlin', 100)).toHaveLength(31);
    expect(bucketsBetween('minute', 0, 3_600_000, 'UTC', 59)).toBeUndefined();
  });

  it('remembers day lists per zone and range, unchangeable, and remembers refusals too', () => {
    const from = at('2026-03-01T00:00:00+01:00');
    const to = at('2026-04-01T00:00:00+02:00');
    const berlin = bucketsBetween('day', from, to, 'Europe/Berlin', 100);
    expect(bucketsBetween('day', from, to, 'Europe/Berlin', 100)).toBe(berlin);
    expect(Object.isFrozen(berlin)).toBe(true);
    expect(berlin?.[29]).toBe(at('2026-03-30T00:00:00+02:00'));
    // Same instants, another zone: its own list (New York's midnights, one bucket more at the start).
    const ny = bucketsBetween('day', from, to, 'America/New_York', 100);
    expect(ny).not.toBe(berlin);
    expect(ny?.[0]).toBe(at('2026-02-28T00:00:00-05:00'));
    expect(bucketsBetween('day', from, to, 'Europe/Berlin', 30)).toBeUndefined();
    expect(bucketsBetween('day', from, to, 'Europe/Berlin', 30)).toBeUndefined();
  });

  it('formats with the offset in force', () => {
    expect(formatZoned(at('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+02:00');
    expect(formatZoned(at('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25T02:30:00+01:00');
    expect(formatZoned(at('2026-01-01T00:00:00Z'), 'America/St_Johns')).toBe('2025-12-31T20:30:00-03:30');
  });

  it('reads the same wall clock as Intl, remembered or not, across zones, DST changes and old dates', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Kathmandu'];
    const formats = new Map(zones.map((tz) => [tz, new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })]));
    const intl = (ms: number, tz: string) => {
      const parts = formats.get(tz)?.formatToParts(new Date(ms)) ?? [];
      const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
      return { year: n('year'), month: n('month'), day: n('day'), hour: n('hour'), minute: n('minute'), second: n('second') };
    };
    // Deterministic spread from 1890 to 2040, plus instants either side of Berlin's and Lord Howe's changes.
    const instants = [at('2026-03-29T00:59:59.999Z'), at('2026-03-29T01:00:00Z'), at('2026-10-04T15:29:59Z'), at('2026-10-04T15:30:00Z')];
    for (let i = 0; i < 300; i++) instants.push(Date.UTC(1890, 0, 1) + Math.floor(((i * 2654435761) % 4294967296) / 4294967296 * 150 * 365.25 * 86_400_000));
    // More instants than a zone's memo holds, so it starts over on the way: still the same answers.
    for (let i = 0; i < OFFSET_MEMO_ENTRIES + 10; i++) instants.push(at('2026-01-01T00:00:00Z') + i * 1000);
    for (const tz of zones) {
      for (const ms of instants) {
        const want = intl(ms, tz);
        expect(localTime(ms, tz)).toEqual(want);
        expect(localTime(ms, tz)).toEqual(want);
        expect(offsetMs(ms, tz)).toBe(Date.UTC(want.year, want.month - 1, want.day, want.hour, want.minute, want.second) - Math.floor(ms / 1000) * 1000);
      }
    }
  });

  it('validates zone names', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(isValidTimeZone("UTC' OR 1=1")).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
