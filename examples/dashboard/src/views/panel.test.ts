import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { MAX_RATE_LIMIT_RETRIES, withRateLimitRetry } from './panel.js';

const limited = (seconds: number | null) => new ApiError('rate_limited', 'too many requests', 429, seconds);

describe("a panel's rate-limited request", () => {
  it('is waited out (its Retry-After) and asked again', async () => {
    let calls = 0;
    const started = Date.now();
    const answer = await withRateLimitRetry(async () => {
      calls++;
      if (calls === 1) throw limited(1);
      return 'rows';
    }, new AbortController().signal);
    expect(answer).toBe('rows');
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it(`is shown after ${MAX_RATE_LIMIT_RETRIES} waits, a long Retry-After and other errors at once`, async () => {
    let calls = 0;
    const always = withRateLimitRetry(async () => {
      calls++;
      throw limited(0);
    }, new AbortController().signal);
    await expect(always).rejects.toMatchObject({ status: 429 });
    expect(calls).toBe(MAX_RATE_LIMIT_RETRIES + 1);
    for (const err of [limited(60), new ApiError('internal', 'boom', 500)]) {
      calls = 0;
      await expect(
        withRateLimitRetry(async () => {
          calls++;
          throw err;
        }, new AbortController().signal),
      ).rejects.toBe(err);
      expect(calls).toBe(1);
    }
  });

  it('stops waiting when the panel load is aborted', async () => {
    const controller = new AbortController();
    let calls = 0;
    const asked = withRateLimitRetry(async () => {
      calls++;
      throw limited(5);
    }, controller.signal);
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(asked).rejects.toMatchObject({ status: 429 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls).toBe(1);
  });
});
