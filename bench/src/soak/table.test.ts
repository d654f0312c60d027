import { expect, it } from 'vitest';
import { flatness, renderSoak, type SoakRow } from './table.js';

const row = (minute: number, rss: number, p99: number): SoakRow => ({ minute, eventsPerSec: 100, ingestP50: 2, ingestP99: p99, queryP50: 5, queryP99: 10, errors: 0, rssMb: { collector: rss } });

it('is flat when RSS and p99 hold, not when RSS grows or p99 climbs', () => {
  expect(flatness([row(1, 100, 10), row(2, 110, 12)]).flat).toBe(true);
  expect(flatness([row(1, 100, 10), row(2, 140, 12)]).flat).toBe(false);
  expect(flatness([row(1, 100, 10), row(2, 100, 25)]).flat).toBe(false);
  expect(flatness([]).flat).toBe(false);
  expect(flatness([row(1, 100, 10)])).toMatchObject({ flat: false, tooShort: true });
});

it('leaves the warm-up out and judges p99 by medians, so one spike is not drift but a steady climb is', () => {
  const steady = Array.from({ length: 20 }, (_, i) => row(i + 1, i === 0 ? 60 : 100, i === 17 ? 500 : 10));
  expect(flatness(steady).flat).toBe(true);
  const leaking = Array.from({ length: 20 }, (_, i) => row(i + 1, 100 + i * 5, 10));
  expect(flatness(leaking).flat).toBe(false);
  const slowing = Array.from({ length: 20 }, (_, i) => row(i + 1, 100, 10 + i * 3));
  expect(flatness(slowing).flat).toBe(false);
});

it('renders one line per window with every process', () => {
  const rows = [row(1, 100, 10), row(2, 101, 11)];
  const md = renderSoak({ rows, flat: flatness(rows), command: 'x', date: 'd', rate: 500, maxRate: 1000, acked: 10, counted: 10 });
  expect(md).toContain('| 2 | 100 | 2.0 | 11.0 | 5.0 | 10.0 | 0 | 101 |');
  expect(md).toContain('RSS collector MiB');
  expect(md).toContain('**flat**');
});
