import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ClickHouseSettings } from './types.js';

/**
 * One insert as the engine will run it: the body in `data` (a file the engine reads with file()),
 * the target, its columns, the body's format and the statement's settings (with its
 * insert_deduplication_token).
 */
export interface JournalEntry {
  readonly id: string;
  readonly data: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly format: 'Native' | 'JSONCompactEachRow';
  readonly settings: ClickHouseSettings;
}

/** Directory, inside the chDB data path, holding the inserts that have not completed. */
export const JOURNAL_DIR = 'pulse-insert-journal';

const META = '.json';

/**
 * Why a journal: one INSERT into `events` commits a part in `events` and one in each rollup fed
 * by a materialized view, each on its own. A process killed in the middle (chDB runs inside the
 * aggregator) leaves some of them committed and others not, and the redelivered messages then
 * find their rows in `events` and are dropped as duplicates: the rollups stay short for good.
 * So a durable insert's body and statement are kept on disk until the insert succeeds, and
 * whatever is left is completed before any new dedup looks at `events`: an insert this process
 * saw fail is run again with its token (tables that have the block skip it, the others take it);
 * one a killed process left is repaired by content (repair.ts), because the deduplication log
 * that the token relies on does not survive a kill.
 *
 * Files: `<id>.native|.jsonl` (the body, written first), then `<id>.json` (the statement, renamed
 * into place), so an entry without its `.json` never reached the engine and is discarded.
 */
export class InsertJournal {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** A fresh entry; the caller writes the body to `data` and then calls `commit`. */
  create(table: string, columns: readonly string[], format: JournalEntry['format'], settings: ClickHouseSettings): JournalEntry {
    const id = randomBytes(12).toString('hex');
    const data = join(this.dir, `${id}.${format === 'Native' ? 'native' : 'jsonl'}`);
    return { id, data, table, columns: [...columns], format, settings: { ...settings } };
  }

  /** Makes the entry survive a crash: its statement lands atomically next to the written body. */
  commit(e: JournalEntry): void {
    const meta = join(this.dir, `${e.id}${META}`);
    // The body by name: the data directory may have moved by the time the entry is read back.
    const body = basename(e.data);
    writeFileSync(`${meta}.tmp`, JSON.stringify({ body, table: e.table, columns: e.columns, format: e.format, settings: e.settings }));
    renameSync(`${meta}.tmp`, meta);
  }

  remove(e: JournalEntry): void {
    rmSync(join(this.dir, `${e.id}${META}`), { force: true });
    rmSync(e.data, { force: true });
  }

  /**
   * Entries left by an earlier process; half-written ones are deleted. In no particular order:
   * entries with different tokens are independent, and two with one token hold the same rows.
   */
  load(): JournalEntry[] {
    const entries: JournalEntry[] = [];
    const names = readdirSync(this.dir);
    for (const name of names) {
      if (!name.endsWith(META)) continue;
      const file = join(this.dir, name);
      try {
        const { body, ...raw } = JSON.parse(readFileSync(file, 'utf8')) as Omit<JournalEntry, 'id' | 'data'> & { body: string };
        const data = join(this.dir, basename(body));
        if (!existsSync(data)) throw new Error('body missing');
        entries.push({ ...raw, id: name.slice(0, -META.length), data });
      } catch {
        rmSync(file, { force: true });
      }
    }
    const kept = new Set(entries.map((e) => e.id));
    for (const name of names) {
      if (!kept.has(name.split('.')[0] ?? '')) rmSync(join(this.dir, name), { force: true });
    }
    return entries;
  }
}
