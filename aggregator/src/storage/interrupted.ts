import { StorageError } from '../errors.js';
import { toStorageError } from './base.js';
import type { InsertJournal, JournalEntry } from './journal.js';
import type { ClickHouseSettings, SettleReport } from './types.js';

/** How an entry is completed: run again with its token, or repaired by content (see repair.ts). */
export interface Completion {
  rerun(e: JournalEntry): Promise<void>;
  repair(e: JournalEntry): Promise<void>;
}

/**
 * The durable inserts of one data path that have not completed (see journal.ts): those whose
 * failure this process saw, kept until their caller retries them or `settle` completes them, and
 * those an earlier process left, which only a repair may complete (its deduplication log did not
 * survive the kill). A retry by the caller, same table and token, supersedes this process's entry.
 */
export class InterruptedInserts {
  private readonly pending = new Map<string, JournalEntry>();
  private readonly orphans = new Set<JournalEntry>();
  private loaded = false;
  private settling: Promise<SettleReport> | undefined;

  constructor(
    private readonly journal: InsertJournal,
    private readonly completion: Completion,
  ) {}

  /**
   * Takes in what an earlier process left, once. Call it only when the engine is open: the engine
   * locks the data path, so nobody else is writing entries there then.
   */
  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const e of this.journal.load()) {
      this.pending.set(keyOf(e), e);
      this.orphans.add(e);
    }
  }

  create(table: string, columns: readonly string[], format: JournalEntry['format'], settings: ClickHouseSettings): JournalEntry {
    return this.journal.create(table, columns, format, settings);
  }

  /** The body is written: records the entry before the engine sees the statement. */
  async begin(e: JournalEntry): Promise<void> {
    // Never alongside a settle: it may be running this very insert's earlier attempt.
    await this.settling?.catch(() => undefined);
    const key = keyOf(e);
    const earlier = this.pending.get(key);
    if (earlier && this.orphans.has(earlier)) {
      // This process's deduplication log cannot tell whether that attempt's blocks are in.
      this.journal.remove(e);
      throw new StorageError('an interrupted insert with this token awaits repair; settle() first', { retryable: true });
    }
    if (earlier) this.journal.remove(earlier);
    this.pending.delete(key);
    this.journal.commit(e);
  }

  /**
   * Refused for its content, the insert committed nothing to complete; otherwise its caller
   * retries it or, if it gives up, the next settle completes it.
   */
  failed(e: JournalEntry, retryable: boolean): void {
    if (retryable) this.pending.set(keyOf(e), e);
    else this.journal.remove(e);
  }

  succeeded(e: JournalEntry): void {
    this.journal.remove(e);
  }

  settle(): Promise<SettleReport> {
    this.settling ??= this.completeAll().finally(() => {
      this.settling = undefined;
    });
    return this.settling;
  }

  private async completeAll(): Promise<SettleReport> {
    this.load();
    const report: SettleReport = { completed: 0, refused: [] };
    for (const [key, e] of [...this.pending]) {
      try {
        await (this.orphans.has(e) ? this.completion.repair(e) : this.completion.rerun(e));
        report.completed++;
      } catch (err) {
        const failure = toStorageError(err, `completing an interrupted insert into ${e.table}`);
        if (failure.retryable) throw failure;
        report.refused.push(failure);
      }
      this.pending.delete(key);
      this.orphans.delete(e);
      this.journal.remove(e);
    }
    return report;
  }
}

function keyOf(e: JournalEntry): string {
  return `${e.table}\u0000${String(e.settings.insert_deduplication_token)}`;
}
