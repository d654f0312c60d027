import { describe, expect, it } from 'vitest';
import { collectorTables, jsonLines, sdkTables } from './external.js';

describe('jsonLines', () => {
  it('keeps the JSON objects among other output', () => {
    const text = ['Running 2s test', '{"target":"bare","scenario":"beacon","rps":100}', '{not json}', '[1,2]', '  {"sdk":"pulse"}  '].join('\n');
    expect(jsonLines(text)).toEqual([{ target: 'bare', scenario: 'beacon', rps: 100 }, { sdk: 'pulse' }]);
  });
});

describe('collectorTables', () => {
  // The row shape edge-collector/bench/run.mjs prints (p50/p99 as strings from toFixed).
  const row = (target: string, rps: number, eps: number) => ({ target, scenario: 'batch100', rps, eps, p50: '1.50', p99: '9.00', non202: 0, rss: 100 });
  it('compares each runtime with the node:http baseline and the bare ceiling', () => {
    const [t] = collectorTables([row('bare', 80_000, 8_000_000), row('baseline', 1_000, 100_000), row('uws', 5_000, 500_000), row('bun', 4_000, 400_000)]);
    expect(t?.title).toBe('Scenario `batch100`');
    const eps = t?.figures.find((f) => f.label === 'ours on uWS (Node): events/s acked by JetStream');
    expect(eps).toMatchObject({ value: 500_000, baseline: { label: 'node:http collector', value: 100_000 } });
    const bare = t?.figures.find((f) => f.label === 'ours on Bun: requests/s vs the bare server');
    expect(bare).toMatchObject({ value: 4_000, baseline: { value: 80_000 } });
    expect(t?.figures.find((f) => f.label === 'ours on Bun: p99 latency (at full load)')?.value).toBe(9);
  });

  it('adds the latency of the paced runs to their scenario instead of a table of their own', () => {
    const paced = (target: string, rps: number, p99: string) => ({ target, scenario: 'batch100 @80%', rps, eps: rps * 100, p50: '1.00', p99, non202: 0, rss: '' });
    const tables = collectorTables([row('baseline', 1_000, 100_000), row('uws', 5_000, 500_000), paced('baseline', 800, '30.00'), paced('uws', 4_000, '12.50')]);
    expect(tables.map((t) => t.title)).toEqual(['Scenario `batch100`']);
    const f = tables[0]?.figures.find((x) => x.label.startsWith('ours on uWS (Node): p99 latency paced at 80%'));
    expect(f).toMatchObject({ value: 12.5, unit: 'ms', target: '≤ 20', baseline: { value: 30 } });
    expect(f?.label).toContain('reached 4,000 req/s, 80%');
  });
});

describe('sdkTables', () => {
  it('compares ours with each reference SDK', () => {
    const rows = [
      { sdk: 'pulse', eventsPerSec: 240_000, cpuUsPerEvent: 5, peakRssMb: 73 },
      { sdk: 'segment', eventsPerSec: 2_700, cpuUsPerEvent: 159, peakRssMb: 495 },
      { sdk: 'posthog', eventsPerSec: 16_000, cpuUsPerEvent: 60, peakRssMb: 204 },
    ];
    const [t] = sdkTables(rows);
    expect(t?.figures.map((f) => f.label)).toEqual([
      'events/s vs @segment/analytics-node',
      'CPU per event vs @segment/analytics-node',
      'peak RSS vs @segment/analytics-node',
      'events/s vs posthog-node',
      'CPU per event vs posthog-node',
      'peak RSS vs posthog-node',
    ]);
    expect(t?.figures[3]).toMatchObject({ value: 240_000, baseline: { label: 'posthog-node', value: 16_000 } });
  });

  it('has nothing to compare without our row', () => {
    expect(sdkTables([{ sdk: 'segment', eventsPerSec: 1 }])).toEqual([]);
  });
});
