import { describe, expect, it } from 'vitest';
import { buildCurrenciesQuery, CURRENCIES_TABLE, currenciesWanted, currencyWarning } from './currencies.js';
import type { QueryPlan } from './plan.js';
import { chooseRollup } from './rollups.js';
import { VISITS_MIGRATION, VISIT_ATTRIBUTES_MIGRATION, visitsAnswer } from './visits.js';

const DAY = 86_400_000;
const base: QueryPlan = {
  siteId: 's_AAAAAAAAAAAAAAAA',
  metrics: ['revenue'],
  dimensions: [],
  filters: [],
  orderBy: [],
  limit: 10,
  offset: 0,
  timezone: 'UTC',
  range: { fromMs: 10 * DAY, toMs: 12 * DAY },
  includeBots: false,
};

describe('currenciesWanted', () => {
  it('asks for the currencies of a revenue answer that does not separate them already', () => {
    expect(currenciesWanted(base)).toBe(true);
    expect(currenciesWanted({ ...base, metrics: ['events'] })).toBe(false);
    expect(currenciesWanted({ ...base, dimensions: ['revenue_currency'] })).toBe(false);
    expect(currenciesWanted({ ...base, dimensions: ['time:day', 'revenue_currency'] })).toBe(false);
    expect(currenciesWanted({ ...base, filters: [{ op: 'is', dimension: 'revenue_currency', values: ['EUR'] }] })).toBe(false);
    expect(currenciesWanted({ ...base, filters: [{ op: 'is', dimension: 'revenue_currency', values: ['eur'], ignoreCase: true }] })).toBe(false);
    expect(currenciesWanted({ ...base, filters: [{ op: 'is', dimension: 'revenue_currency', values: ['EUR', 'USD'] }] })).toBe(true);
    expect(currenciesWanted({ ...base, filters: [{ op: 'is_not', dimension: 'revenue_currency', values: ['EUR'] }] })).toBe(true);
    expect(currenciesWanted({ ...base, filters: [{ op: 'matches', dimension: 'revenue_currency', values: ['EUR'] }] })).toBe(true);
    expect(currenciesWanted({ ...base, filters: [{ op: 'is', dimension: 'page', values: ['/'] }] })).toBe(true);
  });
});

describe('buildCurrenciesQuery', () => {
  it('reads whole UTC days from the site rollup only, bots excluded', () => {
    const q = buildCurrenciesQuery(base);
    expect(q.sql).toContain(`SELECT arrayJoin(revenue_currencies) AS revenue_currency FROM ${CURRENCIES_TABLE} WHERE`);
    expect(q.sql).toContain('is_bot = 0');
    expect(q.sql).not.toContain('FROM events');
    expect(Object.values(q.params)).toEqual([base.siteId, 10 * 86_400, 12 * 86_400]);
  });

  it('reads the edges of a range off UTC midnight from raw events, and the compared range too', () => {
    const hour = 3_600_000;
    const q = buildCurrenciesQuery({ ...base, range: { fromMs: 10 * DAY - hour, toMs: 12 * DAY - hour }, compare: { fromMs: 8 * DAY, toMs: 10 * DAY }, includeBots: true });
    expect(q.sql.match(new RegExp(`FROM ${CURRENCIES_TABLE} WHERE`, 'g'))).toHaveLength(2);
    expect(q.sql.match(/FROM events WHERE/g)).toHaveLength(1);
    expect(q.sql).toContain("revenue_currency != ''");
    expect(q.sql).not.toContain('is_bot');
  });

  it('applies the revenue_currency filters as parameters, and no other filter', () => {
    const evil = "EUR' OR 1=1 --";
    const q = buildCurrenciesQuery({
      ...base,
      filters: [
        { op: 'is_not', dimension: 'revenue_currency', values: [evil] },
        { op: 'is', dimension: 'page', values: ['/pricing'] },
      ],
    });
    expect(q.sql).not.toContain(evil);
    expect(q.sql).toContain('revenue_currency NOT IN {p');
    expect(Object.values(q.params)).toContainEqual([evil]);
    expect(JSON.stringify(q.params)).not.toContain('/pricing');
  });
});

describe('the revenue_currency dimension is answered from raw events', () => {
  it('no rollup and no table of visits has it', () => {
    const schema = {
      eventColumns: new Set(['source']),
      tables: new Set(['rollup_site_day', 'rollup_events_day', 'rollup_events_hour', 'rollup_events_minute', 'rollup_tech_geo_day', 'rollup_visits_day']),
      migrations: new Set(['0005_rollup_sketches', '0006_site_rollup', VISITS_MIGRATION, VISIT_ATTRIBUTES_MIGRATION]),
    };
    const events: QueryPlan = { ...base, metrics: ['events', 'visitors'] };
    expect(chooseRollup(events, schema)).toBeDefined();
    expect(chooseRollup({ ...events, dimensions: ['revenue_currency'] }, schema)).toBeUndefined();
    expect(chooseRollup({ ...events, filters: [{ op: 'is', dimension: 'revenue_currency', values: ['EUR'] }] }, schema)).toBeUndefined();
    const visits: QueryPlan = { ...base, metrics: ['visits', 'revenue'], dimensions: ['source'] };
    expect(visitsAnswer(visits, schema)).toBe(true);
    expect(visitsAnswer({ ...visits, dimensions: ['source', 'revenue_currency'] }, schema)).toBe(false);
  });
});

describe('currencyWarning', () => {
  it('warns about several currencies only', () => {
    expect(currencyWarning(undefined)).toBeUndefined();
    expect(currencyWarning([])).toBeUndefined();
    expect(currencyWarning(['EUR'])).toBeUndefined();
    expect(currencyWarning(['EUR', 'USD'])).toBe(
      'revenue sums amounts in EUR, USD without conversion (Pulse converts no currency): break it down by the revenue_currency dimension or filter on it, e.g. ["is", "revenue_currency", ["EUR"]]',
    );
  });
});
