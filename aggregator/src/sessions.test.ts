import { describe, expect, it } from 'vitest';
import { assignVisits, SESSION_GAP_MS, sessionId } from './sessions.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

describe('assignVisits', () => {
  it('keeps events less than 30 minutes apart in one visit and starts a new one after the gap', () => {
    const { ids, state } = assignVisits('s', 'v', [T0, T0 + 10 * MIN, T0 + 39 * MIN, T0 + 70 * MIN], undefined);
    const first = sessionId('s', 'v', T0);
    const second = sessionId('s', 'v', T0 + 70 * MIN);
    expect(ids).toEqual([first, first, first, second]);
    expect(state).toEqual({ id: second, start: T0 + 70 * MIN, last: T0 + 70 * MIN });
  });

  it('continues the stored visit, also for an event slightly before its start', () => {
    const stored = { id: 'ss_x', start: T0, last: T0 + 5 * MIN };
    const { ids, state } = assignVisits('s', 'v', [T0 - 10 * MIN, T0 + 20 * MIN], stored);
    expect(ids).toEqual(['ss_x', 'ss_x']);
    expect(state).toEqual({ id: 'ss_x', start: T0 - 10 * MIN, last: T0 + 20 * MIN });
  });

  it('the gap is exclusive of exactly 30 minutes', () => {
    const { ids } = assignVisits('s', 'v', [T0, T0 + SESSION_GAP_MS, T0 + 2 * SESSION_GAP_MS + 1], undefined);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[1]);
  });

  it('gives a late straggler its own visit without replacing the current one', () => {
    const stored = { id: 'ss_now', start: T0 + 600 * MIN, last: T0 + 610 * MIN };
    const { ids, state } = assignVisits('s', 'v', [T0, T0 + 5 * MIN], stored);
    expect(ids[0]).toBe(sessionId('s', 'v', T0));
    expect(ids[1]).toBe(ids[0]);
    expect(state).toEqual(stored);
  });

  it('is deterministic: reprocessing the same events gives the same ids', () => {
    const a = assignVisits('s', 'v', [T0, T0 + MIN], undefined);
    const b = assignVisits('s', 'v', [T0, T0 + MIN], a.state);
    expect(b.ids).toEqual(a.ids);
  });
});
