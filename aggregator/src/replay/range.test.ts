import { describe, expect, it } from 'vitest';
import { ReplayError } from '../errors.js';
import { parseReplayRequest } from './manager.js';
import { monthPartitions } from './staging.js';
import { overlaps } from './store.js';

describe('replay ranges', () => {
  it('lists the month partitions [from, to) touches, across a year end, with `to` exclusive', () => {
    expect(monthPartitions(Date.UTC(2025, 10, 20), Date.UTC(2026, 1, 1))).toEqual([202511, 202512, 202601]);
    expect(monthPartitions(Date.UTC(2026, 0, 5), Date.UTC(2026, 0, 6))).toEqual([202601]);
  });

  it('overlaps in time and site; a replay of all sites overlaps every site', () => {
    const a = { replay_id: 'a', from: 0, to: 10, site_id: 's1' };
    expect(overlaps(a, { replay_id: 'b', from: 9, to: 20, site_id: 's1' })).toBe(true);
    expect(overlaps(a, { replay_id: 'b', from: 10, to: 20, site_id: 's1' })).toBe(false);
    expect(overlaps(a, { replay_id: 'b', from: 0, to: 10, site_id: 's2' })).toBe(false);
    expect(overlaps(a, { replay_id: 'b', from: 5, to: 6 })).toBe(true);
  });

  it('validates requests with invalid_range', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(parseReplayRequest({ from: '2026-01-01T00:00:00Z', to: Date.UTC(2026, 0, 2), site_id: 's_AAAAAAAAAAAAAAAA' }, now)).toEqual({
      fromMs: Date.UTC(2026, 0, 1),
      toMs: Date.UTC(2026, 0, 2),
      siteId: 's_AAAAAAAAAAAAAAAA',
    });
    for (const bad of [
      { from: 'yesterday', to: '2026-01-02T00:00:00Z' },
      { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' },
      { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', site_id: "x' OR 1" },
    ]) {
      expect(() => parseReplayRequest(bad, now)).toThrow(ReplayError);
    }
  });
});
