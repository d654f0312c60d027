import { describe, expect, it } from 'vitest';
import { DEFAULT_LINGER_MS, resolveOptions } from './config.js';
import { ConfigError } from './errors.js';
import { DEFAULT_METRICS_PORT, configFromEnv } from './env.js';

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

  it('reads COLLECTOR_METRICS_PORT as the first of one port per process', () => {
    expect(configFromEnv({}).metricsPort).toBe(DEFAULT_METRICS_PORT);
    expect(configFromEnv({ COLLECTOR_METRICS_PORT: '' }).metricsPort).toBe(DEFAULT_METRICS_PORT);
    expect(configFromEnv({ COLLECTOR_METRICS_PORT: '9101', COLLECTOR_PROCESSES: '4' }).metricsPort).toBe(9101);
    expect(configFromEnv({ COLLECTOR_METRICS_PORT: '65534', COLLECTOR_PROCESSES: '2' }).metricsPort).toBe(65534);
  });

  it.each([
    [{ COLLECTOR_METRICS_PORT: 'metrics' }, /must be a non-negative integer/],
    [{ COLLECTOR_METRICS_PORT: '0' }, /between 1 and 65535/],
    [{ COLLECTOR_METRICS_PORT: '70000' }, /between 1 and 65535/],
    [{ COLLECTOR_METRICS_PORT: '65535', COLLECTOR_PROCESSES: '2' }, /ports up to 65536/],
    [{ COLLECTOR_METRICS_PORT: '8079', COLLECTOR_PROCESSES: '2' }, /include COLLECTOR_PORT 8080/],
    [{ COLLECTOR_METRICS_PORT: '9000', COLLECTOR_PORT: '9000' }, /include COLLECTOR_PORT 9000/],
  ])('refuses COLLECTOR_METRICS_PORT in %j', (env, message) => {
    try {
      configFromEnv(env);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe('COLLECTOR_METRICS_PORT');
      expect((e as ConfigError).message).toMatch(message);
    }
  });
});
