import { describe, expect, it } from 'vitest';
import { AnswerCache, etagMatches, etagOf } from './cache.js';

describe('AnswerCache', () => {
  const HOUR = 3_600_000;
  const now = Date.parse('2026-01-10T12:00:00Z');
  const make = () => new AnswerCache({ maxEntries: 10, liveTtlMs: 30, closedTtlMs: HOUR, liveWindowMs: 2 * HOUR });
  const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

  it('keeps closed ranges long and live ones briefly, and a range past the watermark counts as live', async () => {
    const c = make();
    c.set('closed', 'a', now - 3 * HOUR, now, now - HOUR);
    c.set('live', 'b', now, now, now - HOUR);
    c.set('behind', 'c', now - 3 * HOUR, now, now - 4 * HOUR);
    expect(c.get('live')?.body).toBe('b');
    await sleep(60);
    expect(c.get('closed')?.body).toBe('a');
    expect(c.get('live')).toBeUndefined();
    expect(c.get('behind')).toBeUndefined();
    c.clear();
    expect(c.get('closed')).toBeUndefined();
  });

  it('tags answers by content', () => {
    const c = make();
    expect(c.set('k', '{"x":1}', 0, now).etag).toBe(etagOf('{"x":1}'));
    expect(etagOf('{"x":1}')).not.toBe(etagOf('{"x":2}'));
  });
});

describe('etagMatches', () => {
  it('accepts lists, weak tags and *', () => {
    expect(etagMatches('"a", "b"', '"b"')).toBe(true);
    expect(etagMatches('W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"c"', '"b"')).toBe(false);
    expect(etagMatches(undefined, '"b"')).toBe(false);
  });
});
