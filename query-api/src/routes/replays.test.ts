import { describe, expect, it } from 'vitest';
import { ErrorCode, NatsError } from 'nats';
import { ReplayConflictError, ReplayError, StorageError } from '@pulse/aggregator';
import { ReplayStateUnavailableError } from '../errors.js';
import { replayHttpError } from './replays.js';

describe('replayHttpError', () => {
  it('maps the replay manager codes a client can act on to their statuses', () => {
    expect(replayHttpError(new ReplayError('invalid_range', 'from must be before to'))).toMatchObject({ status: 400, code: 'invalid_range' });
    expect(replayHttpError(new ReplayConflictError('rp_00000000000000aa', 'overlaps'))).toMatchObject({ status: 409, code: 'replay_conflict' });
    expect(replayHttpError(new ReplayError('unsupported_layout', 'sharded'))).toMatchObject({ status: 501, code: 'unsupported_layout' });
  });

  it('answers 503 with Retry-After when NATS (the replay state) or ClickHouse is out of reach', () => {
    for (const code of [ErrorCode.Timeout, ErrorCode.Disconnect, ErrorCode.NoResponders, ErrorCode.ConnectionClosed]) {
      const e = replayHttpError(new NatsError(code, code));
      expect(e).toBeInstanceOf(ReplayStateUnavailableError);
      expect(e).toMatchObject({ status: 503, code: 'unavailable', headers: { 'retry-after': '1' } });
    }
    const storage = replayHttpError(new StorageError('connect ECONNREFUSED', { retryable: true }));
    expect(storage).toMatchObject({ status: 503, code: 'unavailable', headers: { 'retry-after': '1' } });
  });

  it('hides anything else behind a 500', () => {
    const e = replayHttpError(new Error('ClickHouse said something internal'));
    expect(e).toMatchObject({ status: 500, code: 'internal' });
    expect(e.message).not.toContain('ClickHouse');
    expect(replayHttpError(new StorageError('syntax error', { retryable: false }))).toMatchObject({ status: 500, code: 'internal' });
    expect(replayHttpError(new NatsError('bad subject', ErrorCode.BadSubject))).toMatchObject({ status: 500, code: 'internal' });
  });
});
