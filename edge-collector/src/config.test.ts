import { describe, expect, it } from 'vitest';
import { DEFAULT_LINGER_MS, resolveOptions } from './config.js';
import { ConfigError } from './errors.js';
import { configFromEnv } from './env.js';

describe('resolveOptions', () => {
  it('fills defaults and a random instance id', () => {
    const o = resolveOptions();
    expect(o.lingerMs).toBe(DEFAULT_LINGER_MS);
    expect(o.instanceId).toMatch(/^[0-9a-f]{16}$/);
    expect(resolveOptions().instanceId).not.toBe(o.instanceId);
  });

  it('makes a given instance id unique per start (a restart must not reuse Nats-Msg-Ids)', () => {
    const a = resolveOptions({ instanceId: 'edge-eu-1' }).instanceId;
    const b = resolveOptions({ instanceId: 'edge-eu-1' }).instanceId;
    expect(a).toMatch(/^edge-eu-1-[0-9a-f]{16}$/);
    expect(b).not.toBe(a);
  });

  it.each([
    [{ pathPrefix: 'pulse' }, 'pathPrefix'],
    [{ pathPrefix: '/pulse/' }, 'pathPrefix'],
    [{ maxBodyBytes: 10 }, 'maxBodyBytes'],
    [{ trustedProxies: ['10.0.0.0/99'] }, 'trustedProxies'],
    [{ countryHeader: 'CF IPCountry' }, 'countryHeader'],
    [{ lingerMs: 1.5 }, 'lingerMs'],
    [{ rateLimitEventsPerSec: 10, rateLimitBurst: 0 }, 'rateLimitBurst'],
    [{ instanceId: 'a.b' }, 'instanceId'],
  ])('refuses %j naming %s', (bad, field) => {
    try {
      resolveOptions(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
    }
  });
});

describe('configFromEnv', () => {
  it('maps documented variables', () => {
    const c = configFromEnv({
      COLLECTOR_PORT: '9000',
      NATS_URL: 'nats://a:1,nats://b:2',
      COLLECTOR_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.0.1',
      COLLECTOR_COUNTRY_HEADER: 'CF-IPCountry',
      COLLECTOR_RATE_LIMIT_EVENTS_PER_SEC: '0',
      COLLECTOR_PATH_PREFIX: '/p',
    });
    expect(c.port).toBe(9000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.natsUrl).toBe('nats://a:1,nats://b:2');
    expect(c.collector).toEqual({ trustedProxies: ['10.0.0.0/8', '192.168.0.1'], countryHeader: 'cf-ipcountry', rateLimitEventsPerSec: 0, pathPrefix: '/p' });
  });

  it('names the bad variable', () => {
    expect(() => configFromEnv({ COLLECTOR_LINGER_MS: 'soon' })).toThrow(/COLLECTOR_LINGER_MS/);
    expect(() => configFromEnv({ COLLECTOR_PORT: '70000' })).toThrow(/COLLECTOR_PORT/);
    expect(() => configFromEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
