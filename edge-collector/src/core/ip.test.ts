import { describe, expect, it } from 'vitest';
import { TrustedProxies, normalizeIp, parseCidr } from './ip.js';

describe('addresses', () => {
  it('normalizes IPv4, mapped IPv6 and IPv6 text', () => {
    expect(normalizeIp('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('0000:0000:0000:0000:0000:ffff:7f00:0001')).toBe('127.0.0.1');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('::1')).toBe('::1');
    expect(normalizeIp('[2001:db8::1]')).toBe('2001:db8::1');
    expect(normalizeIp('256.1.1.1')).toBe('');
    expect(normalizeIp('1.2.3')).toBe('');
    expect(normalizeIp('1::2::3')).toBe('');
    expect(normalizeIp('evil')).toBe('');
  });

  it('parses CIDRs and refuses nonsense', () => {
    expect(parseCidr('10.0.0.0/8')?.prefix).toBe(8);
    expect(parseCidr('2001:db8::/32')?.prefix).toBe(32);
    expect(parseCidr('::ffff:10.0.0.0/104')?.prefix).toBe(8);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('nope/8')).toBeUndefined();
  });
});

describe('TrustedProxies.clientIp', () => {
  const p = new TrustedProxies(['10.0.0.0/8', '2001:db8::/32']);

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(p.clientIp('203.0.113.9', '1.1.1.1')).toEqual({ ip: '203.0.113.9', viaTrustedProxy: false });
  });

  it('takes the right-most untrusted hop behind trusted proxies', () => {
    expect(p.clientIp('10.1.1.1', '6.6.6.6, 198.51.100.7, 10.2.2.2')).toEqual({ ip: '198.51.100.7', viaTrustedProxy: true });
    expect(p.clientIp('::ffff:10.1.1.1', '198.51.100.7')).toEqual({ ip: '198.51.100.7', viaTrustedProxy: true });
    expect(p.clientIp('2001:db8::5', '2001:db9::1')).toEqual({ ip: '2001:db9::1', viaTrustedProxy: true });
  });

  it('stops at a garbage hop and keeps the last good one', () => {
    expect(p.clientIp('10.1.1.1', 'garbage, 10.3.3.3')).toEqual({ ip: '10.3.3.3', viaTrustedProxy: true });
    expect(p.clientIp('10.1.1.1', undefined)).toEqual({ ip: '10.1.1.1', viaTrustedProxy: true });
  });
});
