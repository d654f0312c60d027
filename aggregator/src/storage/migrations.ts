import { MigrationError, StorageError } from '../errors.js';
import { ddlContext, SITE_SHARDING_KEY, tableSettings, type DdlContext, type DdlOptions, type MigrationStep } from './ddl.js';
import { ARCHIVE_TABLE, archiveScrubbedStatements, createArchiveTable } from './schema-archive.js';
import { createEventsTable, EVENTS_TABLE } from './schema-events.js';
import {
  countsOnlyStatements,
  FIRST_ROLLUPS,
  FIRST_SITE_ROLLUP,
  FIRST_VISITS_ROLLUP,
  PATHS_BY_PATH_ROLLUP,
  PATHS_ROLLUP,
  revenueCurrenciesStatements,
  rollupStatements,
  sketchStatements,
  visitAttributeStatements,
} from './schema-rollups.js';
import type { Storage } from './types.js';

export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * A schema step. Every statement must be idempotent on its own (IF NOT EXISTS, ADD COLUMN IF NOT
 * EXISTS, a guarded backfill, …): a step that failed or was killed half way is re-run whole. A
 * step is recorded in `schema_migrations` only after all its statements succeeded. Two `migrate`
 * calls at once against one ClickHouse would run a new rollup's backfill twice: the aggregator
 * runs it under its store lock (store-lock.ts).
 */
export interface Migration {
  /** Sortable, unique, never reused: `0001_events`. */
  readonly id: string;
  statements(ctx: DdlContext): MigrationStep[];
}

export const MIGRATIONS: readonly Migration[] = [
  { id: '0001_events', statements: (ctx) => [createEventsTable(ctx), ...ctx.distributed(EVENTS_TABLE, SITE_SHARDING_KEY)] },
  {
    id: '0002_acquisition_and_dedup_index',
    statements: (ctx) => [
      ...ctx.columnTables(EVENTS_TABLE).flatMap((t) => [
        `ALTER TABLE ${t}${ctx.onCluster} ADD COLUMN IF NOT EXISTS source LowCardinality(String) AFTER utm_content`,
        `ALTER TABLE ${t}${ctx.onCluster} ADD COLUMN IF NOT EXISTS medium LowCardinality(String) AFTER source`,
      ]),
      // The client-event-id dedup lookup probes recent events by id.
      `ALTER TABLE ${ctx.local(EVENTS_TABLE)}${ctx.onCluster} ADD INDEX IF NOT EXISTS idx_event_id event_id TYPE bloom_filter(0.001) GRANULARITY 1`,
    ],
  },
  { id: '0003_rollups', statements: (ctx) => FIRST_ROLLUPS.flatMap((r) => rollupStatements(ctx, r, 'first')) },
  // Sharded by sequence: a repeated archive insert lands on the shard that holds the first.
  { id: '0004_archive', statements: (ctx) => [createArchiveTable(ctx), ...ctx.distributed(ARCHIVE_TABLE, 'stream_seq')] },
  // Small visitors/visits sketches the query API can merge in microseconds (the views stop
  // computing the `uniq` states nobody reads), and a per-path rollup of all events so "Top pages"
  // with visitors need not scan raw events.
  {
    id: '0005_rollup_sketches',
    statements: (ctx) => [
      ...FIRST_ROLLUPS.flatMap((r) => (r.sketches ? sketchStatements(ctx, r) : countsOnlyStatements(ctx, r))),
      ...rollupStatements(ctx, PATHS_ROLLUP),
    ],
  },
  { id: '0006_site_rollup', statements: (ctx) => rollupStatements(ctx, FIRST_SITE_ROLLUP) },
  { id: '0007_paths_by_path', statements: (ctx) => rollupStatements(ctx, PATHS_BY_PATH_ROLLUP, 'current', PATHS_ROLLUP) },
  // Whole visits without a GROUP BY at query time: the dashboard's headline cards and its session
  // breakdowns (sources, entry and exit pages) timed out at 100,000,000 events when read raw.
  { id: '0008_visits_rollup', statements: (ctx) => rollupStatements(ctx, FIRST_VISITS_ROLLUP) },
  // Each visit's attributes as time-prefixed strings (cheaper to write and read than argMin states),
  // now with its first referrer and UTM fields: the dashboard's referrer and UTM tabs timed out at
  // 100,000,000 events.
  { id: '0009_visit_attributes', statements: visitAttributeStatements },
  // The currencies each site's revenue was recorded in, per day: `revenue` sums amounts as sent, and
  // the query API says which currencies a sum mixes. A column of the site rollup (no view of its
  // own: each view writes a part per insert), backfilled from raw events.
  { id: '0010_revenue_currencies', statements: revenueCurrenciesStatements },
  // The archive keeps no IP: new rows are copies without one; rows written before are scrubbed by
  // the aggregator in the background (archive-scrub.ts), which this column tells apart.
  { id: '0011_archive_scrubbed', statements: archiveScrubbedStatements },
];

