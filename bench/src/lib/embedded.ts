import { join } from 'node:path';
import { startEmbedded, type CollectorRuntime, type Embedded } from '@pulse/embedded';
import { freePort } from '@pulse/testkit';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/**
 * The system under test on free ports. The per-key rate limit is off (hostile batches reach
 * validation instead of stopping at 429; a soak measures the pipeline, not the limiter); the body
 * timeout is a parameter so a short campaign sees slow clients cut off.
 */
export async function startSystem(opts: { dataDir: string; runtime: CollectorRuntime; bodyTimeoutMs: number; onLog?: (e: Record<string, unknown>) => void }): Promise<Embedded> {
  const [collectorPort, queryPort, aggregatorPort] = await Promise.all([freePort(), freePort(), freePort()]);
  return startEmbedded({
    dataDir: join(opts.dataDir, 'data'),
    collectorPort,
    queryPort,
    aggregatorPort,
    natsPort: 0,
    host: '127.0.0.1',
    adminToken: ADMIN_TOKEN,
    collectorRuntime: opts.runtime,
    collectorEnv: { COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '0', COLLECTOR_BODY_TIMEOUT_MS: String(opts.bodyTimeoutMs), LOG_LEVEL: 'warn' },
    log: opts.onLog ?? (() => {}),
  });
}
