import { encodeMsgpack } from '@pulse/protocol/codec';
import { sleep } from '../lib/progress.js';

export const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const RETRYABLE = new Set([429, 503]);
export const MAX_ATTEMPTS = 30;

export interface ValidStats {
  batches: number;
  /** Events in batches answered 202 with every event accepted: the exact count /v1/query must show. */
  acknowledged: number;
  retries: number;
  /** Batches that never got a 202 (status or error each), or got one with rejections. */
  failures: Array<{ status: number; detail: string }>;
}

/**
 * Valid traffic alongside the campaign: batches of unique ids (retries reuse them, so a retry can
 * never count twice), alternating msgpack and JSON, at `eventsPerSec` until `stop()` resolves.
 */
export function runValidTraffic(opts: { collectorUrl: string; writeKey: string; eventsPerSec: number; batchSize: number; runId: string }): { stop(): Promise<ValidStats> } {
  const stats: ValidStats = { batches: 0, acknowledged: 0, retries: 0, failures: [] };
  let stopping = false;
  let n = 0;
  const sendBatch = async (seq: number): Promise<void> => {
    const events = Array.from({ length: opts.batchSize }, (_, i) => ({
      id: `${opts.runId}-${seq}-${i}`,
      name: i % 3 === 0 ? 'signup' : 'pageview',
      url: `https://valid.example/page/${(seq + i) % 50}`,
      visitor_id: `v_${seq % 97}`,
      ts: Date.now(),
    }));
    const asJson = seq % 2 === 0;
    for (let attempt = 1; ; attempt++) {
      const body = { sent_at: Date.now(), events };
      let status = 0;
      let detail = '';
      try {
        const res = await fetch(`${opts.collectorUrl}/v1/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${opts.writeKey}`, 'content-type': asJson ? 'application/json' : 'application/msgpack', 'user-agent': BROWSER_UA },
          body: asJson ? JSON.stringify(body) : encodeMsgpack(body),
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        detail = await res.text();
        if (status === 202) {
          const r = JSON.parse(detail) as { accepted: number; rejected: unknown[] };
          if (r.accepted === events.length && r.rejected.length === 0) stats.acknowledged += events.length;
          else stats.failures.push({ status, detail: detail.slice(0, 300) });
          return;
        }
      } catch (err) {
        detail = String(err);
      }
      if ((status !== 0 && !RETRYABLE.has(status)) || attempt >= MAX_ATTEMPTS) {
        stats.failures.push({ status, detail: detail.slice(0, 300) });
        return;
      }
      stats.retries++;
      await sleep(100 * Math.min(attempt, 10));
    }
  };
  const loop = (async () => {
    const started = Date.now();
    const inflight = new Set<Promise<void>>();
    while (!stopping) {
      const due = Math.floor(((Date.now() - started) * opts.eventsPerSec) / 1000 / opts.batchSize);
      while (n < due && inflight.size < 8) {
        const p = sendBatch(n++).finally(() => inflight.delete(p));
        inflight.add(p);
        stats.batches++;
      }
      await sleep(20);
    }
    await Promise.all(inflight);
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return stats;
    },
  };
}
