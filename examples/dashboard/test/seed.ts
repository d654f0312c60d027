import type { SeedEvent } from './system.js';

export const SHOP = 'https://shop.example.com';

export interface Seed {
  desktop: SeedEvent[];
  mobile: SeedEvent[];
  pageviews: number;
  /** All events, custom ones included. */
  events: number;
}

/**
 * A small, hand-shaped day of traffic: 12 visitors 15–20 minutes ago (4 of them see /pricing,
 * 3 read the blog, 3 sign up, 3 buy for 71.70 EUR in all; mixed referrers, a UTM campaign, desktop
 * and mobile), and 6 visitors
 * three days ago (one of them also reads /Docs/Getting-Started) and 6 yesterday, so "today", "last 7 days" and a "/pricing" filter all give
 * different numbers, and "today" has a previous period to compare with, for purchases too.
 * Yesterday's come in two groups, two hours either side of this time of day (the hours keep them
 * apart across a DST change and a test run of some minutes): 4 before it (2 of them buy for 20 EUR
 * each), the span "today" compares with, and 2 after it (1 buys for 15 EUR), which only a comparison
 * with the whole of yesterday would count.
 * None falls in the realtime window (last 5 minutes), so the realtime test starts from a stable count.
 */
/** Seen once, by one of the visitors three days ago. */
export const MIXED_CASE_PAGE = '/Docs/Getting-Started';

export const YESTERDAY_UNTIL_NOW = { visitors: 4, buyers: 2, revenue: 40 };
export const YESTERDAY_WHOLE = { visitors: 6, buyers: 3, revenue: 55 };

export function seedTraffic(now: number, todayStart: number, yesterdayStart: number): Seed {
  const desktop: SeedEvent[] = [];
  const mobile: SeedEvent[] = [];
  const at = (t: number) => Math.max(todayStart + 1000, t);
  for (let k = 0; k < 12; k++) {
    const out = k % 2 === 0 ? desktop : mobile;
    const visitor = `today-visitor-${k}`;
    const session = `today-session-${k}`;
    const start = now - 20 * 60_000 + k * 30_000;
    const landing = k % 6 === 5 ? `${SHOP}/?utm_source=newsletter&utm_medium=email&utm_campaign=launch` : `${SHOP}/`;
    const referrer = k % 2 === 0 ? 'https://www.google.com/search?q=shop' : k % 3 === 1 ? 'https://news.ycombinator.com/item?id=1' : undefined;
    out.push({ name: 'pageview', ts: at(start), url: landing, visitor_id: visitor, session_id: session, ...(referrer ? { referrer } : {}) });
    let t = start;
    if (k % 3 === 0) out.push({ name: 'pageview', ts: at((t += 10_000)), url: `${SHOP}/pricing`, visitor_id: visitor, session_id: session });
    if (k % 4 === 0) out.push({ name: 'pageview', ts: at((t += 10_000)), url: `${SHOP}/blog/hello`, visitor_id: visitor, session_id: session });
    if (k % 5 === 0) out.push({ name: 'signup', ts: at((t += 5_000)), url: `${SHOP}/pricing`, visitor_id: visitor, session_id: session, props: { plan: 'pro' } });
    if (k % 4 === 0) {
      const revenue = { amount: 19.9 + k, currency: 'EUR' };
      out.push({ name: 'purchase', ts: at((t += 5_000)), url: `${SHOP}/checkout`, visitor_id: visitor, session_id: session, revenue });
    }
  }
  for (let k = 0; k < 6; k++) {
    const visitor = `earlier-visitor-${k}`;
    const session = `earlier-session-${k}`;
    const start = now - 3 * 86_400_000 + k * 60_000;
    desktop.push({ name: 'pageview', ts: start, url: `${SHOP}/`, visitor_id: visitor, session_id: session });
    desktop.push({ name: 'pageview', ts: start + 30_000, url: `${SHOP}/docs`, visitor_id: visitor, session_id: session });
    // A page spelt in mixed case, which a contains filter typed in lower case finds (MIXED_CASE_PAGE).
    if (k === 0) desktop.push({ name: 'pageview', ts: start + 45_000, url: `${SHOP}${MIXED_CASE_PAGE}`, visitor_id: visitor, session_id: session });
  }
  // Yesterday: the previous period of "today", so its cards show a real change. Kept inside
  // yesterday early and late in the day (a minute in, two minutes before its end).
  const yesterday = (t: number) => Math.min(todayStart - 120_000, Math.max(yesterdayStart + 60_000, t));
  for (let k = 0; k < 6; k++) {
    const visitor = `yesterday-visitor-${k}`;
    const session = `yesterday-session-${k}`;
    const start = yesterday(now - 86_400_000 + (k < 4 ? -2 : 2) * 3_600_000) + (k % 4) * 5_000;
    desktop.push({ name: 'pageview', ts: start, url: `${SHOP}/`, visitor_id: visitor, session_id: session });
    if (k === 0) desktop.push({ name: 'pageview', ts: start + 1_000, url: `${SHOP}/pricing`, visitor_id: visitor, session_id: session });
    if (k < 2 || k === 4) {
      const revenue = { amount: k < 4 ? 20 : 15, currency: 'EUR' };
      desktop.push({ name: 'purchase', ts: start + 2_000, url: `${SHOP}/checkout`, visitor_id: visitor, session_id: session, revenue });
    }
  }
  const pageviews = [...desktop, ...mobile].filter((e) => e.name === 'pageview').length;
  return { desktop, mobile, pageviews, events: desktop.length + mobile.length };
}

