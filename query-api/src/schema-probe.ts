import type { QueryStorage } from './storage.js';
import { Refreshing } from './refreshing.js';

/** What the aggregator's migrations have created so far: columns of `events` and table names. */
export interface SchemaInfo {
  eventColumns: ReadonlySet<string>;
  tables: ReadonlySet<string>;
}

export const EMPTY_SCHEMA: SchemaInfo = { eventColumns: new Set(), tables: new Set() };

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
        return { eventColumns: new Set(cols.map((c) => c.name)), tables: new Set(tables.map((t) => t.name)) };
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
