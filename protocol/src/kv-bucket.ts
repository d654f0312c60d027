import type { JetStreamClient, KV, KvOptions } from 'nats';

/**
 * What JetStream answers the losers when several services create one bucket at the same moment
 * (a fresh server, a cluster starting together): the bucket then exists, so opening it again
 * finds it. One CI run's aggregators failed to start on this.
 */
const LOST_CREATE_RACE = /subjects overlap|already in use/;
const ATTEMPTS = 3;
const BACKOFF_MS = 50;

/** Opens a KV bucket, creating it when missing; a create that lost a race with another service is retried. */
export async function openBucket(js: JetStreamClient, name: string, opts: Partial<KvOptions>): Promise<KV> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await js.views.kv(name, opts);
    } catch (err) {
      if (attempt >= ATTEMPTS || !LOST_CREATE_RACE.test(String((err as Error | undefined)?.message))) throw err;
      await new Promise((r) => setTimeout(r, BACKOFF_MS * attempt));
    }
  }
}
