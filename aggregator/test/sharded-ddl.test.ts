import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '@pulse/testkit';
import { refuseShardedLayout } from '../src/replay/layout.js';
import { ddlContext, LOCAL_SUFFIX, stepSql } from '../src/storage/ddl.js';
import { createMigrationsTable, MIGRATIONS } from '../src/storage/migrations.js';
import { ROLLUPS } from '../src/storage/schema-rollups.js';
import type { Storage } from '../src/storage/types.js';

/**
 * The sharded layout's DDL run on real ClickHouse SQL. chDB has no Keeper and no TCP server, so
 * the statements run without `ON CLUSTER` and with plain engines on a one-node "cluster" declared
 * in a config file, and the backfills (which read the Distributed tables, i.e. connect to the
 * shards) are left out: what is checked is that every statement parses and resolves (views on
 * the local tables, columns added to both tables, the Distributed engines' arguments) and that the
 * contract tables end up Distributed over local tables of the same columns.
 */
const CLUSTER = 'pulse';
const ctx = ddlContext({ cluster: CLUSTER, sharded: true, database: 'default' });
const statements = [...createMigrationsTable(ctx), ...MIGRATIONS.flatMap((m) => m.statements(ctx).map(stepSql))];

let dir: TempDir;
let session: Session;

const rows = <T>(sql: string, params: Record<string, unknown> = {}): T[] =>
  session
    .queryBind(sql, params, 'JSONEachRow')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

beforeAll(() => {
  dir = tempDir('pulse-sharded-ddl-');
  const config = join(dir.path, 'cluster.xml');
  writeFileSync(
    config,
    `<clickhouse><remote_servers><${CLUSTER}><shard><replica><host>127.0.0.1</host><port>9000</port></replica></shard></${CLUSTER}></remote_servers></clickhouse>`,
  );
  session = new Session(join(dir.path, 'db'), { connectionArgs: [`--config-file=${config}`] });
  for (const sql of statements) {
    if (/^(INSERT|TRUNCATE)\b/.test(sql)) continue;
    session.query(sql.replaceAll(ctx.onCluster, '').replace(/ENGINE = Replicated(\w+MergeTree)/, 'ENGINE = $1'));
  }
});

afterAll(() => {
  session?.close();
  dir?.remove();
});

describe('the sharded layout (local tables under Distributed ones)', () => {
  it('makes every contract table Distributed over a local table with the same columns', () => {
    const names = ['events', 'events_archive', 'schema_migrations', ...ROLLUPS.map((r) => r.table)];
    const engines = new Map(rows<{ name: string; engine: string }>('SELECT name, engine FROM system.tables WHERE database = currentDatabase()').map((t) => [t.name, t.engine]));
    for (const name of names) {
      expect(engines.get(name), name).toBe('Distributed');
      expect(engines.get(`${name}${LOCAL_SUFFIX}`), `${name}${LOCAL_SUFFIX}`).toMatch(/MergeTree$/);
      const columns = (table: string) =>
        rows<{ name: string; type: string }>('SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position', { t: table });
      expect(columns(name), name).toEqual(columns(`${name}${LOCAL_SUFFIX}`));
    }
  });

  it('keeps the rollups current on each shard: every view reads the local events and writes a local table', () => {
    const views = rows<{ name: string; create_table_query: string }>(
      "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
    );
    expect(views.map((v) => v.name).sort()).toEqual(ROLLUPS.map((r) => r.view).sort());
    for (const v of views) {
      expect(v.create_table_query, v.name).toMatch(/ TO default\.rollup_\w+_local /);
      expect(v.create_table_query, v.name).toContain('FROM default.events_local');
    }
  });

  it('renders every statement ON CLUSTER, with Replicated engines, storage DDL on local tables and backfills through Distributed ones', () => {
    for (const s of statements.filter((x) => /^(CREATE|ALTER|TRUNCATE)/.test(x))) expect(s).toContain(' ON CLUSTER `pulse`');
    for (const s of statements.filter((x) => /ENGINE = (?!Distributed)/.test(x))) {
      expect(s).toMatch(/ENGINE = Replicated\w+MergeTree/);
      expect(s).toMatch(/^CREATE TABLE IF NOT EXISTS \w+_local /);
    }
    for (const s of statements.filter((x) => /^(TRUNCATE|ALTER TABLE \w+ ON CLUSTER `pulse` (ADD INDEX|MODIFY TTL))/.test(x))) expect(s).toMatch(/^\w+ TABLE \w+_local /);
    const backfills = statements.filter((x) => x.startsWith('INSERT'));
    expect(backfills.length).toBeGreaterThan(0);
    for (const s of backfills) {
      expect(s).not.toMatch(/^INSERT INTO \w+_local\b/);
      expect(s).not.toContain('_local');
    }
  });

  it('shards by site, so a site keeps its events, rollups and visits on one shard', () => {
    const distributed = statements.filter((x) => x.includes('ENGINE = Distributed('));
    for (const s of distributed.filter((x) => /^CREATE TABLE IF NOT EXISTS (events|rollup_\w+) /.test(x))) {
      expect(s).toMatch(/ENGINE = Distributed\('pulse', 'default', \w+_local, cityHash64\(site_id\)\)$/);
    }
  });

  it('refuses a replay on Distributed tables before writing anything', async () => {
    const storage = { query: async (sql: string, params?: Record<string, unknown>) => rows(sql, params) } as unknown as Storage;
    await expect(refuseShardedLayout(storage)).rejects.toMatchObject({ code: 'unsupported_layout' });
    session.query('RENAME TABLE events TO events_distributed, events_local TO events');
    await expect(refuseShardedLayout(storage)).resolves.toBeUndefined();
  });
});
