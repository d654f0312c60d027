import { describe, expect, it } from 'vitest';
import { keyFromQuery, queryParam } from './query-key.js';

describe('keyFromQuery', () => {
  const cases = [
    'key=wk_abc',
    'a=1&key=wk_abc&b=2',
    'key=first&key=second',
    'key',
    'key=',
    'keys=x&key=y',
    'xkey=x',
    'key=a=b',
    '&&key=z&',
    '?key=wk_q',
    '??key=wk_q',
    'key=wk%5Fencoded',
    'key=a+b',
    'k%65y=wk_enc',
    'a=1',
    '',
  ];
  for (const q of cases) {
    it(`reads ${JSON.stringify(q)} as URLSearchParams does`, () => {
      expect(keyFromQuery(q)).toBe(new URLSearchParams(q).get('key') ?? undefined);
    });
  }
});

describe('queryParam', () => {
  const cases = [
    'measurement_id=G-1&api_secret=wk_abc',
    'api_secret=wk_abc&api_secret=wk_other',
    'api_secrets=x&api_secret=y',
    'xapi_secret=x',
    'api_secret',
    'api_secret=',
    '?api_secret=wk_q',
    'api%5Fsecret=wk_enc',
    'api_secret=wk+b',
    'firebase_app_id=1:2:android:3',
    '',
  ];
  for (const q of cases) {
    it(`reads api_secret of ${JSON.stringify(q)} as URLSearchParams does`, () => {
      expect(queryParam(q, 'api_secret')).toBe(new URLSearchParams(q).get('api_secret') ?? undefined);
    });
  }
});
