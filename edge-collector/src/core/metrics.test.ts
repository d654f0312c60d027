import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('adds tallies to their counter at each scrape, alongside direct increments', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const accepted = m.tally(m.events, { outcome: 'accepted' });
    const rejected = m.tally(m.events, { outcome: 'rejected' });
    accepted.value += 100;
    let text = await m.registry.metrics();
    expect(sample(text, 'pulse_collector_events_total{outcome="accepted"}')).toBe(100);
    expect(sample(text, 'pulse_collector_events_total{outcome="rejected"}')).toBeUndefined();
    accepted.value += 5;
    rejected.value += 2;
    m.events.inc({ outcome: 'accepted' }, 1);
    text = await m.registry.metrics();
    expect(sample(text, 'pulse_collector_events_total{outcome="accepted"}')).toBe(106);
    expect(sample(text, 'pulse_collector_events_total{outcome="rejected"}')).toBe(2);
    text = await m.registry.metrics();
    expect(sample(text, 'pulse_collector_events_total{outcome="accepted"}')).toBe(106);
  });

  it('reads probed gauges when scraped', async () => {
    const m = createMetrics({ defaultMetrics: false });
    let inflight = 3;
    m.probes.inflightRequests = () => inflight;
    expect(sample(await m.registry.metrics(), 'pulse_collector_inflight_requests')).toBe(3);
    inflight = 0;
    expect(sample(await m.registry.metrics(), 'pulse_collector_inflight_requests')).toBe(0);
  });

  it("names the process with a constant series, leaving the others' labels alone", async () => {
    const m = createMetrics({ defaultMetrics: false, worker: 2 });
    m.tally(m.events, { outcome: 'accepted' }).value += 1;
    const text = await m.registry.metrics();
    expect(sample(text, 'pulse_collector_process_info{worker="2"}')).toBe(1);
    expect(sample(text, 'pulse_collector_events_total{outcome="accepted"}')).toBe(1);
    expect(await createMetrics({ defaultMetrics: false }).registry.metrics()).not.toContain('pulse_collector_process_info');
  });
});
