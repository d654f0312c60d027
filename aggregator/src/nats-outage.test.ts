import { describe, expect, it } from 'vitest';
import { ErrorCode, NatsError } from 'nats';
import { PublishError } from '@pulse/protocol/publisher';
import { KvCasError, PullFailedError, StorageError } from './errors.js';
import { createMetrics } from './metrics.js';
import { NatsOutage, isNatsUnreachable } from './nats-outage.js';

const timeout = () => new NatsError('TIMEOUT', ErrorCode.Timeout);

function setup() {
  let t = 0;
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const metrics = createMetrics();
  const outage = new NatsOutage({
    logger: { log: (level, msg, fields) => lines.push({ level, msg, fields: fields ?? {} }) },
    failures: metrics.natsFailures,
    unreachable: metrics.natsUnreachable,
    now: () => t,
  });
  const unreachable = async () => (await metrics.natsUnreachable.get()).values[0]?.value;
  return { outage, lines, metrics, unreachable, at: (ms: number) => (t = ms) };
}

describe('NatsOutage', () => {
  it('logs one warn line when NATS stops answering and one info line with the length when it answers again', async () => {
    const s = setup();
    const others: unknown[] = [];
    const other = (err: unknown) => others.push(err);
    expect(await s.outage.attempt('lag', async () => 7, other)).toBe(7);
    s.at(1_000);
    // Sent at 1 s, timed out at 6 s: the outage began when it was sent.
    const first = s.outage.attempt('lag', () => new Promise((_, no) => setTimeout(() => (s.at(6_000), no(timeout())), 1)), other);
    expect(await first).toBeUndefined();
    for (let i = 1; i < 5; i++) expect(await s.outage.attempt(i % 2 ? 'fence_heartbeat' : 'lag', () => Promise.reject(timeout()), other)).toBeUndefined();
    expect(s.outage.ongoing).toBe(true);
    expect(await s.unreachable()).toBe(1);
    s.at(9_500);
    await s.outage.attempt('fence_heartbeat', async () => undefined, other);
    expect(s.lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'NATS unreachable: consuming, lag measurement, watermark and fence heartbeats fail until it answers again'],
      ['info', 'NATS reachable again'],
    ]);
    expect(s.lines[0]!.fields).toMatchObject({ source: 'lag' });
    expect(s.lines[1]!.fields).toEqual({ outage_ms: 8_500, failed_attempts: 5, first_failed: 'lag' });
    expect(others).toEqual([]);
    expect(await s.unreachable()).toBe(0);
    expect(await s.metrics.registry.getSingleMetricAsString('pulse_aggregator_nats_request_failures_total')).toMatch(/source="lag"\} 3[\s\S]*source="fence_heartbeat"\} 2/);
  });

  it('takes a request sent before NATS answered again, and failing after, for no new outage', async () => {
    const s = setup();
    s.at(1_000);
    await s.outage.attempt('lag', () => Promise.reject(timeout()), () => undefined);
    s.at(2_000);
    let fail!: (e: unknown) => void;
    const inFlight = s.outage.attempt('fence_heartbeat', () => new Promise((_, no) => (fail = no)), () => undefined);
    s.at(3_000);
    await s.outage.attempt('lag', async () => undefined, () => undefined);
    s.at(7_000);
    fail(timeout());
    await inFlight;
    expect(s.outage.ongoing).toBe(false);
    expect(s.lines.map((l) => l.msg)).toEqual(['NATS unreachable: consuming, lag measurement, watermark and fence heartbeats fail until it answers again', 'NATS reachable again']);
    // Counted all the same.
    expect(await s.metrics.registry.getSingleMetricAsString('pulse_aggregator_nats_request_failures_total')).toMatch(/source="fence_heartbeat"\} 1/);
  });

  it('hands any other failure to the caller, and starts no outage for it', async () => {
    const s = setup();
    const others: unknown[] = [];
    const refused = new NatsError('consumer not found', '404');
    await s.outage.attempt('lag', () => Promise.reject(refused), (err) => others.push(err));
    expect(others).toEqual([refused]);
    expect(s.outage.ongoing).toBe(false);
    expect(s.lines).toEqual([]);
  });
});

