import { describe, expect, it } from 'vitest';
import { CachedAnswer } from '../cache.js';
import { csvAnswer, csvEtag, headerSafeJson, writeReportCsv } from './csv-answer.js';

const payload = (meta: Record<string, unknown> = {}) => ({
  results: [{ dimensions: ['/pricing'], metrics: [2, 3] }],
  meta: {
    site_id: 's_0123456789abcdef',
    metrics: ['visitors', 'pageviews'],
    dimensions: ['page'],
    timezone: 'UTC',
    date_range: { from: '2026-01-05T00:00:00.000Z', to: '2026-01-07T00:00:00.000Z' },
    limit: 1000,
    offset: 0,
    has_more: false,
    complete_through: '2026-01-06T11:59:58.000Z',
    source_table: 'events',
    sketches: ['visitors'],
    ...meta,
  },
});

describe('csvAnswer', () => {
  it('writes the CSV of a cached JSON answer with its type, file name and meta headers', () => {
    const json = new CachedAnswer(JSON.stringify(payload()));
    const csv = csvAnswer(json, writeReportCsv);
    expect(csv.bytes.toString('utf8')).toBe('page,visitors,pageviews\r\n/pricing,2,3\r\n');
    expect(csv.headers).toEqual({
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': 'attachment; filename="pulse-s_0123456789abcdef-20260105T000000Z-20260107T000000Z.csv"',
      'x-pulse-has-more': 'false',
      'x-pulse-complete-through': '2026-01-06T11:59:58.000Z',
    });
    // Made once per cached answer.
    expect(csvAnswer(json, writeReportCsv)).toBe(csv);
  });

  it('has an ETag of its own, which follows the JSON answer (meta included)', () => {
    const a = new CachedAnswer(JSON.stringify(payload()));
    const later = new CachedAnswer(JSON.stringify(payload({ complete_through: '2026-01-06T11:59:59.000Z' })));
    expect(csvAnswer(a, writeReportCsv).etag).toBe(csvEtag(a));
    expect(csvEtag(a)).not.toBe(a.etag);
    expect(csvEtag(a)).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(csvEtag(later)).not.toBe(csvEtag(a));
    expect(csvEtag(new CachedAnswer(JSON.stringify(payload())))).toBe(csvEtag(a));
  });

  it('leaves out complete_through when there is none, and carries warnings as header-safe JSON', () => {
    const warning = 'revenue sums amounts in EUR, USD without conversion: e.g. ["is", "revenue_currency", ["EUR"]] – ünïcode 😀\n';
    const csv = csvAnswer(new CachedAnswer(JSON.stringify(payload({ complete_through: null, warnings: [warning] }))), writeReportCsv);
    expect(csv.headers['x-pulse-complete-through']).toBeUndefined();
    const header = csv.headers['x-pulse-warnings'] as string;
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(header)).toEqual([warning]);
  });
});

describe('headerSafeJson', () => {
  it('escapes everything outside printable ASCII, surrogate pairs as two escapes', () => {
    expect(headerSafeJson(['a"b', 'é', '😀', '\u007f'])).toBe('["a\\"b","\\u00e9","\\ud83d\\ude00","\\u007f"]');
  });
});
