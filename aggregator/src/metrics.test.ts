import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { createMetrics } from './metrics.js';

const PROCESS_SERIES = ['pulse_aggregator_process_resident_memory_bytes', 'pulse_aggregator_process_cpu_seconds_total', 'pulse_aggregator_nodejs_eventloop_lag_p99_seconds'];

describe('aggregator metrics', () => {
  it("exports Node's process metrics under pulse_aggregator_ only when asked", async () => {
    const on = await createMetrics({ defaultMetrics: true }).registry.metrics();
    for (const name of PROCESS_SERIES) expect(on).toMatch(new RegExp(`^${name} \\d`, 'm'));
    const off = await createMetrics().registry.metrics();
    expect(off).not.toContain('pulse_aggregator_process_');
    expect(off).toContain('pulse_aggregator_messages_total');
  });

  it('leaves them off by default and refuses a defaultMetrics that is not a boolean', () => {
    const base = { nats: { jetstream: () => ({}) }, storage: { insert: () => {}, backend: 'chdb' } } as unknown as Parameters<typeof resolveConfig>[0];
    expect(resolveConfig(base).defaultMetrics).toBe(false);
    expect(resolveConfig({ ...base, defaultMetrics: true }).defaultMetrics).toBe(true);
    expect(() => resolveConfig({ ...base, defaultMetrics: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'invalid_config', field: 'defaultMetrics' }));
  });
});
