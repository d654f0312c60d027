import { expect, it } from 'vitest';
import { correctTimestamp } from './clock.js';

it('uses receive time without ts, the raw ts without sent_at, and shifts by the skew otherwise', () => {
  expect(correctTimestamp(undefined, undefined, 1000)).toBe(1000);
  expect(correctTimestamp(undefined, 500, 1000)).toBe(1000);
  expect(correctTimestamp(900.4, undefined, 1000)).toBe(900);
  expect(correctTimestamp(400, 500, 1000)).toBe(900);
  expect(correctTimestamp(1400, 1500, 1000)).toBe(900);
});
