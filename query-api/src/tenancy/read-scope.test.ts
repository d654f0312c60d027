import { describe, expect, it } from 'vitest';
import type { ReadKeyRecord, SiteRecord } from '@pulse/protocol';
import { keyReadsSite, readScope } from './read-scope.js';

const site = (site_id: string, merchant_id = 'm_A'): SiteRecord => ({ site_id, merchant_id, domain: 'x.example', timezone: 'UTC', settings: { excluded_paths: [] }, created_at: 0 });
const key = (extra: Record<string, unknown> = {}): ReadKeyRecord => ({ merchant_id: 'm_A', created_at: 0, ...extra }) as ReadKeyRecord;

describe('read scope', () => {
  it('a record without site_ids reads every site of its merchant, none of another', () => {
    expect(readScope(key())).toBe('merchant');
    expect(keyReadsSite(key(), site('s_1'))).toBe(true);
    expect(keyReadsSite(key(), site('s_9', 'm_B'))).toBe(false);
  });

  it('site_ids limits it to those sites, still of its merchant only', () => {
    const k = key({ site_ids: ['s_1', 's_9'] });
    expect([...(readScope(k) as ReadonlySet<string>)]).toEqual(['s_1', 's_9']);
    expect(keyReadsSite(k, site('s_1'))).toBe(true);
    expect(keyReadsSite(k, site('s_2'))).toBe(false);
    expect(keyReadsSite(k, site('s_9', 'm_B'))).toBe(false);
  });

  it('a malformed scope reads nothing rather than everything', () => {
    for (const site_ids of [null, 'all', {}, [], [1, null]]) {
      expect([site_ids, keyReadsSite(key({ site_ids }), site('s_1'))]).toEqual([site_ids, false]);
    }
  });
});
