import { describe, expect, it } from 'vitest';
import { bucketStarts, resolveRange } from './range.js';
import { axisLabels, tickBuckets } from './ticks.js';

const NOW = Date.parse('2026-11-26T15:20:00Z');
const iso = (t: number) => new Date(t).toISOString();

describe('chart ticks', () => {
  it('puts minute ticks on round local times that fit the width', () => {
    const today = resolveRange({ kind: 'preset', preset: 'today' }, NOW, 'Asia/Kolkata');
    const minutes = bucketStarts(today, 'minute', 'Asia/Kolkata');
    const ticks = tickBuckets(minutes, 'minute', 'Asia/Kolkata', 1000);
    expect(ticks.length).toBeLessThanOrEqual(Math.floor(1000 / 72));
    expect(ticks.length).toBeGreaterThan(4);
    // 1440 minutes over at most 13 ticks: a 120-minute step, on even local hours (…:30 UTC in Kolkata).
    expect(axisLabels(ticks, 'minute', 'Asia/Kolkata').slice(0, 3)).toEqual(['00:00\n26 Nov', '02:00', '04:00']);
    expect(iso(ticks[1]!)).toBe('2026-11-25T20:30:00.000Z');
  });

  it('ticks every n-th local midnight for long hourly charts', () => {
    const month = resolveRange({ kind: 'preset', preset: '30d' }, NOW, 'Europe/Berlin');
    const hours = bucketStarts(month, 'hour', 'Europe/Berlin');
    const ticks = tickBuckets(hours, 'hour', 'Europe/Berlin', 700);
    expect(ticks.length).toBeLessThanOrEqual(9);
    // Every tick is a local midnight, so the labels are dates alone.
    expect(axisLabels(ticks, 'hour', 'Europe/Berlin').every((l) => /^\d{1,2} [A-Z][a-z]{2,3}$/.test(l))).toBe(true);
  });

  it('labels days and months without times', () => {
    const week = bucketStarts(resolveRange({ kind: 'preset', preset: '7d' }, NOW, 'UTC'), 'day', 'UTC');
    expect(axisLabels(tickBuckets(week, 'day', 'UTC', 900), 'day', 'UTC')).toEqual([
      '20 Nov', '21 Nov', '22 Nov', '23 Nov', '24 Nov', '25 Nov', '26 Nov',
    ]);
    // A phone's chart has room for three labels: every third day, not a single one.
    expect(axisLabels(tickBuckets(week, 'day', 'UTC', 250), 'day', 'UTC')).toEqual(['20 Nov', '23 Nov', '26 Nov']);
    expect(tickBuckets(week, 'day', 'UTC', 150)).toHaveLength(2);
    const year = bucketStarts(resolveRange({ kind: 'preset', preset: '12mo' }, NOW, 'UTC'), 'month', 'UTC');
    const labels = axisLabels(tickBuckets(year, 'month', 'UTC', 300), 'month', 'UTC');
    expect(labels.slice(0, 3)).toEqual(['Dec 2025', 'Mar 2026', 'Jun 2026']);
    expect(labels[3]).toMatch(/^Sept? 2026$/); // ICU versions differ: Sep or Sept
  });
});