/** The table of applied migrations (on a sharded cluster, local tables under a Distributed one). */
export function createMigrationsTable(ctx: DdlContext): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${ctx.local(MIGRATIONS_TABLE)}${ctx.onCluster} (
  id String,
  applied_at DateTime64(3, 'UTC')
)
ENGINE = ${ctx.engine('ReplacingMergeTree', 'applied_at')}
ORDER BY id
${tableSettings()}`,
    ...ctx.distributed(MIGRATIONS_TABLE, 'cityHash64(id)'),
  ];
}

async function appliedIds(storage: Storage): Promise<Set<string>> {
  const rows = await storage.query<{ id: string }>(`SELECT DISTINCT id FROM ${MIGRATIONS_TABLE}`);
  return new Set(rows.map((r) => r.id));
}

/**
 * Applies the migrations not yet recorded, in order; a second run is a no-op.
 * `cluster` renders ON CLUSTER DDL with Replicated engines; `sharded` adds a Distributed table
 * over per-shard tables (ARCHITECTURE.md, "Cluster layouts").
 */
export interface MigrateOptions extends DdlOptions {
  /** Raw events older than this many days are dropped by ClickHouse (TTL); rollups are kept. */
  eventsTtlDays?: number;
  /** Defaults to MIGRATIONS; tests pass a prefix to reproduce an older data directory. */
  migrations?: readonly Migration[];
}

export async function migrate(storage: Storage, opts: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const ctx = ddlContext(opts);
  const list = opts.migrations ?? MIGRATIONS;
  for (const sql of createMigrationsTable(ctx)) await runStatement(storage, 'schema_migrations', sql);
  const done = await appliedIds(storage);
  const applied: string[] = [];
  for (const m of [...list].sort((a, b) => a.id.localeCompare(b.id))) {
    if (done.has(m.id)) continue;
    for (const step of m.statements(ctx)) {
      if (typeof step !== 'string' && (await tableExists(storage, m.id, step.unlessExists))) continue;
      await runStatement(storage, m.id, typeof step === 'string' ? step : step.sql);
    }
    try {
      await storage.insert(MIGRATIONS_TABLE, [{ id: m.id, applied_at: Date.now() }]);
    } catch (err) {
      throw new MigrationError(m.id, 'could not record as applied', { cause: err });
    }
    applied.push(m.id);
  }
  if (opts.eventsTtlDays !== undefined) {
    if (!Number.isInteger(opts.eventsTtlDays) || opts.eventsTtlDays < 1) {
      throw new MigrationError('ttl', `eventsTtlDays must be a positive integer, got ${String(opts.eventsTtlDays)}`);
    }
    await runStatement(
      storage,
      'ttl',
      `ALTER TABLE ${ctx.local(EVENTS_TABLE)}${ctx.onCluster} MODIFY TTL toDateTime(ts) + INTERVAL ${opts.eventsTtlDays} DAY`,
    );
  }
  return { applied };
}

async function tableExists(storage: Storage, id: string, name: string): Promise<boolean> {
  try {
    const [row] = await storage.query<{ n: number }>(
      'SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {name:String}',
      { name },
    );
    return (row?.n ?? 0) > 0;
  } catch (err) {
    throw new MigrationError(id, err instanceof Error ? err.message : String(err), { cause: err });
  }
}

async function runStatement(storage: Storage, id: string, sql: string): Promise<void> {
  try {
    await storage.command(sql);
  } catch (err) {
    const msg = err instanceof StorageError ? err.message : String(err);
    throw new MigrationError(id, msg, { cause: err });
  }
}