/**
 * The blog sells in two currencies, which the API adds up as sent (it converts none): 30 EUR, 12.50
 * USD and 5 EUR, 10 to 8 minutes ago (outside the realtime window), one buyer each.
 */
export const BLOG_SALES = { EUR: 35, USD: 12.5, buyers: 3 };

export function seedBlogSales(now: number): SeedEvent[] {
  return ([[30, 'EUR'], [12.5, 'USD'], [5, 'EUR']] as const).map(([amount, currency], k) => ({
    name: 'purchase',
    ts: now - (10 - k) * 60_000,
    url: 'https://blog.example.com/checkout',
    visitor_id: `blog-buyer-${k}`,
    session_id: `blog-buyer-session-${k}`,
    revenue: { amount, currency },
  }));
}

/**
 * The same date last year, in the shop's zone: 5 visitors two hours before this time of day (one of
 * them sees /pricing too), the span "today" compares with year over year, and 3 two hours after it,
 * which only a comparison with the whole day would count. `cut` is this minute's wall-clock time on
 * that date, `dayStart` and `dayEnd` its midnights, all worked out by the caller.
 */
export const YEAR_AGO_UNTIL_NOW = { visitors: 5 };
export const YEAR_AGO_WHOLE = { visitors: 8 };

export function seedYearAgo(cut: number, dayStart: number, dayEnd: number): SeedEvent[] {
  const out: SeedEvent[] = [];
  for (let k = 0; k < 8; k++) {
    const visitor = `year-ago-visitor-${k}`;
    const session = `year-ago-session-${k}`;
    const before = k < YEAR_AGO_UNTIL_NOW.visitors;
    // Inside the day, and on the right side of the cut however close to midnight the test runs.
    const ts = before
      ? Math.max(dayStart + 1_000, Math.min(cut - 1_000, cut - 2 * 3_600_000 + k * 5_000))
      : Math.min(dayEnd - 60_000, Math.max(cut + 20 * 60_000, cut + 2 * 3_600_000 + k * 5_000));
    out.push({ name: 'pageview', ts, url: `${SHOP}/`, visitor_id: visitor, session_id: session });
    if (k === 0) out.push({ name: 'pageview', ts: ts + 500, url: `${SHOP}/pricing`, visitor_id: visitor, session_id: session });
  }
  return out;
}

/**
 * Traffic on the two days of a DST change in the shop's zone, for the chart's compared line: the
 * day the clocks change (23 or 25 hours) and the day before it (24), which a custom range of the
 * first compares with. Visitors by wall-clock time, one pageview each; none at 02:00–03:00, the
 * hour that is missing or repeated.
 */
export const DST_DAY_VISITS: Record<string, number> = { '00:30': 1, '01:30': 2, '04:30': 3, '23:30': 1 };
export const DST_DAY_BEFORE_VISITS: Record<string, number> = { '01:30': 4, '03:30': 5, '04:30': 6, '23:30': 2 };

/** `at(date, "HH:MM")`: that wall-clock time on a `YYYY-MM-DD` in the shop's zone (worked out by the caller). */
export function seedDstDays(day: string, dayBefore: string, at: (date: string, clock: string) => number): SeedEvent[] {
  const out: SeedEvent[] = [];
  for (const [date, visits] of [
    [day, DST_DAY_VISITS],
    [dayBefore, DST_DAY_BEFORE_VISITS],
  ] as const) {
    for (const [clock, n] of Object.entries(visits)) {
      for (let k = 0; k < n; k++) {
        const visitor = `dst-${date}-${clock}-${k}`;
        out.push({ name: 'pageview', ts: at(date, clock) + k * 10_000, url: `${SHOP}/`, visitor_id: visitor, session_id: `${visitor}-s` });
      }
    }
  }
  return out;
}
