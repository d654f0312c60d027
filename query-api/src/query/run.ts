import { mapStorageError, type QueryStorage } from '../storage.js';
import { bucketsBetween, formatZoned, type TimeUnit } from '../time/zone.js';
import { isTimeDimension, type MetricName } from './catalog.js';
import { bucketSlots, type Slot } from './bucket-slots.js';
import { change } from './change.js';
import type { QueryPlan, Range } from './plan.js';
import { MAX_TIME_BUCKETS } from './plan.js';
import { EVENTS_TABLE, buildQuery, needsSessions, type BuildOptions, type BuiltQuery } from './sql.js';
import { DAY_MS, ROLLUP_SKETCHES, buildRollupQuery, chooseRollup, sourceLabel, type RollupChoice } from './rollups.js';
import { VISITS_TABLE, buildVisitsQuery, visitsAnswer } from './visits.js';
import { VISITS_JOIN_TABLE, buildVisitsJoinQuery, visitsJoinAnswer } from './visits-join.js';
import { DEFAULT_MIN_CANDIDATES, candidateCount, candidatesSuffice, prunable } from './top-candidates.js';
import type { SchemaInfo } from '../schema-probe.js';

export interface Comparison {
  dimensions: string[];
  metrics: number[];
  /** Per metric, as `CHANGE_RULE` (change.ts) says. */
  change: (number | null)[];
}

export interface ResultRow {
  dimensions: string[];
  metrics: number[];
  comparison?: Comparison;
}

export interface QueryOutcome {
  results: ResultRow[];
  hasMore: boolean;
  /** The table that answered: `events` or a rollup. */
  table: string;
  /** Requested metrics that came from `uniq` sketches. */
  sketches: MetricName[];
}

export interface RunOptions {
  /** ClickHouse settings for every statement (time limits). */
  settings: Record<string, string | number | boolean>;
  schema: SchemaInfo;
  /** Fewest candidates a top list by visitors is answered from, or false to always merge every group (top-candidates.ts). */
  minCandidates?: number | false;
}

interface RawRow {
  /** Dimension values as ClickHouse returned them (time buckets as epoch seconds). */
  dims: (string | number)[];
  metrics: number[];
}

async function fetchRows(storage: QueryStorage, q: BuiltQuery, opts: RunOptions): Promise<RawRow[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await storage.query<Record<string, unknown>>(q.sql, q.params, opts.settings);
  } catch (err) {
    mapStorageError(err);
  }
  return rows.map((r) => ({
    dims: q.dimensionAliases.map((a) => r[a] as string | number),
    metrics: q.metricAliases.map((a) => {
      const v = Number(r[a]);
      return Number.isFinite(v) ? v : 0;
    }),
  }));
}

function defaultOrder(plan: QueryPlan): [string, 'asc' | 'desc'][] {
  if (plan.orderBy.length > 0) return plan.orderBy;
  if (plan.time) return [[plan.time, 'asc']];
  return [[plan.metrics[0] as string, 'desc']];
}

function unitOf(plan: QueryPlan): TimeUnit | undefined {
  return plan.time ? (plan.time.slice(5) as TimeUnit) : undefined;
}

function buckets(plan: QueryPlan, range: Range): readonly number[] {
  const unit = unitOf(plan);
  if (!unit) return [];
  return bucketsBetween(unit, range.fromMs, range.toMs, plan.timezone, MAX_TIME_BUCKETS) ?? [];
}

/** Key of a row for matching: time buckets by their slot in the range (bucketSlots), other values as they are. */
function matchKey(plan: QueryPlan, dims: (string | number)[], slot: Map<number, Slot>): string {
  return JSON.stringify(dims.map((v, i) => (isTimeDimension(plan.dimensions[i] ?? '') ? (slot.get(Number(v)) ?? `t${v}`) : v)));
}

function compareRows(a: RawRow, b: RawRow, plan: QueryPlan, order: [string, 'asc' | 'desc'][]): number {
  for (const [field, dir] of order) {
    const mi = plan.metrics.indexOf(field as MetricName);
    const x = mi >= 0 ? a.metrics[mi] : a.dims[plan.dimensions.indexOf(field as never)];
    const y = mi >= 0 ? b.metrics[mi] : b.dims[plan.dimensions.indexOf(field as never)];
    if (x === y || x === undefined || y === undefined) continue;
    const c = x < y ? -1 : 1;
    return dir === 'asc' ? c : -c;
  }
  return 0;
}

