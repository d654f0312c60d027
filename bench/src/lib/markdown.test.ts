import { describe, expect, it } from 'vitest';
import { SUITE_BEGIN, SUITE_END, fmtValue, ratio, renderReport, renderTable, spliceReport } from './markdown.js';
import type { BenchResult } from './result.js';

describe('fmtValue', () => {
  it('keeps the precision a figure carries', () => {
    expect(fmtValue(1234567.8)).toBe('1,234,568');
    expect(fmtValue(42.25)).toBe('42.3');
    expect(fmtValue(1.234)).toBe('1.23');
    expect(fmtValue(0.1234)).toBe('0.123');
    expect(fmtValue(Number.NaN)).toBe('–');
  });
});

describe('ratio', () => {
  it('is ours over the baseline, and absent without one', () => {
    expect(ratio({ label: 'x', value: 300, unit: 'events/s', baseline: { label: 'b', value: 100 } })).toBe('3.00×');
    expect(ratio({ label: 'x', value: 300, unit: 'events/s' })).toBe('–');
    expect(ratio({ label: 'x', value: 300, unit: 'events/s', baseline: { label: 'b', value: 0 } })).toBe('–');
  });
});

describe('renderTable', () => {
  it('puts each figure next to its baseline, ratio and target, escaping pipes', () => {
    const t = renderTable([{ label: 'a|b', value: 250_000, unit: 'events/s', baseline: { label: 'bare insert', value: 500_000 }, target: '≥ 200,000' }]);
    const row = t.split('\n')[2];
    expect(row).toBe('| a\\|b | 250,000 events/s | bare insert | 500,000 events/s | 0.50× | ≥ 200,000 |');
  });
});

describe('renderReport', () => {
  it('has the command, the machine, every benchmark and every failure', () => {
    const r: BenchResult = {
      bench: 'query',
      title: 'Query API',
      command: 'node bench/dist/query.js --events 1000',
      params: { events: 1000 },
      tables: [{ title: 'series', figures: [{ label: 'p99', value: 12, unit: 'ms', baseline: { label: 'SQL', value: 10 } }] }],
      notes: ['a note'],
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 5000,
    };
    const md = renderReport({
      results: [r],
      failures: [{ bench: 'e2e', error: 'sender exited with 1' }],
      machine: { cpuModel: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', loadAvg: '0.10 / 0.10 / 0.10', steal: '12.5 % of the machine\'s CPU time', versions: { node: 'v20', 'nats-server': 'v2.9.10' } },
      command: 'npm run bench',
      date: '2026-01-01T00:00:00.000Z',
    });
    expect(md).toContain('Written by `npm run bench`');
    expect(md).toContain('| CPU | Test CPU |');
    expect(md).toContain('| CPU time stolen by the hypervisor during the run | 12.5 % of the machine\'s CPU time |');
    expect(md).toContain('| nats-server | v2.9.10 |');
    expect(md).toContain('## Query API');
    expect(md).toContain('Command: `node bench/dist/query.js --events 1000`');
    expect(md).toContain('| p99 | 12.0 ms | SQL | 10.0 ms | 1.20× |  |');
    expect(md).toContain('- a note');
    expect(md).toContain('- **e2e**: sender exited with 1');
  });
});

describe('spliceReport', () => {
  const run = (n: number) => `# Benchmarks\n\nrun ${n}\n`;
  it('replaces the last suite run and keeps what follows it', () => {
    const first = spliceReport(undefined, run(1));
    const withHandRuns = `${first}\n## Runs made by hand\n\nkept\n`;
    const second = spliceReport(withHandRuns, run(2));
    expect(second).toContain('run 2');
    expect(second).not.toContain('run 1');
    expect(second).toContain('## Runs made by hand\n\nkept');
    expect(second.indexOf(SUITE_END)).toBeLessThan(second.indexOf('## Runs made by hand'));
    expect(spliceReport(second, run(3)).split(SUITE_BEGIN)).toHaveLength(2);
  });

  it('puts a run on top of a file without markers and keeps all of it', () => {
    const out = spliceReport('# Benchmarks\n\nhand-written\n', run(1));
    expect(out.startsWith(SUITE_BEGIN)).toBe(true);
    expect(out).toContain('hand-written');
  });
});
