import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, type Storage } from '@pulse/aggregator/storage';
import { REVENUE_CURRENCIES_MIGRATION } from '../src/query/currencies.js';
import { call, createTenant, startHarness, type Harness, eventRow, insertEvents, type Tenant } from './harness.js';

/**
 * A data directory of an aggregator that has not added `revenue_currencies` to `rollup_site_day` yet
 * (before its migration 0010): `revenue` answers without `meta.revenue_currencies` rather than
 * failing, and names them once the aggregator has migrated (the schema is re-read while the API runs).
 */
const NOW = Date.parse('2026-02-10T12:00:00Z');
const RANGE = { from: '2026-02-02T00:00:00Z', to: '2026-02-04T00:00:00Z' };
const MIXED = 'revenue sums amounts in EUR, USD without conversion (Pulse converts no currency): break it down by the revenue_currency dimension or filter on it, e.g. ["is", "revenue_currency", ["EUR"]]';

const purchase = (site: string, ts: string, amount: number, currency: string) =>
  eventRow({ site_id: site, ts, name: 'purchase', revenue_amount: amount, revenue_currency: currency });

describe('revenue currencies before the aggregator added their column', () => {
  const SCHEMA_REFRESH_MS = 50;
  let h: Harness;
  let storage: Storage;
  let url: string;
  let u: Tenant;

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW, schemaRefreshMs: SCHEMA_REFRESH_MS }, { migratedBefore: REVENUE_CURRENCIES_MIGRATION });
    ({ storage, url } = h);
    u = await createTenant(url);
    await insertEvents(storage, [purchase(u.siteId, '2026-02-02T10:00:00Z', 30, 'EUR'), purchase(u.siteId, '2026-02-02T11:00:00Z', 12.5, 'USD')]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers without meta.revenue_currencies, then with it once the migration is applied', async () => {
    const body = { site_id: u.siteId, metrics: ['revenue'], date_range: RANGE };
    const before = await call(url, 'POST', '/v1/query', { token: u.readKey, body });
    expect(before.status).toBe(200);
    expect(before.body.results).toEqual([{ dimensions: [], metrics: [42.5] }]);
    expect(before.body.meta).not.toHaveProperty('revenue_currencies');
    expect(before.body.meta).not.toHaveProperty('warnings');
    // Other filters would have the list read from raw events: still none before the migration, so
    // whether an answer has the field does not depend on its filters.
    const filtered = { ...body, filters: [['is', 'page', ['/']]] };
    const filteredBefore = await call(url, 'POST', '/v1/query', { token: u.readKey, body: filtered });
    expect(filteredBefore.status).toBe(200);
    expect(filteredBefore.body.results).toEqual([{ dimensions: [], metrics: [42.5] }]);
    expect(filteredBefore.body.meta).not.toHaveProperty('revenue_currencies');
    // The dimension reads raw events, so it works before the migration too.
    const split = await call(url, 'POST', '/v1/query', { token: u.readKey, body: { ...body, dimensions: ['revenue_currency'] } });
    expect(split.body.results).toEqual([
      { dimensions: ['EUR'], metrics: [30] },
      { dimensions: ['USD'], metrics: [12.5] },
    ]);

    // The aggregator upgrades (its backfill fills the column from the stored events).
    // Later migrations (not about reports) may follow.
    expect((await migrate(storage)).applied.filter((id) => id <= REVENUE_CURRENCIES_MIGRATION)).toEqual([REVENUE_CURRENCIES_MIGRATION]);
    let after = before;
    for (let i = 0; i < 100 && !('revenue_currencies' in after.body.meta); i++) {
      await new Promise((ok) => setTimeout(ok, SCHEMA_REFRESH_MS));
      h.api.invalidateCache();
      after = await call(url, 'POST', '/v1/query', { token: u.readKey, body });
    }
    expect(after.body.results).toEqual(before.body.results);
    expect(after.body.meta.revenue_currencies).toEqual(['EUR', 'USD']);
    expect(after.body.meta.warnings).toEqual([MIXED]);
    const filteredAfter = await call(url, 'POST', '/v1/query', { token: u.readKey, body: filtered });
    expect(filteredAfter.body.meta.revenue_currencies).toEqual(['EUR', 'USD']);
  });
});
