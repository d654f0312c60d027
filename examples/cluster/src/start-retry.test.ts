import { describe, expect, it } from 'vitest';
import { ClusterConfigError } from './errors.js';
import { START_RETRY_MESSAGE, retryStart } from './start-retry.js';

function logger() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  return { lines, log: { log: (level: string, msg: string, fields?: Record<string, unknown>) => lines.push({ level, msg, fields: fields ?? {} }) } };
}

describe('retryStart', () => {
  it('retries a failing start with a warn line and a doubling pause, up to the limit, until it starts', async () => {
    const l = logger();
    const pauses: number[] = [];
    let calls = 0;
    const started = await retryStart({
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
      pauses.map((ms, i) => ['warn', START_RETRY_MESSAGE, i + 1, ms]),
    );
  });

  it('rethrows a fatal failure at once', async () => {
    const l = logger();
    const bad = new ClusterConfigError('AGGREGATOR_PORTS', 'must be a port number');
    await expect(retryStart({ attempt: () => Promise.reject(bad), fatal: (e) => e instanceof ClusterConfigError, stopped: () => false, log: l.log, sleep: async () => undefined })).rejects.toBe(bad);
    expect(l.lines).toEqual([]);
  });

  it('stops trying once stopped, and says it did not start', async () => {
    let stopped = false;
    let calls = 0;
    const started = await retryStart({
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
});
