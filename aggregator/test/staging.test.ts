import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chdbDir, type TempDir } from '@pulse/testkit';
import { createStaging, dropStaging, stagingFor } from '../src/replay/staging.js';
import { createStorage, migrate, type Storage } from '../src/storage/index.js';

let dir: TempDir;
let storage: Storage;

beforeAll(async () => {
  dir = chdbDir();
  storage = createStorage({ path: dir.path });
  await migrate(storage);
});

afterAll(async () => {
  await storage?.close();
  dir?.remove();
});

const tablesLike = async (prefix: string) =>
  (await storage.query<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, {p:String}) ORDER BY name', { p: prefix })).map((t) => t.name);

describe('replay staging tables', () => {
  it('drops what its prefix left behind, also a rollup this version does not make, and nothing of another replay', async () => {
    const mine = stagingFor('rp_00000000000000aa');
    const other = stagingFor('rp_00000000000000ab');
    await createStaging(storage, mine);
    await createStaging(storage, other);
    expect(await tablesLike('rp_00000000000000aa_')).toHaveLength(mine.tables.length + mine.views.length);
    // What a replay killed under a version with another rollup leaves behind: a table and its view.
    await storage.command('CREATE TABLE rp_00000000000000aa_rollup_gone_day (site_id String, n UInt64) ENGINE = MergeTree ORDER BY site_id');
    await storage.command(
      'CREATE MATERIALIZED VIEW rp_00000000000000aa_mv_rollup_gone_day TO rp_00000000000000aa_rollup_gone_day AS SELECT site_id, count() AS n FROM rp_00000000000000aa_events GROUP BY site_id',
    );
    await dropStaging(storage, mine);
    expect(await tablesLike('rp_00000000000000aa_')).toEqual([]);
    expect(await tablesLike('rp_00000000000000ab_')).toHaveLength(other.tables.length + other.views.length);
    await dropStaging(storage, other);
    expect(await tablesLike('rp_')).toEqual([]);
  });
});