/** The page of a top list by visitors or visits read among candidates, or undefined when they do not settle it. */
async function fromCandidates(
  storage: QueryStorage,
  plan: QueryPlan,
  rollup: RollupChoice | undefined,
  page: NonNullable<BuildOptions['page']>,
  opts: RunOptions,
): Promise<RawRow[] | undefined> {
  if (opts.minCandidates === false || !rollup || !prunable(plan, page.orderBy)) return undefined;
  const k = candidateCount(plan, opts.minCandidates ?? DEFAULT_MIN_CANDIDATES);
  const byEvents: QueryPlan = { ...plan, metrics: ['events'], orderBy: [['events', 'desc']], compare: undefined };
  const base = { range: plan.range, schema: opts.schema, rollup };
  const ranked = await fetchRows(storage, buildRollupQuery(byEvents, { ...base, page: { orderBy: byEvents.orderBy, limit: k + 1, offset: 0 } }), opts);
  const excluded = ranked[k]?.metrics[0];
  // Every group is a candidate: the full query is the same work.
  if (excluded === undefined) return undefined;
  const candidates = ranked.slice(0, k).map((r) => String(r.dims[0]));
  // The candidates' sketches from the copy sorted by group, where their rows lie together.
  const merged = rollup.byGroup ? { ...rollup, table: rollup.byGroup } : rollup;
  const rows = await fetchRows(storage, buildRollupQuery(plan, { ...base, rollup: merged, page, candidates }), opts);
  const orderedBy = plan.metrics.indexOf(page.orderBy[0]?.[0] as MetricName);
  const last = rows.length === page.limit ? rows[rows.length - 1]?.metrics[orderedBy] : undefined;
  return candidatesSuffice(last, excluded) ? rows : undefined;
}

/**
 * Totals from the visits table (the dashboard's headline cards) take `visitors` from the rollup a
 * visitors-only total reads (daily sketches of the whole site), so the two agree, and the visits
 * statement need not count every visit's visitor id: that was a third of it at 100,000,000 events.
 */
function visitorsApart(plan: QueryPlan, visits: boolean, schema: SchemaInfo): { rest: QueryPlan; only: QueryPlan; rollup: RollupChoice } | undefined {
  if (!visits || plan.dimensions.length > 0 || plan.filters.length > 0) return undefined;
  if (!plan.metrics.includes('visitors') || plan.metrics.length === 1) return undefined;
  const only: QueryPlan = { ...plan, metrics: ['visitors'], orderBy: [] };
  const rollup = chooseRollup(only, schema);
  if (!rollup?.sketches) return undefined;
  return { rest: { ...plan, metrics: plan.metrics.filter((m) => m !== 'visitors'), orderBy: [] }, only, rollup };
}

