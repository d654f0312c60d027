import { describe, expect, it } from 'vitest';
import { ga4Routes, ga4WriteKey } from './endpoints.js';

describe('ga4Routes', () => {
  it("maps GA's collect and validation paths under the prefix, with and without a trailing slash", () => {
    const r = ga4Routes('/pulse');
    expect([...r]).toEqual([
      ['/pulse/mp/collect', 'collect'],
      ['/pulse/mp/collect/', 'collect'],
      ['/pulse/debug/mp/collect', 'debug'],
      ['/pulse/debug/mp/collect/', 'debug'],
    ]);
    expect(r.get('/mp/collect')).toBeUndefined();
    expect(ga4Routes('').get('/mp/collect')).toBe('collect');
    expect(ga4Routes('').get('/debug/mp/collect')).toBe('debug');
  });
});

describe('ga4WriteKey', () => {
  it('reads api_secret first, then a Bearer header, then ?key=', () => {
    expect(ga4WriteKey('measurement_id=G-ABC123&api_secret=wk_secret', undefined)).toBe('wk_secret');
    expect(ga4WriteKey('api_secret=wk_secret', 'Bearer wk_header')).toBe('wk_secret');
    expect(ga4WriteKey('firebase_app_id=1%3A2%3Aandroid%3A3&api_secret=wk_app', undefined)).toBe('wk_app');
    expect(ga4WriteKey('measurement_id=G-1', 'Bearer wk_header')).toBe('wk_header');
    expect(ga4WriteKey('measurement_id=G-1&key=wk_query', undefined)).toBe('wk_query');
    // An Authorization header that is not Bearer: refused as an invalid key, not read past.
    expect(ga4WriteKey('key=wk_query', 'Basic abc')).toBe('');
    expect(ga4WriteKey('api_secret=', undefined)).toBe('');
    expect(ga4WriteKey('measurement_id=G-1', undefined)).toBeUndefined();
    expect(ga4WriteKey('', undefined)).toBeUndefined();
  });
});
