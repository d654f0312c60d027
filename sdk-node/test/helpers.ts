import { Analytics, type AnalyticsOptions, type PulseError } from '../src/index.js';

export interface Recorded {
  analytics: Analytics;
  errors: PulseError[];
}

/** A client with exit hooks off (the test runner owns the process) that records its errors. */
export function client(host: string, opts: Partial<AnalyticsOptions> = {}): Recorded {
  const errors: PulseError[] = [];
  const analytics = new Analytics({ writeKey: 'wk_test', host, flushOnExit: false, ...opts });
  analytics.on('error', (e) => errors.push(e));
  return { analytics, errors };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
