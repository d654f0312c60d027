import type { QueryStorage } from './storage.js';

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
  private info: SchemaInfo | undefined;
  private at = 0;
  private inflight: Promise<SchemaInfo> | undefined;

  constructor(
    private readonly storage: QueryStorage,
    private readonly refreshMs: number,
    private readonly now: () => number,
  ) {}

  private load(): Promise<SchemaInfo> {
    this.inflight ??= (async () => {
      try {
        const [cols, tables] = await Promise.all([
          this.storage.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'events'"),
          this.storage.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()'),
        ]);
        this.info = { eventColumns: new Set(cols.map((c) => c.name)), tables: new Set(tables.map((t) => t.name)) };
        this.at = this.now();
        return this.info;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  async get(): Promise<SchemaInfo> {
    if (!this.info || this.info.eventColumns.size === 0) return this.load().catch(() => this.info ?? EMPTY_SCHEMA);
    if (this.now() - this.at > this.refreshMs) this.load().catch(() => {});
    return this.info;
  }
}
