import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { DEFAULT_FLUSH_AT, DEFAULT_MAX_QUEUE_SIZE, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, resolveOptions } from './options.js';

const base = { writeKey: 'wk_test', host: 'http://127.0.0.1:8080' };

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.field;
    throw e;
  }
  return undefined;
}

describe('resolveOptions', () => {
  it('fills the documented defaults', () => {
    const o = resolveOptions(base);
    expect(o.flushAt).toBe(DEFAULT_FLUSH_AT);
    expect(o.maxQueueSize).toBe(DEFAULT_MAX_QUEUE_SIZE);
    expect(o.maxBatchEvents).toBe(MAX_BATCH_EVENTS);
    expect(o.maxBatchBytes).toBe(MAX_BATCH_BYTES);
    expect(MAX_BATCH_EVENTS).toBe(500);
    expect(MAX_BATCH_BYTES).toBe(512 * 1024);
    expect(o.endpoint.href).toBe('http://127.0.0.1:8080/v1/batch');
  });

  it('takes an option given as undefined for its default, as an option left out', () => {
    const o = resolveOptions({ ...base, flushAt: undefined, transport: undefined, flushOnExit: undefined, onError: undefined });
    expect(o).toEqual(resolveOptions(base));
    expect(o).toMatchObject({ flushAt: DEFAULT_FLUSH_AT, transport: 'auto', flushOnExit: true, onError: undefined });
  });

  it('keeps a path prefix of the host', () => {
    expect(resolveOptions({ ...base, host: 'https://shop.example/pulse/' }).endpoint.href).toBe('https://shop.example/pulse/v1/batch');
  });

  it('names the bad field', () => {
    expect(fieldOf(() => resolveOptions({ ...base, writeKey: '' }))).toBe('writeKey');
    expect(fieldOf(() => resolveOptions({ ...base, host: 'ftp://x' }))).toBe('host');
    expect(fieldOf(() => resolveOptions({ ...base, host: 'not a url' }))).toBe('host');
    expect(fieldOf(() => resolveOptions({ ...base, flushAt: 0 }))).toBe('flushAt');
    expect(fieldOf(() => resolveOptions({ ...base, maxBatchEvents: 501 }))).toBe('maxBatchEvents');
    expect(fieldOf(() => resolveOptions({ ...base, maxBatchBytes: MAX_BATCH_BYTES + 1 }))).toBe('maxBatchBytes');
    expect(fieldOf(() => resolveOptions({ ...base, backoffMinMs: 500, backoffMaxMs: 100 }))).toBe('backoffMaxMs');
    expect(fieldOf(() => resolveOptions({ ...base, transport: 'xhr' as never }))).toBe('transport');
    expect(fieldOf(() => resolveOptions({ ...base, flushOnExit: 'yes' as never }))).toBe('flushOnExit');
    expect(fieldOf(() => resolveOptions({ ...base, maxRetries: 1.5 }))).toBe('maxRetries');
  });
});
