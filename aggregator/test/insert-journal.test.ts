import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chdbDir, type TempDir } from '@pulse/testkit';
import { StorageError, createStorage, type Storage } from '../src/storage/index.js';
import { JOURNAL_DIR } from '../src/storage/journal.js';

/**
 * An insert whose source table commits while a view's table refuses its block: what a process
 * killed in the middle of an insert leaves behind. The view's table refuses with TOO_MANY_PARTS
 * (retryable) while its merges are stopped and its limit is one part; lifting the limit heals it.
 */
async function schema(s: Storage): Promise<void> {
  await s.command(`CREATE TABLE src (ts DateTime('UTC'), id String) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY id
    SETTINGS non_replicated_deduplication_window = 100`);
  await s.command(`CREATE TABLE dst (month Date, n UInt64) ENGINE = SummingMergeTree PARTITION BY toYYYYMM(month) ORDER BY month
    SETTINGS non_replicated_deduplication_window = 100`);
  await s.command(`CREATE MATERIALIZED VIEW src_to_dst TO dst AS SELECT toStartOfMonth(ts) AS month, count() AS n FROM src GROUP BY month`);
  // One part already in each month the test writes, so a limit of one part refuses the next.
  await s.insert('src', [{ ts: '2026-11-01 00:00:00', id: 'seed-1' }, { ts: '2026-12-01 00:00:00', id: 'seed-2' }]);
  await s.command('SYSTEM STOP MERGES dst');
}

const breakView = (s: Storage) => s.command('ALTER TABLE dst MODIFY SETTING parts_to_throw_insert = 1');
const healView = (s: Storage) => s.command('ALTER TABLE dst MODIFY SETTING parts_to_throw_insert = 3000');

/** Rows across two months (two blocks, two parts per table). */
const batch = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ ts: i % 2 ? '2026-11-15 12:00:00' : '2026-12-15 12:00:00', id: `${tag}-${i}` }));

async function totals(s: Storage): Promise<{ src: number; dst: number }> {
  const [a] = await s.query<{ n: number }>('SELECT count() AS n FROM src');
  const [b] = await s.query<{ n: number }>('SELECT sum(n) AS n FROM dst');
  return { src: a?.n ?? -1, dst: b?.n ?? -1 };
}

describe('durable inserts (chDB insert journal)', () => {
  let dir: TempDir | undefined;
  let open: Storage[] = [];
  const storage = (path: string) => {
    const s = createStorage({ path });
    open.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of open) await s.close();
    open = [];
    dir?.remove();
  });

  /** A fresh data path with the schema and the view's table refusing its next block. */
  async function withBrokenView(): Promise<{ s: Storage; path: string }> {
    dir = chdbDir();
    const s = storage(dir.path);
    await schema(s);
    await breakView(s);
    return { s, path: dir.path };
  }

  it('completes an insert a failed view left half-done, once, in the same process', async () => {
    const { s, path } = await withBrokenView();
    const err = await s.insert('src', batch('a', 1000), { dedupToken: 'batch-a', durable: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).retryable).toBe(true);
    // What a kill in the middle leaves: the source has the block, the view's table has not.
    await s.command('DETACH TABLE src_to_dst');
    await s.insert('src', batch('a', 1000), { dedupToken: 'batch-a' });
    await s.command('ATTACH TABLE src_to_dst');
    expect(await totals(s)).toEqual({ src: 1002, dst: 2 });
    await healView(s);
    expect(await s.settle()).toEqual({ completed: 1, refused: [] });
    expect(await totals(s)).toEqual({ src: 1002, dst: 1002 });
    expect(await s.settle()).toEqual({ completed: 0, refused: [] });
    // The caller's own retry after the settle changes nothing either.
    await s.insert('src', batch('a', 1000), { dedupToken: 'batch-a', durable: true });
    expect(await totals(s)).toEqual({ src: 1002, dst: 1002 });
    expect(readdirSync(join(path, JOURNAL_DIR))).toEqual([]);
  });

  it('lets a retry with the same token supersede the entry, and reports one a killed process left on a table other than events', async () => {
    const { s: first, path } = await withBrokenView();
    await expect(first.insert('src', batch('b', 500), { dedupToken: 'batch-b', durable: true })).rejects.toThrow(StorageError);
    // A retry that fails again replaces the entry rather than adding a second one.
    await expect(first.insert('src', batch('b', 500), { dedupToken: 'batch-b', durable: true })).rejects.toThrow(StorageError);
    expect(readdirSync(join(path, JOURNAL_DIR)).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    await healView(first);
    await first.close();
    open = [];
    // The next process cannot trust the token (see repair.ts) and knows how to repair only `events`
    // (test/interrupted-insert.test.ts): it reports the entry and runs nothing.
    const second = storage(path);
    const report = await second.settle();
    expect(report.completed).toBe(0);
    expect(report.refused.map((e) => e.message)).toEqual([expect.stringMatching(/insert into src left by a killed process cannot be completed exactly/)]);
    expect(await totals(second)).toEqual({ src: 2, dst: 2 });
    expect(readdirSync(join(path, JOURNAL_DIR))).toEqual([]);
  });

  it('drops an interrupted insert the engine now refuses for its content, and reports it', async () => {
    const { s, path } = await withBrokenView();
    await expect(s.insert('src', batch('c', 10), { dedupToken: 'batch-c', durable: true })).rejects.toThrow(StorageError);
    // The table the entry writes no longer exists: running it again cannot succeed.
    await s.command('DROP TABLE src_to_dst');
    await s.command('DROP TABLE src');
    const report = await s.settle();
    expect(report.completed).toBe(0);
    expect(report.refused).toHaveLength(1);
    expect((report.refused[0] as StorageError).clickhouseCode).toBe('60');
    expect(existsSync(join(path, JOURNAL_DIR))).toBe(true);
    expect(readdirSync(join(path, JOURNAL_DIR))).toEqual([]);
  });
});
