import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InsertJournal } from './journal.js';

describe('InsertJournal', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back committed entries, and deletes bodies whose statement never landed', () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-journal-'));
    const j = new InsertJournal(join(dir, 'journal'));
    const a = j.create('events', ['a', 'b'], 'Native', { insert_deduplication_token: 'T1' });
    writeFileSync(a.data, 'body-a');
    j.commit(a);
    const half = j.create('events', ['a'], 'Native', { insert_deduplication_token: 'T2' });
    writeFileSync(half.data, 'body written, statement not');
    writeFileSync(join(dir, 'journal', 'stray.json.tmp'), '{');
    const b = j.create('events', ['a'], 'JSONCompactEachRow', { insert_deduplication_token: 'T3' });
    writeFileSync(b.data, '["x"]\n');
    j.commit(b);

    const again = new InsertJournal(join(dir, 'journal')).load();
    expect(again.map((e) => e.settings.insert_deduplication_token).sort()).toEqual(['T1', 'T3']);
    expect(again.find((e) => e.id === a.id)).toEqual(a);
    expect(readdirSync(join(dir, 'journal')).sort()).toEqual([`${a.id}.json`, `${a.id}.native`, `${b.id}.json`, `${b.id}.jsonl`].sort());
    j.remove(a);
    j.remove(b);
    expect(readdirSync(join(dir, 'journal'))).toEqual([]);
  });

  it('finds the body by name when the data directory has moved', () => {
    dir = mkdtempSync(join(tmpdir(), 'pulse-journal-'));
    const j = new InsertJournal(join(dir, 'old'));
    const e = j.create('events', ['a'], 'Native', { insert_deduplication_token: 'T' });
    writeFileSync(e.data, 'body');
    j.commit(e);
    const moved = join(dir, 'new');
    renameSync(join(dir, 'old'), moved);
    const [back] = new InsertJournal(moved).load();
    expect(back?.data).toBe(join(moved, `${e.id}.native`));
  });
});
