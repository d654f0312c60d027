import type { PulseError } from './errors.js';
import type { DeliveryInfo, RetryInfo } from './types.js';

/** What `analytics.on(...)` can listen to, with each listener's arguments. */
export interface AnalyticsEventMap {
  /** Every failure: EventsRejectedError, DeliveryError, QueueOverflowError, ClosedError. */
  error: [error: PulseError];
  /** A batch reached the collector (202). */
  delivered: [info: DeliveryInfo];
  /** An attempt failed with a retryable error; the next one is scheduled. */
  retry: [info: RetryInfo];
}

export type Listener<K extends keyof AnalyticsEventMap> = (...args: AnalyticsEventMap[K]) => void;

/**
 * A tiny typed emitter. Unlike node:events, an 'error' nobody listens to does not
 * throw (an analytics outage must never crash the app), and a listener that throws
 * cannot break the send loop.
 */
export class Emitter {
  private readonly listeners: { [K in keyof AnalyticsEventMap]: Array<Listener<K>> } = { error: [], delivered: [], retry: [] };

  on<K extends keyof AnalyticsEventMap>(event: K, listener: Listener<K>): this {
    this.listeners[event].push(listener);
    return this;
  }

  off<K extends keyof AnalyticsEventMap>(event: K, listener: Listener<K>): this {
    const list = this.listeners[event];
    const i = list.indexOf(listener);
    if (i !== -1) list.splice(i, 1);
    return this;
  }

  protected listenerCount(event: keyof AnalyticsEventMap): number {
    return this.listeners[event].length;
  }

  protected emit<K extends keyof AnalyticsEventMap>(event: K, ...args: AnalyticsEventMap[K]): void {
    for (const listener of this.listeners[event].slice()) {
      try {
        listener(...args);
      } catch (e) {
        console.error(`[pulse] a "${event}" listener threw:`, e);
      }
    }
  }
}
