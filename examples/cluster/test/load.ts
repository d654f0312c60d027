import { Analytics } from '@pulse/sdk-node';

export interface LoadResult {
  tracked: number;
  /** Events the collector answered 202 for (accepted), per the SDK. */
  delivered: number;
  failed: number;
  rejected: number;
  dropped: number;
  /** HTTP requests the SDK retried. */
  retries: number;
  requests: number;
  /** Not confirmed when close() returned. */
  unsent: number;
  errors: string[];
}

export interface Load {
  tracked(): number;
  /** Stops tracking, then closes the client: everything queued is sent, with the SDK's retries. */
  finish(): Promise<LoadResult>;
}

/**
 * Continuous traffic from the Node SDK with unique, predictable event ids. The SDK keeps its
 * default retry policy (10 retries, backoff 200 ms → 30 s with jitter: about 110 s in all);
 * batches are small and frequent so a fault meets many requests, and the queue is large enough
 * to hold a whole outage.
 */
export function startLoad(o: { ingestUrl: string; writeKey: string; eventsPerSec: number; tag: string }): Load {
  const analytics = new Analytics({
    writeKey: o.writeKey,
    host: o.ingestUrl,
    flushAt: 25,
    flushIntervalMs: 250,
    maxQueueSize: 200_000,
    flushOnExit: false,
  });
  const errors: string[] = [];
  analytics.on('error', (err: Error & { code?: string }) => {
    if (errors.length < 20) errors.push(`${err.code ?? err.name}: ${err.message}`);
  });
  let n = 0;
  const TICK_MS = 50;
  let due = 0;
  const timer = setInterval(() => {
    due += (o.eventsPerSec * TICK_MS) / 1000;
    for (; due >= 1; due--) {
      n++;
      analytics.track({ id: `${o.tag}-${n}`, name: 'chaos_tick', visitor_id: `v${n % 50}`, props: { scenario: o.tag, n } });
    }
  }, TICK_MS);
  return {
    tracked: () => n,
    async finish() {
      clearInterval(timer);
      const closed = await analytics.close({ timeoutMs: 180_000 });
      const s = analytics.stats();
      return {
        tracked: n,
        delivered: s.delivered,
        failed: s.failed,
        rejected: s.rejected,
        dropped: s.dropped,
        retries: s.retries,
        requests: s.requests,
        unsent: closed.unsent.length,
        errors,
      };
    },
  };
}
