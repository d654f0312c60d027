import { describe, expect, it } from 'vitest';
import { metricNames, PromqlNameError } from './promql-names.js';

describe('metricNames', () => {
  it('reads a bare name and a name with label matchers', () => {
    expect(metricNames('up')).toEqual(['up']);
    expect(metricNames('up{job="pulse-collector"} == 0')).toEqual(['up']);
  });

  it('skips functions, aggregations and their grouping labels', () => {
    const expr = 'histogram_quantile(0.99, sum by (le, instance) (rate(pulse_collector_publish_seconds_bucket{result="ok"}[5m])))';
    expect(metricNames(expr)).toEqual(['pulse_collector_publish_seconds_bucket']);
    expect(metricNames('sum(rate(a_total[5m])) without (route) / ignoring(status) group_left(route) b_total')).toEqual(['a_total', 'b_total']);
  });

  it('keeps each name of a ratio once, with the suffix it was written with', () => {
    const expr = 'sum(rate(x_sum[5m])) / sum(rate(x_count[5m])) > 0 and sum(rate(x_count[1h])) > 1';
    expect(metricNames(expr)).toEqual(['x_sum', 'x_count']);
  });

  it('ignores matcher values, even ones that look like metric names or hold braces', () => {
    expect(metricNames('a_total{route=~"batch|segment", x="y{z}", q=\'other_total\'}')).toEqual(['a_total']);
    expect(metricNames('label_replace(a, "dst", "$1", "src", "(.*)")')).toEqual(['a']);
  });

  it('ignores durations, numbers, offsets, subqueries and the @ modifier', () => {
    const expr = 'max_over_time(a[1h30m:1m]) offset 1d > 1.5e9 * 0x10 + time() - b @ start()';
    expect(metricNames(expr)).toEqual(['a', 'b']);
  });

  it('ignores binary-operator keywords in any case', () => {
    expect(metricNames('a > bool 1 AND b unless on() c or d')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ignores Grafana variables in ranges and matchers', () => {
    expect(metricNames('rate(a_total{instance=~"$instance"}[$__rate_interval]) * ${factor}')).toEqual(['a_total']);
  });

  it('reads names with colons (recording rules) and a space before the call parenthesis', () => {
    expect(metricNames('sum (job:a:rate5m)')).toEqual(['job:a:rate5m']);
  });

  it('refuses __name__ selectors, which would hide the name from the check', () => {
    expect(() => metricNames('{__name__=~"pulse_.*"}')).toThrow(PromqlNameError);
  });

  it('refuses an expression whose brackets do not close', () => {
    expect(() => metricNames('rate(a[5m)')).toThrow(PromqlNameError);
  });
});
