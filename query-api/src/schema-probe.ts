import type { QueryStorage } from './storage.js';
import { Refreshing } from './refreshing.js';

/** What the aggregator's migrations have created so far: columns of `events`, table names, finished migrations. */
export interface SchemaInfo {
  eventColumns: ReadonlySet<string>;
  tables: ReadonlySet<string>;
  /** Ids of migrations recorded as applied (a table of one still running may be half filled). */
  migrations: ReadonlySet<string>;
}

export const EMPTY_SCHEMA: SchemaInfo = { eventColumns: new Set(), tables: new Set(), migrations: new Set() };

/** The aggregator's record of applied migrations (aggregator/src/storage/migrations.ts). */
export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * Reads the live schema and re-reads it every `refreshMs`, so columns and rollup tables that a
 * newer aggregator adds are used without restarting this service (and never assumed before they exist).
 */
export class SchemaProbe {
  private readonly schema: Refreshing<SchemaInfo>;

  constructor(storage: QueryStorage, refreshMs: number, now: () => number) {
    this.schema = new Refreshing(
      async () => {
        const [cols, tables] = await Promise.all([
          storage.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'"),
          storage.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()'),
        ]);
        const names = new Set(tables.map((t) => t.name));
        const applied = names.has(MIGRATIONS_TABLE)
          ? await storage.query<{ id: string }>(`SELECT DISTINCT id FROM ${MIGRATIONS_TABLE}`)
          : [];
        return { eventColumns: new Set(cols.map((c) => c.name)), tables: names, migrations: new Set(applied.map((m) => m.id)) };
      },
      refreshMs,
      now,
    );
  }

  async get(): Promise<SchemaInfo> {
    const info = this.schema.current;
    // Until the events table exists (a fresh install), every request looks again.
    if (!info || info.eventColumns.size === 0) return this.schema.refresh().catch(() => info ?? EMPTY_SCHEMA);
    this.schema.refreshIfStale();
    return info;
  }
}
