import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { chdbDir, type TempDir } from '@pulse/testkit';
import { createStorage, migrate, ROLLUPS, type Storage } from '../src/storage/index.js';
import { JOURNAL_DIR, type JournalEntry } from '../src/storage/journal.js';
import { repairEventsInsert } from '../src/storage/repair.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const TTL_SITE = 's_TTLTTLTTLTTLTTL0';

const event = (id: string, ts: number) => ({ site_id: TTL_SITE, ts, event_id: id, name: 'pageview', visitor_id: `v-${id}`, session_id: `s-${id}`, path: '/', received_at: ts, stream_seq: 7 });

async function siteDay(s: Storage, dayStartMs: number): Promise<number> {
  const [r] = await s.query<{ n: number }>(
    "SELECT sum(events) AS n FROM rollup_site_day WHERE site_id = {site:String} AND bucket = toDateTime({b:UInt32}, 'UTC')",
    { site: TTL_SITE, b: dayStartMs / 1000 },
  );
  return r?.n ?? 0;
}

function row(site: string, i: number, ts: number, seq: number, pageviews = true) {
  return {
    event_id: `${site}-${seq}-${i}`,
    site_id: site,
    name: i % 3 === 0 || !pageviews ? 'signup' : 'pageview',
    ts,
    received_at: ts + 500,
    path: `/p${i % 4}`,
    visitor_id: `v${i % 37}`,
    session_id: `s${i % 53}`,
    // Some with revenue, in two currencies (rollup_site_day keeps them in revenue_currencies).
    revenue_amount: i % 5 === 0 ? 2.5 : 0,
    revenue_currency: i % 5 === 0 ? (i % 2 ? 'EUR' : 'USD') : '',
    stream_seq: seq,
  };
}

/** Per site: events in `events`, and each rollup's summed `events` (which must equal them). */
async function counts(s: Storage): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  const add = (table: string, rows: Array<{ site_id: string; n: number }>) => {
    for (const r of rows) (out[r.site_id] ??= {})[table] = r.n;
  };
  add('events', await s.query('SELECT site_id, count() AS n FROM events GROUP BY site_id'));
  for (const r of ROLLUPS) {
    const where = r.where ? ` WHERE ${r.where}` : '';
    add(`${r.table} (expected)`, await s.query(`SELECT site_id, count() AS n FROM events${where} GROUP BY site_id`));
    add(r.table, await s.query(`SELECT site_id, sum(events) AS n FROM ${r.table} GROUP BY site_id`));
  }
  return out;
}

function expectConsistent(c: Record<string, Record<string, number>>): void {
  for (const perTable of Object.values(c)) {
    for (const r of ROLLUPS) expect(perTable[r.table] ?? 0, r.table).toBe(perTable[`${r.table} (expected)`] ?? 0);
  }
}

