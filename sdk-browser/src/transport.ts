import {
  BATCH_SIZE,
  FLUSH_DELAY_MS,
  MAX_REQUEST_BYTES,
  OFFLINE_QUEUE_MAX,
  RETRY_BASE_MS,
  RETRY_MAX_MS,
} from './config.js';
import { encode } from './msgpack.js';
import { local, persistent, store } from './storage.js';
import type { SdkEvent } from './types.js';

/**
 * Web storage key of the outbox: events not yet acknowledged. Persistent mode
 * keeps it in localStorage, shared by the site's tabs and kept across visits;
 * cookieless mode in sessionStorage, this tab's own and gone when it closes.
 */
export const OUTBOX_KEY = 'pulse_q';

/**
 * `add` queues an event; `flush` sends everything queued now (`hidden`: the page
 * may be going away). A tuple, not an object: property names survive minification.
 */
export type Transport = [add: (event: SdkEvent) => void, flush: (hidden?: boolean) => void];

/** The events in one area of the outbox that `keep` accepts; [] when missing or unreadable. */
function loadArea(keep: (e: SdkEvent) => unknown = Boolean, durable?: unknown): SdkEvent[] {
  try {
    return (JSON.parse((PULSE_PERSIST && durable ? local : store)(OUTBOX_KEY)!) as SdkEvent[]).filter(keep);
  } catch {
    return [];
  }
}

/**
 * The outbox's events that `keep` accepts. With the persist feature, from both
 * areas: a tab also finds what another mode left (consent given or withdrawn in
 * another tab, or an earlier version that kept every outbox in localStorage).
 */
const loadOutbox = PULSE_PERSIST
  ? (keep?: (e: SdkEvent) => unknown): SdkEvent[] => loadArea(keep, 1).concat(loadArea(keep))
  : loadArea;

/**
 * Rewrites the outbox keeping the events `keep` accepts, plus `add`, bounded,
 * into the area the visitor's consent allows (`flags`: the tracker's), and
 * removes it from the other. It re-reads rather than writing this tab's queue:
 * in localStorage the site's other tabs keep their events in the same outbox.
 */
export function saveOutbox(keep: ((e: SdkEvent) => unknown) | undefined, add: SdkEvent[] = [], flags: number): void {
  const durable = persistent(flags);
  (durable ? local : store)(OUTBOX_KEY, JSON.stringify(loadOutbox(keep).concat(add).slice(-OFFLINE_QUEUE_MAX)));
  if (PULSE_PERSIST) (durable ? store : local)(OUTBOX_KEY, '');
}

/**
 * Delivery is at least once, deduplicated by the server on the event id: every
 * event sits in the outbox from `add` until a reply settles it, so a crash, an
 * offline spell or a navigation loses nothing; the next page load (its first
 * event, the pageview, flushes the queue it starts with) or `online` sends what
 * is left. In cookieless mode the outbox is the tab's own: only a later page in
 * the same tab sends what is left, and a closed tab's events are gone with it
 * (page hide sent them, by fetch or beacon, but saw no reply). Requests are
 * `fetch` with keepalive and a `text/plain` body (CORS-safelisted, so no
 * preflight); on page hide a failed fetch falls back to `sendBeacon`.
 */
export function createTransport(url: string, flags: number): Transport {
  let queue = loadOutbox();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Non-zero while retrying: then only the retry timer (or page hide) sends.
  let failures = 0;

  const schedule = (ms: number): void => {
    timer ??= setTimeout(flush, ms);
  };

  const retry = (events: SdkEvent[], retryAfter?: string | null): void => {
    queue = events.concat(queue).slice(-OFFLINE_QUEUE_MAX);
    // Retry-After is delta-seconds or an HTTP-date (RFC 9110). A date is read
    // against this device's clock, which may be off by hours: whatever it says
    // stays within the backoff's bounds. Under 1 s (a date past, "0", garbage:
    // NaN) is no hint, so back off; over 60 s is capped, which also keeps huge
    // values ("1e10") from overflowing setTimeout into an immediate retry.
    const ms = +retryAfter! * 1000 || Date.parse(retryAfter!) - Date.now();
    clearTimeout(timer);
    timer = setTimeout(flush, Math.min(ms >= RETRY_BASE_MS ? ms : RETRY_BASE_MS * 2 ** failures, RETRY_MAX_MS));
    failures++;
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
          saveOutbox((e) => !events.some((s) => s.id == e.id), [], flags);
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
      saveOutbox(undefined, [event], flags);
      if (queue.length < BATCH_SIZE || failures) schedule(FLUSH_DELAY_MS);
      else flush();
    },
    flush,
  ];
}
