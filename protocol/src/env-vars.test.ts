import { describe, expect, it } from 'vitest';
import { EnvVarError, intVar, natsServersVar } from './env-vars.js';

describe('env vars', () => {
  it('reads an integer within its bounds, unset or blank as undefined', () => {
    expect(intVar({ N: '42' }, 'N', 1, 100)).toBe(42);
    expect(intVar({}, 'N', 1, 100)).toBeUndefined();
    expect(intVar({ N: ' ' }, 'N', 1, 100)).toBeUndefined();
    for (const bad of ['0', '101', '2.5', 'x', '1e3']) {
      expect(() => intVar({ N: bad }, 'N', 1, 100)).toThrow(EnvVarError);
      expect(() => intVar({ N: bad }, 'N', 1, 100)).toThrow(/^N: must be an integer from 1 to 100/);
    }
  });

  it('reads NATS_URL, naming it when malformed', () => {
    expect(natsServersVar({})).toEqual(['nats://127.0.0.1:4222']);
    expect(natsServersVar({ NATS_URL: 'nats://a:1, b:2' })).toEqual(['nats://a:1', 'b:2']);
    try {
      natsServersVar({ NATS_URL: 'http://x/y' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvVarError);
      expect((err as EnvVarError).field).toBe('NATS_URL');
      expect((err as EnvVarError).code).toBe('invalid_config');
    }
  });
});
