import type { Logger } from '../log.js';

export interface KeyStoreHealthOptions {
  log: Logger;
  /** How long a last known good record may be answered from, for the warning's text. */
  staleMaxMs: number;
}

/**
 * Whether tenancy lookups are failing because NATS is out of reach. Shared by the read-key and site
 * caches: once one lookup failed, the others stop waiting for NATS before answering from their last
 * known good records, and one warning says the service has entered that mode.
 */
export class KeyStoreHealth {
  private failingSince: number | undefined;

  constructor(private readonly o: KeyStoreHealthOptions) {}

  get degraded(): boolean {
    return this.failingSince !== undefined;
  }

  /** When NATS was first found out of reach (ms epoch), while it still is; undefined while it answers. */
  get unreachableSince(): number | undefined {
    return this.failingSince;
  }

  failed(err: unknown): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = Date.now();
    this.o.log.log('warn', 'tenancy lookups failing (NATS unavailable): answering keys and sites confirmed in the last minutes from their last known good records, others 503', {
      stale_max_ms: this.o.staleMaxMs,
      err,
    });
  }

  succeeded(): void {
    if (this.failingSince === undefined) return;
    this.o.log.log('info', 'tenancy lookups answer again (NATS reachable)', { degraded_ms: Date.now() - this.failingSince });
    this.failingSince = undefined;
  }
}
