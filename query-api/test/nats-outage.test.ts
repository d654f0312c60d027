import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KV_READ_KEYS } from '@pulse/protocol';
import { DEFAULT_KEY_CACHE_TTL_MS, READY_OUTAGE_TIMEOUT_MS, READY_TIMEOUT_MS, type Logger } from '../src/index.js';
import { READINESS_SCHEMA } from '../src/readiness.js';
import { validate } from '../src/schema/json-schema.js';
import { ADMIN_TOKEN, call, createTenant, eventRow, insertEvents, startHarness, type Harness, type Tenant } from './harness.js';

/**
 * A NATS outage (the server frozen with SIGSTOP: connections open, nothing answered) while
 * ClickHouse is fine: read keys and sites confirmed before it keep working from their last known
 * good records for a bounded time; anything else gets 503, and revocations hold throughout.
 */

/** Short, so the test sees the bound pass; the default is 10 minutes. */
const STALE_MAX_MS = 12_000;
const RANGE = { from: '2026-01-05T00:00:00Z', to: '2026-01-07T00:00:00Z' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every thread of `pid` stopped (the state field of /proc/<pid>/task/<tid>/stat). */
function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const lines: { level: string; msg: string }[] = [];
const logger: Logger = { log: (level, msg) => lines.push({ level, msg }) };
let h: Harness;
let pid: number;
let paused = false;

function pause(): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  paused = true;
  // The signal reaches each thread as it is next interrupted; requests sent before that may be answered.
  return waitFor('nats-server stopped', () => allThreadsStopped(pid));
}

function resume(): void {
  if (!paused) return;
  process.kill(pid, 'SIGCONT');
  paused = false;
}

beforeAll(async () => {
  h = await startHarness({ tenancyStaleMaxMs: STALE_MAX_MS, rateLimit: { perSecond: 1000, burst: 1000 }, logger });
  pid = h.nats.pid as number;
});
afterAll(async () => {
  resume();
  await h?.close();
});

const query = (t: Tenant, metrics: string[] = ['pageviews']) =>
  call(h.url, 'POST', '/v1/query', { token: t.readKey, body: { site_id: t.siteId, metrics, date_range: RANGE } });
const staleAnswers = async () => {
  const m = await call<string>(h.url, 'GET', '/metrics');
  return Number(/^pulse_query_stale_tenancy_answers_total (\d+)$/m.exec(m.body)?.[1] ?? Number.NaN);
};

