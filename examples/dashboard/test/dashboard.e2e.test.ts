import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '@pulse/testkit';
import { parseQueryResponse } from '../src/api.js';
import { comparisonRange } from '../src/comparison.js';
import { CARD_METRICS, GOAL_CARD_METRICS, METRIC_LABELS, type Filter } from '../src/dimensions.js';
import { formatBucket, formatChange, formatMetric, formatPercent } from '../src/format.js';
import { cardsQuery } from '../src/query.js';
import { bucketStarts, resolveRange, type RangeSpec } from '../src/range.js';
import {
  addDays,
  calendarDateOf,
  formatCalendarDate,
  parseCalendarDate,
  startOfDay,
  zonedParts,
  zonedToInstant,
  type CalendarDate,
} from '../src/time.js';
import { totalsOf } from '../src/totals.js';
import {
  BLOG_SALES,
  DST_DAY_BEFORE_VISITS,
  DST_DAY_VISITS,
  MIXED_CASE_PAGE,
  YEAR_AGO_UNTIL_NOW,
  YEAR_AGO_WHOLE,
  YESTERDAY_UNTIL_NOW,
  YESTERDAY_WHOLE,
  seedBlogSales,
  seedDstDays,
  seedTraffic,
  seedYearAgo,
} from './seed.js';
import {
  ARTIFACTS_DIR,
  MOBILE_UA,
  createTenant,
  eventually,
  query,
  sendEvents,
  startSystem,
  type System,
  type Tenant,
} from './system.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SHOP_TZ = 'Europe/Berlin';
const UI_TIMEOUT = 20_000;

/**
 * This date last year in the shop's zone (29 February: the 28th), and this minute's wall-clock time
 * on it: worked out here apart from the dashboard's year-ago.ts.
 */
function sameDateLastYear(now: number): CalendarDate {
  const p = zonedParts(now, SHOP_TZ);
  return { year: p.year - 1, month: p.month, day: p.month === 2 && p.day === 29 ? 28 : p.day };
}

function sameTimeLastYear(now: number): number {
  const p = zonedParts(now, SHOP_TZ);
  return zonedToInstant({ ...sameDateLastYear(now), hour: p.hour, minute: p.minute }, SHOP_TZ);
}

/** A DST change in the shop's zone: the day of it (23 or 25 hours) and the day before, `YYYY-MM-DD`. */
interface DstChange {
  day: string;
  dayBefore: string;
  hours: number;
}

/**
 * The DST changes of the shop's zone between 10 and 360 days ago (at least one a year: clocks go
 * forward and back 5 and 7 months apart), out of the last 7 days' reports and clear of the
 * year-ago traffic, which other tests count exactly.
 */
function dstChanges(now: number): DstChange[] {
  const today = calendarDateOf(now, SHOP_TZ);
  const yearAgo = startOfDay(sameDateLastYear(now), SHOP_TZ);
  const out: DstChange[] = [];
  for (let d = 10; d <= 360; d++) {
    const date = addDays(today, -d);
    const start = startOfDay(date, SHOP_TZ);
    const hours = (startOfDay(addDays(date, 1), SHOP_TZ) - start) / 3_600_000;
    if (hours === 24 || Math.abs(start - yearAgo) < 4 * 86_400_000) continue;
    out.push({ day: formatCalendarDate(date), dayBefore: formatCalendarDate(addDays(date, -1)), hours });
  }
  return out;
}

/** That wall-clock time ("HH:MM") on a `YYYY-MM-DD` in the shop's zone. */
function shopTime(date: string, clock: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = clock.split(':').map(Number) as [number, number];
  return zonedToInstant({ year, month, day, hour, minute }, SHOP_TZ);
}

/**
 * For each bucket of a series (the API's time values, ISO-8601 with the zone's offset, so their
 * text is the wall clock), the index of the compared series' bucket on the same day of its span at
 * the same wall-clock time (a repeated hour's n-th run against the n-th), or -1: worked out here from
 * the API's own text, apart from the dashboard's compare-series.ts.
 */
function byWallClock(current: readonly string[], compared: readonly string[]): number[] {
  const keys = (list: readonly string[]) => {
    const first = Date.parse((list[0] ?? '').slice(0, 10));
    const seen = new Map<string, number>();
    return list.map((v) => {
      const place = `${(Date.parse(v.slice(0, 10)) - first) / 86_400_000}|${v.slice(11, 16)}`;
      const run = seen.get(place) ?? 0;
      seen.set(place, run + 1);
      return `${place}|${run}`;
    });
  };
  const at = new Map(keys(compared).map((k, j) => [k, j]));
  return keys(current).map((k) => at.get(k) ?? -1);
}

