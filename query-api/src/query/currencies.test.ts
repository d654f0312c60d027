import { describe, expect, it } from 'vitest';
import { buildCurrenciesQuery, CURRENCIES_TABLE, currenciesWanted, currencyWarning, REVENUE_CURRENCIES_MIGRATION } from './currencies.js';
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
const schema = {
  eventColumns: new Set(['source']),
  tables: new Set(['events', CURRENCIES_TABLE, 'rollup_visits_day']),
  migrations: new Set(['0005_rollup_sketches', '0006_site_rollup', VISITS_MIGRATION, VISIT_ATTRIBUTES_MIGRATION, REVENUE_CURRENCIES_MIGRATION]),
};
/** An aggregator without the table of visits: visit attributes come from raw events grouped by visit. */
const noVisits = { ...schema, tables: new Set(['events', CURRENCIES_TABLE]), migrations: new Set([REVENUE_CURRENCIES_MIGRATION]) };

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
    const q = buildCurrenciesQuery(base, schema);
    expect(q.sql).toContain(`SELECT arrayJoin(revenue_currencies) AS revenue_currency FROM ${CURRENCIES_TABLE} WHERE`);
    expect(q.sql).toContain('is_bot = 0');
    expect(q.sql).not.toContain('FROM events');
    expect(Object.values(q.params)).toEqual([base.siteId, 10 * 86_400, 12 * 86_400]);
  });

  it('reads the edges of a range off UTC midnight from raw events, and the compared range too', () => {
    const hour = 3_600_000;
    const q = buildCurrenciesQuery({ ...base, range: { fromMs: 10 * DAY - hour, toMs: 12 * DAY - hour }, compare: { fromMs: 8 * DAY, toMs: 10 * DAY }, includeBots: true }, schema);
    expect(q.sql.match(new RegExp(`FROM ${CURRENCIES_TABLE} WHERE`, 'g'))).toHaveLength(2);
    expect(q.sql.match(/FROM events WHERE/g)).toHaveLength(1);
    expect(q.sql).toContain("revenue_currency != ''");
    expect(q.sql).not.toContain('is_bot');
  });

  it('applies revenue_currency filters alone to the site rollup, as parameters', () => {
    const evil = "EUR' OR 1=1 --";
    const q = buildCurrenciesQuery({ ...base, filters: [{ op: 'is_not', dimension: 'revenue_currency', values: [evil] }] }, schema);
    expect(q.sql).toContain(`FROM ${CURRENCIES_TABLE}`);
    expect(q.sql).not.toContain(evil);
    expect(q.sql).toContain('revenue_currency NOT IN {p');
    expect(Object.values(q.params)).toContainEqual([evil]);
  });

  it('reads raw events with every filter once another dimension is filtered, values as parameters', () => {
    const evil = "/pricing' OR 1=1 --";
    const q = buildCurrenciesQuery(
      {
        ...base,
        filters: [
          { op: 'contains', dimension: 'page', values: [evil], ignoreCase: true },
          { op: 'is', dimension: 'prop:plan', values: ['gold'] },
          { op: 'is_not', dimension: 'revenue_currency', values: ['USD'] },
        ],
      },
      schema,
    );
    expect(q.sql).not.toContain(CURRENCIES_TABLE);
    expect(q.sql).toMatch(/FROM events\nWHERE site_id = \{p\d+:String\}/);
    expect(q.sql).toContain('multiSearchAny(lowerUTF8(path), arrayMap(fv -> lowerUTF8(fv), {p');
    expect(q.sql).toMatch(/props\[\{p\d+:String\}\] IN \{p\d+:Array\(String\)\}/);
    expect(q.sql).toMatch(/revenue_currency NOT IN \{p\d+:Array\(String\)\}\n {2}AND revenue_currency NOT IN \{p\d+:Array\(String\)\}/);
    expect(q.sql).toContain('is_bot = 0');
    expect(q.sql).not.toContain(evil);
    expect(q.sql).not.toContain('gold');
    const values = Object.values(q.params);
    expect(values).toContainEqual([evil]);
    expect(values).toContainEqual(['USD']);
    expect(values).toContainEqual(['']);
    expect(values).toContain('plan');
  });

  it('reads both ranges in one statement, their parameters apart', () => {
    const q = buildCurrenciesQuery({ ...base, filters: [{ op: 'is', dimension: 'country', values: ['DE'] }], compare: { fromMs: 8 * DAY, toMs: 10 * DAY } }, schema);
    expect(q.sql.match(/FROM events\nWHERE/g)).toHaveLength(2);
    expect(q.sql).toContain('UNION ALL');
    expect(Object.values(q.params).filter((v) => JSON.stringify(v) === '["DE"]')).toHaveLength(2);
    // Each statement's values under names of their own: both ranges' bounds are there.
    const values = Object.values(q.params);
    for (const day of [8, 10, 12]) expect(values).toContain(new Date(day * DAY).toISOString().replace('T', ' ').replace('Z', ''));
    for (const [name] of q.sql.matchAll(/\{p\d+:/g)) expect(q.params).toHaveProperty(name.slice(1, -1));
  });

  it("keeps the goal's events only: with conversion_rate the sum is of them", () => {
    const q = buildCurrenciesQuery({ ...base, metrics: ['revenue', 'conversion_rate'], filters: [{ op: 'is', dimension: 'event_name', values: ['purchase'] }] }, schema);
    expect(q.sql).toMatch(/AND name IN \{p\d+:Array\(String\)\}/);
    expect(Object.values(q.params)).toContainEqual(['purchase']);
  });

  it('filters on visit attributes through the table of visits, else by grouping raw events by visit', () => {
    const plan: QueryPlan = { ...base, filters: [{ op: 'is', dimension: 'entry_page', values: ['/landing'] }] };
    const joined = buildCurrenciesQuery(plan, schema);
    expect(joined.sql).toContain('FROM rollup_visits_day FINAL');
    expect(joined.sql).toContain('cityHash64(session_id, toDate(ts)) IN (');
    const raw = buildCurrenciesQuery(plan, noVisits);
    expect(raw.sql).not.toContain('rollup_visits_day');
    expect(raw.sql).toContain('INNER JOIN (SELECT session_id');
    expect(raw.sql).toMatch(/s\.s_entry_page IN \{p\d+:Array\(String\)\}/);
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