describe('a NATS outage', () => {
  it('keeps confirmed read keys and sites answering for a bounded time; unknown and revoked keys get 503', async () => {
    const used = await createTenant(h.url);
    const unseen = await createTenant(h.url);
    const revokedHere = await createTenant(h.url);
    const revokedElsewhere = await createTenant(h.url);
    await insertEvents(h.storage, [
      eventRow({ site_id: used.siteId, ts: '2026-01-05T10:00:00Z', visitor_id: 'a', session_id: 'a' }),
      eventRow({ site_id: used.siteId, ts: '2026-01-05T10:01:00Z', visitor_id: 'a', session_id: 'a', path: '/pricing' }),
      eventRow({ site_id: used.siteId, ts: '2026-01-06T09:00:00Z', visitor_id: 'b', session_id: 'b' }),
      eventRow({ site_id: used.siteId, ts: '2026-01-06T09:00:05Z', visitor_id: 'b', session_id: 'b', name: 'signup' }),
    ]);
    expect((await query(used)).body.results).toEqual([{ dimensions: [], metrics: [3] }]);
    expect((await call(h.url, 'GET', '/v1/sites', { token: used.readKey })).status).toBe(200);
    for (const t of [revokedHere, revokedElsewhere]) expect((await query(t)).status).toBe(200);
    expect((await call(h.url, 'DELETE', `/v1/admin/keys/${revokedHere.readKey}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await query(revokedHere)).status).toBe(401);
    // Another instance's revocation: this one never asks about the key again before the outage,
    // so only the bucket's watch can tell it that its last known good record is dead.
    await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).delete(revokedElsewhere.readKey);
    await sleep(300);
    expect((await query(used)).status).toBe(200);
    const lastConfirmed = Date.now();
    expect(await staleAnswers()).toBe(0);

    await pause();
    const adminWrite = call(h.url, 'POST', '/v1/admin/merchants', { token: ADMIN_TOKEN, body: { name: 'During the outage' } });
    // Past the answers' 1 s TTL (DEFAULT_KEY_CACHE_TTL_MS): from here on every lookup asks NATS.
    await sleep(lastConfirmed + DEFAULT_KEY_CACHE_TTL_MS + 100 - Date.now());

    // Not in the answer cache: real numbers from ClickHouse, on the key's and site's last records.
    const fresh = await query(used, ['visitors', 'pageviews', 'events']);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-cache')).toBe('miss');
    expect(fresh.body.results).toEqual([{ dimensions: [], metrics: [2, 3, 4] }]);
    expect((await query(used)).status).toBe(200);
    const sites = await call(h.url, 'GET', '/v1/sites', { token: used.readKey });
    expect(sites.status).toBe(200);
    expect(sites.body.sites.map((s: { site_id: string }) => s.site_id)).toEqual([used.siteId]);

    for (const t of [unseen, revokedHere, revokedElsewhere]) {
      const r = await query(t);
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('unavailable');
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(await staleAnswers()).toBe(3);
    expect(lines.filter((l) => l.level === 'warn' && /^tenancy lookups failing/.test(l.msg))).toHaveLength(1);

    // Writes need NATS.
    expect((await adminWrite).status).toBe(503);

    // The bound: no answer from a record confirmed longer ago than that.
    await sleep(lastConfirmed + STALE_MAX_MS + 200 - Date.now());
    expect((await query(used)).status).toBe(503);

    resume();
    await waitFor('the used key answering from NATS again', async () => (await query(used)).status === 200);
    expect(lines.some((l) => l.level === 'info' && /^tenancy lookups answer again/.test(l.msg))).toBe(true);
    const counted = await staleAnswers();
    expect((await query(used, ['events'])).status).toBe(200);
    expect(await staleAnswers()).toBe(counted);
  });

  it('after the outage, revocations take effect within 2 s again, by this instance or another', async () => {
    resume();
    const here = await createTenant(h.url);
    const elsewhere = await createTenant(h.url);
    expect((await query(here)).status).toBe(200);
    expect((await query(elsewhere)).status).toBe(200);
    const started = Date.now();
    expect((await call(h.url, 'DELETE', `/v1/admin/keys/${here.readKey}`, { token: ADMIN_TOKEN })).status).toBe(204);
    await (await h.nc.jetstream().views.kv(KV_READ_KEYS)).delete(elsewhere.readKey);
    await waitFor('both revocations', async () => (await query(here)).status === 401 && (await query(elsewhere)).status === 401, 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('/readyz during a NATS outage', () => {
  it('stays 200 (degraded) while stale tenancy can be served, turns 503 once the window has passed, ready again after', async () => {
    resume();
    const t = await createTenant(h.url);
    expect((await query(t)).status).toBe(200);
    const before = await call(h.url, 'GET', '/readyz');
    expect({ status: before.status, body: before.body }).toEqual({ status: 200, body: { status: 'ready', nats: true, storage: true, schema: true } });

    await pause();
    const frozenAt = Date.now();
    const degraded = await call(h.url, 'GET', '/readyz');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toEqual({
      status: 'degraded',
      nats: false,
      storage: true,
      schema: true,
      tenancy: 'stale',
      nats_unreachable_ms: expect.any(Number),
      stale_max_ms: STALE_MAX_MS,
    });
    validate(READINESS_SCHEMA, degraded.body);
    // Once the outage is known, a check waits READY_OUTAGE_TIMEOUT_MS for NATS, not READY_TIMEOUT_MS
    // (the bound sits between the two, so a loaded machine's slack does not fail it).
    expect(READY_OUTAGE_TIMEOUT_MS).toBeLessThan(READY_TIMEOUT_MS);
    const checkStarted = Date.now();
    expect((await call(h.url, 'GET', '/readyz')).status).toBe(200);
    expect(Date.now() - checkStarted).toBeLessThan(READY_TIMEOUT_MS);
    // What it says is so: the confirmed key answers, from its last known good record.
    await sleep(frozenAt + DEFAULT_KEY_CACHE_TTL_MS + 100 - Date.now());
    expect((await query(t, ['events'])).status).toBe(200);

    let r = degraded;
    await waitFor('/readyz to turn 503', async () => (r = await call(h.url, 'GET', '/readyz')).status === 503, STALE_MAX_MS + 10_000);
    // Not before the window has passed: the outage is dated from the probe that found NATS gone.
    expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(STALE_MAX_MS);
    expect(r.body).toMatchObject({ status: 'not_ready', nats: false, storage: true, schema: true, tenancy: 'unavailable', stale_max_ms: STALE_MAX_MS });
    expect(r.body.nats_unreachable_ms).toBeGreaterThanOrEqual(STALE_MAX_MS);
    validate(READINESS_SCHEMA, r.body);
    expect((await query(t, ['visitors'])).status).toBe(503);

    resume();
    await waitFor('/readyz ready again', async () => (r = await call(h.url, 'GET', '/readyz')).status === 200);
    expect(r.body).toEqual({ status: 'ready', nats: true, storage: true, schema: true });
  });
});
