import { describe, expect, it } from 'vitest';
import { freePort } from './ports.js';

describe('freePort', () => {
  it('never hands out the same port twice in one process, asked one after the other or at once', async () => {
    const sequential: number[] = [];
    for (let i = 0; i < 200; i++) sequential.push(await freePort());
    const parallel = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    const all = [...sequential, ...parallel];
    expect(new Set(all).size).toBe(all.length);
    for (const p of all) expect(p).toBeGreaterThan(0);
  });
});
