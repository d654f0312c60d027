import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGGREGATOR_CONSUMER, EVENTS_STREAM } from '@pulse/protocol';
import { createAggregator, type Aggregator } from '../src/index.js';
import { memoryLogger } from './helpers/memory-logger.js';
import { count, fixture, publish, record, waitFor, type Fixture } from './helpers/fixture.js';

/**
 * A nats-server restart under a running aggregator: its periodic NATS requests (lag measurement and
 * watermark, fence heartbeats) and its consume loop (pulls, consumer checks) fail until the server
 * is back. That is one outage: one warn line when it starts, one info line with its duration when
 * it ends, not a line per failed attempt; the attempts are counted in the metrics instead. A
 * failure that is not NATS being out of reach (a consumer deleted under the loop) is still logged
 * at every retry.
 */
let f: Fixture;
let a: Aggregator | undefined;
const logs = memoryLogger();
const parsed = () => logs.lines.map((l) => JSON.parse(l) as { level: string; msg: string } & Record<string, unknown>);

beforeEach(async () => {
  f = await fixture();
});
afterEach(async () => {
  await a?.stop();
  a = undefined;
  await f.cleanup();
});

describe('a nats-server restart', () => {
  it('is logged as one outage: a warn line when it starts, an info line with its duration when it ends', async () => {
    // Lag measured often, so the outage spans many failed attempts of it (and of the 3 s heartbeats).
    a = createAggregator({ nats: f.nc, storage: f.storage, logger: logs.logger, lagRefreshMs: 200, retryInitialMs: 50, retryMaxMs: 500 });
    await a.start();
    await publish(f.js, [record({}, 2)]);
    await waitFor('stored', async () => (await count(f.storage)) === 2);
    const from = logs.lines.length;

    await f.server.kill();
    const down = Date.now();
    // Longer than the 5 s request timeout plus two heartbeats: both sources fail, several times.
    await new Promise((r) => setTimeout(r, 8_000));
    await f.server.restart();
    const ended = await waitFor('the outage to end', async () => parsed().slice(from).find((l) => l.msg === 'NATS reachable again'), 30_000);
    const up = Date.now();
    const during = parsed().slice(from);

    // The consume loop's failures (a pull nobody answered, consumer checks timing out) belong to the outage too.
    expect(during.filter((l) => l.level === 'error')).toEqual([]);
    const warns = during.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.msg)).toEqual(['NATS unreachable: consuming, lag measurement, watermark and fence heartbeats fail until it answers again']);
    expect(warns[0]).toMatchObject({ source: expect.stringMatching(/^(lag|fence_heartbeat|consume)$/) });
    expect(during.filter((l) => l.msg === 'NATS reachable again')).toHaveLength(1);
    expect(ended.level).toBe('info');
    expect(ended.outage_ms).toBeGreaterThanOrEqual(7_000);
    expect(ended.outage_ms).toBeLessThanOrEqual(up - down + 1_000);
    expect(ended.failed_attempts).toBeGreaterThan(2);

    // Every failed attempt is still counted, by source.
    const metrics = await a.metrics.registry.metrics();
    const failures = (source: string) => Number(new RegExp(`^pulse_aggregator_nats_request_failures_total\\{source="${source}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(failures('lag')).toBeGreaterThan(1);
    expect(failures('fence_heartbeat')).toBeGreaterThan(0);
    expect(failures('consume')).toBeGreaterThan(0);
    // A request sent before the reconnect that timed out after it is counted, not taken for another outage.
    expect(failures('lag') + failures('fence_heartbeat') + failures('consume')).toBeGreaterThanOrEqual(Number(ended.failed_attempts));
    expect(metrics).toMatch(/^pulse_aggregator_nats_unreachable 0$/m);

    // And it goes on: an event sent after is stored, without another outage line.
    await publish(f.js, [record({}, 1)]);
    await waitFor('stored after', async () => (await count(f.storage)) === 3, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(parsed().slice(from).filter((l) => /^NATS (unreachable|reachable again)/.test(l.msg))).toHaveLength(2);
  });

  it('still logs, at every retry, a consume failure that is not NATS out of reach: a consumer deleted under the loop', async () => {
    a = createAggregator({ nats: f.nc, storage: f.storage, logger: logs.logger, retryInitialMs: 50, retryMaxMs: 500 });
    await a.start();
    const from = logs.lines.length;
    const jsm = await f.nc.jetstreamManager();
    await jsm.consumers.delete(EVENTS_STREAM, AGGREGATOR_CONSUMER);
    // The open pull ends with JetStream's "Consumer Deleted" (one sent later gets no answer at all,
    // while NATS answers pings: "consumer missing?"). Either way NATS answered.
    const failed = await waitFor('the loop to fail', async () => parsed().slice(from).find((l) => l.msg === 'consume loop failed, retrying'), 30_000);
    expect(failed).toMatchObject({ level: 'error', err: expect.stringMatching(/Consumer Deleted|consumer missing/) });
    // The loop made the consumer again and goes on.
    await publish(f.js, [record({}, 2)]);
    await waitFor('stored', async () => (await count(f.storage)) === 2, 30_000);
    expect(parsed().slice(from).filter((l) => /^NATS (unreachable|reachable again)/.test(l.msg))).toEqual([]);
  });
});