describe('an insert into events interrupted by SIGKILL (chDB)', () => {
  let dir: TempDir | undefined;
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
    dir?.remove();
  });

  /** Stores the batches but the last in a child process, kills it during the last, reopens. */
  async function killDuringLast(batches: object[][]): Promise<Storage> {
    dir = chdbDir();
    const db = join(dir.path, 'db');
    const rowsFile = join(dir.path, 'batches.json');
    writeFileSync(rowsFile, JSON.stringify(batches));
    const child = spawn(process.execPath, [fileURLToPath(new URL('./helpers/kill-during-insert.mjs', import.meta.url)), db, rowsFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => String(d).includes('inserting') && resolve());
      child.on('exit', () => reject(new Error('child exited before inserting')));
    });
    // The slow view keeps the insert in flight for ~2.5 s (1,000 rows; the engine allows 3 s of
    // sleep per block); the rest of it has committed by now.
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    await exited;

    storage = createStorage({ path: db });
    expect(readdirSync(join(db, JOURNAL_DIR)).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    await storage.command('DROP TABLE slow_view');
    expect(await storage.settle()).toEqual({ completed: 1, refused: [] });
    expect(readdirSync(join(db, JOURNAL_DIR))).toEqual([]);
    return storage;
  }

  it('is completed exactly once by the next process: events by content, rollups recomputed, other rows untouched', async () => {
    const now = Math.floor(Date.now() / MIN) * MIN;
    const s = await killDuringLast([
      // Stored before: another site in the same minutes, and the killed site's own earlier minutes.
      Array.from({ length: 300 }, (_, i) => row('other', i, now - (i % 10) * MIN, 1)),
      Array.from({ length: 200 }, (_, i) => row('killed', i, now - (20 + (i % 5)) * MIN, 2)),
      // The batch in flight when the process dies.
      Array.from({ length: 1000 }, (_, i) => row(i % 2 ? 'killed' : 'fresh', i, now - (i % 8) * MIN, 3 + (i % 20))),
    ]);
    const c = await counts(s);
    expect(c.other?.events).toBe(300);
    expect(c.killed?.events).toBe(700);
    expect(c.fresh?.events).toBe(500);
    expectConsistent(c);
    const [sketch] = await s.query<{ rollup: number; exact: number }>(
      `SELECT (SELECT uniqCombinedMerge(12)(visitors_sketch) FROM rollup_site_day WHERE site_id = 'killed') AS rollup,
              (SELECT uniqCombined(12)(visitor_id) FROM events WHERE site_id = 'killed') AS exact`,
    );
    expect(sketch?.rollup).toBe(sketch?.exact);
    // The site rollup's revenue currencies, per site and day, are those of the stored events.
    const currencies = (sql: string) => s.query(`SELECT site_id, toString(toDate(bucket)) AS day, arraySort(c) AS c FROM (${sql}) ORDER BY site_id, day`);
    const stored = await currencies(
      "SELECT site_id, toStartOfDay(ts) AS bucket, groupUniqArrayIf(revenue_currency, revenue_currency != '') AS c FROM events GROUP BY site_id, bucket",
    );
    expect(stored.map((r) => r.c)).toContainEqual(['EUR', 'USD']);
    expect(await currencies('SELECT site_id, bucket, groupUniqArrayArray(revenue_currencies) AS c FROM rollup_site_day GROUP BY site_id, bucket')).toEqual(stored);
    // Nothing left to do.
    expect(await s.settle()).toEqual({ completed: 0, refused: [] });
    expectConsistent(await counts(s));
  });

  it('leaves a rollup alone when none of the batch feeds it (custom events only, no pageview anywhere)', async () => {
    const now = Math.floor(Date.now() / MIN) * MIN;
    const s = await killDuringLast([
      Array.from({ length: 100 }, (_, i) => row('killed', i, now - (i % 4) * MIN, 1, false)),
      Array.from({ length: 600 }, (_, i) => row('killed', 100 + i, now - (i % 6) * MIN, 2 + (i % 10), false)),
    ]);
    const c = await counts(s);
    expect(c.killed?.events).toBe(700);
    expectConsistent(c);
  });

  it('with a TTL on events, recomputes the buckets whose events are all kept and leaves alone a day the TTL has cut into', async () => {
    dir = chdbDir();
    storage = createStorage({ path: dir.path });
    await migrate(storage, { eventsTtlDays: 2 });
    const today = Math.floor(Date.now() / DAY) * DAY;
    const old = today - 5 * DAY;
    // History: 100 events of a day whose raw rows the TTL has removed; the rollup keeps them.
    await storage.command(
      `INSERT INTO rollup_site_day (site_id, bucket, is_bot, events, pageviews) VALUES ('${TTL_SITE}', toDateTime(${old / 1000}, 'UTC'), 0, 100, 100)`,
    );
    await storage.insert('events', Array.from({ length: 10 }, (_, i) => event(`today-${i}`, today + i * 1000)));
    expect(await siteDay(storage, today)).toBe(10);

    // An insert a killed process left with nothing committed: a late event of the old day, one of today.
    const columns = Object.keys(event('x', 0));
    const data = join(dir.path, 'entry.jsonl');
    writeFileSync(data, [event('late', old + 3_600_000), event('new', today + 60_000)].map((r) => JSON.stringify(columns.map((c) => r[c as keyof typeof r]))).join('\n') + '\n');
    const entry: JournalEntry = { id: 'e1', data, table: 'events', columns, format: 'JSONCompactEachRow', settings: {} };
    const types = new Map(
      (await storage.query<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'events'")).map(
        (c) => [c.name, c.type] as const,
      ),
    );
    await repairEventsInsert(storage, entry, types);

    expect(await siteDay(storage, today)).toBe(11);
    // Recomputing the old day from events would have left 1 of its 101 events.
    expect(await siteDay(storage, old)).toBe(101);
  });
});
