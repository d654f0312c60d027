import { describe, expect, it } from 'vitest';
import { ReplayConflictError, ReplayError } from '@pulse/aggregator';
import { replayHttpError } from './replays.js';

describe('replayHttpError', () => {
  it('maps the replay manager codes a client can act on to their statuses', () => {
    expect(replayHttpError(new ReplayError('invalid_range', 'from must be before to'))).toMatchObject({ status: 400, code: 'invalid_range' });
    expect(replayHttpError(new ReplayConflictError('rp_00000000000000aa', 'overlaps'))).toMatchObject({ status: 409, code: 'replay_conflict' });
    expect(replayHttpError(new ReplayError('unsupported_layout', 'sharded'))).toMatchObject({ status: 501, code: 'unsupported_layout' });
  });

  it('hides anything else behind a 500', () => {
    const e = replayHttpError(new Error('ClickHouse said something internal'));
    expect(e).toMatchObject({ status: 500, code: 'internal' });
    expect(e.message).not.toContain('ClickHouse');
  });
});
