import { describe, expect, it } from 'vitest';
import { lastMinutes } from './realtime.js';

describe('realtime window', () => {
  it('pads the API minutes to 30, ending with the current minute', () => {
    const now = Date.parse('2026-11-26T15:21:42Z');
    const m = (iso: string) => Date.parse(iso);
    const out = lastMinutes(
      {
        visitors: 2,
        perMinute: [
          { minute: m('2026-11-26T15:21:00Z'), pageviews: 4 },
          { minute: m('2026-11-26T15:00:00Z'), pageviews: 1 },
          { minute: m('2026-11-26T14:40:00Z'), pageviews: 9 },
        ],
        completeThrough: null,
      },
      now,
    );
    expect(out).toHaveLength(30);
    expect(out[0]).toEqual({ minute: m('2026-11-26T14:52:00Z'), pageviews: 0 });
    expect(out.at(-1)).toEqual({ minute: m('2026-11-26T15:21:00Z'), pageviews: 4 });
    expect(out.find((x) => x.minute === m('2026-11-26T15:00:00Z'))?.pageviews).toBe(1);
    expect(out.reduce((a, x) => a + x.pageviews, 0)).toBe(5);
  });
});