describe('dashboard against the real system', () => {
  let system: System;
  let browser: Browser;
  let tenant: Tenant;
  let shop: Tenant['sites'][number];
  let blog: Tenant['sites'][number];
  let dst: DstChange[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    system = await startSystem();
    tenant = await createTenant(system.embedded.queryUrl, 'dashboard-e2e', [
      { domain: 'shop.example.com', timezone: SHOP_TZ },
      { domain: 'blog.example.com', timezone: 'UTC' },
    ]);
    [shop, blog] = tenant.sites as [Tenant['sites'][number], Tenant['sites'][number]];

    const now = Date.now();
    const today = calendarDateOf(now, SHOP_TZ);
    const seed = seedTraffic(now, startOfDay(today, SHOP_TZ), startOfDay(addDays(today, -1), SHOP_TZ));
    await sendEvents(system.embedded.collectorUrl, shop.writeKey, seed.desktop);
    await sendEvents(system.embedded.collectorUrl, shop.writeKey, seed.mobile, MOBILE_UA);
    await sendEvents(system.embedded.collectorUrl, blog.writeKey, [
      { name: 'pageview', ts: now - 60_000, url: 'https://blog.example.com/post', visitor_id: 'blog-reader', session_id: 'blog-s' },
      ...seedBlogSales(now),
    ]);
    const week = { from: new Date(now - 8 * 86_400_000).toISOString(), to: new Date(now + 3_600_000).toISOString() };
    await eventually(
      'seeded events stored',
      () => query(system.embedded.queryUrl, tenant.checkKey, { site_id: shop.siteId, metrics: ['pageviews', 'events'], date_range: week }),
      (r) => r.results[0]?.metrics[0] === seed.pageviews && r.results[0]?.metrics[1] === seed.events,
    );
    // Last year's traffic on this date, for the year-over-year comparison.
    const lastYear = sameDateLastYear(now);
    const lastYearDay = { from: startOfDay(lastYear, SHOP_TZ), to: startOfDay(addDays(lastYear, 1), SHOP_TZ) };
    await sendEvents(system.embedded.collectorUrl, shop.writeKey, seedYearAgo(sameTimeLastYear(now), lastYearDay.from, lastYearDay.to));
    // Each poll asks a range of its own (a millisecond earlier each time): the API keeps answers
    // over closed ranges for minutes, since no event that old could arrive with its default window.
    let poll = 0;
    await eventually(
      'last year\'s events stored',
      () =>
        query(system.embedded.queryUrl, tenant.checkKey, {
          site_id: shop.siteId,
          metrics: ['visitors'],
          date_range: { from: new Date(lastYearDay.from - ++poll).toISOString(), to: new Date(lastYearDay.to).toISOString() },
        }),
      (r) => r.results[0]?.metrics[0] === YEAR_AGO_WHOLE.visitors,
    );
    // Both days of each recent DST change, for the chart's compared line across it.
    dst = dstChanges(now);
    for (const c of dst) {
      await sendEvents(system.embedded.collectorUrl, shop.writeKey, seedDstDays(c.day, c.dayBefore, shopTime));
      const span = { from: startOfDay(calendarDateOf(shopTime(c.dayBefore, '12:00'), SHOP_TZ), SHOP_TZ), to: shopTime(c.day, '23:59') + 60_000 };
      const want = [DST_DAY_VISITS, DST_DAY_BEFORE_VISITS].flatMap((v) => Object.values(v)).reduce((a, b) => a + b, 0);
      await eventually(
        `traffic of the DST change on ${c.day} stored`,
        () =>
          query(system.embedded.queryUrl, tenant.checkKey, {
            site_id: shop.siteId,
            metrics: ['visitors'],
            date_range: { from: new Date(span.from - ++poll).toISOString(), to: new Date(span.to).toISOString() },
          }),
        (r) => r.results[0]?.metrics[0] === want,
      );
    }
    await eventually(
      'blog pageview and sales stored',
      () => query(system.embedded.queryUrl, tenant.checkKey, { site_id: blog.siteId, metrics: ['pageviews', 'events'], date_range: week }),
      (r) => r.results[0]?.metrics[0] === 1 && r.results[0]?.metrics[1] === 1 + BLOG_SALES.buyers,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await system?.stop();
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const context = await browser.newContext({ viewport, timezoneId: 'UTC', locale: 'en-GB' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT);
    return page;
  }

  async function signIn(page: Page, path = '/'): Promise<void> {
    await page.goto(`${system.embedded.queryUrl}${path}`);
    await page.fill('#read-key', tenant.readKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="card-visitors"]');
  }

  async function cardValues(page: Page): Promise<Record<string, string | null>> {
    const out: Record<string, string | null> = {};
    for (const m of CARD_METRICS) out[m] = await page.getAttribute(`[data-testid="card-${m}"]`, 'data-value');
    return out;
  }

  /**
   * What `/v1/query` answers for the cards of this view, straight from the API; compared with the
   * previous period unless `compare` names another span (ISO instants).
   */
  async function apiCards(siteId: string, tz: string, range: RangeSpec, filters: Filter[] = [], compare?: { from: string; to: string }) {
    const now = Date.now();
    const resolved = resolveRange(range, now, tz);
    const body = cardsQuery({ siteId, range: resolved, compare: comparisonRange(resolved, now, tz), filters, timezone: tz });
    if (compare) body.compare = compare;
    const r = await query(system.embedded.queryUrl, tenant.checkKey, body);
    const row = r.results[0]!;
    return {
      values: Object.fromEntries(CARD_METRICS.map((m, i) => [m, String(row.metrics[i])])),
      row,
      totals: totalsOf(parseQueryResponse(r)),
      meta: r.meta,
    };
  }

  async function expectCardsToMatch(page: Page, siteId: string, tz: string, range: RangeSpec, filters: Filter[] = [], compare?: { from: string; to: string }) {
    const want = await apiCards(siteId, tz, range, filters, compare);
    await expect.poll(() => cardValues(page), { timeout: UI_TIMEOUT }).toEqual(want.values);
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'aria-busy')).toBeNull();
    return want;
  }

  /** The visible value and the change against the previous period, as the API's numbers give them. */
  async function expectCardTexts(page: Page, want: Awaited<ReturnType<typeof apiCards>>) {
    for (const [i, m] of CARD_METRICS.entries()) {
      expect(await page.textContent(`[data-testid="value-${m}"]`)).toBe(formatMetric(m, want.row.metrics[i]));
      const change = formatChange(m, want.row.metrics[i] ?? null, want.totals?.previous?.[m] ?? null);
      expect(await page.textContent(`[data-testid="change-${m}"]`)).toContain(change ? change.text : 'no previous data');
    }
    // The bounce rate and its change are the API's numbers as it wrote them (two decimals), not
    // rounded again: checked against the API's text, apart from the dashboard's formatting.
    const i = CARD_METRICS.indexOf('bounce_rate');
    expect(await page.textContent('[data-testid="value-bounce_rate"]')).toBe(`${want.row.metrics[i]}%`);
    const points = want.row.comparison?.change[i];
    if ((want.totals?.previous?.bounce_rate ?? null) !== null && points !== undefined && points !== null) {
      const sign = points > 0 ? '+' : points < 0 ? '−' : '';
      expect(await page.textContent('[data-testid="change-bounce_rate"]')).toContain(`${sign}${Math.abs(points)} pp`);
    }
  }

  /**
   * Yesterday from its midnight for as long as today has run: what "today" is compared with, worked
   * out here apart from the dashboard's comparison.ts (by elapsed time: the seed keeps two hours
   * clear of the cut on either side, more than a DST change moves it).
   */
  function yesterdayUntilNow(now = Date.now()): { from: string; to: string } {
    const today = calendarDateOf(now, SHOP_TZ);
    const from = startOfDay(addDays(today, -1), SHOP_TZ);
    return { from: new Date(from).toISOString(), to: new Date(from + (now - startOfDay(today, SHOP_TZ))).toISOString() };
  }

  /** The shop's wall clock ("09:00") in every minute from `t0` to `t1`. */
  function shopClocks(t0: number, t1: number): string[] {
    const clock = new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    const out: string[] = [];
    for (let t = t0 - (t0 % 60_000); t <= t1; t += 60_000) out.push(clock.format(t));
    return out;
  }

  it('shows a clear error for a bad read key', async () => {
    const page = await newPage();
    await page.goto(system.embedded.queryUrl);
    await page.fill('#read-key', 'not-a-key');
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="signin-error"]')).toMatch(/rk_ followed by 32/);

    await page.fill('#read-key', `rk_${'Z'.repeat(32)}`);
    await page.click('button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="signin-error"]')).toBe('This read key is not valid (unknown or revoked).');
    expect(await page.getAttribute('#read-key', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => sessionStorage.getItem('pulse.read_key'))).toBeNull();
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'bad-read-key.png') });
  });

  it('shows on the cards exactly the numbers /v1/query returns, with the change and freshness', async () => {
    const page = await newPage();
    await signIn(page);
    const range: RangeSpec = { kind: 'preset', preset: '7d' };
    const want = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range);
    expect(Number(want.values.pageviews)).toBeGreaterThan(0);
    await expectCardTexts(page, want);
    const shown = await page.getAttribute('[data-testid="complete-through"]', 'datetime');
    expect(shown).not.toBeNull();
    expect(Date.parse(shown!)).toBeGreaterThan(Date.now() - 3_600_000);
    expect(page.url()).toContain(`site=${shop.siteId}`);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard.png'), fullPage: true });
  });

  it('renders the time-series chart, at every granularity the range allows', async () => {
    const page = await newPage();
    await signIn(page);
    const resolved = resolveRange({ kind: 'preset', preset: '7d' }, Date.now(), SHOP_TZ);
    const canvas = page.locator('[data-testid="chart"] canvas').first();
    await canvas.waitFor();
    await expect.poll(() => page.getAttribute('[data-testid="chart"]', 'data-points')).toBe(String(bucketStarts(resolved, 'day', SHOP_TZ).length));
    // The line is really drawn: the canvas holds pixels of the series colour (#4f46e5).
    const painted = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="chart"] canvas');
      const ctx = c?.getContext('2d');
      if (!c || !ctx) return 0;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] === 79 && px[i + 1] === 70 && px[i + 2] === 229) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(50);
    await page.locator('[data-testid="chart-panel"]').screenshot({ path: join(ARTIFACTS_DIR, 'chart-7d-day.png') });

    // Only the chart depends on the granularity: nothing else is asked again.
    const asked: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/query')) asked.push(JSON.stringify((r.postDataJSON() as { dimensions?: string[] }).dimensions ?? []));
    });
    await page.click('[data-testid="granularity"] label:has-text("Hour")');
    await expect.poll(() => page.getAttribute('[data-testid="chart"]', 'data-points')).toBe(String(bucketStarts(resolved, 'hour', SHOP_TZ).length));
    expect(page.url()).toContain('g=hour');
    // One series, with the compared week in the same answer (two, the second of the compared week
    // alone, when a DST change leaves it with an hour more than this week's).
    expect(asked.length).toBeGreaterThanOrEqual(1);
    expect(asked.length).toBeLessThanOrEqual(2);
    expect(new Set(asked)).toEqual(new Set(['["time:hour"]']));
    await page.locator('[data-testid="chart-panel"]').screenshot({ path: join(ARTIFACTS_DIR, 'chart-7d-hour.png') });

    // Clicking a card charts its metric.
    await page.click('[data-testid="card-pageviews"]');
    expect(await page.getAttribute('[data-testid="card-pageviews"]', 'aria-pressed')).toBe('true');
    await expect.poll(() => page.textContent('#chart-title')).toBe('Total pageviews over time');
    expect(page.url()).toContain('metric=pageviews');
  });

  it('filters the whole dashboard when a page row is clicked, keeps it in the URL, and removes it from the chip', async () => {
    const page = await newPage();
    await signIn(page);
    const range: RangeSpec = { kind: 'preset', preset: '7d' };
    const all = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range);

    const row = page.locator('[data-panel="pages"] table[data-dimension="page"] tr[data-value="/pricing"] button');
    await row.click();
    const filters: Filter[] = [['is', 'page', ['/pricing']]];
    const filtered = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, filters);
    expect(filtered.values.visitors).not.toBe(all.values.visitors);
    expect(await page.textContent('[data-testid="filter-chip"]')).toContain('Page is /pricing');
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual(['page|is|/pricing']);
    // Every breakdown follows the filter: the pages table now lists only /pricing.
    await expect
      .poll(() => page.locator('[data-panel="pages"] table[data-dimension="page"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-value'))))
      .toEqual(['/pricing']);

    // The URL is the state: a reload (same tab, key still in sessionStorage) shows the same view.
    await page.reload();
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, filters);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'filtered-pricing.png'), fullPage: true });

    // Keyboard only: focus the chip's remove button and press Enter.
    await page.focus('[data-testid="filter-chip"] .chip-remove');
    await page.keyboard.press('Enter');
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range);
    expect(await page.locator('[data-testid="filter-chip"]').count()).toBe(0);
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual([]);
    // Focus is not lost with the chip: it lands on the period picker.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('range-select');

    // Keyboard only, the other way: Enter on a row filters, and focus moves to the new chip.
    await page.focus('[data-panel="pages"] table[data-dimension="page"] tr[data-value="/"] button');
    await page.keyboard.press('Enter');
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is', 'page', ['/']]]);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Remove filter: Page is /');
  });

  it('changes the numbers with the date range (presets and custom)', async () => {
    const page = await newPage();
    await signIn(page);
    const week = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'preset', preset: '7d' });

    const t0 = Date.now();
    await page.selectOption('[data-testid="range-select"]', 'today');
    const today = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'preset', preset: 'today' });
    const t1 = Date.now();
    expect(today.values.visitors).not.toBe(week.values.visitors);
    expect(page.url()).toContain('range=today');
    // Yesterday had visits, so the change is a real percentage, not "new".
    expect(Number(today.row.comparison?.metrics[0])).toBeGreaterThan(0);
    await expectCardTexts(page, today);
    expect(await page.textContent('[data-testid="change-visitors"]')).toMatch(/[+−]\d+%/);
    // 4 of today's 12 visits bounced, 2 of yesterday's 4 until now: 33.33 % and −16.67 pp (not 33.3
    // and −16.7, a second rounding of the API's numbers).
    expect(await page.textContent('[data-testid="value-bounce_rate"]')).toBe('33.33%');
    expect(await page.textContent('[data-testid="change-bounce_rate"]')).toContain('−16.67 pp');
    // Like for like: today so far against yesterday until this time of day, not all of yesterday
    // (whose later visitors today has not had the time to match yet).
    const yesterdayVisitors = async (compare: { from: string; to: string }) =>
      (
        await query(system.embedded.queryUrl, tenant.checkKey, {
          site_id: shop.siteId,
          metrics: ['visitors'],
          date_range: isoRange({ kind: 'preset', preset: 'today' }),
          compare,
          timezone: SHOP_TZ,
        })
      ).results[0]!.comparison!.metrics[0];
    const day = calendarDateOf(t1, SHOP_TZ);
    const wholeYesterday = [addDays(day, -1), day].map((d) => new Date(startOfDay(d, SHOP_TZ)).toISOString());
    expect(await yesterdayVisitors(yesterdayUntilNow())).toBe(YESTERDAY_UNTIL_NOW.visitors);
    expect(await yesterdayVisitors({ from: wholeYesterday[0]!, to: wholeYesterday[1]! })).toBe(YESTERDAY_WHOLE.visitors);
    const change = formatChange('visitors', Number(today.values.visitors), YESTERDAY_UNTIL_NOW.visitors)!;
    expect(await page.textContent('[data-testid="change-visitors"]')).toContain(change.text);
    // The cards say what they compare with, in the shop's time.
    const compared = await page.textContent('[data-testid="compare-label"]');
    expect(shopClocks(t0, t1).map((c) => `Compared with yesterday until ${c}`)).toContain(compared);
    const against = compared!.replace('Compared with ', '');
    expect(await page.getAttribute('[data-testid="change-visitors"]', 'title')).toBe(
      formatChange('visitors', Number(today.values.visitors), YESTERDAY_UNTIL_NOW.visitors, against)!.label,
    );

    const threeDaysAgo = formatCalendarDate(addDays(calendarDateOf(Date.now(), SHOP_TZ), -3));
    await page.selectOption('[data-testid="range-select"]', 'custom');
    await page.fill('[data-testid="custom-from"]', threeDaysAgo);
    await page.fill('[data-testid="custom-to"]', threeDaysAgo);
    await page.click('[data-testid="custom-apply"]');
    const custom = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'custom', from: threeDaysAgo, to: threeDaysAgo });
    expect(Number(custom.values.visitors)).toBeGreaterThan(0);
    expect(custom.values.visitors).not.toBe(today.values.visitors);
    expect(new URL(page.url()).searchParams.get('from')).toBe(threeDaysAgo);

    // Back goes to the previous range.
    await page.goBack();
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'preset', preset: 'today' });
  });

  it('switches sites with the picker and shows time in the chosen zone', async () => {
    const page = await newPage();
    await signIn(page);
    await page.selectOption('[data-testid="site-select"]', blog.siteId);
    await expectCardsToMatch(page, blog.siteId, 'UTC', { kind: 'preset', preset: '7d' });
    expect(page.url()).toContain(`site=${blog.siteId}`);

    await page.selectOption('[data-testid="tz-select"]', 'America/New_York');
    await expectCardsToMatch(page, blog.siteId, 'America/New_York', { kind: 'preset', preset: '7d' });
    expect(new URL(page.url()).searchParams.get('tz')).toBe('America/New_York');
  });

  it('updates the realtime panel by itself when new events arrive', async () => {
    const page = await newPage();
    await signIn(page);
    type Realtime = { visitors: number; pageviews_per_minute: { pageviews: number }[] };
    const realtime = async () => (await api<Realtime>(`${system.embedded.queryUrl}/v1/realtime?site_id=${shop.siteId}`, { token: tenant.checkKey })).body;
    // Pageviews of the last 30 minutes: the seed's events stay in that window for the whole suite,
    // where its visitors leave the 5-minute one while the test runs (which broke a slow CI run).
    const pageviews = (r: Realtime) => r.pageviews_per_minute.reduce((n, m) => n + m.pageviews, 0);
    const shown = async () => Number(await page.getAttribute('[data-testid="realtime-pageviews"]', 'data-value'));
    const before = await realtime();
    await expect.poll(shown, { timeout: UI_TIMEOUT }).toBe(pageviews(before));

    const now = Date.now();
    await sendEvents(
      system.embedded.collectorUrl,
      shop.writeKey,
      [0, 1, 2].map((k) => ({ name: 'pageview', ts: now, url: 'https://shop.example.com/live', visitor_id: `live-${k}`, session_id: `live-s-${k}` })),
    );
    const after = await eventually('realtime counts the new pageviews', realtime, (r) => pageviews(r) >= pageviews(before) + 3);
    expect(after.visitors).toBeGreaterThanOrEqual(3);
    // No reload and no click: the panel refreshes on its own timer.
    await expect.poll(shown, { timeout: 45_000, interval: 1000 }).toBeGreaterThanOrEqual(pageviews(after));
    await page.locator('[data-panel="realtime"]').screenshot({ path: join(ARTIFACTS_DIR, 'realtime.png') });
  });

  it('fits a phone-sized screen without sideways scrolling', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await signIn(page);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'preset', preset: '7d' });
    await page.locator('[data-testid="chart"] canvas').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'phone.png'), fullPage: true });
  });

  /**
   * The chart's numbers as its table under "Show the numbers as a table" gives them, once loaded:
   * the period's buckets and values, and the compared period's buckets and values in the same rows
   * (empty lists without a comparison).
   */
  async function chartTable(
    page: Page,
  ): Promise<{ state: string | null; periods: string[]; values: string[]; comparedPeriods: string[]; compared: string[] }> {
    const panel = '[data-testid="chart-panel"]:is([data-state="ready"], [data-state="empty"]):not([aria-busy])';
    await page.waitForSelector(panel);
    const cells = (series: string) => page.locator(`[data-testid="chart-panel"] .chart-table tbody td[data-series="${series}"]`).allTextContents();
    return {
      state: await page.getAttribute(panel, 'data-state'),
      periods: await page.locator('[data-testid="chart-panel"] .chart-table tbody th').allTextContents(),
      values: await cells('current'),
      comparedPeriods: await cells('compared-period'),
      compared: await cells('compared'),
    };
  }

  function isoRange(range: RangeSpec) {
    const r = resolveRange(range, Date.now(), SHOP_TZ);
    return { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() };
  }

  it('divides goal conversion rates by all visitors, with a goal filter too, and shows goal revenue', async () => {
    const page = await newPage();
    await signIn(page);
    const date_range = isoRange({ kind: 'preset', preset: '7d' });
    const apiOne = async (metric: string, filters: Filter[]) =>
      (await query(system.embedded.queryUrl, tenant.checkKey, { site_id: shop.siteId, metrics: [metric], date_range, filters })).results[0]!.metrics[0]!;
    const onPurchase: Filter[] = [['is', 'event_name', ['purchase']]];
    // The API's conversion_rate takes the goal out of the denominator's filters: 6 buyers of 24 visitors.
    const cr = await apiOne('conversion_rate', onPurchase);
    expect(cr).toBeGreaterThan(5);
    expect(cr).toBeLessThan(50);
    const revenue = await apiOne('revenue', onPurchase);
    expect(revenue).toBeCloseTo(71.7 + YESTERDAY_WHOLE.revenue, 2);

    const goals = page.locator('[data-panel="goals"] table[data-dimension="event_name"]');
    const cell = (goal: string, metric: string) => goals.locator(`tr[data-value="${goal}"] td[data-metric="${metric}"]`).textContent();
    await expect.poll(() => cell('purchase', 'conversion_rate')).toBe(formatPercent(cr));
    // The shop sells in euros only: its revenue reads as money.
    expect(await cell('purchase', 'revenue')).toBe(formatMetric('revenue', revenue, ['EUR']));
    expect(await cell('purchase', 'revenue')).toMatch(/^€\d+\.\d\d$/);
    expect(await page.locator('[data-panel="goals"] [data-testid="currency-note"]').count()).toBe(0);
    // Signups carry no revenue: "—" beside the purchases' amount, not 0.00 it never earned.
    expect(await cell('signup', 'revenue')).toBe('—');
    expect(await goals.locator('thead th').allTextContents()).toEqual(['Goal', 'Visitors', 'Events', 'Revenue', 'CR']);

    // With "Goal is purchase" the visitors are the buyers only; the rate is still over every visitor.
    await goals.locator('tr[data-value="purchase"] button').click();
    await expect.poll(() => page.textContent('[data-testid="value-conversion_rate"]')).toBe(formatPercent(cr));
    await expect.poll(() => goals.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-value')))).toEqual(['purchase']);
    await expect.poll(() => page.getAttribute('[data-panel="goals"] .panel-body', 'aria-busy')).toBeNull();
    expect(await cell('purchase', 'conversion_rate')).toBe(formatPercent(cr));
    expect(await cell('purchase', 'revenue')).toBe(formatMetric('revenue', revenue, ['EUR']));
    await page.locator('[data-panel="goals"]').screenshot({ path: join(ARTIFACTS_DIR, 'goals-purchase.png') });
  });

  /** The cards shown, by metric, and their names. */
  async function shownCards(page: Page): Promise<{ metrics: string[]; labels: string[] }> {
    const cards = page.locator('[data-testid="cards"] [data-metric]');
    return {
      metrics: await cards.evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.metric ?? '')),
      labels: await page.locator('[data-testid="cards"] .metric-label').allTextContents(),
    };
  }

  const GOAL_LABELS = ['Unique conversions', 'Total conversions', 'Conversion rate', 'Total revenue', 'Average revenue'];

  /**
   * A goal's cards today as the API answers them directly, against yesterday until now, its own
   * conversion_rate (from raw events) as the rate of each period; and what the dashboard must show
   * for them.
   */
  async function expectGoalCards(page: Page, goal: string, withRevenue: boolean) {
    const r = await query(system.embedded.queryUrl, tenant.checkKey, {
      site_id: shop.siteId,
      metrics: ['visitors', 'events', 'conversion_rate', 'revenue'],
      date_range: isoRange({ kind: 'preset', preset: 'today' }),
      filters: [['is', 'event_name', [goal]]],
      compare: yesterdayUntilNow(),
      timezone: SHOP_TZ,
    });
    const row = r.results[0]!;
    const period = ([visitors, events, rate, revenue]: number[]) => ({
      visitors,
      events,
      conversion_rate: rate,
      revenue,
      average_revenue: events ? Math.round((revenue! / events) * 100) / 100 : null,
    });
    const now = period(row.metrics);
    const before = period(row.comparison!.metrics);
    const metrics = GOAL_CARD_METRICS.slice(0, withRevenue ? 5 : 3);
    await expect.poll(() => shownCards(page)).toEqual({ metrics, labels: GOAL_LABELS.slice(0, metrics.length) });
    // Settled: the revenue answer is in (no revenue cards are still to come).
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'data-revenue')).toBe(withRevenue ? 'yes' : 'no');
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'aria-busy')).toBeNull();
    for (const m of metrics) {
      // The shop sells in euros only: revenue cards read as money (€71.70), with no note.
      expect(await page.textContent(`[data-testid="value-${m}"]`), m).toBe(formatMetric(m, now[m], ['EUR']));
      expect(await page.locator(`[data-testid="currency-note-${m}"]`).count(), m).toBe(0);
      const change = formatChange(m, now[m] ?? null, before[m] ?? null);
      expect(await page.textContent(`[data-testid="change-${m}"]`), m).toContain(change ? change.text : 'no previous data');
    }
    return { now, before };
  }

  /**
   * Polls until today's hourly chart (its table) is `title` and shows `want(i)` in every bucket that
   * had begun by `since` (taken before the action that loads it) and "—" in every one not begun yet.
   */
  async function expectChart(page: Page, since: number, title: string, want: (i: number) => string) {
    await expect.poll(() => page.textContent('#chart-title')).toBe(title);
    const buckets = bucketStarts(resolveRange({ kind: 'preset', preset: 'today' }, since, SHOP_TZ), 'hour', SHOP_TZ);
    await expect
      .poll(async () => {
        const { values } = await chartTable(page);
        const now = Date.now();
        const wrong = buckets.flatMap((start, i) => {
          const expected = start <= since ? want(i) : start > now ? '—' : values[i];
          return values[i] === expected ? [] : [`${new Date(start).toISOString()}: ${values[i]} ≠ ${expected}`];
        });
        return values.length === buckets.length ? wrong : [`${values.length} buckets`];
      })
      .toEqual([]);
  }

  it('shows a goal\'s conversions instead of traffic under a goal filter, compared and charted, and traffic again without it', async () => {
    const page = await newPage();
    await signIn(page, '/?range=today&metric=pageviews');
    const today: RangeSpec = { kind: 'preset', preset: 'today' };
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, today);
    expect((await shownCards(page)).metrics).toEqual([...CARD_METRICS]);

    let since = Date.now();
    await page.locator('[data-panel="goals"] tr[data-value="purchase"] button').click();
    const purchase = await expectGoalCards(page, 'purchase', true);
    // Today 3 buyers spent 71.70; yesterday until now 2 spent 40.00 (all day, 3 spent 55.00): every
    // card has a change to show.
    expect(purchase.now).toMatchObject({ visitors: 3, events: 3, revenue: 71.7, average_revenue: 23.9 });
    expect(purchase.before).toMatchObject({
      visitors: YESTERDAY_UNTIL_NOW.buyers,
      events: 2,
      conversion_rate: 50,
      revenue: YESTERDAY_UNTIL_NOW.revenue,
      average_revenue: 20,
    });
    expect(await page.textContent('[data-testid="compare-label"]')).toMatch(/^Compared with yesterday until \d\d:\d\d$/);
    // Pageviews has no card under a goal: the chart falls back to the first one, and so does the link.
    const params = () => new URL(page.url()).searchParams;
    expect(params().get('metric')).toBeNull();
    expect(params().getAll('f')).toEqual(['event_name|is|purchase']);
    expect(await page.getAttribute('[data-testid="card-visitors"]', 'aria-pressed')).toBe('true');

    const hourly = async (metrics: string[], filters: Filter[]) =>
      (
        await query(system.embedded.queryUrl, tenant.checkKey, {
          site_id: shop.siteId,
          metrics,
          dimensions: ['time:hour'],
          order_by: [['time:hour', 'asc']],
          date_range: isoRange(today),
          filters,
          timezone: SHOP_TZ,
        })
      ).results.map((r) => r.metrics);
    const onPurchase: Filter[] = [['is', 'event_name', ['purchase']]];
    const buyers = await hourly(['visitors'], onPurchase);
    await expectChart(page, since, 'Unique conversions over time', (i) => formatMetric('visitors', buyers[i]![0]));
    const buyersThen = await apiSeries(['visitors'], dayRange(addDays(calendarDateOf(Date.now(), SHOP_TZ), -1)), 'hour', onPurchase);
    const buyersAgainst = expectedCompared(await apiSeries(['visitors'], isoRange(today)), buyersThen, 'hour', ([v]) => formatMetric('visitors', v));
    await expect.poll(async () => (await chartTable(page)).compared).toEqual(buyersAgainst.values);

    // The rate per hour is the API's own conversion_rate (buyers ÷ all visitors of the hour), a gap
    // in an hour without visitors.
    since = Date.now();
    await page.click('[data-testid="card-conversion_rate"]');
    expect(params().get('metric')).toBe('conversion_rate');
    const rates = await hourly(['conversion_rate'], onPurchase);
    const visitors = await hourly(['visitors'], []);
    expect(rates.some(([cr]) => cr! > 0)).toBe(true);
    await expectChart(page, since, 'Conversion rate over time', (i) => (visitors[i]![0] ? formatPercent(rates[i]![0]!) : '—'));
    // Against all of yesterday's hours, the rate the API has for each (a gap without visitors), as
    // the conversions before it.
    const yesterdayHours = dayRange(addDays(calendarDateOf(Date.now(), SHOP_TZ), -1));
    const todayHours = await apiSeries(['visitors'], isoRange(today));
    const ratesThen = await apiSeries(['conversion_rate'], yesterdayHours, 'hour', onPurchase);
    const visitorsThen = await apiSeries(['visitors'], yesterdayHours);
    const ratesAgainst = expectedCompared(
      todayHours,
      { times: ratesThen.times, metrics: ratesThen.metrics.map((m, j) => [m[0]!, visitorsThen.metrics[j]![0]!]) },
      'hour',
      ([rate, n]) => (n ? formatPercent(rate!) : '—'),
    );
    expect(ratesAgainst.values.some((v) => v !== '—' && v !== '0%')).toBe(true);
    expect((await chartTable(page)).compared).toEqual(ratesAgainst.values);
    await page.locator('[data-testid="chart-panel"]').screenshot({ path: join(ARTIFACTS_DIR, 'chart-goal-conversion-rate.png') });

    since = Date.now();
    await page.click('[data-testid="card-revenue"]');
    const revenue = await hourly(['revenue'], onPurchase);
    await expectChart(page, since, 'Total revenue over time', (i) => formatMetric('revenue', revenue[i]![0], ['EUR']));
    expect(await page.isHidden('[data-testid="chart-currency-note"]')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'goal-purchase-cards.png'), fullPage: true });

    // The link is the view: a reload charts the revenue of the same goal.
    await page.reload();
    await expectGoalCards(page, 'purchase', true);
    expect(await page.getAttribute('[data-testid="card-revenue"]', 'aria-pressed')).toBe('true');
    await expect.poll(() => page.textContent('#chart-title')).toBe('Total revenue over time');
    // Five cards with longer names still fit a phone.
    await page.setViewportSize({ width: 375, height: 812 });
    // The chart redraws for the new width on its resize observer: measure once the page has settled.
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), { timeout: 5_000 }).toBeLessThanOrEqual(0);
    await page.locator('.overview').screenshot({ path: join(ARTIFACTS_DIR, 'goal-purchase-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Removing the chip brings the traffic cards back; revenue has no card there, so visitors are charted.
    await page.click('[data-testid="filter-chip"] .chip-remove');
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, today);
    expect(await shownCards(page)).toEqual({ metrics: [...CARD_METRICS], labels: CARD_METRICS.map((m) => METRIC_LABELS[m]) });
    expect(params().get('metric')).toBeNull();
    expect(params().getAll('f')).toEqual([]);
    await expect.poll(() => page.textContent('#chart-title')).toBe('Unique visitors over time');
    expect(await page.getAttribute('[data-testid="card-visitors"]', 'aria-pressed')).toBe('true');

    // Back returns to the goal and its revenue chart.
    await page.goBack();
    await expectGoalCards(page, 'purchase', true);
    await expect.poll(() => page.textContent('#chart-title')).toBe('Total revenue over time');
  });

  it('marks revenue that adds up several currencies, splits it by currency, and names the one a currency filter keeps', async () => {
    const page = await newPage();
    await signIn(page, `/?site=${blog.siteId}&range=7d&f=${encodeURIComponent('event_name|is|purchase')}`);
    // The blog's sales: 35 EUR and 12.50 USD, summed as sent (the API converts none). The cards show
    // the plain sum, and say that it mixes currencies.
    const total = BLOG_SALES.EUR + BLOG_SALES.USD;
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'data-revenue')).toBe('yes');
    await expect.poll(() => page.textContent('[data-testid="value-revenue"]')).toBe(formatMetric('revenue', total));
    expect(await page.textContent('[data-testid="value-revenue"]')).toBe('47.50');
    expect(await page.textContent('[data-testid="currency-note-revenue"]')).toBe('mixed currencies: EUR, USD');
    expect(await page.isVisible('[data-testid="currency-note-revenue"]')).toBe(true);
    expect(await page.textContent('[data-testid="value-average_revenue"]')).toBe('15.83');
    expect(await page.textContent('[data-testid="currency-note-average_revenue"]')).toBe('mixed currencies: EUR, USD');

    // The goals panel's revenue column: plain, with the note under the table.
    const goals = page.locator('[data-panel="goals"]');
    const purchase = goals.locator('table[data-dimension="event_name"] tr[data-value="purchase"] td[data-metric="revenue"]');
    await expect.poll(() => purchase.textContent()).toBe('47.50');
    expect(await goals.locator('[data-testid="currency-note"]').textContent()).toBe('Revenue: mixed currencies: EUR, USD');

    // The revenue chart says so too.
    await page.click('[data-testid="card-revenue"]');
    await expect.poll(() => page.textContent('#chart-title')).toBe('Total revenue over time');
    await expect.poll(() => page.isVisible('[data-testid="chart-currency-note"]')).toBe(true);
    expect(await page.textContent('[data-testid="chart-currency-note"]')).toBe('mixed currencies: EUR, USD');
    // Plain numbers in every bucket (the sales fall on one or two days).
    const charted = (await chartTable(page)).values.filter((v) => v !== '—');
    expect(charted.length).toBeGreaterThan(0);
    for (const v of charted) expect(v).toMatch(/^[\d,]+\.\d\d$/);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'revenue-mixed-currencies.png'), fullPage: true });

    // The Currencies tab: each currency's revenue in its own money, nothing mixed.
    await goals.locator('[role="tab"][data-tab="revenue_currency"]').click();
    const byCurrency = goals.locator('table[data-dimension="revenue_currency"]');
    await expect.poll(() => byCurrency.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-value')))).toEqual(['EUR', 'USD']);
    await expect.poll(() => byCurrency.locator('tr[data-value="EUR"] td[data-metric="revenue"]').textContent()).toBe('€35.00');
    expect(await byCurrency.locator('tr[data-value="USD"] td[data-metric="revenue"]').textContent()).toBe('US$12.50');
    expect(await goals.locator('[data-testid="currency-note"]').count()).toBe(0);
    await goals.screenshot({ path: join(ARTIFACTS_DIR, 'goals-currencies.png') });

    // A currency's row filters the dashboard by it: the goal's revenue is then euros, written so.
    await byCurrency.locator('tr[data-value="EUR"] button').click();
    await expect.poll(() => new URL(page.url()).searchParams.getAll('f')).toEqual(['event_name|is|purchase', 'revenue_currency|is|EUR']);
    await expect.poll(() => page.textContent('[data-testid="value-revenue"]')).toBe('€35.00');
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'aria-busy')).toBeNull();
    expect(await page.locator('[data-testid="currency-note-revenue"]').count()).toBe(0);
    expect(await page.textContent('[data-testid="value-average_revenue"]')).toBe('€17.50');
    await expect.poll(() => page.isHidden('[data-testid="chart-currency-note"]')).toBe(true);
    await expect
      .poll(async () => {
        const values = (await chartTable(page)).values.filter((v) => v !== '—');
        return values.length > 0 && values.every((v) => /^€[\d,]+\.\d\d$/.test(v));
      })
      .toBe(true);
    expect(await page.locator('[data-testid="filter-chip"]').allTextContents()).toContain('Currency is EUR×');
  });

  it('leaves the revenue cards out for a goal without revenue, and a link to its revenue charts conversions', async () => {
    const page = await newPage();
    const revenueQueries: Record<string, unknown>[] = [];
    page.on('request', (r) => {
      if (r.method() !== 'POST' || !r.url().endsWith('/v1/query')) return;
      const body = r.postDataJSON() as Record<string, unknown>;
      if (JSON.stringify(body.metrics) === '["revenue"]') revenueQueries.push(body);
    });
    await signIn(page, `/?site=${shop.siteId}&range=today&metric=revenue&f=${encodeURIComponent('event_name|is|signup')}`);
    const signup = await expectGoalCards(page, 'signup', false);
    expect(signup.now.visitors).toBe(3);
    // The goal's revenue is asked once, by the cards (with the span they compare with); the goals
    // panel, whose only row is the goal, reads it from that answer instead of raw events again.
    await expect.poll(() => page.getAttribute('[data-panel="goals"] .panel-body', 'data-state')).toBe('ready');
    await expect.poll(() => page.getAttribute('[data-panel="goals"] .panel-body', 'aria-busy')).toBeNull();
    expect(await page.locator('[data-panel="goals"] th:has-text("Revenue")').count()).toBe(0);
    expect(revenueQueries).toHaveLength(1);
    expect(revenueQueries[0]).not.toHaveProperty('dimensions');
    expect(revenueQueries[0]).toHaveProperty('compare');
    await expect.poll(() => new URL(page.url()).searchParams.get('metric')).toBeNull();
    await expect.poll(() => page.textContent('#chart-title')).toBe('Unique conversions over time');
    expect(await page.getAttribute('[data-testid="card-visitors"]', 'aria-pressed')).toBe('true');
  });

  it('charts a rate with gaps where there was no visit, and a rate of 0 % as data, not "No data"', async () => {
    const page = await newPage();
    await signIn(page, '/?metric=bounce_rate');
    // The API answers 0 for a quiet day's bounce rate; its visits (0) say it had none.
    const days = await query(system.embedded.queryUrl, tenant.checkKey, {
      site_id: shop.siteId,
      metrics: ['bounce_rate', 'visits'],
      dimensions: ['time:day'],
      order_by: [['time:day', 'asc']],
      date_range: isoRange({ kind: 'preset', preset: '7d' }),
    });
    const want = days.results.map((r) => (r.metrics[1] === 0 ? '—' : formatMetric('bounce_rate', r.metrics[0])));
    expect(want).toContain('—');
    expect(want.some((v) => v !== '—')).toBe(true);
    await expect.poll(async () => (await chartTable(page)).values).toEqual(want);
    await page.locator('[data-testid="chart-panel"]').screenshot({ path: join(ARTIFACTS_DIR, 'chart-7d-bounce-rate.png') });

    // Three days ago every visit saw two pages: a bounce rate of 0 %, which is data.
    const day = formatCalendarDate(addDays(calendarDateOf(Date.now(), SHOP_TZ), -3));
    await page.goto(`${system.embedded.queryUrl}/?site=${shop.siteId}&range=custom&from=${day}&to=${day}&g=hour&metric=bounce_rate`);
    const { state, values } = await chartTable(page);
    expect(state).toBe('ready');
    expect(values).toContain('0%');
    expect(values.filter((v) => v !== '—' && v !== '0%')).toEqual([]);
  });

  it('leaves out of the chart the minutes that have not begun, and the legend shows the latest one', async () => {
    const t0 = Date.now();
    const page = await newPage();
    await signIn(page, '/?range=today&g=minute');
    const { periods, values } = await chartTable(page);
    const t1 = Date.now();
    const buckets = bucketStarts(resolveRange({ kind: 'preset', preset: 'today' }, t0, SHOP_TZ), 'minute', SHOP_TZ);
    expect(values).toHaveLength(buckets.length);
    buckets.forEach((start, i) => {
      if (start <= t0) expect(values[i], new Date(start).toISOString()).not.toBe('—');
      if (start > t1) expect(values[i], new Date(start).toISOString()).toBe('—');
    });
    // Away from the cursor the legend reads the latest minute, not "—", for today and for the same
    // minute yesterday, each period named.
    const latest = values.findLastIndex((v) => v !== '—');
    const legend = (await page.textContent('[data-testid="chart-panel"] .u-legend')) ?? '';
    expect(legend).not.toContain('—');
    expect(legend).toContain(periods[latest]);
    const todayName = new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, day: 'numeric', month: 'short' }).format(t1);
    expect(legend).toContain(`${todayName}${values[latest]}`);
    expect(legend).toMatch(/yesterday\d+/);
  });

  it('keeps keyboard focus on the control being changed, and puts it on the content after sign-in', async () => {
    const page = await newPage();
    await signIn(page);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    const focused = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid ?? document.activeElement?.id ?? null);
    const param = (name: string) => new URL(page.url()).searchParams.get(name);

    // Arrowing through the period select: each step reloads the view, and focus stays for the next one.
    await page.focus('[data-testid="range-select"]');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => param('range')).toBe('30d');
    expect(await focused()).toBe('range-select');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => param('range')).toBe('month');
    expect(await focused()).toBe('range-select');

    await page.focus('[data-testid="compare-select"]');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => param('compare')).toBe('year_over_year');
    expect(await focused()).toBe('compare-select');

    await page.focus('[data-testid="tz-select"]');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => param('tz')).toBe('UTC');
    expect(await focused()).toBe('tz-select');

    // Native radios: an arrow key checks the next granularity, and focus follows it.
    await page.focus('[data-testid="granularity"] input:checked');
    const from = await page.evaluate(() => (document.activeElement as HTMLInputElement).value);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => param('g')).not.toBeNull();
    const to = param('g');
    expect(to).not.toBe(from);
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe(to);
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.checked)).toBe(true);

    // A new site rebuilds the whole page; focus still stays on the picker.
    await page.focus('[data-testid="site-select"]');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => param('site')).toBe(blog.siteId);
    expect(await focused()).toBe('site-select');
  });

  /** A breakdown table's header cells and rows (value, then each cell's text), once it settled. */
  async function breakdownTable(page: Page, panel: string, dimension: string) {
    const table = page.locator(`[data-panel="${panel}"] table[data-dimension="${dimension}"]`);
    await table.waitFor();
    await expect.poll(() => page.getAttribute(`[data-panel="${panel}"] .panel-body`, 'aria-busy')).toBeNull();
    return {
      head: await table.locator('thead th').allTextContents(),
      rows: await table.locator('tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-value') ?? '', ...[...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')]),
      ),
    };
  }

  it('lists a goal\'s conversions and each row\'s conversion rate in the breakdowns under a goal filter', async () => {
    const page = await newPage();
    await signIn(page, `/?site=${shop.siteId}&f=${encodeURIComponent('event_name|is|purchase')}`);
    const onPurchase: Filter[] = [['is', 'event_name', ['purchase']]];
    // The API's own answer: conversions and the group conversion rate (buyers of a row ÷ its visitors).
    const api = async (dimension: string) => {
      const r = await query(system.embedded.queryUrl, tenant.checkKey, {
        site_id: shop.siteId,
        metrics: ['visitors', 'conversion_rate'],
        dimensions: [dimension],
        date_range: isoRange({ kind: 'preset', preset: '7d' }),
        filters: onPurchase,
        timezone: SHOP_TZ,
      });
      return r.results.map((row) => [String(row.dimensions[0]), formatMetric('visitors', row.metrics[0]), formatPercent(row.metrics[1]!)]).sort();
    };
    const pages = await breakdownTable(page, 'pages', 'page');
    // No pageviews column of zeros: the goal's event is no pageview.
    expect(pages.head).toEqual(['Page', 'Conversions', 'CR']);
    expect(pages.rows.sort()).toEqual(await api('page'));
    const sources = await breakdownTable(page, 'sources', 'source');
    expect(sources.head).toEqual(['Source', 'Conversions', 'CR']);
    // Buyers came from Google and directly, each row's rate over that row's visitors.
    const bySource = await api('source');
    expect(bySource).toHaveLength(2);
    expect(sources.rows.sort()).toEqual(bySource);
    await page.locator('[data-panel="pages"]').screenshot({ path: join(ARTIFACTS_DIR, 'pages-under-goal.png') });
    // "Conversions" is a wider header than "Visitors": it still fits a phone.
    await page.setViewportSize({ width: 375, height: 812 });
    const cut = await page.$$eval('.breakdown-table thead th', (ths) => ths.filter((t) => t.scrollWidth > t.clientWidth).map((t) => t.textContent));
    expect(cut).toEqual([]);
  });

  it('shows no rate or average for a period without visits, as the chart does', async () => {
    const page = await newPage();
    const quiet = formatCalendarDate(addDays(calendarDateOf(Date.now(), SHOP_TZ), -5));
    await signIn(page, `/?site=${shop.siteId}&range=custom&from=${quiet}&to=${quiet}`);
    // The API answers 0 for them too; without a visit there is no rate to be 0.
    const want = await apiCards(shop.siteId, SHOP_TZ, { kind: 'custom', from: quiet, to: quiet });
    expect(want.row.metrics).toEqual([0, 0, 0, 0, 0, 0]);
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'aria-busy')).toBeNull();
    expect(await page.textContent('[data-testid="value-visits"]')).toBe('0');
    for (const m of ['bounce_rate', 'views_per_visit', 'visit_duration']) {
      expect(await page.textContent(`[data-testid="value-${m}"]`), m).toBe('—');
      expect(await page.textContent(`[data-testid="change-${m}"]`), m).toBe('');
    }
  });

  it('lists only the visits that had a UTM value in the UTM tabs, and keeps "Direct / None" among sources', async () => {
    const page = await newPage();
    await signIn(page);
    const rows = async (tab: string) => {
      await page.click(`[data-panel="sources"] [role="tab"][data-tab="${tab}"]`);
      return (await breakdownTable(page, 'sources', tab)).rows.map(([value]) => value);
    };
    expect(await rows('utm_source')).toEqual(['newsletter']);
    expect(await rows('utm_medium')).toEqual(['email']);
    expect(await rows('utm_campaign')).toEqual(['launch']);
    expect(await page.locator('[data-panel="sources"] tbody').textContent()).not.toContain('(none)');
    await rows('source');
    expect(await page.locator('[data-panel="sources"] tbody').textContent()).toContain('Direct / None');
  });

  it('corrects a link\'s invalid values in the address bar to what it shows', async () => {
    const page = await newPage();
    await signIn(page, `/?site=${shop.siteId}&metric=nonsense&range=bogus&tz=Mars%2FBase&compare=bogus&f=${encodeURIComponent('page|is|/pricing')}`);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'preset', preset: '7d' }, [['is', 'page', ['/pricing']]]);
    const params = new URL(page.url()).searchParams;
    expect([...params.keys()].sort()).toEqual(['f', 'site']);
    expect(params.getAll('f')).toEqual(['page|is|/pricing']);
    // A custom comparison without valid days is the previous period, and the link says so.
    const bodies = queryBodies(page);
    await page.goto(`${system.embedded.queryUrl}/?site=${shop.siteId}&compare=custom&compare_from=2026-13-01&compare_to=`);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, { kind: 'preset', preset: '7d' });
    expect([...new URL(page.url()).searchParams.keys()]).toEqual(['site']);
    expect(await page.inputValue('[data-testid="compare-select"]')).toBe('previous_period');
    expect(bodies.filter((b) => 'compare' in b).every((b) => !JSON.stringify(b.compare).includes('2026-13'))).toBe(true);
  });

  it('names a filter chip as its row does ("Direct / None")', async () => {
    const page = await newPage();
    await signIn(page);
    await page.click('[data-panel="sources"] [role="tab"][data-tab="referrer"]');
    const direct = page.locator('[data-panel="sources"] table[data-dimension="referrer"] tr[data-value=""] button');
    expect(await direct.textContent()).toBe('Direct / None');
    await direct.click();
    await expect.poll(() => page.textContent('[data-testid="filter-chip"]')).toContain('Referrer is Direct / None');
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual(['referrer|is|']);
  });

  it('has one <h1>, the site, and breakdown headers that fit, on a desktop and a phone', async () => {
    for (const viewport of [{ width: 1280, height: 900 }, { width: 375, height: 812 }]) {
      const page = await newPage(viewport);
      await signIn(page);
      expect(await page.locator('h1').allTextContents()).toEqual(['shop.example.com']);
      await expect.poll(() => page.locator('.breakdown-table').count()).toBe(5);
      await expect.poll(() => page.locator('[data-panel="goals"] th:has-text("Revenue")').count()).toBe(1);
      const cut = await page.$$eval('.breakdown-table thead th', (ths) => ths.filter((t) => t.scrollWidth > t.clientWidth).map((t) => t.textContent));
      expect(cut, `${viewport.width} px`).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    }
  });

  /** The bodies of the `POST /v1/query` requests a page sends from now on. */
  function queryBodies(page: Page): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/query')) out.push(r.postDataJSON() as Record<string, unknown>);
    });
    return out;
  }

  const isCardsQuery = (b: Record<string, unknown>) => JSON.stringify(b.metrics) === JSON.stringify(CARD_METRICS) && !('dimensions' in b);

  /** Last year's date from its midnight until this minute's wall-clock time, in the shop's zone. */
  function sameDayLastYearUntil(now: number): { from: string; to: string } {
    return { from: new Date(startOfDay(sameDateLastYear(now), SHOP_TZ)).toISOString(), to: new Date(sameTimeLastYear(now)).toISOString() };
  }

  /** Every minute's start from `t0`'s minute to `t1`. */
  function minutes(t0: number, t1: number): number[] {
    const out: number[] = [];
    for (let t = t0 - (t0 % 60_000); t <= t1; t += 60_000) out.push(t);
    return out;
  }

  it('compares with the same period last year in the site\'s time, with the same changes, and keeps it in the URL', async () => {
    const page = await newPage();
    const bodies = queryBodies(page);
    const param = (name: string) => new URL(page.url()).searchParams.get(name);
    const today: RangeSpec = { kind: 'preset', preset: 'today' };
    await signIn(page, `/?site=${shop.siteId}&range=today`);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, today);
    expect(await page.inputValue('[data-testid="compare-select"]')).toBe('previous_period');
    expect(await page.textContent('[data-testid="compare-label"]')).toMatch(/^Compared with yesterday until \d\d:\d\d$/);

    const t0 = Date.now();
    bodies.length = 0;
    await page.selectOption('[data-testid="compare-select"]', 'year_over_year');
    await expect.poll(() => param('compare')).toBe('year_over_year');
    const want = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, today, [], sameDayLastYearUntil(Date.now()));
    const t1 = Date.now();
    // Last year until this time of day: the seed's 5 visitors before it, not the 3 after it.
    expect(want.row.comparison?.metrics[0]).toBe(YEAR_AGO_UNTIL_NOW.visitors);
    await expectCardTexts(page, want);
    const visitorsChange = formatChange('visitors', Number(want.values.visitors), YEAR_AGO_UNTIL_NOW.visitors)!;
    expect(await page.textContent('[data-testid="change-visitors"]')).toContain(visitorsChange.text);
    // Sent as an explicit range: last year's date from its midnight in Berlin until this minute's
    // wall-clock time there (not 365 days of milliseconds, nor UTC midnight).
    const sent = bodies.filter(isCardsQuery).at(-1)!;
    const lastYearStart = startOfDay(sameDateLastYear(t1), SHOP_TZ);
    expect(sent.compare).toMatchObject({ from: new Date(lastYearStart).toISOString() });
    expect(minutes(t0, t1).map((t) => new Date(sameTimeLastYear(t)).toISOString())).toContain((sent.compare as { to: string }).to);
    // The cards say what they compare with, as they do for the previous period.
    const day = new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, day: 'numeric', month: 'short', year: 'numeric' }).format(lastYearStart);
    const label = await page.textContent('[data-testid="compare-label"]');
    expect(shopClocks(t0, t1).map((c) => `Compared with ${day} until ${c}`)).toContain(label);
    expect(await page.getAttribute('[data-testid="change-visitors"]', 'title')).toBe(
      formatChange('visitors', Number(want.values.visitors), YEAR_AGO_UNTIL_NOW.visitors, label!.replace('Compared with ', ''))!.label,
    );
    await page.locator('.overview').screenshot({ path: join(ARTIFACTS_DIR, 'compare-year-over-year.png') });

    // The link is the view.
    await page.reload();
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, today, [], sameDayLastYearUntil(Date.now()));
    expect(await page.inputValue('[data-testid="compare-select"]')).toBe('year_over_year');

    // The same weekdays: 52 weeks before, when the shop had no visitor, so every count is new.
    bodies.length = 0;
    await page.selectOption('[data-testid="compare-select"]', 'year_over_year_weekday');
    await expect.poll(() => param('compare')).toBe('year_over_year_weekday');
    await expect.poll(() => bodies.filter(isCardsQuery).length).toBeGreaterThan(0);
    const weeks = bodies.filter(isCardsQuery).at(-1)!.compare as { from: string; to: string };
    const todayDate = calendarDateOf(Date.now(), SHOP_TZ);
    expect(weeks.from).toBe(new Date(startOfDay(addDays(todayDate, -364), SHOP_TZ)).toISOString());
    const weekday = (t: number) => new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, weekday: 'long' }).format(t);
    expect(weekday(Date.parse(weeks.from))).toBe(weekday(Date.now()));
    await expect.poll(() => page.textContent('[data-testid="change-visitors"]')).toMatch(/^↑ new/);
    const weekdayDay = new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' })
      .format(Date.parse(weeks.from))
      .replace(',', '');
    expect(await page.textContent('[data-testid="compare-label"]')).toMatch(new RegExp(`^Compared with ${weekdayDay} until \\d\\d:\\d\\d$`));

    // No comparison: nothing asked, nothing said.
    bodies.length = 0;
    await page.selectOption('[data-testid="compare-select"]', 'off');
    await expect.poll(() => param('compare')).toBe('off');
    await expect.poll(() => page.locator('[data-testid="compare-label"]').count()).toBe(0);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, today);
    expect(bodies.filter(isCardsQuery).length).toBeGreaterThan(0);
    expect(bodies.filter((b) => 'compare' in b)).toEqual([]);
    for (const m of CARD_METRICS) expect(await page.textContent(`[data-testid="change-${m}"]`), m).toBe('');

    // Back and forward walk the comparisons too.
    await page.goBack();
    await expect.poll(() => page.inputValue('[data-testid="compare-select"]')).toBe('year_over_year_weekday');
    await page.goBack();
    await page.goBack();
    await expect.poll(() => page.inputValue('[data-testid="compare-select"]')).toBe('previous_period');
    expect(param('compare')).toBeNull();
    await expect.poll(() => page.textContent('[data-testid="compare-label"]')).toMatch(/^Compared with yesterday until \d\d:\d\d$/);
  });

  it('compares 29 February with 28 February, and February with all of the one before, by the browser\'s clock', async () => {
    // The browser's clock set to 29 February 2028, 09:30 in Berlin: nothing was seeded then, but the
    // spans the dashboard asks for are the point.
    const page = await newPage();
    await page.clock.setFixedTime(new Date('2028-02-29T08:30:20Z'));
    const bodies = queryBodies(page);
    await signIn(page, `/?site=${shop.siteId}&range=today&compare=year_over_year`);
    await expect.poll(() => page.textContent('[data-testid="compare-label"]')).toBe('Compared with 28 Feb 2027 until 09:30');
    expect(bodies.filter(isCardsQuery).at(-1)!.compare).toEqual({ from: '2027-02-27T23:00:00.000Z', to: '2027-02-28T08:30:00.000Z' });

    // "Last month" on 10 March 2029 is February 2029 (28 days): against all of February 2028, its
    // 29th included, not against 1–28 February.
    await page.clock.setFixedTime(new Date('2029-03-10T11:00:00Z'));
    bodies.length = 0;
    await page.goto(`${system.embedded.queryUrl}/?site=${shop.siteId}&range=last_month&compare=year_over_year`);
    await expect.poll(() => page.textContent('[data-testid="compare-label"]')).toBe('Compared with 1 Feb 2028 – 29 Feb 2028');
    expect(bodies.filter(isCardsQuery).at(-1)!.compare).toEqual({ from: '2028-01-31T23:00:00.000Z', to: '2028-02-29T23:00:00.000Z' });
    // …while 28 February 2029 alone is against 28 February 2028 alone.
    bodies.length = 0;
    await page.goto(`${system.embedded.queryUrl}/?site=${shop.siteId}&range=custom&from=2029-02-28&to=2029-02-28&compare=year_over_year`);
    await expect.poll(() => page.textContent('[data-testid="compare-label"]')).toBe('Compared with 28 Feb 2028');
    expect(bodies.filter(isCardsQuery).at(-1)!.compare).toEqual({ from: '2028-02-27T23:00:00.000Z', to: '2028-02-28T23:00:00.000Z' });
  });

  it('compares a goal\'s conversions year over year too', async () => {
    const page = await newPage();
    await signIn(page, `/?site=${shop.siteId}&range=today&compare=year_over_year&f=${encodeURIComponent('event_name|is|purchase')}`);
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'data-revenue')).toBe('yes');
    await expect.poll(() => page.getAttribute('[data-testid="cards"]', 'aria-busy')).toBeNull();
    // Nobody bought a year ago: conversions and revenue are new, the rate's previous value is 0 % of 5 visitors.
    expect(await page.textContent('[data-testid="change-visitors"]')).toMatch(/^↑ new/);
    expect(await page.textContent('[data-testid="change-revenue"]')).toMatch(/^↑ new/);
    expect(await page.textContent('[data-testid="change-conversion_rate"]')).toMatch(/^↑ \+\d+(\.\d+)? pp/);
    expect(await page.textContent('[data-testid="compare-label"]')).toMatch(/^Compared with \d+ \w{3} \d{4} until \d\d:\d\d$/);
  });

  /** An hourly (or daily) series straight from the API: its time values and each bucket's metrics. */
  async function apiSeries(metrics: string[], range: { from: string; to: string } | 'all', unit = 'hour', filters: Filter[] = []) {
    const r = await query(system.embedded.queryUrl, tenant.checkKey, {
      site_id: shop.siteId,
      metrics,
      dimensions: [`time:${unit}`],
      order_by: [[`time:${unit}`, 'asc']],
      date_range: range,
      timezone: SHOP_TZ,
      ...(filters.length > 0 ? { filters } : {}),
    });
    return { times: r.results.map((x) => String(x.dimensions[0])), metrics: r.results.map((x) => x.metrics) };
  }

  /** A calendar day's span in the shop's zone, as ISO instants. */
  function dayRange(date: CalendarDate, days = 1): { from: string; to: string } {
    return { from: new Date(startOfDay(date, SHOP_TZ)).toISOString(), to: new Date(startOfDay(addDays(date, days), SHOP_TZ)).toISOString() };
  }

  /**
   * What the chart's compared columns must show: for each bucket of the period, the compared bucket
   * at the same place (`byWallClock` for hours, the same index for days) and its value, as the API
   * answers the compared span; "—" where it has none.
   */
  function expectedCompared(
    current: { times: string[] },
    compared: { times: string[]; metrics: number[][] },
    unit: 'hour' | 'day',
    cell: (m: number[]) => string,
  ): { periods: string[]; values: string[] } {
    const at = unit === 'hour' ? byWallClock(current.times, compared.times) : current.times.map((_, i) => (i < compared.times.length ? i : -1));
    return {
      periods: at.map((j) => (j < 0 ? '—' : formatBucket(Date.parse(compared.times[j]!), unit, SHOP_TZ, true))),
      values: at.map((j) => (j < 0 ? '—' : cell(compared.metrics[j]!))),
    };
  }

  /** Pixels of a colour on the chart's canvas. */
  async function paintedPixels(page: Page, [r, g, b]: [number, number, number]): Promise<number> {
    return page.evaluate(
      ([r, g, b]) => {
        const c = document.querySelector<HTMLCanvasElement>('[data-testid="chart"] canvas');
        const ctx = c?.getContext('2d');
        if (!c || !ctx) return 0;
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) if (px[i] === r && px[i + 1] === g && px[i + 2] === b) n++;
        return n;
      },
      [r, g, b] as [number, number, number],
    );
  }

  const isSeries = (b: Record<string, unknown>) => Array.isArray(b.dimensions) && String(b.dimensions[0]).startsWith('time:');

  it('draws the compared period on the chart bucket by bucket, with the numbers the API has for it, and names both', async () => {
    const page = await newPage();
    const bodies = queryBodies(page);
    await signIn(page, `/?site=${shop.siteId}&range=today`);
    const now = Date.now();
    const today = calendarDateOf(now, SHOP_TZ);
    const yesterday = addDays(today, -1);
    const mine = await apiSeries(['visitors'], dayRange(today));
    const theirs = await apiSeries(['visitors'], dayRange(yesterday));
    const want = expectedCompared(mine, theirs, 'hour', ([v]) => formatMetric('visitors', v));
    await expect.poll(async () => (await chartTable(page)).compared).toEqual(want.values);
    const table = await chartTable(page);
    expect(table.comparedPeriods).toEqual(want.periods);
    expect(table.periods).toHaveLength(mine.times.length);
    // All of yesterday, though the cards compare with it until now: its 2 later visitors are drawn
    // too (each visitor is in one hour or, straddling one's end, two: at least 6, where until now
    // would be 4 or 5).
    const sum = (cells: string[]) => cells.filter((v) => v !== '—').reduce((a, v) => a + Number(v), 0);
    expect(sum(table.compared)).toBeGreaterThanOrEqual(YESTERDAY_WHOLE.visitors);
    expect(await page.textContent('[data-testid="compare-label"]')).toMatch(/^Compared with yesterday until \d\d:\d\d$/);
    // From the API's own per-bucket comparison: one series query, carrying yesterday as `compare`
    // (a DST day on either side would take a second series of yesterday alone).
    const series = bodies.filter(isSeries);
    if (mine.times.length === 24 && theirs.times.length === 24) {
      expect(series).toHaveLength(1);
      expect(series[0]!.compare).toEqual(dayRange(yesterday));
    }
    expect(await page.locator('[data-testid="chart-panel"] .chart-table thead th').allTextContents()).toEqual([
      'Period',
      `Unique visitors, ${new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, day: 'numeric', month: 'short' }).format(now)}`,
      'Compared period',
      'Unique visitors, yesterday',
    ]);

    // Drawn: a dashed line of its own colour (COMPARED_STROKE), besides the period's.
    expect(await page.getAttribute('[data-testid="chart"]', 'data-compared')).toBe('yes');
    expect(await paintedPixels(page, [133, 136, 196])).toBeGreaterThan(20);
    // Just after midnight today has one bucket so far, drawn as a point, not a line.
    const drawnToday = table.values.filter((v) => v !== '—').length;
    expect(await paintedPixels(page, [79, 70, 229])).toBeGreaterThan(drawnToday > 1 ? 20 : 0);
    // The legend names both periods.
    const legend = await page.locator('[data-testid="chart-panel"] .u-legend .u-label').allTextContents();
    expect(legend.slice(1)).toEqual([new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, day: 'numeric', month: 'short' }).format(now), 'yesterday']);
    expect(await page.getAttribute('[data-testid="chart"]', 'aria-label')).toContain('compared with yesterday');

    // The tooltip at the cursor: both dates, both values, and the change.
    const over = page.locator('[data-testid="chart"] .u-over');
    const box = (await over.boundingBox())!;
    const tip = page.locator('[data-testid="chart-tooltip"]');
    for (const fraction of [0.2, 0.6, 0.95]) {
      await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
      await expect.poll(() => tip.isVisible()).toBe(true);
      const i = Number(await tip.getAttribute('data-index'));
      expect(await tip.locator('[data-testid="tooltip-current"]').textContent()).toBe(`${table.periods[i]}${table.values[i]}`);
      const their = theirs.times[byWallClock(mine.times, theirs.times)[i]!]!;
      // With its year when that is another one (on 1 January).
      const comparedDate = formatBucket(Date.parse(their), 'hour', SHOP_TZ, their.slice(0, 4) !== mine.times[i]!.slice(0, 4));
      expect(await tip.locator('[data-testid="tooltip-compared"]').textContent()).toBe(`${comparedDate}${table.compared[i]}`);
      const change = formatChange('visitors', table.values[i] === '—' ? null : Number(table.values[i]), Number(table.compared[i]));
      expect(await tip.locator('[data-testid="tooltip-change"]').count()).toBe(change ? 1 : 0);
      if (change) expect(await tip.locator('[data-testid="tooltip-change"]').textContent()).toContain(change.text);
    }
    await page.locator('[data-testid="chart-panel"]').screenshot({ path: join(ARTIFACTS_DIR, 'chart-compare-today.png') });
    await page.mouse.move(box.x + box.width / 2, box.y + box.height + 200);
    await expect.poll(() => tip.isVisible()).toBe(false);

    // Year over year: the same date last year, all of it (5 visitors before this time of day, 3 after).
    await page.selectOption('[data-testid="compare-select"]', 'year_over_year');
    const lastYear = sameDateLastYear(Date.now());
    const ago = await apiSeries(['visitors'], dayRange(lastYear));
    const wantAgo = expectedCompared(mine, ago, 'hour', ([v]) => formatMetric('visitors', v));
    await expect.poll(async () => (await chartTable(page)).compared).toEqual(wantAgo.values);
    expect((await chartTable(page)).comparedPeriods).toEqual(wantAgo.periods);
    expect(sum(wantAgo.values)).toBeGreaterThanOrEqual(YEAR_AGO_WHOLE.visitors);

    // No comparison: one line, no compared columns.
    await page.selectOption('[data-testid="compare-select"]', 'off');
    await expect.poll(() => page.getAttribute('[data-testid="chart"]', 'data-compared')).toBe('no');
    expect((await chartTable(page)).compared).toEqual([]);
    expect(await paintedPixels(page, [133, 136, 196])).toBe(0);

    // Days: yesterday and today by day, against the two days before (3 days ago had 13 pageviews:
    // / and /docs of 6 visitors, and one /Docs/Getting-Started),
    // the chart's pageviews against the API's.
    const two = { from: formatCalendarDate(yesterday), to: formatCalendarDate(today) };
    await page.goto(`${system.embedded.queryUrl}/?site=${shop.siteId}&range=custom&from=${two.from}&to=${two.to}&g=day&metric=pageviews`);
    const before = await apiSeries(['pageviews'], dayRange(addDays(today, -3), 2), 'day');
    const wantDays = expectedCompared(await apiSeries(['pageviews'], dayRange(yesterday, 2), 'day'), before, 'day', ([v]) => formatMetric('pageviews', v));
    await expect.poll(async () => (await chartTable(page)).compared).toEqual(wantDays.values);
    expect(wantDays.values[0]).toBe('13');
    expect((await chartTable(page)).comparedPeriods).toEqual(wantDays.periods);
  });

  it('draws the compared day of a DST change hour by hour on the wall clock, the missing or repeated hour a gap', async () => {
    expect(dst.length).toBeGreaterThan(0);
    for (const c of dst) {
      const page = await newPage();
      const bodies = queryBodies(page);
      await signIn(page, `/?site=${shop.siteId}&range=custom&from=${c.day}&to=${c.day}&g=hour`);
      const mine = await apiSeries(['visitors'], dayRange(parseCalendarDate(c.day)!));
      const theirs = await apiSeries(['visitors'], dayRange(parseCalendarDate(c.dayBefore)!));
      expect(mine.times).toHaveLength(c.hours);
      expect(theirs.times).toHaveLength(24);
      const want = expectedCompared(mine, theirs, 'hour', ([v]) => formatMetric('visitors', v));
      await expect.poll(async () => (await chartTable(page)).compared, { message: c.day }).toEqual(want.values);
      const table = await chartTable(page);
      expect(table.comparedPeriods).toEqual(want.periods);
      expect(table.periods).toHaveLength(c.hours);
      // Spelled out: 04:00 against 04:00 and 23:00 against 23:00, not an hour off after the change.
      const row = (clock: string) => table.periods.findIndex((p) => p.endsWith(clock));
      expect(table.values[row('04:00')], c.day).toBe(String(DST_DAY_VISITS['04:30']));
      expect(table.compared[row('04:00')], c.day).toBe(String(DST_DAY_BEFORE_VISITS['04:30']));
      expect(table.compared[row('03:00')], c.day).toBe(String(DST_DAY_BEFORE_VISITS['03:30']));
      expect(table.compared[table.periods.length - 1], c.day).toBe(String(DST_DAY_BEFORE_VISITS['23:30']));
      // The 25-hour day's second 02:00 has no counterpart; the 23-hour day has no 02:00 at all.
      expect(table.compared.filter((v) => v === '—'), c.day).toHaveLength(c.hours === 25 ? 1 : 0);
      expect(table.periods.filter((p) => p.endsWith('02:00')), c.day).toHaveLength(c.hours === 25 ? 2 : 0);
      // On the 23-hour day the compared day's 23:00 is its 24th hour, which the API's comparison
      // (one per hour of the day shown) cannot hold: the day before is asked as a series of its own.
      if (c.hours === 23) {
        const dayBefore = dayRange(parseCalendarDate(c.dayBefore)!);
        expect(bodies.filter(isSeries).some((b) => !('compare' in b) && JSON.stringify(b.date_range) === JSON.stringify(dayBefore))).toBe(true);
      }
      await page.locator('[data-testid="chart-panel"]').screenshot({ path: join(ARTIFACTS_DIR, `chart-compare-dst-${c.hours}h.png`) });
    }
  });

  it('shows All time as the API\'s date_range "all" answers it, from the day the site was created, with nothing to compare', async () => {
    const page = await newPage();
    const bodies = queryBodies(page);
    // A comparison the link chose waits for another range: All time has nothing before it.
    await signIn(page, `/?site=${shop.siteId}&range=all&compare=year_over_year`);
    const listed = await api<{ sites: { site_id: string; created_at: number }[] }>(`${system.embedded.queryUrl}/v1/sites`, { token: tenant.checkKey });
    const createdAt = listed.body.sites.find((s) => s.site_id === shop.siteId)!.created_at;
    const cards = await query(system.embedded.queryUrl, tenant.checkKey, { site_id: shop.siteId, metrics: [...CARD_METRICS], date_range: 'all', timezone: SHOP_TZ });
    const want = Object.fromEntries(CARD_METRICS.map((m, i) => [m, String(cards.results[0]!.metrics[i])]));
    await expect.poll(() => cardValues(page), { timeout: UI_TIMEOUT }).toEqual(want);
    expect(Number(want.visitors)).toBeGreaterThan(0);
    expect(await page.inputValue('[data-testid="range-select"]')).toBe('all');
    expect(await page.locator('[data-testid="range-select"] option:checked').textContent()).toBe('All time');
    expect(new URL(page.url()).searchParams.get('range')).toBe('all');
    expect(new URL(page.url()).searchParams.get('compare')).toBe('year_over_year');

    // The API's "all" is the range the dashboard resolved: from the shop's midnight of the day the
    // site was created (today: this suite made it) to the end of today.
    const resolved = resolveRange({ kind: 'preset', preset: 'all' }, Date.now(), SHOP_TZ, createdAt);
    expect(resolved.from).toBe(startOfDay(calendarDateOf(createdAt, SHOP_TZ), SHOP_TZ));
    expect(cards.meta.date_range).toEqual({ from: new Date(resolved.from).toISOString(), to: new Date(resolved.to).toISOString() });

    // A site made today is charted by the hour, bucket for bucket as the API answers "all".
    const hours = bucketStarts(resolved, 'hour', SHOP_TZ);
    const series = await apiSeries(['visitors'], 'all');
    expect(series.times.map((t) => formatBucket(Date.parse(t), 'hour', SHOP_TZ))).toEqual(hours.map((t) => formatBucket(t, 'hour', SHOP_TZ)));
    const table = await chartTable(page);
    expect(table.periods).toEqual(hours.map((t) => formatBucket(t, 'hour', SHOP_TZ)));
    const begun = table.values.filter((v) => v !== '—').length;
    expect(begun).toBeGreaterThan(0);
    expect(table.values.slice(0, begun)).toEqual(series.metrics.slice(0, begun).map(([v]) => formatMetric('visitors', v)));
    expect(await page.locator('[data-testid="granularity"] input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['minute', 'hour']);

    // Nothing compared: the menu is disabled and says why, the cards show no change, one line is drawn.
    const compare = page.locator('[data-testid="compare-select"]');
    expect(await compare.isDisabled()).toBe(true);
    expect(await compare.inputValue()).toBe('off');
    expect(await page.textContent('[data-testid="compare-unavailable"]')).toMatch(/no earlier period to compare with/);
    expect(await compare.getAttribute('aria-describedby')).toBe('compare-unavailable');
    expect(await page.locator('[data-testid="compare-label"]').count()).toBe(0);
    expect(await page.getAttribute('[data-testid="chart"]', 'data-compared')).toBe('no');
    for (const m of CARD_METRICS) expect(await page.textContent(`[data-testid="change-${m}"]`), m).toBe('');

    // Every query asked "all" in the shop's zone (not instants a site older than 1,098 days would
    // exceed), and none a comparison.
    await page.locator('[data-panel="pages"] table[data-dimension="page"]').waitFor();
    expect(bodies.filter(isCardsQuery).length).toBeGreaterThan(0);
    expect(bodies.filter(isSeries).at(-1)).toMatchObject({ date_range: 'all', dimensions: ['time:hour'], limit: hours.length });
    for (const b of bodies) {
      expect(b, JSON.stringify(b)).toMatchObject({ date_range: 'all', timezone: SHOP_TZ });
      expect(b, JSON.stringify(b)).not.toHaveProperty('compare');
    }
    // So does the chart's CSV; its name is the API's resolution of "all".
    const csv = await downloadCsv(page, 'csv-chart');
    expect(csv.body).toMatchObject({ date_range: 'all', dimensions: ['time:hour'], timezone: SHOP_TZ });
    expect(csv.body).not.toHaveProperty('compare');
    const basic = (t: number) => new Date(t).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    expect(csv.name).toBe(`pulse-${shop.siteId}-${basic(resolved.from)}-${basic(resolved.to)}.csv`);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'all-time.png'), fullPage: true });

    // Another range brings the chosen comparison back; All time from the picker drops it again.
    await page.selectOption('[data-testid="range-select"]', '7d');
    await expect.poll(() => compare.isDisabled()).toBe(false);
    expect(await compare.inputValue()).toBe('year_over_year');
    await expect.poll(() => page.locator('[data-testid="compare-label"]').count()).toBe(1);
    bodies.length = 0;
    await page.selectOption('[data-testid="range-select"]', 'all');
    await expect.poll(() => cardValues(page), { timeout: UI_TIMEOUT }).toEqual(want);
    expect(new URL(page.url()).searchParams.get('range')).toBe('all');
    const last = bodies.filter(isCardsQuery).at(-1)!;
    expect(last).toMatchObject({ date_range: 'all', timezone: SHOP_TZ });
    expect(last).not.toHaveProperty('compare');
    expect(await compare.isDisabled()).toBe(true);
  });

  it('compares with a custom period chosen in the menu, keeps it in the URL, and says what is wrong with bad dates', async () => {
    const page = await newPage();
    const bodies = queryBodies(page);
    const param = (name: string) => new URL(page.url()).searchParams.get(name);
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? null);
    const todayRange: RangeSpec = { kind: 'preset', preset: 'today' };
    await signIn(page, `/?site=${shop.siteId}&range=today`);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, todayRange);
    const today = calendarDateOf(Date.now(), SHOP_TZ);
    const threeDaysAgo = formatCalendarDate(addDays(today, -3));

    // "Custom period…" opens the form on the span compared with so far (yesterday), focus in it;
    // nothing changes until it is applied.
    expect(await page.isVisible('[data-testid="compare-form"]')).toBe(false);
    await page.selectOption('[data-testid="compare-select"]', 'custom');
    expect(await page.isVisible('[data-testid="compare-form"]')).toBe(true);
    expect(await focusedId()).toBe('compare-from');
    expect(await page.inputValue('[data-testid="compare-from"]')).toBe(formatCalendarDate(addDays(today, -1)));
    expect(await page.inputValue('[data-testid="compare-to"]')).toBe(formatCalendarDate(addDays(today, -1)));
    expect(param('compare')).toBeNull();

    // Empty and backwards dates: said next to the fields, the field to fix marked and focused, and
    // nothing asked or put in the link.
    const url = page.url();
    await page.waitForTimeout(300);
    bodies.length = 0;
    await page.fill('[data-testid="compare-from"]', '');
    await page.click('[data-testid="compare-apply"]');
    expect(await page.textContent('[data-testid="compare-error"]')).toBe('Enter the first day to compare with.');
    expect(await page.getAttribute('#compare-from', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#compare-from', 'aria-describedby')).toBe('compare-error');
    expect(await focusedId()).toBe('compare-from');
    await page.locator('.toolbar-row').screenshot({ path: join(ARTIFACTS_DIR, 'compare-custom-error.png') });
    await page.fill('[data-testid="compare-from"]', threeDaysAgo);
    // Typing clears the message.
    expect(await page.textContent('[data-testid="compare-error"]')).toBe('');
    expect(await page.getAttribute('#compare-from', 'aria-invalid')).toBeNull();
    await page.fill('[data-testid="compare-to"]', formatCalendarDate(addDays(today, -5)));
    await page.click('[data-testid="compare-apply"]');
    expect(await page.textContent('[data-testid="compare-error"]')).toBe('The start date is after the end date.');
    await page.fill('[data-testid="compare-to"]', '');
    await page.click('[data-testid="compare-apply"]');
    expect(await page.textContent('[data-testid="compare-error"]')).toBe('Enter the last day to compare with.');
    expect(await focusedId()).toBe('compare-to');
    await page.waitForTimeout(300);
    expect(page.url()).toBe(url);
    expect(bodies).toEqual([]);

    // A valid day, applied from the keyboard: the cards compare with it, the chart draws it.
    await page.fill('[data-testid="compare-to"]', threeDaysAgo);
    await page.keyboard.press('Enter');
    await expect.poll(() => param('compare')).toBe('custom');
    expect(param('compare_from')).toBe(threeDaysAgo);
    expect(param('compare_to')).toBe(threeDaysAgo);
    const span = dayRange(addDays(today, -3));
    const cards = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, todayRange, [], span);
    await expectCardTexts(page, cards);
    // Six visitors three days ago, as the seed has them.
    expect(cards.row.comparison?.metrics[0]).toBe(6);
    const label = new Intl.DateTimeFormat('en-GB', { timeZone: SHOP_TZ, day: 'numeric', month: 'short' }).format(Date.parse(span.from));
    expect(await page.textContent('[data-testid="compare-label"]')).toBe(`Compared with ${label}`);
    expect(bodies.filter(isCardsQuery).at(-1)!.compare).toEqual(span);
    const mine = await apiSeries(['visitors'], dayRange(today));
    const want = expectedCompared(mine, await apiSeries(['visitors'], span), 'hour', ([v]) => formatMetric('visitors', v));
    await expect.poll(async () => (await chartTable(page)).compared).toEqual(want.values);
    expect(want.values.filter((v) => v !== '—' && v !== '0').length).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="chart-panel"] .u-legend .u-label').allTextContents()).toContain(label);
    // Focus stays in the form, which the rebuilt toolbar still shows.
    expect(await focusedId()).toBe('compare-to');
    await page.locator('.overview').screenshot({ path: join(ARTIFACTS_DIR, 'compare-custom.png') });

    // The link is the view.
    await page.reload();
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, todayRange, [], span);
    expect(await page.inputValue('[data-testid="compare-select"]')).toBe('custom');
    expect(await page.isVisible('[data-testid="compare-form"]')).toBe(true);
    expect(await page.inputValue('[data-testid="compare-from"]')).toBe(threeDaysAgo);
    await expect.poll(async () => (await chartTable(page)).compared).toEqual(want.values);
    // The open form fits a phone.
    await page.setViewportSize({ width: 375, height: 812 });
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), { timeout: 5_000 }).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'compare-custom-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });

    // Another mode drops the dates; back brings the custom period again.
    await page.selectOption('[data-testid="compare-select"]', 'year_over_year');
    await expect.poll(() => param('compare')).toBe('year_over_year');
    expect(param('compare_from')).toBeNull();
    expect(await page.isVisible('[data-testid="compare-form"]')).toBe(false);
    await page.goBack();
    await expect.poll(() => param('compare')).toBe('custom');
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, todayRange, [], span);
    await page.goBack();
    await expect.poll(() => page.inputValue('[data-testid="compare-select"]')).toBe('previous_period');
    expect(param('compare')).toBeNull();
  });

  it('builds is not, contains, matches and property filters in the filter editor, as chips that say so and can be edited', async () => {
    const page = await newPage();
    const range: RangeSpec = { kind: 'preset', preset: '7d' };
    const filtersInUrl = () => new URL(page.url()).searchParams.getAll('f');
    const chips = () => page.locator('[data-testid="filter-chip"]').allTextContents();
    const editor = page.locator('[data-testid="filter-editor"]');
    const editorOpen = () => editor.evaluate((d) => (d as HTMLDialogElement).open);
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? null);
    await signIn(page);
    const all = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range);

    // "Page is not /pricing", from the Filter button; the editor suggests the pages there are.
    await page.click('[data-testid="filter-add"]');
    await expect.poll(editorOpen).toBe(true);
    expect(await focusedId()).toBe('filter-dimension');
    await page.waitForSelector('#filter-suggestions[data-dimension="page"] option[value="/pricing"]', { state: 'attached' });
    await page.selectOption('[data-testid="filter-op"]', 'is_not');
    await page.fill('[data-testid="filter-value"]', '/pricing');
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'filter-editor.png') });
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(editorOpen).toBe(false);
    await expect.poll(chips).toEqual(['Page is not /pricing×']);
    expect(filtersInUrl()).toEqual(['page|is_not|/pricing']);
    const notPricing = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is_not', 'page', ['/pricing']]]);
    expect(notPricing.values.pageviews).not.toBe(all.values.pageviews);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Edit filter: Page is not /pricing');

    // Editing the chip: the editor opens on its filter; "contains pric or blog" replaces it.
    await page.click('[data-testid="filter-chip-edit"]');
    await expect.poll(editorOpen).toBe(true);
    expect(await page.textContent('#filter-editor-title')).toBe('Edit filter');
    expect(await page.inputValue('[data-testid="filter-op"]')).toBe('is_not');
    expect(await page.inputValue('#filter-value-0')).toBe('/pricing');
    await page.selectOption('[data-testid="filter-op"]', 'contains');
    await page.fill('#filter-value-0', 'pric');
    await page.click('[data-testid="filter-add-value"]');
    expect(await focusedId()).toBe('filter-value-1');
    await page.keyboard.type('blog');
    await page.keyboard.press('Enter');
    await expect.poll(chips).toEqual(['Page contains pric or blog×']);
    expect(filtersInUrl()).toEqual(['page|contains|pric|blog']);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['contains', 'page', ['pric', 'blog']]]);

    // A second filter: "Source contains goo", typed in lower case. Contains ignores case, as
    // Plausible's does (the query says `{"case_sensitive": false}`), and so do the suggestions: Google.
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-dimension"]', 'source');
    await page.selectOption('[data-testid="filter-op"]', 'contains');
    expect(await page.textContent('#filter-op-hint')).toBe('Contains any of these texts (ignores case).');
    const sourceSuggestions = '#filter-suggestions[data-state="ready"][data-dimension="source"]';
    await page.fill('[data-testid="filter-value"]', 'zzz');
    await expect.poll(() => page.textContent('[data-testid="filter-no-match"]')).toBe('No value in this period contains “zzz”.');
    await page.fill('[data-testid="filter-value"]', 'google');
    await page.waitForSelector(`${sourceSuggestions} option[value="Google"]`, { state: 'attached' });
    expect(await page.textContent('[data-testid="filter-no-match"]')).toBe('');
    // "is" compares exactly (row clicks and suggestions give the value as it is spelt): said when the case differs.
    await page.selectOption('[data-testid="filter-op"]', 'is');
    expect(await page.textContent('#filter-op-hint')).toBe('Exactly one of these values.');
    expect(await page.textContent('[data-testid="filter-no-match"]')).toBe('“is” compares exactly, case included: did you mean “Google”?');
    await page.selectOption('[data-testid="filter-op"]', 'contains');
    expect(await page.textContent('[data-testid="filter-no-match"]')).toBe('');
    await page.fill('[data-testid="filter-value"]', 'goo');
    await page.waitForSelector(`${sourceSuggestions} option[value="Google"]`, { state: 'attached' });
    expect(await page.textContent('[data-testid="filter-no-match"]')).toBe('');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Page contains pric or blog×', 'Source contains goo×']);
    expect(filtersInUrl()).toEqual(['page|contains|pric|blog', 'source|contains|goo']);
    const twoFilters: Filter[] = [
      ['contains', 'page', ['pric', 'blog']],
      ['contains', 'source', ['goo']],
    ];
    const google = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, twoFilters);
    expect(Number(google.values.visitors)).toBeGreaterThan(0);
    // The same visitors as "Goo", spelt as the source is.
    expect((await apiCards(shop.siteId, SHOP_TZ, range, [['contains', 'page', ['pric', 'blog']], ['contains', 'source', ['Goo']]])).values).toEqual(google.values);

    // Wildcards: the page chip becomes "matches /blog/*", in its place.
    await page.locator('[data-testid="filter-chip-edit"]').first().click();
    await page.selectOption('[data-testid="filter-op"]', 'matches');
    await page.click('#filter-value-1-remove');
    await page.fill('#filter-value-0', '/blog/*');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Page matches /blog/*×', 'Source contains goo×']);
    expect(filtersInUrl()).toEqual(['page|matches|/blog/*', 'source|contains|goo']);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'filter-chips.png'), clip: { x: 0, y: 0, width: 1280, height: 260 } });
    const blog = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['matches', 'page', ['/blog/*']], ['contains', 'source', ['goo']]]);
    expect(Number(blog.values.visitors)).toBeGreaterThan(0);
    expect(blog.values.visitors).not.toBe(google.values.visitors);

    await page.click('[data-testid="filter-clear"]');
    await expect.poll(filtersInUrl).toEqual([]);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range);

    // A mixed-case page found by a contains filter typed in lower case: "getting" finds
    // /Docs/Getting-Started (one visitor, three days ago), which the API's exact match would not.
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-op"]', 'contains');
    await page.fill('[data-testid="filter-value"]', 'getting');
    await page.waitForSelector(`#filter-suggestions[data-state="ready"][data-dimension="page"] option[value="${MIXED_CASE_PAGE}"]`, { state: 'attached' });
    expect(await page.textContent('[data-testid="filter-no-match"]')).toBe('');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Page contains getting×']);
    expect(filtersInUrl()).toEqual(['page|contains|getting']);
    const docs = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['contains', 'page', ['getting']]]);
    expect([docs.values.visitors, docs.values.pageviews]).toEqual(['1', '1']);
    await expect
      .poll(() => page.locator('[data-panel="pages"] table[data-dimension="page"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-value'))))
      .toEqual([MIXED_CASE_PAGE]);
    const week = { from: new Date(Date.now() - 8 * 86_400_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
    const visitorsOn = async (filter: unknown[]) =>
      (await query(system.embedded.queryUrl, tenant.checkKey, { site_id: shop.siteId, metrics: ['visitors'], date_range: week, filters: [filter] })).results[0]?.metrics[0];
    expect([await visitorsOn(['contains', 'page', ['getting']]), await visitorsOn(['contains', 'page', ['getting'], { case_sensitive: false }])]).toEqual([0, 1]);
    await page.click('.chip-remove');
    await expect.poll(filtersInUrl).toEqual([]);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range);

    // Invalid input is said next to the field, and nothing is applied or asked.
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-dimension"]', 'prop');
    expect(await focusedId()).toBe('filter-prop-key');
    await page.fill('[data-testid="filter-value"]', 'pro');
    const before = page.url();
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(() => page.textContent('[data-testid="filter-error"]')).toBe('Enter the property’s key, e.g. plan.');
    expect(await page.getAttribute('#filter-prop-key', 'aria-invalid')).toBe('true');
    expect(await focusedId()).toBe('filter-prop-key');
    expect(await editorOpen()).toBe(true);
    await page.fill('#filter-prop-key', 'plan');
    // Typing clears the message.
    expect(await page.textContent('[data-testid="filter-error"]')).toBe('');
    await page.fill('[data-testid="filter-value"]', '  ');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(() => page.textContent('[data-testid="filter-error"]')).toBe('Enter a value to filter by.');
    expect(await page.getAttribute('#filter-value-0', 'aria-invalid')).toBe('true');
    expect(page.url()).toBe(before);
    await page.locator('[data-testid="filter-editor"]').screenshot({ path: join(ARTIFACTS_DIR, 'filter-editor-error.png') });
    await page.fill('[data-testid="filter-value"]', 'pro');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Property plan is pro×']);
    expect(filtersInUrl()).toEqual(['prop:plan|is|pro']);
    const pro = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is', 'prop:plan', ['pro']]]);
    // The three signups chose plan "pro".
    expect(pro.values.visitors).toBe('3');

    // Escape cancels, and focus goes back to the button that opened the editor.
    await page.click('[data-testid="filter-add"]');
    await page.fill('[data-testid="filter-value"]', '/nowhere');
    await page.keyboard.press('Escape');
    await expect.poll(editorOpen).toBe(false);
    expect(await focusedId()).toBe('filter-add');
    expect(filtersInUrl()).toEqual(['prop:plan|is|pro']);
    // So does a click beside it, on the backdrop.
    await page.click('[data-testid="filter-add"]');
    await expect.poll(editorOpen).toBe(true);
    await page.mouse.click(5, 5);
    await expect.poll(editorOpen).toBe(false);
    expect(filtersInUrl()).toEqual(['prop:plan|is|pro']);

    // The URL is the state: a reload shows the same filter, back the ones before.
    await page.reload();
    await expect.poll(chips).toEqual(['Property plan is pro×']);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is', 'prop:plan', ['pro']]]);
    await page.goBack();
    await expect.poll(chips).toEqual([]);
    await page.goBack();
    await expect.poll(chips).toEqual(['Page contains getting×']);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['contains', 'page', ['getting']]]);
    await page.goBack();
    await expect.poll(chips).toEqual([]);
    await page.goBack();
    await expect.poll(chips).toEqual(['Page matches /blog/*×', 'Source contains goo×']);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['matches', 'page', ['/blog/*']], ['contains', 'source', ['goo']]]);

    // Several filters on one dimension, ANDed as the API does. "Page contains docs" keeps the 6
    // visitors of three days ago: each saw /docs, one also /Docs/Getting-Started (7 pageviews).
    // "Page is not /docs" besides leaves that one page: 1 visitor, 1 pageview.
    await page.click('[data-testid="filter-clear"]');
    await expect.poll(chips).toEqual([]);
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-op"]', 'contains');
    await page.fill('[data-testid="filter-value"]', 'docs');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Page contains docs×']);
    const docsPages = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['contains', 'page', ['docs']]]);
    expect([docsPages.values.visitors, docsPages.values.pageviews]).toEqual(['6', '7']);
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-op"]', 'is_not');
    await page.fill('[data-testid="filter-value"]', '/docs');
    expect(await page.textContent('[data-testid="filter-duplicate"]')).toBe('');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Page contains docs×', 'Page is not /docs×']);
    expect(filtersInUrl()).toEqual(['page|contains|docs', 'page|is_not|/docs']);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Edit filter: Page is not /docs');
    const bothOnPage: Filter[] = [
      ['contains', 'page', ['docs']],
      ['is_not', 'page', ['/docs']],
    ];
    const gettingStarted = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, bothOnPage);
    expect([gettingStarted.values.visitors, gettingStarted.values.pageviews]).toEqual(['1', '1']);
    await expect
      .poll(() => page.locator('[data-panel="pages"] table[data-dimension="page"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-value'))))
      .toEqual([MIXED_CASE_PAGE]);
    // The same filter again is said to be there already, and adds no chip.
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-op"]', 'is_not');
    await page.fill('[data-testid="filter-value"]', '/docs');
    await expect.poll(() => page.textContent('[data-testid="filter-duplicate"]')).toBe('“Page is not /docs” is already a filter.');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(editorOpen).toBe(false);
    expect(await chips()).toEqual(['Page contains docs×', 'Page is not /docs×']);
    expect(filtersInUrl()).toEqual(['page|contains|docs', 'page|is_not|/docs']);
    // Each chip is edited by itself: the second one, and the first stays as it was.
    await page.locator('[data-testid="filter-chip-edit"]').nth(1).click();
    expect(await page.inputValue('[data-testid="filter-op"]')).toBe('is_not');
    expect(await page.inputValue('#filter-value-0')).toBe('/docs');
    await page.fill('#filter-value-0', MIXED_CASE_PAGE);
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(chips).toEqual(['Page contains docs×', `Page is not ${MIXED_CASE_PAGE}×`]);
    expect(filtersInUrl()).toEqual(['page|contains|docs', `page|is_not|${MIXED_CASE_PAGE}`]);
    // The /docs pageviews of the 6 visitors.
    const docsOnly = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['contains', 'page', ['docs']], ['is_not', 'page', [MIXED_CASE_PAGE]]]);
    expect([docsOnly.values.visitors, docsOnly.values.pageviews]).toEqual(['6', '6']);
    // And removed by itself: the first chip's ×, the second stays (every pageview but that one page's).
    await page.locator('.chip-remove').first().click();
    await expect.poll(chips).toEqual([`Page is not ${MIXED_CASE_PAGE}×`]);
    expect(filtersInUrl()).toEqual([`page|is_not|${MIXED_CASE_PAGE}`]);
    const allButOne = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is_not', 'page', [MIXED_CASE_PAGE]]]);
    expect(Number(allButOne.values.pageviews)).toBe(Number(all.values.pageviews) - 1);
  });

  it('edits a filter a row click made, "Direct / None" included, and removes one from the editor', async () => {
    const page = await newPage();
    const range: RangeSpec = { kind: 'preset', preset: '7d' };
    const filtersInUrl = () => new URL(page.url()).searchParams.getAll('f');
    await signIn(page, `/?site=${shop.siteId}&f=${encodeURIComponent('referrer|is|')}`);
    await expect.poll(() => page.locator('[data-testid="filter-chip"]').allTextContents()).toEqual(['Referrer is Direct / None×']);
    await page.click('[data-testid="filter-chip-edit"]');
    // The empty value cannot be typed: it shows as its row names it, and stays.
    expect(await page.textContent('[data-testid="filter-value-none"]')).toBe('Direct / None');
    await page.selectOption('[data-testid="filter-op"]', 'is_not');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(() => page.locator('[data-testid="filter-chip"]').allTextContents()).toEqual(['Referrer is not Direct / None×']);
    expect(filtersInUrl()).toEqual(['referrer|is_not|']);
    const referred = await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is_not', 'referrer', ['']]]);
    expect(Number(referred.values.visitors)).toBeGreaterThan(0);

    // A country by name: the filter sends its code, the chip names it.
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-dimension"]', 'country');
    expect(await page.locator('[data-testid="filter-op"] option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['is', 'is_not']);
    await page.fill('[data-testid="filter-value"]', 'Atlantis');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(() => page.textContent('[data-testid="filter-error"]')).toContain('is not a country');
    await page.fill('[data-testid="filter-value"]', 'germany');
    await page.selectOption('[data-testid="filter-op"]', 'is_not');
    await page.click('[data-testid="filter-apply"]');
    await expect.poll(() => page.locator('[data-testid="filter-chip"]').allTextContents()).toEqual(['Referrer is not Direct / None×', 'Country is not Germany×']);
    expect(filtersInUrl()).toEqual(['referrer|is_not|', 'country|is_not|DE']);
    await expectCardsToMatch(page, shop.siteId, SHOP_TZ, range, [['is_not', 'referrer', ['']], ['is_not', 'country', ['DE']]]);

    // Another filter on a filtered dimension is added beside it; the same one again is said to be there.
    await page.click('[data-testid="filter-add"]');
    await page.selectOption('[data-testid="filter-dimension"]', 'country');
    expect(await page.textContent('[data-testid="filter-duplicate"]')).toBe('');
    await page.selectOption('[data-testid="filter-op"]', 'is_not');
    await page.fill('[data-testid="filter-value"]', 'DE');
    await expect.poll(() => page.textContent('[data-testid="filter-duplicate"]')).toBe('“Country is not Germany” is already a filter.');
    await page.click('[data-testid="filter-cancel"]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-add');

    // "Remove filter" in the editor.
    await page.locator('[data-testid="filter-chip-edit"]').first().click();
    await page.click('[data-testid="filter-remove"]');
    await expect.poll(() => page.locator('[data-testid="filter-chip"]').allTextContents()).toEqual(['Country is not Germany×']);
    expect(filtersInUrl()).toEqual(['country|is_not|DE']);
    // The editor and its chips fit a phone.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.click('[data-testid="filter-add"]');
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    const box = await page.locator('[data-testid="filter-editor"]').boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'filter-editor-phone.png') });
  });

  /** Clicks a CSV control; the query (to `route`) it sent, the file's name and text. */
  async function downloadCsv(page: Page, control: string, route = '/v1/query'): Promise<{ body: Record<string, unknown>; accept: string | undefined; name: string; text: string }> {
    const asked = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(route) && r.headers().accept === 'text/csv');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${control}"]`)]);
    const request = await asked;
    const path = await download.path();
    return { body: request.postDataJSON() as Record<string, unknown>, accept: request.headers().accept, name: download.suggestedFilename(), text: await readFile(path, 'utf8') };
  }

  it('fills Top pages\' time on page in after the table shows, with what /v1/query answers for those pages', async () => {
    const page = await newPage();
    // Held back until the table is there: the table must not wait for this slower, raw-events query.
    let release: () => void = () => undefined;
    const held = new Promise<void>((ok) => (release = ok));
    const asked = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/v1/query') && (r.postData() ?? '').includes('time_on_page'));
    await page.route('**/v1/query', async (route) => {
      if ((route.request().postData() ?? '').includes('time_on_page')) await held;
      await route.continue();
    });
    await signIn(page);
    const pricing = page.locator('[data-panel="pages"] table[data-dimension="page"] tr[data-value="/pricing"]');
    await pricing.waitFor();
    const cell = pricing.locator('td[data-metric="time_on_page"]');
    expect([await cell.textContent(), await cell.getAttribute('aria-busy')]).toEqual(['…', 'true']);
    const body = JSON.parse((await asked).postData() ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ site_id: shop.siteId, metrics: ['time_on_page'], dimensions: ['page'] });
    release();
    const json = await query(system.embedded.queryUrl, tenant.checkKey, body);
    const seconds = json.results.find((r) => r.dimensions[0] === '/pricing')?.metrics[0];
    expect(typeof seconds).toBe('number');
    await expect.poll(() => cell.getAttribute('aria-busy')).toBeNull();
    expect(await cell.textContent()).toBe(formatMetric('time_on_page', seconds));
    expect(await page.locator('[data-panel="pages"] th.num-wrap').textContent()).toBe(METRIC_LABELS.time_on_page);
    await page.unroute('**/v1/query');
  });

  it('downloads a breakdown and the chart as CSV: the panel\'s query, as the API writes it, under the API\'s file name', async () => {
    const page = await newPage();
    await signIn(page);
    const pricing = page.locator('[data-panel="pages"] table[data-dimension="page"] tr[data-value="/pricing"]');
    await pricing.waitFor();
    expect(await page.getAttribute('[data-testid="csv-pages"]', 'aria-label')).toBe('Download Top pages as CSV');

    const pages = await downloadCsv(page, 'csv-pages');
    expect(pages.name).toMatch(new RegExp(`^pulse-${shop.siteId}-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv$`));
    // The panel's query (the period shown, its filters), all rows instead of its top 10.
    expect(pages.body).toMatchObject({ site_id: shop.siteId, metrics: ['visitors', 'pageviews'], dimensions: ['page'], limit: 10_000, timezone: SHOP_TZ });
    expect(pages.body).not.toHaveProperty('compare');
    const lines = pages.text.split('\r\n');
    expect(lines[0]).toBe('page,visitors,pageviews');
    expect(lines.at(-1)).toBe('');
    // Every row of the API's JSON answer to the same query, in order, and more than the panel's 10 if there are.
    const json = await query(system.embedded.queryUrl, tenant.checkKey, pages.body);
    expect(lines.slice(1, -1)).toEqual(json.results.map((r) => [...r.dimensions, ...r.metrics].join(',')));
    // A value as the table shows it.
    const row = lines.find((l) => l.startsWith('/pricing,'));
    expect(row?.split(',')[1]).toBe(await pricing.locator('td[data-metric="visitors"]').textContent());
    expect(Number(row?.split(',')[2])).toBeGreaterThan(0);

    // Another tab: its own file.
    await page.click('[data-panel="sources"] [role="tab"][data-tab="referrer"]');
    await page.locator('[data-panel="sources"] table[data-dimension="referrer"]').waitFor();
    const referrers = await downloadCsv(page, 'csv-sources');
    expect(referrers.text.split('\r\n')[0]).toBe('referrer,visitors,visits');

    // The chart: its series by bucket, with the compared span of its second line.
    const points = Number(await page.getAttribute('[data-testid="chart"]', 'data-points'));
    const chart = await downloadCsv(page, 'csv-chart');
    expect(chart.accept).toBe('text/csv');
    expect(chart.body).toMatchObject({ metrics: ['visitors', 'visits'], dimensions: ['time:day'] });
    expect(chart.body).toHaveProperty('compare');
    const chartLines = chart.text.split('\r\n');
    expect(chartLines[0]).toBe('time:day,visitors,visits,time:day_previous,visitors_previous,visits_previous,visitors_change,visits_change');
    expect(chartLines.slice(1, -1)).toHaveLength(points);
    const series = await query(system.embedded.queryUrl, tenant.checkKey, chart.body);
    const today = series.results.at(-1)!;
    expect(chartLines.at(-2)?.split(',').slice(0, 3)).toEqual([String(today.dimensions[0]), String(today.metrics[0]), String(today.metrics[1])]);
    expect(await page.locator('[data-testid="csv-chart-status"] [role="alert"]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'csv-controls.png'), fullPage: true });

    // A failed download is said under the panel's header, as panels say theirs, and the table stays.
    await page.route('**/v1/query', (route) =>
      route.request().headers().accept === 'text/csv'
        ? route.fulfill({ status: 503, contentType: 'application/json', headers: { 'retry-after': '60' }, body: JSON.stringify({ error: { code: 'unavailable', message: 'ClickHouse is unreachable' } }) })
        : route.continue(),
    );
    await page.click('[data-testid="csv-pages"]');
    const failed = page.locator('[data-testid="csv-pages-status"] [role="alert"]');
    await expect.poll(() => failed.textContent()).toContain('The CSV download failed. The query API failed (503): ClickHouse is unreachable');
    expect(await pricing.count()).toBe(1);
    await page.unroute('**/v1/query');
    // Retry from the message: the download goes through and the message goes.
    const [retried] = await Promise.all([page.waitForEvent('download'), failed.locator('button:has-text("Retry")').click()]);
    expect(retried.suggestedFilename()).toBe(pages.name);
    await expect.poll(() => failed.count()).toBe(0);
  });

  /** The bodies of the `POST /v1/funnel` requests a page sends from now on. */
  function funnelBodies(page: Page): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/funnel')) out.push(r.postDataJSON() as Record<string, unknown>);
    });
    return out;
  }

  type FunnelAnswer = { steps: { label: string; visits?: number; visitors?: number; conversion_rate: number; conversion_rate_step: number; dropoff: number }[] };

  /** What `POST /v1/funnel` answers, straight from the API. */
  async function funnelAnswer(body: unknown): Promise<FunnelAnswer> {
    const r = await api<FunnelAnswer>(`${system.embedded.queryUrl}/v1/funnel`, { token: tenant.checkKey, body });
    if (r.status !== 200) throw new Error(`funnel: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /**
   * The rows the panel must show for an answer, worked out here from the API's numbers apart from
   * the dashboard's funnel-result.ts: counts and rates as the API wrote them (small counts, no
   * separators), no rate from the step before and no drop-off on step 1, the drop-off rate 100 −
   * `conversion_rate_step` after a step someone reached.
   */
  function funnelRowsOf(answer: FunnelAnswer, field: 'visits' | 'visitors') {
    return answer.steps.map((s, i) => {
      const before = answer.steps[i - 1];
      return {
        label: s.label,
        count: String(s[field]),
        counted: `${s[field]} ${s[field] === 1 ? field.slice(0, -1) : field}`,
        conversion: `${s.conversion_rate}%`,
        fromPrevious: before ? `${s.conversion_rate_step}%` : null,
        dropoff: before ? String(s.dropoff) : null,
        dropoffRate: before && (before[field] ?? 0) > 0 ? `(${Math.round((100 - s.conversion_rate_step) * 100) / 100}%)` : null,
      };
    });
  }

  /** The funnel's steps as the panel shows them, once it settled. */
  async function funnelShown(page: Page) {
    await page.waitForSelector('[data-testid="funnel-results"][data-state="ready"]:not([aria-busy])');
    return page.locator('[data-testid="funnel-step"]').evaluateAll((lis) =>
      lis.map((li) => {
        const text = (id: string) => li.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
        return {
          label: text('funnel-label'),
          count: text('funnel-count'),
          counted: li.querySelector('.funnel-row-count')?.textContent ?? null,
          conversion: text('funnel-conversion'),
          fromPrevious: text('funnel-conversion-step'),
          dropoff: text('funnel-dropoff'),
          dropoffRate: text('funnel-dropoff-rate'),
        };
      }),
    );
  }

  it('builds a funnel of pages and an event, shows what /v1/funnel answers, follows the period and filters, and keeps it in the link and among saved funnels', async () => {
    const page = await newPage();
    const asked = funnelBodies(page);
    // Without a comparison here: the next test has the funnel compared.
    await signIn(page, '/?compare=off');
    const results = page.locator('[data-testid="funnel-results"]');
    const error = page.locator('[data-testid="funnel-error"]');
    const focused = () => page.evaluate(() => document.activeElement?.id ?? null);
    // No funnel yet: nothing asked.
    await expect.poll(() => results.getAttribute('data-state')).toBe('idle');
    await page.locator('[data-panel="funnel"]').scrollIntoViewIfNeeded();

    // Checked before anything is asked: the step to fix is marked, focused, and says why.
    await page.fill('#funnel-step-0', '/');
    await page.fill('#funnel-step-1', 'pricing');
    await page.click('#funnel-apply');
    expect(await error.textContent()).toBe('Step 2: a page path starts with / (e.g. /pricing).');
    expect(await page.getAttribute('#funnel-step-1', 'aria-invalid')).toBe('true');
    expect(await focused()).toBe('funnel-step-1');
    expect(asked).toEqual([]);
    // The step's field suggests the period's pages containing what was typed.
    await expect.poll(() => page.locator('#funnel-pages option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['/pricing']);

    // Keyboard from there: fix the path, add a step, make it an event; Enter shows the funnel.
    await page.keyboard.press('Home');
    await page.keyboard.type('/');
    expect(await page.inputValue('#funnel-step-1')).toBe('/pricing');
    expect(await error.textContent()).toBe('');
    expect(await page.getAttribute('#funnel-step-1', 'aria-invalid')).toBeNull();
    await page.focus('#funnel-add-step');
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('funnel-step-2');
    await page.selectOption('#funnel-step-2-kind', 'event');
    expect(await page.getAttribute('#funnel-step-2', 'aria-label')).toBe('Step 3: event name');
    // Suggested: the period's custom events (a pageview is a page step), narrowed as one types.
    await page.focus('#funnel-step-2');
    const events = () => page.locator('#funnel-events option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).sort());
    await expect.poll(events).toEqual(['purchase', 'signup']);
    await page.keyboard.type('sign');
    await expect.poll(events).toEqual(['signup']);
    await page.keyboard.type('up');
    await page.keyboard.press('Enter');

    const week = { site_id: shop.siteId, date_range: isoRange({ kind: 'preset', preset: '7d' }), steps: [{ page: '/' }, { page: '/pricing' }, { event: 'signup' }], timezone: SHOP_TZ };
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toEqual(week);
    const weekAnswer = await funnelAnswer(asked[0]);
    // The seed: 24 visits landed on / in the last 7 days (12 today, 6 yesterday, 6 three days ago),
    // 5 of them went on to /pricing (4 today, 1 yesterday), and 1 of those then signed up.
    expect(weekAnswer.steps.map((s) => s.visits)).toEqual([24, 5, 1]);
    const weekRows = funnelRowsOf(weekAnswer, 'visits');
    expect(weekRows.map((r) => r.label)).toEqual(['Visit /', 'Visit /pricing', 'signup']);
    expect(await funnelShown(page)).toEqual(weekRows);
    expect(await page.textContent('[data-testid="funnel-summary"]')).toBe(`1 of 24 visits completed the funnel (${weekAnswer.steps[2]?.conversion_rate}%).`);
    expect(new URL(page.url()).searchParams.getAll('funnel')).toEqual(['page:/', 'page:/pricing', 'event:signup']);
    await page.locator('[data-panel="funnel"]').screenshot({ path: join(ARTIFACTS_DIR, 'funnel.png') });

    // The link is the funnel: reloaded, the same steps in the editor and the same numbers below.
    await page.reload();
    expect(await funnelShown(page)).toEqual(weekRows);
    expect(await page.locator('[data-testid="funnel-step-value"]').evaluateAll((is) => is.map((i) => (i as HTMLInputElement).value))).toEqual(['/', '/pricing', 'signup']);
    expect(await page.locator('[data-testid="funnel-step-kind"]').evaluateAll((ss) => ss.map((s) => (s as HTMLSelectElement).value))).toEqual(['page', 'page', 'event']);

    // Another period: asked again for it.
    await page.selectOption('[data-testid="range-select"]', 'today');
    const today = { ...week, date_range: isoRange({ kind: 'preset', preset: 'today' }) };
    await expect.poll(() => asked.at(-1)).toEqual(today);
    const todayAnswer = await funnelAnswer(today);
    expect(todayAnswer.steps.map((s) => s.visits)).toEqual([12, 4, 1]);
    await expect.poll(() => funnelShown(page)).toEqual(funnelRowsOf(todayAnswer, 'visits'));

    // A filter, as every panel gets it: "Page is /pricing" drops every other page's events, so no
    // visit has a step 1 left.
    await page.click('[data-panel="pages"] table[data-dimension="page"] tr[data-value="/pricing"] button');
    await expect.poll(() => asked.at(-1)).toEqual({ ...today, filters: [['is', 'page', ['/pricing']]] });
    expect((await funnelAnswer(asked.at(-1))).steps.map((s) => s.visits)).toEqual([0, 0, 0]);
    await page.waitForSelector('[data-testid="funnel-results"][data-state="empty"]:not([aria-busy])');
    expect(await results.textContent()).toBe('No visit reached step 1 in this period.');
    await page.click('[data-testid="filter-chip"] .chip-remove');
    await expect.poll(() => funnelShown(page)).toEqual(funnelRowsOf(todayAnswer, 'visits'));

    // By visitor within a window: a window over 30 days is said, and not asked.
    await page.check('#funnel-scope-visitor');
    await page.fill('#funnel-window', '31');
    const before = asked.length;
    await page.click('#funnel-apply');
    expect(await error.textContent()).toBe('The window is a whole number of hours or days, from 1 hour to 30 days.');
    expect(await focused()).toBe('funnel-window');
    expect(asked.length).toBe(before);
    await page.fill('#funnel-window', '2');
    await page.click('#funnel-apply');
    const byVisitor = { ...today, scope: 'visitor', window_seconds: 2 * 86_400 };
    await expect.poll(() => asked.at(-1)).toEqual(byVisitor);
    const visitorAnswer = await funnelAnswer(byVisitor);
    // Every seeded visit is a visitor of its own.
    expect(visitorAnswer.steps.map((s) => s.visitors)).toEqual([12, 4, 1]);
    await expect.poll(() => funnelShown(page)).toEqual(funnelRowsOf(visitorAnswer, 'visitors'));
    expect(await page.textContent('[data-testid="funnel-summary"]')).toBe(`1 of 12 visitors completed the funnel (${visitorAnswer.steps[2]?.conversion_rate}%).`);
    const params = new URL(page.url()).searchParams;
    expect([params.get('funnel_scope'), params.get('funnel_window')]).toEqual(['visitor', '2d']);

    // Saved under a name (Enter in the name field), listed, cleared away, chosen again, deleted.
    await page.fill('#funnel-name', 'Signup by visitor');
    await page.keyboard.press('Enter');
    expect(await page.textContent('[data-testid="funnel-note"]')).toBe('Saved “Signup by visitor”.');
    expect(await page.inputValue('#funnel-saved')).toBe('Signup by visitor');
    const stored = () => page.evaluate((key) => localStorage.getItem(key), `pulse.funnels.${shop.siteId}`);
    expect(JSON.parse((await stored()) ?? 'null')).toEqual([
      { name: 'Signup by visitor', steps: [{ kind: 'page', value: '/' }, { kind: 'page', value: '/pricing' }, { kind: 'event', value: 'signup' }], scope: 'visitor', window: '2d' },
    ]);
    await page.click('#funnel-clear');
    await expect.poll(() => results.getAttribute('data-state')).toBe('idle');
    expect([...new URL(page.url()).searchParams.keys()].filter((k) => k.startsWith('funnel'))).toEqual([]);
    expect(await page.locator('[data-testid="funnel-step-value"]').evaluateAll((is) => is.map((i) => (i as HTMLInputElement).value))).toEqual(['', '']);
    expect(await page.inputValue('#funnel-saved')).toBe('');
    // A reload keeps the saved list (this browser's localStorage).
    await page.reload();
    await page.waitForSelector('#funnel-saved option[value="Signup by visitor"]', { state: 'attached' });
    await page.selectOption('#funnel-saved', 'Signup by visitor');
    expect(await funnelShown(page)).toEqual(funnelRowsOf(visitorAnswer, 'visitors'));
    expect(await page.inputValue('#funnel-window')).toBe('2');
    expect(new URL(page.url()).searchParams.get('funnel_window')).toBe('2d');

    // What the API refuses although the editor let it through is said in its words, without a
    // Retry (here a step is spoilt on its way).
    await page.route('**/v1/funnel', (route) =>
      route.continue({ postData: JSON.stringify({ ...(route.request().postDataJSON() as object), steps: [{ page: '/' }, { page: 'pricing' }] }) }),
    );
    await page.click('#funnel-apply');
    await expect.poll(() => results.getAttribute('data-state')).toBe('refused');
    expect(await results.locator('[role="alert"]').textContent()).toBe('The query API refused this funnel: steps[1].page: must start with /');
    expect(await results.locator('button').count()).toBe(0);
    await page.unroute('**/v1/funnel');
    // Any other failure as every panel says it, with a Retry that asks again.
    await page.route('**/v1/funnel', (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'ClickHouse is unreachable' } }) }),
    );
    await page.click('#funnel-apply');
    await expect.poll(() => results.getAttribute('data-state')).toBe('error');
    expect(await results.locator('[role="alert"] span').textContent()).toBe('The query API failed (503): ClickHouse is unreachable');
    await page.unroute('**/v1/funnel');
    await results.locator('button:has-text("Retry")').click();
    expect(await funnelShown(page)).toEqual(funnelRowsOf(visitorAnswer, 'visitors'));

    await page.click('#funnel-delete');
    expect(await page.textContent('[data-testid="funnel-note"]')).toBe('Deleted “Signup by visitor”.');
    expect(await stored()).toBeNull();
    expect(await page.isDisabled('#funnel-saved')).toBe(true);
    // Only the saved copy is gone: the funnel is still shown, and still in the link.
    expect(await funnelShown(page)).toEqual(funnelRowsOf(visitorAnswer, 'visitors'));
    expect(new URL(page.url()).searchParams.getAll('funnel')).toHaveLength(3);

    // It fits a phone too.
    await page.setViewportSize({ width: 375, height: 812 });
    // The chart redraws for the new width when its resize observer fires, after the resize returns.
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), { timeout: 5_000 }).toBeLessThanOrEqual(0);
    await page.locator('[data-panel="funnel"]').screenshot({ path: join(ARTIFACTS_DIR, 'funnel-phone.png') });
  });

  it('compares the funnel with the period the cards compare with, and downloads it as CSV as /v1/funnel writes it', async () => {
    const page = await newPage();
    const funnels = funnelBodies(page);
    const cardCompares: unknown[] = [];
    page.on('request', (r) => {
      const body = r.method() === 'POST' && r.url().endsWith('/v1/query') ? (r.postDataJSON() as Record<string, unknown>) : null;
      if (body?.compare) cardCompares.push(body.compare);
    });
    // The funnel from a link, over today, with the dashboard's default comparison (the period before).
    await signIn(page, `/?range=today&funnel=${encodeURIComponent('page:/')}&funnel=${encodeURIComponent('page:/pricing')}&funnel=${encodeURIComponent('event:signup')}`);
    await page.locator('[data-panel="funnel"]').scrollIntoViewIfNeeded();
    await page.waitForSelector('[data-testid="funnel-results"][data-state="ready"]:not([aria-busy])');
    const asked = funnels.at(-1)!;
    const steps = [{ page: '/' }, { page: '/pricing' }, { event: 'signup' }];
    expect(asked).toMatchObject({ site_id: shop.siteId, date_range: isoRange({ kind: 'preset', preset: 'today' }), steps, timezone: SHOP_TZ });
    // Compared as the cards are: the same span their queries ask.
    expect(cardCompares).toContainEqual(asked.compare);
    const answer = (await api<{ steps: (FunnelAnswer['steps'][number] & { comparison: Record<string, number> & { change: Record<string, number | null> } })[] }>(
      `${system.embedded.queryUrl}/v1/funnel`,
      { token: tenant.checkKey, body: asked },
    )).body;
    // Today 12 → 4 → 1 (see the first funnel test), each step with its compared figures.
    expect(answer.steps.map((s) => s.visits)).toEqual([12, 4, 1]);
    expect(answer.steps.every((s) => typeof s.comparison.visits === 'number')).toBe(true);
    // The figures as the rows show them: step 1 against its count then, later steps against their
    // conversion then, with the API's change in points (worked out here apart from funnel-result.ts).
    const want = answer.steps.map((s, i) => {
      const c = s.comparison;
      if (i === 0) return { value: `was ${c.visits} visit${c.visits === 1 ? '' : 's'}`, change: formatChange('visits', s.visits ?? 0, c.visits ?? 0)?.text ?? null };
      const points = c.change.conversion_rate ?? 0;
      return { value: `was ${c.conversion_rate}%`, change: `${points > 0 ? '+' : points < 0 ? '−' : ''}${Math.abs(points)} pp` };
    });
    const shown = () =>
      page.locator('[data-testid="funnel-step"]').evaluateAll((lis) =>
        lis.map((li) => ({
          value: li.querySelector('[data-testid="funnel-compared-value"]')?.textContent ?? null,
          change: li.querySelector('[data-testid="funnel-change"]')?.firstChild?.nextSibling?.textContent ?? null,
        })),
      );
    expect(await shown()).toEqual(want);
    // Said against what, in the cards' words.
    expect(await page.textContent('[data-testid="funnel-compare-label"]')).toBe(await page.textContent('[data-testid="compare-label"]'));
    await page.locator('[data-panel="funnel"]').screenshot({ path: join(ARTIFACTS_DIR, 'funnel-compared.png') });

    // The CSV control, as the breakdowns have it: the funnel shown, compared, as the API writes it.
    expect(await page.getAttribute('[data-testid="csv-funnel"]', 'aria-label')).toBe('Download Funnel as CSV');
    const file = await downloadCsv(page, 'csv-funnel', '/v1/funnel');
    expect(file.accept).toBe('text/csv');
    expect(file.body).toEqual(asked);
    expect(file.name).toMatch(new RegExp(`^pulse-${shop.siteId}-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv$`));
    const lines = file.text.split('\r\n');
    expect(lines[0]).toBe(
      'step,label,visits,conversion_rate,conversion_rate_step,dropoff,visits_previous,conversion_rate_previous,conversion_rate_step_previous,dropoff_previous,visits_change,conversion_rate_change,conversion_rate_step_change,dropoff_change',
    );
    const cell = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : String(v));
    expect(lines.slice(1, -1)).toEqual(
      answer.steps.map((s, i) => {
        const c = s.comparison;
        const figures = ['visits', 'conversion_rate', 'conversion_rate_step', 'dropoff'];
        return [i + 1, s.label, s.visits, s.conversion_rate, s.conversion_rate_step, s.dropoff, ...figures.map((f) => c[f]), ...figures.map((f) => c.change[f])].map(cell).join(',');
      }),
    );
    expect(lines.at(-1)).toBe('');

    // Comparison off: asked without one, no compared figures, and a CSV without their columns.
    await page.selectOption('[data-testid="compare-select"]', 'off');
    await expect.poll(() => funnels.at(-1)).not.toHaveProperty('compare');
    await expect.poll(() => page.locator('[data-testid="funnel-step"]').count()).toBe(3);
    await page.waitForSelector('[data-testid="funnel-results"][data-state="ready"]:not([aria-busy])');
    expect(await page.locator('[data-testid="funnel-compared"], [data-testid="funnel-compare-label"]').count()).toBe(0);
    const plain = await downloadCsv(page, 'csv-funnel', '/v1/funnel');
    expect(plain.body).not.toHaveProperty('compare');
    expect(plain.text.split('\r\n').slice(0, 2)).toEqual(['step,label,visits,conversion_rate,conversion_rate_step,dropoff', `1,Visit /,12,100,100,0`]);
  });

  it('signs out when the read key is revoked', async () => {
    const page = await newPage();
    await signIn(page);
    const extra = await api<{ read_key: string }>(`${system.embedded.queryUrl}/v1/admin/keys`, {
      token: system.embedded.adminToken,
      body: { merchant_id: tenant.merchantId },
    });
    // Use a second key for this tab so the other tests' key stays valid.
    await page.evaluate((k) => sessionStorage.setItem('pulse.read_key', k), extra.body.read_key);
    await page.reload();
    await page.waitForSelector('[data-testid="card-visitors"]');
    const del = await api(`${system.embedded.queryUrl}/v1/admin/keys/${extra.body.read_key}`, { method: 'DELETE', token: system.embedded.adminToken });
    expect(del.status).toBe(204);
    await eventually(
      'revoked key refused',
      async () => (await api(`${system.embedded.queryUrl}/v1/sites`, { token: extra.body.read_key })).status,
      (s) => s === 401,
      10_000,
    );
    // Any request with the key signs out: a change of period, or the realtime panel's own refresh
    // (every 10 s), which may meet the revoked key first and take the picker away mid-action.
    await page.selectOption('[data-testid="range-select"]', 'today', { timeout: 5_000 }).catch(() => undefined);
    await expect.poll(() => page.textContent('[data-testid="signin-error"]')).toContain('not valid (unknown or revoked)');
    expect(await page.evaluate(() => sessionStorage.getItem('pulse.read_key'))).toBeNull();
  });
});
