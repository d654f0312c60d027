import { describe, expect, it } from 'vitest';
import { EventQueue } from './queue.js';

const b = (n: number): Uint8Array => Uint8Array.of(n);

describe('EventQueue', () => {
  it('is FIFO and grows past its first ring size', () => {
    const q = new EventQueue(5000);
    for (let i = 0; i < 3000; i++) expect(q.push(b(i % 256))).toBeUndefined();
    expect(q.length).toBe(3000);
    for (let i = 0; i < 3000; i++) expect(q.shift()?.[0]).toBe(i % 256);
    expect(q.shift()).toBeUndefined();
  });

  it('drops the oldest when full and returns it', () => {
    const q = new EventQueue(3);
    q.push(b(1));
    q.push(b(2));
    q.push(b(3));
    expect(q.push(b(4))?.[0]).toBe(1);
    expect(q.push(b(5))?.[0]).toBe(2);
    expect(q.drain().map((x) => x[0])).toEqual([3, 4, 5]);
  });

  it('numbers events: headSeq moves on shift and drop, tailSeq on push', () => {
    const q = new EventQueue(2);
    expect([q.headSeq, q.tailSeq]).toEqual([0, 0]);
    q.push(b(1));
    q.push(b(2));
    q.push(b(3)); // drops seq 0
    expect([q.headSeq, q.tailSeq]).toEqual([1, 3]);
    q.shift();
    expect([q.headSeq, q.tailSeq]).toEqual([2, 3]);
    expect(q.peek()?.[0]).toBe(3);
  });

  it('wraps around the ring without losing order', () => {
    const q = new EventQueue(4);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) {
      q.push(b(i));
      if (i % 3 === 2) seen.push(q.shift()![0]!);
    }
    seen.push(...q.drain().map((x) => x[0]!));
    // Everything that was not dropped comes out in push order.
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(seen.at(-1)).toBe(19);
  });
});
