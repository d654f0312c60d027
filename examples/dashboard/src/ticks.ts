import type { Granularity } from './range.js';
import { offsetAt } from './time.js';

/** Chart axis ticks and labels, kept apart from the chart so they can be tested without a canvas. */

const DAY_MINUTES = 1440;
const MIN_TICK_SPACING_PX = 72;
/**
 * Tick steps in buckets that read well: 15-minute, 3-hour, weekly marks rather than "every 111 minutes".
 * Days step 3 and 4 before a week, or a 7-day chart on a phone (room for 3 labels) would get only one.
 */
const NICE_STEPS: Record<Granularity, number[]> = {
  minute: [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440],
  hour: [1, 2, 3, 6, 12, 24, 48, 168],
  day: [1, 2, 3, 4, 7, 14, 28],
  week: [1, 2, 4, 8, 13, 26],
  month: [1, 2, 3, 6, 12],
};

/**
 * The buckets that get a tick: the smallest nice step that fits the width; minute and hour ticks sit
 * on round local times (a 3-hour step ticks at 00:00, 03:00, …), in whatever zone is shown.
 */
export function tickBuckets(buckets: number[], g: Granularity, timeZone: string, widthPx: number): number[] {
  const max = Math.max(2, Math.floor(widthPx / MIN_TICK_SPACING_PX));
  const steps = NICE_STEPS[g];
  const step = steps.find((s) => buckets.length / s <= max) ?? Math.ceil(buckets.length / max);
  if (g !== 'minute' && g !== 'hour') return buckets.filter((_, i) => i % step === 0);
  const stepMinutes = g === 'minute' ? step : step * 60;
  const localMinutes = (t: number) => Math.floor((t + offsetAt(t, timeZone)) / 60_000);
  const onMultiple = (t: number, m: number) => ((localMinutes(t) % m) + m) % m === 0;
  const ticks =
    stepMinutes <= DAY_MINUTES
      ? buckets.filter((t) => onMultiple(t, stepMinutes))
      : // Several days a tick: every n-th local midnight.
        buckets.filter((t) => onMultiple(t, DAY_MINUTES)).filter((_, i) => i % (stepMinutes / DAY_MINUTES) === 0);
  return ticks.length > 0 ? ticks : buckets.slice(0, 1);
}

/** Short axis labels; times of day get the date under them where the day changes. */
export function axisLabels(ticks: number[], g: Granularity, timeZone: string): string[] {
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' });
  if (g === 'month') {
    const month = new Intl.DateTimeFormat('en-GB', { timeZone, month: 'short', year: 'numeric' });
    return ticks.map((t) => month.format(t));
  }
  if (g === 'day' || g === 'week') return ticks.map((t) => day.format(t));
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  // Ticks a day or more apart all say 00:00; the date alone says more.
  if (ticks.length > 1 && ticks.every((t) => time.format(t) === '00:00')) return ticks.map((t) => day.format(t));
  let lastDay = '';
  return ticks.map((t) => {
    const d = day.format(t);
    const label = d === lastDay ? time.format(t) : `${time.format(t)}\n${d}`;
    lastDay = d;
    return label;
  });
}
