import { describe, expect, it } from 'vitest';
import { DeadlineSweeper, sweepTickFor } from './deadlines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DeadlineSweeper', () => {
  it('fires a deadline once, within a tick after it is due, and not a deleted one', async () => {
    const s = new DeadlineSweeper(10);
    const fired: string[] = [];
    const t0 = performance.now();
    let at = 0;
    s.add(50, () => {
      fired.push('a');
      at = performance.now() - t0;
    });
    const b = s.add(50, () => fired.push('b'));
    s.delete(b);
    await sleep(30);
    expect(fired).toEqual([]);
    await sleep(80);
    expect(fired).toEqual(['a']);
    expect(at).toBeGreaterThanOrEqual(49);
    expect(at).toBeLessThan(100);
    s.stop();
  });

  it('keeps working after going idle', async () => {
    const s = new DeadlineSweeper(5);
    await sleep(50);
    let n = 0;
    s.add(10, () => n++);
    await sleep(60);
    expect(n).toBe(1);
    s.stop();
  });

  it('picks a tick of a tenth of the timeout, bounded', () => {
    expect(sweepTickFor(1500)).toBe(150);
    expect(sweepTickFor(10_000)).toBe(250);
    expect(sweepTickFor(50)).toBe(10);
  });
});
