import { describe, expect, it } from 'vitest';
import { MIN_TAKE_WAIT_MS, takeWaitMs } from './batch-reader.js';

describe('takeWaitMs', () => {
  it('waits out the flush interval counted from the last batch taken', () => {
    expect(takeWaitMs(1_000, 1_040, 250)).toBe(210);
    expect(takeWaitMs(1_000, 1_000, 250)).toBe(250);
  });

  it('takes what waited on the server at once when the last batch took longer than the interval', () => {
    expect(takeWaitMs(1_000, 1_600, 250)).toBe(MIN_TAKE_WAIT_MS);
    expect(takeWaitMs(1_000, 1_220, 250)).toBe(MIN_TAKE_WAIT_MS);
  });
});
