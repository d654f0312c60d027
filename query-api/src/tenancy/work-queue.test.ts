import { describe, expect, it } from 'vitest';
import { WorkQueue } from './work-queue.js';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('WorkQueue', () => {
  it('handles every item in arrival order, never more than `parallel` at once', async () => {
    let now = 0;
    let most = 0;
    const started: number[] = [];
    const q = new WorkQueue<number>(
      async (n) => {
        started.push(n);
        most = Math.max(most, ++now);
        await tick();
        now--;
      },
      3,
      () => undefined,
    );
    for (let i = 0; i < 20; i++) q.push(i);
    await q.idle();
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
    // Idle already: resolves at once, and takes more work afterwards.
    await q.idle();
    q.push(20);
    await q.idle();
    expect(started.at(-1)).toBe(20);
  });

  it('reports a failed item and goes on with the next', async () => {
    const failed: unknown[] = [];
    const done: string[] = [];
    const q = new WorkQueue<string>(
      async (s) => {
        if (s === 'bad') throw new Error('boom');
        done.push(s);
      },
      1,
      (err, item) => failed.push([item, (err as Error).message]),
    );
    for (const s of ['a', 'bad', 'b']) q.push(s);
    await q.idle();
    expect(done).toEqual(['a', 'b']);
    expect(failed).toEqual([['bad', 'boom']]);
  });
});
