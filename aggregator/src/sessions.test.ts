import { describe, expect, it } from 'vitest';
import { assignVisits, MAX_PREVIOUS_VISITS, SESSION_GAP_MS, sessionId } from './sessions.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

describe('assignVisits', () => {
  it('keeps events less than 30 minutes apart in one visit and starts a new one after the gap', () => {
    const { ids, state } = assignVisits('s', 'v', [T0, T0 + 10 * MIN, T0 + 39 * MIN, T0 + 70 * MIN], undefined);
    const first = sessionId('s', 'v', T0);
    const second = sessionId('s', 'v', T0 + 70 * MIN);
    expect(ids).toEqual([first, first, first, second]);
    expect(state).toEqual({ id: second, start: T0 + 70 * MIN, last: T0 + 70 * MIN, prev: [{ id: first, start: T0, last: T0 + 39 * MIN }] });
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

  it('gives a late straggler its own visit without replacing the current one, and remembers it', () => {
    const stored = { id: 'ss_now', start: T0 + 600 * MIN, last: T0 + 610 * MIN };
    const { ids, state } = assignVisits('s', 'v', [T0, T0 + 5 * MIN], stored);
    expect(ids[0]).toBe(sessionId('s', 'v', T0));
    expect(ids[1]).toBe(ids[0]);
    expect(state).toEqual({ ...stored, prev: [{ id: ids[0], start: T0, last: T0 + 5 * MIN }] });
    // A later batch with another late event of that visit joins it.
    expect(assignVisits('s', 'v', [T0 + 20 * MIN], state).ids).toEqual([ids[0]]);
  });

  it('puts events of one visit processed after the next visit opened into that visit (any order)', () => {
    const first = sessionId('s', 'v', T0);
    const a = assignVisits('s', 'v', [T0, T0 + 2 * MIN], undefined);
    const b = assignVisits('s', 'v', [T0 + 60 * MIN], a.state);
    const late = assignVisits('s', 'v', [T0 + 3 * MIN], b.state);
    expect(late.ids).toEqual([first]);
    expect(late.state?.id).toBe(sessionId('s', 'v', T0 + 60 * MIN));
    expect(late.state?.prev).toEqual([{ id: first, start: T0, last: T0 + 3 * MIN }]);
  });

  it('remembers at most MAX_PREVIOUS_VISITS earlier visits, the most recent ones', () => {
    let state;
    for (let i = 0; i <= MAX_PREVIOUS_VISITS + 2; i++) state = assignVisits('s', 'v', [T0 + i * 60 * MIN], state).state;
    expect(state?.prev).toHaveLength(MAX_PREVIOUS_VISITS);
    expect(state?.prev?.[0]?.start).toBe(T0 + (MAX_PREVIOUS_VISITS + 1) * 60 * MIN);
  });

  it('is deterministic: reprocessing the same events gives the same ids', () => {
    const a = assignVisits('s', 'v', [T0, T0 + MIN], undefined);
    const b = assignVisits('s', 'v', [T0, T0 + MIN], a.state);
    expect(b.ids).toEqual(a.ids);
  });
});
