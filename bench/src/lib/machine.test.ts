import { describe, expect, it } from 'vitest';
import { parseProcStat, stealPercent } from './machine.js';

describe('CPU steal', () => {
  it('reads the aggregate cpu line of /proc/stat', () => {
    const text = 'cpu  100 5 50 800 10 0 5 30 0 0\ncpu0 50 2 25 400 5 0 2 15 0 0\nintr 1234\n';
    expect(parseProcStat(text)).toEqual({ steal: 30, total: 1000 });
  });

  it('gives up on text without a cpu line', () => {
    expect(parseProcStat('intr 1\n')).toBeUndefined();
    expect(parseProcStat('cpu  1 2 x\n')).toBeUndefined();
  });

  it('is the stolen share of the time between two readings', () => {
    expect(stealPercent({ steal: 30, total: 1000 }, { steal: 130, total: 1400 })).toBe(25);
    expect(stealPercent({ steal: 30, total: 1000 }, { steal: 30, total: 1000 })).toBeUndefined();
    expect(stealPercent(undefined, { steal: 1, total: 2 })).toBeUndefined();
  });
});
