import { describe, expect, it } from 'vitest';
import { READINESS_CAUSES, READINESS_SCHEMA, readiness, readinessCauses, type ReadinessProbe } from './readiness.js';
import { validate } from './schema/json-schema.js';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const up: ReadinessProbe = { nats: true, natsClosed: false, storage: true, schema: true, natsUnreachableSince: undefined, staleMaxMs: 10 * MIN, now: NOW };

describe('readiness', () => {
  it('is ready with every dependency answering, in the body it always had', () => {
    expect(readiness(up)).toEqual({ httpStatus: 200, body: { status: 'ready', nats: true, storage: true, schema: true } });
    expect(readiness({ ...up, schema: false })).toEqual({ httpStatus: 503, body: { status: 'not_ready', nats: true, storage: true, schema: false } });
  });

  it('stays in rotation, degraded, while NATS has been out of reach for less than the stale window', () => {
    const r = readiness({ ...up, nats: false, natsUnreachableSince: NOW - 4 * MIN });
    expect(r).toEqual({
      httpStatus: 200,
      body: { status: 'degraded', nats: false, storage: true, schema: true, tenancy: 'stale', nats_unreachable_ms: 4 * MIN, stale_max_ms: 10 * MIN },
    });
  });

  it('is not ready once the stale window has passed, with stale answers turned off, or the connection closed for good', () => {
    for (const probe of [
      { ...up, nats: false, natsUnreachableSince: NOW - 10 * MIN },
      { ...up, nats: false, natsUnreachableSince: NOW - 1_000, staleMaxMs: 0 },
      { ...up, nats: false, natsClosed: true, natsUnreachableSince: NOW - 1_000 },
      { ...up, nats: true, natsClosed: true },
    ]) {
      const r = readiness(probe);
      expect(r.httpStatus).toBe(503);
      expect(r.body).toMatchObject({ status: 'not_ready', nats: false, tenancy: 'unavailable' });
    }
  });

  it('is not ready without ClickHouse, whatever NATS does', () => {
    expect(readiness({ ...up, storage: false, schema: false })).toMatchObject({ httpStatus: 503, body: { status: 'not_ready', storage: false } });
    const both = readiness({ ...up, nats: false, storage: false, schema: false, natsUnreachableSince: NOW - 1_000 });
    expect(both).toMatchObject({ httpStatus: 503, body: { status: 'not_ready', nats: false, storage: false, tenancy: 'stale' } });
  });

  it('does not count a failure it cannot date (not an outage: a refused request) as one to ride out', () => {
    expect(readiness({ ...up, nats: false })).toMatchObject({ httpStatus: 503, body: { status: 'not_ready', tenancy: 'unavailable' } });
  });
});

describe('readinessCauses', () => {
  it('names what keeps each body from ready, and nothing for a ready one', () => {
    const on = (p: ReadinessProbe) => READINESS_CAUSES.filter((c) => readinessCauses(readiness(p).body)[c]);
    expect(on(up)).toEqual([]);
    expect(on({ ...up, nats: false, natsUnreachableSince: NOW - MIN })).toEqual(['tenancy_stale']);
    expect(on({ ...up, nats: false, natsUnreachableSince: NOW - 11 * MIN })).toEqual(['tenancy_unavailable']);
    expect(on({ ...up, natsClosed: true })).toEqual(['tenancy_unavailable']);
    expect(on({ ...up, storage: false, schema: false })).toEqual(['storage_unreachable']);
    expect(on({ ...up, schema: false })).toEqual(['schema_missing']);
    expect(on({ ...up, nats: false, storage: false, schema: false, natsUnreachableSince: NOW - MIN })).toEqual(['tenancy_stale', 'storage_unreachable']);
  });
});

describe('READINESS_SCHEMA', () => {
  it('describes every body readiness gives', () => {
    for (const probe of [
      up,
      { ...up, schema: false },
      { ...up, nats: false, natsUnreachableSince: NOW - 1_000 },
      { ...up, nats: false, natsUnreachableSince: NOW - 11 * MIN },
      { ...up, nats: false },
      { ...up, natsClosed: true },
    ]) {
      expect(() => validate(READINESS_SCHEMA, readiness(probe).body)).not.toThrow();
    }
  });
});
