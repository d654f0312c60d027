import {
  BATCH_SIZE,
  FLUSH_DELAY_MS,
  MAX_REQUEST_BYTES,
  OFFLINE_QUEUE_MAX,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
} from './config.js';
import { encode } from './msgpack.js';
import { store } from './storage.js';
import type { SdkEvent } from './types.js';

/** localStorage key of the outbox: events not yet acknowledged, shared by the site's tabs. */
export const OUTBOX_KEY = 'pulse_q';

/**
 * `add` queues an event; `flush` sends everything queued now (`hidden`: the page
 * may be going away). A tuple, not an object: property names survive minification.
 */
export type Transport = [add: (event: SdkEvent) => void, flush: (hidden?: boolean) => void];

/** The outbox's events that `keep` accepts; [] when it is missing or unreadable. */
function loadOutbox(keep: (e: SdkEvent) => unknown = Boolean): SdkEvent[] {
  try {
    return (JSON.parse(store(OUTBOX_KEY)!) as SdkEvent[]).filter(keep);
  } catch {
    return [];
  }
}

/** Rewrites the outbox keeping the events `keep` accepts, plus `add`, bounded. */
function saveOutbox(keep?: (e: SdkEvent) => unknown, add: SdkEvent[] = []): void {
  store(OUTBOX_KEY, JSON.stringify(loadOutbox(keep).concat(add).slice(-OFFLINE_QUEUE_MAX)));
}

/**
 * Delivery is at least once, deduplicated by the server on the event id: every
 * event sits in the localStorage outbox from `add` until a reply settles it, so a
 * crash, an offline spell or a navigation loses nothing; the next page load
 * (its first event, the pageview, flushes the queue it starts with) or `online`
 * sends what is left. Requests are `fetch` with keepalive and a
 * `text/plain` body (CORS-safelisted, so no preflight); on page hide a failed
 * fetch falls back to `sendBeacon`.
 */
export function createTransport(url: string): Transport {
  let queue = loadOutbox();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Non-zero while retrying: then only the retry timer (or page hide) sends.
  let failures = 0;

  const schedule = (ms: number): void => {
    timer ??= setTimeout(flush, ms);
  };

  const retry = (events: SdkEvent[], retryAfter?: string | null): void => {
    queue = events.concat(queue).slice(-OFFLINE_QUEUE_MAX);
    const seconds = +retryAfter!;
    const delay = seconds > 0 ? seconds * 1000 : Math.min(RETRY_BASE_MS * 2 ** failures, RETRY_MAX_MS);
    failures++;
    clearTimeout(timer);
    timer = setTimeout(flush, delay);
  };

  const post = (events: SdkEvent[], hidden?: boolean): void => {
    const bytes = encode({ sent_at: Date.now(), events });
    const half = events.length >> 1;
    // A single event too big for keepalive still goes, without it (the server
    // will refuse it; it must not be retried forever). Halving also keeps a
    // long backlog far below the collector's 500 events a batch.
    const keepalive = bytes.length <= MAX_REQUEST_BYTES;
    if ((!keepalive || events.length > OFFLINE_QUEUE_MAX) && half) {
      post(events.slice(0, half), hidden);
      post(events.slice(half), hidden);
      return;
    }
    const body = new Blob([bytes], { type: 'text/plain' });
    fetch(url, { method: 'POST', body, keepalive }).then(
      (res) => {
        // 5xx, 429 and 408 (the body came in too slowly) are worth another try; any
        // other answer is final (202, or a 4xx that would fail again the same way).
        // test() reads the status as its three digits: the smallest form in the script.
        if (/^5|429|408/.test(res.status as unknown as string)) retry(events, res.headers.get('Retry-After'));
        else {
          failures = 0;
          saveOutbox((e) => !events.some((s) => s.id == e.id));
        }
      },
      () => {
        // On page hide the beacon is the last chance; its events stay in the
        // outbox until a later page load confirms them.
        if (!(hidden && navigator.sendBeacon(url, body))) retry(events);
      },
    );
  };

  const flush = (hidden?: boolean): void => {
    clearTimeout(timer);
    timer = undefined;
    if (queue.length) post(queue.splice(0), hidden);
  };

  addEventListener('online', () => {
    failures = 0;
    flush();
  });
  return [
    (event) => {
      // Props come from the host page and may not survive JSON (a cycle, a BigInt):
      // drop that event rather than throw into the page or poison the batch. The
      // JSON form is also what the outbox keeps, and plain data for the encoder.
      try {
        event = JSON.parse(JSON.stringify(event));
      } catch {
        return;
      }
      queue.push(event);
      saveOutbox(undefined, [event]);
      if (queue.length < BATCH_SIZE || failures) schedule(FLUSH_DELAY_MS);
      else flush();
    },
    flush,
  ];
}
