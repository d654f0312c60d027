import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cookielessVisitorId, saltDay } from './visitor.js';

describe('cookielessVisitorId', () => {
  it('is stable for the same inputs and differs when any input differs', () => {
    const id = cookielessVisitorId('salt', 's_1', '203.0.113.1', 'UA');
    expect(id).toMatch(/^c_[0-9a-f]{32}$/);
    expect(cookielessVisitorId('salt', 's_1', '203.0.113.1', 'UA')).toBe(id);
    expect(cookielessVisitorId('salt2', 's_1', '203.0.113.1', 'UA')).not.toBe(id);
    expect(cookielessVisitorId('salt', 's_2', '203.0.113.1', 'UA')).not.toBe(id);
    expect(cookielessVisitorId('salt', 's_1', '203.0.113.2', 'UA')).not.toBe(id);
    expect(cookielessVisitorId('salt', 's_1', '203.0.113.1', 'UA2')).not.toBe(id);
    // Field boundaries matter: ("ab","c") is not ("a","bc").
    expect(cookielessVisitorId('salt', 's_1', '1.2.3.4', 'x')).not.toBe(cookielessVisitorId('salt', 's_1', '1.2.3.4x', ''));
  });
});

describe('cookielessVisitorId across versions', () => {
  it('gives the ids earlier versions gave (a digest updated part by part)', () => {
    const parts = ['salt', 's_1', '2001:db8::1', 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131.0 — ünïcödé'] as const;
    const h = createHash('sha256');
    for (const part of parts) h.update(part).update('\u0000');
    expect(cookielessVisitorId(...parts)).toBe(`c_${h.digest('hex').slice(0, 32)}`);
  });
});

describe('saltDay', () => {
  it('is the UTC day', () => {
    expect(saltDay(Date.UTC(2026, 0, 31, 23, 59, 59, 999))).toBe('2026-01-31');
    expect(saltDay(Date.UTC(2026, 1, 1))).toBe('2026-02-01');
  });
});
