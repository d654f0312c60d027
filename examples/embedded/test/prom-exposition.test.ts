import { describe, expect, it } from 'vitest';
import { parseExposition, queryableNames } from './prom-exposition.js';

const TEXT = `# HELP req_total HTTP requests
# TYPE req_total counter
req_total{route="batch",status="202"} 3
req_total{route="batch",status="400"} 1

# HELP lat_seconds latency
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.1",result="ok"} 2
lat_seconds_bucket{le="+Inf",result="ok"} 2
lat_seconds_sum{result="ok"} 0.05
lat_seconds_count{result="ok"} 2
# HELP idle_seconds labelled, nothing observed yet
# TYPE idle_seconds histogram
# TYPE q summary
q{quantile="0.5"} 1
# TYPE up_gauge gauge
up_gauge 1 1700000000000
`;

describe('parseExposition', () => {
  it('reads the families and the sample names', () => {
    const s = parseExposition(TEXT);
    expect(Object.fromEntries(s.families)).toEqual({ req_total: 'counter', lat_seconds: 'histogram', idle_seconds: 'histogram', q: 'summary', up_gauge: 'gauge' });
    expect([...s.samples].sort()).toEqual(['lat_seconds_bucket', 'lat_seconds_count', 'lat_seconds_sum', 'q', 'req_total', 'up_gauge']);
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parseExposition('{x="1"} 2')).toThrow(/not a sample/);
  });
});

describe('queryableNames', () => {
  it("adds a declared histogram's series even before it observes anything, but never its bare name", () => {
    const names = queryableNames(parseExposition(TEXT));
    expect(names.has('idle_seconds_bucket')).toBe(true);
    expect(names.has('idle_seconds_count')).toBe(true);
    expect(names.has('idle_seconds')).toBe(false);
    expect(names.has('lat_seconds')).toBe(false);
  });

  it('keeps counters, gauges and summaries under their own names', () => {
    const names = queryableNames(parseExposition(TEXT));
    for (const n of ['req_total', 'up_gauge', 'q', 'q_sum', 'q_count']) expect(names.has(n)).toBe(true);
    expect(names.has('req')).toBe(false);
  });
});
