// The ESM build for bundlers. Calls made before `init` are kept (bounded) and
// replayed by it, like the script tag's call queue.
import { batchUrl, MANUAL, OFFLINE_QUEUE_MAX, resolveOptions, type PulseOptions } from './config.js';
import { PulseAlreadyInitializedError } from './errors.js';
import { createTracker } from './tracker.js';
import type { Props, Tracker, TrackOptions } from './types.js';

export * from './config.js';
export * from './errors.js';
export type { Props, PropValue, Revenue, SdkEvent, Tracker, TrackOptions } from './types.js';
export { OUTBOUND_EVENT, DOWNLOAD_EVENT, VISITOR_KEY, SESSION_KEY, CONSENT_KEY } from './tracker.js';
export { OUTBOX_KEY } from './transport.js';

let started = false;
let tracker: Tracker | undefined;
const pending: Array<(t: Tracker) => void> = [];

function call(fn: (t: Tracker) => void): void {
  if (started) {
    if (tracker) fn(tracker);
  } else if (pending.length < OFFLINE_QUEUE_MAX) pending.push(fn);
}

/**
 * Starts tracking on this page: validates the options (throws PulseConfigError
 * naming the field), replays calls made before, then sends the first pageview
 * unless `autoPageviews` is false. Does nothing outside a browser (SSR).
 */
export function init(options: PulseOptions): void {
  const cfg = resolveOptions(options);
  if (started) throw new PulseAlreadyInitializedError();
  if (typeof window === 'undefined' || typeof document === 'undefined') return;
  started = true;
  // undefined on pages that must stay silent (localhost, DNT): calls are dropped.
  tracker = createTracker(batchUrl(cfg), cfg.flags, cfg.files);
  const calls = pending.splice(0);
  if (!tracker) return;
  for (const fn of calls) fn(tracker);
  if (!(cfg.flags & MANUAL)) tracker.pageview();
}

/** Records a custom event: `track('purchase', { plan: 'pro' }, { revenue: { amount: 49, currency: 'EUR' } })`. */
export function track(name: string, props?: Props, options?: TrackOptions): void {
  call((t) => t.track(name, props, options));
}

/** Records a pageview of the current URL (for `autoPageviews: false`). */
export function pageview(): void {
  call((t) => t.pageview());
}

/** Grants (`true`) or withdraws (`false`) consent to a persistent visitor id and session id. */
export function consent(granted: boolean): void {
  call((t) => t.consent?.(granted));
}