/** Runs a plan: a time series is gap-filled and paged here; any other breakdown is ordered and paged in SQL. */
export async function runQuery(storage: QueryStorage, plan: QueryPlan, opts: RunOptions): Promise<QueryOutcome> {
  const order = defaultOrder(plan);
  const rollup = chooseRollup(plan, opts.schema);
  const visits = !rollup && needsSessions(plan) && visitsAnswer(plan, opts.schema);
  const joined = !rollup && !visits && visitsJoinAnswer(plan, opts.schema);
  const build = (o: Omit<BuildOptions, 'schema' | 'rollup'>): BuiltQuery => {
    if (rollup) return buildRollupQuery(plan, { ...o, schema: opts.schema, rollup });
    if (visits) return buildVisitsQuery(plan, { ...o, schema: opts.schema });
    return joined ? buildVisitsJoinQuery(plan, { ...o, schema: opts.schema }) : buildQuery(plan, { ...o, schema: opts.schema });
  };
  const apart = visitorsApart(plan, visits, opts.schema);
  /** The rows of `build(o)`; totals with visitors kept apart come from two statements. */
  const fetch = async (o: Omit<BuildOptions, 'schema' | 'rollup'>): Promise<RawRow[]> => {
    if (!apart) return fetchRows(storage, build(o), opts);
    const [rest] = await fetchRows(storage, buildVisitsQuery(apart.rest, { ...o, schema: opts.schema }), opts);
    const [only] = await fetchRows(storage, buildRollupQuery(apart.only, { ...o, schema: opts.schema, rollup: apart.rollup }), opts);
    const metrics = plan.metrics.map((m) => (m === 'visitors' ? only?.metrics[0] : rest?.metrics[apart.rest.metrics.indexOf(m)]) ?? 0);
    return [{ dims: [], metrics }];
  };
  const series = plan.time !== undefined && plan.dimensions.length === 1;
  // Conversion by event name: every name is a goal, over all visitors of the (otherwise filtered) period.
  const perGoal = plan.metrics.includes('conversion_rate') && plan.dimensions.includes('event_name');
  const visitorsOf = async (range: Range): Promise<number | undefined> => {
    if (!perGoal) return undefined;
    const total: QueryPlan = {
      ...plan,
      metrics: ['visitors'],
      dimensions: [],
      filters: plan.filters.filter((f) => f.dimension !== 'event_name'),
      orderBy: [],
      time: undefined,
      compare: undefined,
    };
    const r = chooseRollup(total, opts.schema);
    const q = r ? buildRollupQuery(total, { range, schema: opts.schema, rollup: r }) : buildQuery(total, { range, schema: opts.schema });
    const [row] = await fetchRows(storage, q, opts);
    return row?.metrics[0] ?? 0;
  };
  const mainDen = await visitorsOf(plan.range);
  let rows: RawRow[];
  let hasMore: boolean;

  if (series) {
    const got = await fetchRows(storage, build({ range: plan.range, conversionDenominator: mainDen }), opts);
    const byBucket = new Map(got.map((r) => [Number(r.dims[0]), r]));
    const zero = plan.metrics.map(() => 0);
    const filled: RawRow[] = buckets(plan, plan.range).map((ms) => byBucket.get(ms / 1000) ?? { dims: [ms / 1000], metrics: zero });
    const seen = new Set(filled.map((r) => Number(r.dims[0])));
    for (const r of got) if (!seen.has(Number(r.dims[0]))) filled.push(r);
    filled.sort((a, b) => compareRows(a, b, plan, order) || Number(a.dims[0]) - Number(b.dims[0]));
    rows = filled.slice(plan.offset, plan.offset + plan.limit);
    hasMore = filled.length > plan.offset + plan.limit;
  } else {
    const page = { orderBy: order, limit: plan.limit + 1, offset: plan.offset };
    rows =
      (await fromCandidates(storage, plan, rollup, page, opts)) ??
      (await fetch({ range: plan.range, page, conversionDenominator: mainDen }));
    hasMore = rows.length > plan.limit;
    if (hasMore) rows = rows.slice(0, plan.limit);
  }

  let compared: Map<string, RawRow> | undefined;
  const mainBuckets = buckets(plan, plan.range);
  const cmpBuckets = plan.compare ? buckets(plan, plan.compare) : [];
  const [mainSlots, cmpSlots] = bucketSlots(unitOf(plan), mainBuckets, cmpBuckets, plan.timezone);
  const mainSlot = new Map(mainBuckets.map((ms, i) => [ms / 1000, mainSlots[i] as Slot]));
  /** Slot → the compared range's bucket (seconds) in it. */
  const cmpBySlot = new Map(cmpBuckets.map((ms, i) => [cmpSlots[i] as Slot, ms / 1000]));
  /** The bucket of the compared range a bucket of the range (seconds) is compared with. */
  const counterpart = (sec: number): number | undefined => {
    const slot = mainSlot.get(sec);
    return slot === undefined ? undefined : cmpBySlot.get(slot);
  };
  if (plan.compare) {
    const cmpSlot = new Map(cmpBuckets.map((ms, i) => [ms / 1000, cmpSlots[i] as Slot]));
    let cmp: RawRow[] = [];
    const cmpDen = await visitorsOf(plan.compare);
    if (plan.dimensions.length === 0 || series) {
      cmp = await fetch({ range: plan.compare, conversionDenominator: cmpDen });
    } else if (rows.length > 0) {
      // Only the groups on this page, with time buckets moved to their counterparts in the other range.
      const groups: string[][] = [];
      for (const r of rows) {
        const g = r.dims.map((v, i) => {
          if (!isTimeDimension(plan.dimensions[i] ?? '')) return String(v);
          const sec = counterpart(Number(v));
          return sec === undefined ? null : String(sec);
        });
        if (!g.includes(null)) groups.push(g as string[]);
      }
      if (groups.length > 0) cmp = await fetchRows(storage, build({ range: plan.compare, onlyGroups: groups, conversionDenominator: cmpDen }), opts);
    }
    compared = new Map(cmp.map((r) => [matchKey(plan, r.dims, cmpSlot), r]));
  }

  const show = (dims: (string | number)[]) =>
    dims.map((v, i) => (isTimeDimension(plan.dimensions[i] ?? '') ? formatZoned(Number(v) * 1000, plan.timezone) : String(v)));

  const results = rows.map((r): ResultRow => {
    const out: ResultRow = { dimensions: show(r.dims), metrics: r.metrics };
    if (!compared || !plan.compare) return out;
    const key = matchKey(plan, r.dims, mainSlot);
    const prev = compared.get(key);
    let prevDims: (string | number)[] | undefined = prev?.dims;
    if (!prevDims) {
      // No previous row: the counterpart group had no data (or, for a longer range, no counterpart bucket).
      prevDims = r.dims.map((v, i) => {
        if (!isTimeDimension(plan.dimensions[i] ?? '')) return v;
        return counterpart(Number(v)) ?? Number.NaN;
      });
      if (prevDims.some((v) => typeof v === 'number' && Number.isNaN(v))) return out;
    }
    const prevMetrics = prev?.metrics ?? plan.metrics.map(() => 0);
    out.comparison = {
      dimensions: show(prevDims),
      metrics: prevMetrics,
      change: plan.metrics.map((m, i) => change(m, r.metrics[i] ?? 0, prevMetrics[i] ?? 0)),
    };
    return out;
  });
  const sketches = plan.metrics.filter((m) => m === 'visitors' || m === 'conversion_rate' || (rollup && ROLLUP_SKETCHES.includes(m)));
  const table = rollup
    ? sourceLabel(rollup.table, plan, rollup.grainMs)
    : visits
      ? sourceLabel(VISITS_TABLE, plan, DAY_MS)
      : joined
        ? VISITS_JOIN_TABLE
        : EVENTS_TABLE;
  return { results, hasMore, table, sketches };
}
