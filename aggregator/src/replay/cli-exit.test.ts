import { describe, expect, it } from 'vitest';
import { AggregatorError, NatsUnreachableError, NotQueryApiError, QueryApiUnreachableError, ReplayConflictError, ReplayError, ReplayTargetError, UnknownSiteError } from '../errors.js';
import { exitCodeOf } from './cli-exit.js';

describe('exitCodeOf', () => {
  it('answers 2 for what must be corrected first, 1 for what a retry may get past, 3 for a refusal', () => {
    const cases: [unknown, number][] = [
      [new ReplayTargetError('no_replay_target', 'x'), 2],
      [new ReplayTargetError('no_chdb_data', 'x'), 2],
      [new NotQueryApiError('http://c:8080', 'x'), 2],
      [new UnknownSiteError('s_ZZZZZZZZZZZZZZZZ', 'x'), 2],
      [new ReplayError('invalid_range', 'x'), 2],
      [new AggregatorError('invalid_range', 'the query API refused the range'), 2],
      [new ReplayConflictError('', 'x'), 3],
      [new QueryApiUnreachableError('http://q:1', 'x'), 1],
      [new NatsUnreachableError(['nats://n:1'], 'x'), 1],
      [new AggregatorError('not_found', 'x'), 1],
      [new Error('boom'), 1],
    ];
    expect(cases.map(([err]) => exitCodeOf(err))).toEqual(cases.map(([, code]) => code));
  });
});
