import type { ClickHouseClientConfigOptions, ClickHouseSettings } from '@clickhouse/client';
import { bindParams } from './bind.js';

/** What `@clickhouse/client` drives: chDB's connection matches it structurally. */
export type Connection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/** Connections a chDB storage opens on its data path, unless told otherwise. */
export const DEFAULT_CHDB_CONNECTIONS = 4;
/**
 * Longest statement bound in the text: the engine refuses statements over `max_query_size`
 * (262,144 bytes by default), which parameters it binds itself do not count against.
 */
export const MAX_BOUND_SQL_LENGTH = 200_000;

interface Member {
  conn: Connection;
  busy: number;
  /** Settles once the session settings are set on this connection; undefined until first use. */
  ready: Promise<void> | undefined;
}

/**
 * Several chDB connections on one data path, as one connection for `@clickhouse/client`.
 *
 * A chDB connection runs its statements one after the other; same-path connections share the
 * engine and its data and run in parallel. Each statement goes to the least busy connection, with
 * its parameters bound in the text (bind.ts): chdb-node sends every parameterized statement of the
 * process through one queue, so those would still run one at a time.
 *
 * `settings` are set once per connection (`SET`, which lasts for the connection) before its first
 * statement, rather than repeated as `SET`s in front of every statement, which chdb-node does with
 * a client's `clickhouse_settings` and which costs the engine a statement each.
 */
export class ChdbConnectionPool implements Connection {
  private readonly members: Member[];
  private next = 0;

  constructor(
    conns: readonly Connection[],
    private readonly settings: ClickHouseSettings,
  ) {
    this.members = conns.map((conn) => ({ conn, busy: 0, ready: undefined }));
  }

  get size(): number {
    return this.members.length;
  }

  /** The least busy connection; among equals, the one after the last chosen. */
  private pick(): Member {
    const n = this.members.length;
    let best = this.members[this.next % n] as Member;
    for (let k = 1; k < n && best.busy > 0; k++) {
      const m = this.members[(this.next + k) % n] as Member;
      if (m.busy < best.busy) best = m;
    }
    this.next = (this.members.indexOf(best) + 1) % n;
    return best;
  }

  private prepare(m: Member): Promise<void> {
    if (m.ready === undefined) {
      m.ready = m.conn.command({ query: 'SELECT 1', clickhouse_settings: this.settings }).then(
        () => undefined,
        (err: unknown) => {
          // The next statement tries again.
          m.ready = undefined;
          throw err;
        },
      );
    }
    return m.ready;
  }

  private async run<P extends { query: string; query_params?: Record<string, unknown> }, R>(params: P, call: (c: Connection, p: P) => Promise<R>): Promise<R> {
    const qp = params.query_params;
    let p = params;
    if (qp !== undefined && Object.keys(qp).length > 0) {
      const bound = bindParams(params.query, qp, MAX_BOUND_SQL_LENGTH);
      if (bound !== undefined) p = { ...params, query: bound, query_params: undefined };
    }
    const m = this.pick();
    m.busy++;
    try {
      await this.prepare(m);
      return await call(m.conn, p);
    } finally {
      m.busy--;
    }
  }

  query(params: Parameters<Connection['query']>[0]): ReturnType<Connection['query']> {
    return this.run(params, (c, p) => c.query(p));
  }

  command(params: Parameters<Connection['command']>[0]): ReturnType<Connection['command']> {
    return this.run(params, (c, p) => c.command(p));
  }

  exec(params: Parameters<Connection['exec']>[0]): ReturnType<Connection['exec']> {
    return this.run(params, (c, p) => c.exec(p));
  }

  insert(params: Parameters<Connection['insert']>[0]): ReturnType<Connection['insert']> {
    return this.run(params, (c, p) => c.insert(p));
  }

  async ping(params: Parameters<Connection['ping']>[0]): ReturnType<Connection['ping']> {
    return this.pick().conn.ping(params);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.conn.close()));
  }
}
