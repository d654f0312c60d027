import { describe, expect, it } from 'vitest';
import { publicOrigin } from './public-origin.js';

describe('publicOrigin', () => {
  const forwarded = { host: '10.0.0.5:8080', 'x-forwarded-host': 'collector.example.com, inner.local', 'x-forwarded-proto': 'HTTPS, http' };

  it('takes the forwarded host and scheme from a trusted proxy, the first (client-side) value of each', () => {
    expect(publicOrigin(forwarded, true)).toEqual({ protocol: 'https', host: 'collector.example.com' });
    expect(publicOrigin({ host: 'collector.example.com', 'x-forwarded-proto': 'http' }, true)).toEqual({ protocol: 'http', host: 'collector.example.com' });
  });

  it('ignores forwarded headers from anyone else: the Host sent, over the plain HTTP the collector speaks', () => {
    expect(publicOrigin(forwarded, false)).toEqual({ protocol: 'http', host: '10.0.0.5:8080' });
    expect(publicOrigin({ host: '[::1]:8080' }, false)).toEqual({ protocol: 'http', host: '[::1]:8080' });
  });

  it('refuses a missing host or one that is no host', () => {
    expect(publicOrigin({}, false)).toBeUndefined();
    for (const host of ['', 'evil.example/path', 'a b', 'user@host', 'host:port', 'x'.repeat(300)]) {
      expect([host, publicOrigin({ host }, false)]).toEqual([host, undefined]);
    }
    expect(publicOrigin({ host: 'ok.example', 'x-forwarded-host': 'evil.example/x' }, true)).toBeUndefined();
  });
});
