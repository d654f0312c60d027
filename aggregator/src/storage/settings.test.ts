import { describe, expect, it } from 'vitest';
import { StorageError } from '../errors.js';
import { checkTableName, settingsClause, withSettings } from './settings.js';

describe('settingsClause', () => {
  it('renders numbers, booleans and escaped strings', () => {
    expect(settingsClause({ max_threads: 2, insert_deduplicate: true as never, insert_deduplication_token: "a'b\\c" })).toBe(
      "SETTINGS max_threads = 2, insert_deduplicate = 1, insert_deduplication_token = 'a\\'b\\\\c'",
    );
    expect(settingsClause(undefined)).toBe('');
    expect(settingsClause({})).toBe('');
  });

  it('refuses setting names that could inject SQL', () => {
    expect(() => settingsClause({ ['x = 1; DROP TABLE t; --' as 'max_threads']: 1 })).toThrow(StorageError);
  });
});

describe('withSettings', () => {
  it('appends a clause, or merges into a trailing SETTINGS clause', () => {
    expect(withSettings('SELECT 1;', { max_threads: 1 })).toBe('SELECT 1\nSETTINGS max_threads = 1');
    expect(withSettings('SELECT 1 SETTINGS max_block_size = 10', { max_threads: 1 })).toBe(
      'SELECT 1 SETTINGS max_block_size = 10, max_threads = 1',
    );
    expect(withSettings('SELECT 1', undefined)).toBe('SELECT 1');
  });
});

describe('checkTableName', () => {
  it('accepts plain and database-qualified names only', () => {
    expect(checkTableName('events')).toBe('events');
    expect(checkTableName('db.events')).toBe('db.events');
    expect(() => checkTableName('events; DROP')).toThrow(StorageError);
  });
});
