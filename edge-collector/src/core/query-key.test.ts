import { describe, expect, it } from 'vitest';
import { keyFromQuery } from './query-key.js';

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
