import { describe, expect, it } from 'vitest';
import { retryStart, startRetryMessage } from './start-retry.js';

function logger() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  return { lines, log: { log: (level: string, msg: string, fields?: Record<string, unknown>) => lines.push({ level, msg, fields: fields ?? {} }) } };
}

/** What a service throws for an option or variable it refuses. */
class BadSetting extends Error {
  readonly code = 'invalid_config';
}

describe('retryStart', () => {
  it('retries a failing start with a warn line naming the process and a doubling pause, up to the limit, until it starts', async () => {
    const l = logger();
    const pauses: number[] = [];
    let calls = 0;
    const started = await retryStart({
      name: 'aggregator',
      attempt: async () => {
        if (++calls < 6) throw new Error('TIMEOUT');
      },
      fatal: () => false,
      stopped: () => false,
      log: l.log,
      initialMs: 100,
      maxMs: 1_000,
      sleep: async (ms) => void pauses.push(ms),
    });
    expect(started).toBe(true);
    expect(pauses).toEqual([100, 200, 400, 800, 1_000]);
    expect(l.lines.map((x) => [x.level, x.msg, x.fields.attempt, x.fields.retry_in_ms])).toEqual(
      pauses.map((ms, i) => ['warn', 'aggregator start failed; retrying', i + 1, ms]),
    );
    expect(l.lines[0]!.fields.err).toBeInstanceOf(Error);
  });

  it('starts at half a second and doubles to ten by default', async () => {
    const pauses: number[] = [];
    let calls = 0;
    await retryStart({
      name: 'core',
      attempt: async () => {
        if (++calls < 8) throw new Error('CONNECTION_REFUSED');
      },
      fatal: () => false,
      stopped: () => false,
      log: logger().log,
      sleep: async (ms) => void pauses.push(ms),
    });
    expect(pauses).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(startRetryMessage('core')).toBe('core start failed; retrying');
  });

  it('rethrows a fatal failure at once', async () => {
    const l = logger();
    const bad = new BadSetting('AGGREGATOR_PORTS: must be a port number');
    await expect(
      retryStart({ name: 'core', attempt: () => Promise.reject(bad), fatal: (e) => e instanceof BadSetting, stopped: () => false, log: l.log, sleep: async () => undefined }),
    ).rejects.toBe(bad);
    expect(l.lines).toEqual([]);
  });

  it('stops trying once stopped, and says it did not start', async () => {
    let stopped = false;
    let calls = 0;
    const started = await retryStart({
      name: 'query api',
      attempt: async () => {
        calls++;
        throw new Error('CONNECTION_REFUSED');
      },
      fatal: () => false,
      stopped: () => stopped,
      log: logger().log,
      sleep: async () => void (stopped = true),
    });
    expect(started).toBe(false);
    expect(calls).toBe(1);
  });

  it('logs nothing for an attempt that failed because the process was asked to stop meanwhile', async () => {
    const l = logger();
    let stopped = false;
    const started = await retryStart({
      name: 'aggregator',
      attempt: async () => {
        stopped = true;
        throw new Error('stopping');
      },
      fatal: () => false,
      stopped: () => stopped,
      log: l.log,
      sleep: async () => undefined,
    });
    expect(started).toBe(false);
    expect(l.lines).toEqual([]);
  });
});
