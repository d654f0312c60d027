import type { SchemaInfo } from '../schema-probe.js';
import type { QueryPlan } from './plan.js';
import type { FunnelPlan } from './funnel-plan.js';
import type { RangeSite } from './date-range.js';
import { PATHS_BY_PATH_MIGRATION, SITE_MIGRATION, SKETCH_MIGRATION } from './rollups.js';
import { VISIT_ATTRIBUTES_MIGRATION, VISITS_MIGRATION, VISITS_TABLE } from './visits.js';

/** A site in UTC created at the epoch, so `all` reaches as far back as a test likes. */
export const UTC_SITE: RangeSite = { timezone: 'UTC', created_at: 0 };

/** For the query builders' unit tests: every table and migration there is, so whatever could answer faster than raw events would. */
export const ALL_TABLES: SchemaInfo = {
  eventColumns: new Set(['source']),
  tables: new Set([
    'events',
    VISITS_TABLE,
    ...['site', 'events', 'pages', 'paths', 'tech_geo'].flatMap((r) => ['minute', 'hour', 'day'].map((g) => `rollup_${r}_${g}`)),
    'rollup_paths_by_path_day',
  ]),
  migrations: new Set([SKETCH_MIGRATION, SITE_MIGRATION, PATHS_BY_PATH_MIGRATION, VISITS_MIGRATION, VISIT_ATTRIBUTES_MIGRATION]),
};

/** A plan of one site over two UTC days, for the builders' unit tests to vary. */
export function testPlan(over: Partial<QueryPlan> = {}): QueryPlan {
  return {
    siteId: 's_AAAAAAAAAAAAAAAA',
    metrics: ['pageviews'],
    dimensions: [],
    filters: [],
    orderBy: [],
    limit: 10,
    offset: 0,
    timezone: 'UTC',
    range: { fromMs: 0, toMs: 2 * 86_400_000 },
    includeBots: false,
    ...over,
  };
}

/** A three-step funnel plan (page /, page /pricing, event signup) with the given labels. */
export function testFunnelPlan(scope: 'visit' | 'visitor', labels: readonly string[] = ['Visit /', 'Pricing', 'signup']): FunnelPlan {
  return {
    siteId: 's_AAAAAAAAAAAAAAAA',
    steps: [
      { kind: 'page', value: '/', label: labels[0] ?? '' },
      { kind: 'page', value: '/pricing', label: labels[1] ?? '' },
      { kind: 'event', value: 'signup', label: labels[2] ?? '' },
    ],
    filters: [],
    timezone: 'UTC',
    range: { fromMs: 0, toMs: 1 },
    includeBots: false,
    scope,
    windowMs: scope === 'visit' ? null : 86_400_000,
  };
}
