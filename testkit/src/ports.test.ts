import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { freePort, servicePorts } from './ports.js';

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

describe('servicePorts', () => {
  it('hands out distinct bindable ports below the kernel ephemeral range', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await servicePorts(40);
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(20000);
      expect(p).toBeLessThan(low ?? 32768);
    }
  });
});