describe('NatsOutage.failure (the consume loop)', () => {
  it('starts an outage for a loop round NATS did not answer, counts the rounds after, and leaves the end to a periodic request', async () => {
    const s = setup();
    s.at(1_000);
    // A pull nobody answered, and the ping after it timed out: the reader's error, the ping's as cause.
    const silent = new PullFailedError('no answer to a pull within 5250 ms: NATS does not answer', { cause: timeout() });
    expect(s.outage.failure('consume', silent, s.outage.clock())).toBe(true);
    s.at(2_000);
    expect(s.outage.failure('consume', new NatsError('DISCONNECT', ErrorCode.Disconnect), s.outage.clock())).toBe(true);
    s.at(3_000);
    expect(await s.outage.attempt('lag', () => Promise.reject(timeout()), () => undefined)).toBeUndefined();
    expect(s.outage.ongoing).toBe(true);
    expect(await s.unreachable()).toBe(1);
    s.at(4_000);
    await s.outage.attempt('lag', async () => undefined, () => undefined);
    expect(s.lines.map((l) => [l.level, l.msg, l.fields.source])).toEqual([
      ['warn', 'NATS unreachable: consuming, lag measurement, watermark and fence heartbeats fail until it answers again', 'consume'],
      ['info', 'NATS reachable again', undefined],
    ]);
    expect(s.lines[1]!.fields).toEqual({ outage_ms: 3_000, failed_attempts: 3, first_failed: 'consume' });
    expect(await s.metrics.registry.getSingleMetricAsString('pulse_aggregator_nats_request_failures_total')).toMatch(/source="consume"\} 2/);
  });

  it('takes a round begun before NATS answered again, failing after, for no new outage', async () => {
    const s = setup();
    s.at(1_000);
    s.outage.failure('consume', timeout(), s.outage.clock());
    s.at(2_000);
    const began = s.outage.clock();
    s.at(3_000);
    await s.outage.attempt('fence_heartbeat', async () => undefined, () => undefined);
    s.at(8_000);
    // Its consumer check was sent at 2 s and timed out at 8 s, after the server was back.
    expect(s.outage.failure('consume', timeout(), began)).toBe(true);
    expect(s.outage.ongoing).toBe(false);
    expect(s.lines.map((l) => l.msg)).toEqual(['NATS unreachable: consuming, lag measurement, watermark and fence heartbeats fail until it answers again', 'NATS reachable again']);
  });

  it('leaves any other failure to the loop to log: a missing consumer, ClickHouse', async () => {
    const s = setup();
    const missing = new PullFailedError('no answer to a pull within 5250 ms (consumer missing?)');
    const storage = new StorageError('connect ECONNREFUSED', { retryable: true });
    for (const err of [missing, storage, new NatsError('consumer not found', '404')]) expect(s.outage.failure('consume', err, s.outage.clock())).toBe(false);
    expect(s.outage.ongoing).toBe(false);
    expect(s.lines).toEqual([]);
    expect(await s.metrics.registry.getSingleMetricAsString('pulse_aggregator_nats_request_failures_total')).not.toMatch(/source="consume"/);
  });
});

describe('isNatsUnreachable', () => {
  it('knows the codes of a NATS that does not answer, also as a cause', () => {
    for (const code of [ErrorCode.Timeout, ErrorCode.Disconnect, ErrorCode.ConnectionClosed, ErrorCode.ConnectionRefused, ErrorCode.NoResponders]) {
      expect(isNatsUnreachable(new NatsError(code, code))).toBe(true);
    }
    expect(isNatsUnreachable(new Error('wrapped', { cause: timeout() }))).toBe(true);
    expect(isNatsUnreachable(new PullFailedError('pull ended with status 503', { cause: new NatsError('503', ErrorCode.NoResponders) }))).toBe(true);
    expect(isNatsUnreachable(new NatsError('bad subject', ErrorCode.BadSubject))).toBe(false);
    expect(isNatsUnreachable(new Error('TIMEOUT'))).toBe(false);
  });

  it('knows a KV write whose publish got no answer (the visits and salts steps of a batch)', () => {
    for (const code of ['timeout', 'unavailable', 'no_responders'] as const) {
      expect(isNatsUnreachable(new KvCasError('kv_cas_failed', 'visit state write failed', { cause: new PublishError(code, code) }))).toBe(true);
    }
    // Refused by the stream (a wrong last sequence) or the publisher closed at shutdown: not an outage.
    expect(isNatsUnreachable(new KvCasError('kv_cas_failed', 'conflict', { cause: new PublishError('refused', 'wrong last sequence', { apiCode: 10071 }) }))).toBe(false);
    expect(isNatsUnreachable(new PublishError('closed', 'publisher closed'))).toBe(false);
  });
});
