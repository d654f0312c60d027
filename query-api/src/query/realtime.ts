import type { SiteRecord } from '@pulse/protocol';
import { mapStorageError, type QueryStorage } from '../storage.js';
import { formatZoned } from '../time/zone.js';
import { EVENTS_TABLE, chDateTime } from './sql.js';

export const REALTIME_VISITOR_WINDOW_MS = 5 * 60_000;
export const REALTIME_MINUTES = 30;

export interface Realtime {
  /** Distinct visitors in the last 5 minutes (a `uniq` sketch). */
  visitors: number;
  /** Pageviews in each of the last 30 minutes, oldest first; the last one is the current minute. */
  pageviews_per_minute: { minute: string; pageviews: number }[];
}

export async function realtime(storage: QueryStorage, site: SiteRecord, nowMs: number, settings: Record<string, string | number>): Promise<Realtime> {
  const currentMinute = Math.floor(nowMs / 60_000) * 60_000;
  const from = currentMinute - (REALTIME_MINUTES - 1) * 60_000;
  const params = {
    site: site.site_id,
    from: chDateTime(from),
    recent: chDateTime(nowMs - REALTIME_VISITOR_WINDOW_MS),
    to: chDateTime(currentMinute + 60_000),
  };
  const where = "site_id = {site:String} AND ts < {to:DateTime64(3, 'UTC')} AND is_bot = 0";
  let visitors: { v: number }[];
  let minutes: { m: number; pv: number }[];
  try {
    [visitors, minutes] = await Promise.all([
      storage.query<{ v: number }>(`SELECT uniq(visitor_id) AS v FROM ${EVENTS_TABLE} WHERE ${where} AND ts >= {recent:DateTime64(3, 'UTC')}`, params, settings),
      storage.query<{ m: number; pv: number }>(
        `SELECT toUnixTimestamp(toStartOfMinute(ts)) AS m, countIf(name = 'pageview') AS pv FROM ${EVENTS_TABLE}
         WHERE ${where} AND ts >= {from:DateTime64(3, 'UTC')} GROUP BY m`,
        params,
        settings,
      ),
    ]);
  } catch (err) {
    mapStorageError(err);
  }
  const byMinute = new Map(minutes.map((r) => [r.m * 1000, Number(r.pv)]));
  const series = [];
  for (let t = from; t <= currentMinute; t += 60_000) {
    series.push({ minute: formatZoned(t, site.timezone), pageviews: byMinute.get(t) ?? 0 });
  }
  return { visitors: Number(visitors[0]?.v ?? 0), pageviews_per_minute: series };
}
